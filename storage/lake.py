"""The storage contract every stage codes against: a lake of containers and a message queue."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Protocol, Self


class StagedBlob(Protocol):
    """A blob being written in pieces, invisible to readers, listings and triggers until `commit`.

    Use it as a context manager: leaving the block without `commit` aborts it.
    """

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Append `data` to the staged content."""
        ...

    def flush(self) -> None:
        """Push what is buffered to storage and let go of what writing holds (a file handle, a pending
        block); the blob stays invisible and may still be written to. Bounds memory and handles when
        many blobs are staged at once."""
        ...

    def commit(self) -> None:
        """Make the blob visible with everything written, atomically, overwriting any existing blob."""
        ...

    def abort(self) -> None:
        """Drop the staged content: nothing becomes visible. Safe to call more than once."""
        ...

    def __enter__(self) -> StagedBlob: ...

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None: ...


class StagedBlobBase:
    """What every `StagedBlob` shares: the context manager that aborts unless committed."""

    finished = False  # set by commit() and abort(): nothing more may be written

    def abort(self) -> None:
        raise NotImplementedError

    def _check_open(self) -> None:
        if self.finished:
            raise LakeError("staged blob already committed or aborted")

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if not self.finished:
            self.abort()


class Lake(Protocol):
    """Blob-like storage. Paths use `/`, never start with `/`, and are relative to a container."""

    def exists(self, container: str, path: str) -> bool: ...

    def read_bytes(self, container: str, path: str) -> bytes: ...

    def open_read(self, container: str, path: str) -> contextlib.AbstractContextManager[BinaryIO]:
        """A readable, seekable binary stream over the blob (zip files need seeking)."""
        ...

    def local_path(self, container: str, path: str) -> contextlib.AbstractContextManager[Path]:
        """A local file holding the blob, for readers that want a path (DuckDB, pyarrow)."""
        ...

    def write_bytes(self, container: str, path: str, data: bytes) -> None:
        """Write (or overwrite) a blob atomically: readers never see a partial blob."""
        ...

    def create(self, container: str, path: str, data: bytes) -> bool:
        """Write the blob only if it does not exist yet, atomically; False if it already did.

        For values several processes may race to create once (the pseudonymisation key).
        """
        ...

    def write_file(self, container: str, path: str, source: Path) -> None:
        """Upload a local file as a blob, atomically, without reading it all into memory."""
        ...

    def stage(self, container: str, path: str) -> StagedBlob:
        """Start writing a blob in pieces; it appears (and fires its trigger) only on `commit()`."""
        ...

    def list(self, container: str, prefix: str = "") -> Iterator[str]:
        """Paths (relative to the container) under `prefix`, sorted."""
        ...

    def delete(self, container: str, path: str) -> None: ...

    def url(self, container: str, path: str) -> str:
        """Where a bulk loader finds the blob: a local path, or the account's https URL."""
        ...


@dataclass(frozen=True)
class QueueMessage:
    id: str
    body: str
    dequeue_count: int = 1
    receipt: str = ""


class LakeQueue(Protocol):
    name: str

    def send(self, body: str, delay_seconds: int = 0) -> None:
        """Add a message; with a delay it stays invisible (to `receive`, not to `count`) that long."""
        ...

    def receive(self, max_messages: int = 32) -> list[QueueMessage]: ...

    def delete(self, message: QueueMessage) -> None: ...

    def count(self) -> int:
        """How many messages the queue holds, visible or not (received, delayed): at least the true
        number, as Queue Storage's approximate count is."""
        ...


class LakeError(Exception):
    """A storage operation failed for a reason the user can act on (missing blob, no access)."""


def iter_chunks(stream: BinaryIO, size: int = 1 << 20) -> Iterator[bytes]:
    while chunk := stream.read(size):
        yield chunk
