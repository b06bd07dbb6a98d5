"""The storage contract every stage codes against: a lake of containers and a message queue."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol


def split_blob_name(name: str) -> tuple[str, str]:
    """`"raw/exports/a.json"` -> `("raw", "exports/a.json")`; refuses names without a path."""
    container, _, path = name.lstrip("/").partition("/")
    if not container or not path:
        raise ValueError(f"not a container/path blob name: {name!r}")
    return container, path


def blob_name(container: str, path: str) -> str:
    return f"{container}/{path}"


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

    def write_file(self, container: str, path: str, source: Path) -> None:
        """Upload a local file as a blob, atomically, without reading it all into memory."""
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

    def send(self, body: str) -> None: ...

    def receive(self, max_messages: int = 32) -> list[QueueMessage]: ...

    def delete(self, message: QueueMessage) -> None: ...


class LakeError(Exception):
    """A storage operation failed for a reason the user can act on (missing blob, no access)."""


def iter_chunks(stream: BinaryIO, size: int = 1 << 20) -> Iterator[bytes]:
    while chunk := stream.read(size):
        yield chunk
