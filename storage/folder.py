"""The embedded lake: one sub-folder per container under a local directory, and folder queues.

Every write is atomic: a hidden temp file in the target's folder, renamed over the target
(os.replace), so a reader, or the next run after a kill, sees the old file or the new one, never
a part. Listings skip those temp files, and one a kill left behind is never read.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from storage.lake import LakeError, QueueMessage, StagedBlobBase


class FolderLake:
    def __init__(self, root: str | Path):
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"FolderLake({str(self.root)!r})"

    def _path(self, container: str, path: str) -> Path:
        # Paths come from our own code or from blob names; refuse anything that could escape.
        parts = path.split("/")
        if not container or "/" in container or any(p in ("", ".", "..") for p in parts) or "\\" in path:
            raise LakeError(f"unsafe lake path: {container}/{path}")
        return self.root / container / Path(*parts)

    def exists(self, container: str, path: str) -> bool:
        return self._path(container, path).is_file()

    def read_bytes(self, container: str, path: str) -> bytes:
        try:
            return self._path(container, path).read_bytes()
        except FileNotFoundError:
            raise LakeError(f"no such blob: {container}/{path}") from None

    @contextlib.contextmanager
    def open_read(self, container: str, path: str) -> Iterator[BinaryIO]:
        try:
            handle = self._path(container, path).open("rb")
        except FileNotFoundError:
            raise LakeError(f"no such blob: {container}/{path}") from None
        with handle:
            yield handle

    @contextlib.contextmanager
    def local_path(self, container: str, path: str) -> Iterator[Path]:
        target = self._path(container, path)
        if not target.is_file():
            raise LakeError(f"no such blob: {container}/{path}")
        yield target

    def _atomic_target(self, container: str, path: str) -> tuple[Path, Path]:
        target = self._path(container, path)
        target.parent.mkdir(parents=True, exist_ok=True)
        return target, _temp_beside(target)

    def write_bytes(self, container: str, path: str, data: bytes) -> None:
        target = self._path(container, path)
        target.parent.mkdir(parents=True, exist_ok=True)
        _write_atomically(target, data)

    def create(self, container: str, path: str, data: bytes) -> bool:
        target, tmp = self._atomic_target(container, path)
        try:
            tmp.write_bytes(data)
            os.link(tmp, target)  # fails if the target exists: first writer wins, atomically
            return True
        except FileExistsError:
            return False
        finally:
            tmp.unlink(missing_ok=True)

    def write_file(self, container: str, path: str, source: Path) -> None:
        target, tmp = self._atomic_target(container, path)
        try:
            shutil.copyfile(source, tmp)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)

    def stage(self, container: str, path: str) -> FolderStagedBlob:
        target, tmp = self._atomic_target(container, path)
        return FolderStagedBlob(target, tmp)

    def list(self, container: str, prefix: str = "") -> Iterator[str]:
        base = self.root / container
        if not base.is_dir():
            return iter(())
        found = []
        for dirpath, _dirs, files in os.walk(base):
            for name in files:
                if name.startswith(".") and name.endswith(".tmp"):
                    continue
                rel = Path(dirpath, name).relative_to(base).as_posix()
                if rel.startswith(prefix):
                    found.append(rel)
        return iter(sorted(found))

    def delete(self, container: str, path: str) -> None:
        self._path(container, path).unlink(missing_ok=True)

    def url(self, container: str, path: str) -> str:
        return str(self._path(container, path).resolve())


class FolderStagedBlob(StagedBlobBase):
    """A hidden `.name.<uuid>.tmp` file beside the target (`list` skips those), renamed on commit."""

    def __init__(self, target: Path, tmp: Path):
        self.target = target
        self.tmp = tmp
        self._handle: BinaryIO | None = None
        # Created now, so an empty commit makes an empty blob and abort always has a file to remove.
        tmp.touch()

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self._check_open()
        if self._handle is None:
            self._handle = self.tmp.open("ab")
        self._handle.write(data)

    def flush(self) -> None:
        # Closed between writes: an upload stages one blob per history file, possibly thousands.
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def commit(self) -> None:
        self._check_open()
        self.flush()
        os.replace(self.tmp, self.target)
        self.finished = True

    def abort(self) -> None:
        self.flush()
        self.tmp.unlink(missing_ok=True)
        self.finished = True


def _temp_beside(target: Path) -> Path:
    """A hidden, unique temp file name in the target's folder (the same file system, so renaming
    it over the target is atomic); `FolderLake.list` and `FolderQueue` never read such names."""
    return target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")


def _write_atomically(target: Path, data: bytes) -> None:
    """Replace `target` with `data` whole: written beside it, then renamed over it."""
    tmp = _temp_beside(target)
    try:
        tmp.write_bytes(data)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _now_stamp() -> int:
    """Now, in the 100 ns ticks of a version-1 uuid's time (the clock the message names use)."""
    return uuid.uuid1().time


class FolderQueue:
    """A queue as a folder of message files; good enough for one process draining it in order.

    A message file is named by the time it becomes visible (`<ticks>-<random>.msg`), so names sort
    in delivery order and a message sent with a delay is simply not due yet.
    """

    def __init__(self, root: str | Path, name: str):
        self.name = name
        self.folder = Path(root) / "queues" / name
        # Received but not deleted: invisible to this queue object from then on, as a message
        # under its visibility timeout is in Queue Storage. A new queue object sees it again.
        self._in_flight: set[str] = set()
        # What the last look at the folder found and was not received yet, in delivery order.
        # Receiving from it keeps a drain linear: a look costs a pass over every message, and
        # one per batch of 32 made draining 10 000 messages quadratic (the queue of a big upload).
        self._listing: deque[str] = deque()

    def send(self, body: str, delay_seconds: int = 0) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        # Time-ordered names keep FIFO order; the uuid keeps them unique.
        visible_at = _now_stamp() + max(delay_seconds, 0) * 10_000_000
        name = f"{visible_at:020d}-{uuid.uuid4().hex[:8]}.msg"
        _write_atomically(self.folder / name, body.encode())

    def receive(self, max_messages: int = 32) -> list[QueueMessage]:
        if not self.folder.is_dir():
            return []
        due = f"{_now_stamp():020d}"
        names = self._take_due(max_messages, due)
        if len(names) < max_messages:  # what the last look found is used up: look again, for new ones
            with os.scandir(self.folder) as entries:
                found = [e.name for e in entries if e.name.endswith(".msg") and e.name not in self._in_flight]
            self._listing = deque(sorted(found))
            names += self._take_due(max_messages - len(names), due)
        messages = []
        for name in names:
            try:
                body = (self.folder / name).read_bytes().decode()
            except FileNotFoundError:  # deleted since it was listed (by another queue object)
                continue
            messages.append(QueueMessage(id=name, body=body, dequeue_count=self._count(name), receipt=name))
        return messages

    def _take_due(self, count: int, due: str) -> list[str]:
        """Up to `count` due names from the front of the listing, each in flight from now on."""
        taken: list[str] = []
        while self._listing and len(taken) < count and self._listing[0] <= due:
            name = self._listing.popleft()
            if name not in self._in_flight:
                self._in_flight.add(name)
                taken.append(name)
        return taken

    def _count(self, name: str) -> int:
        """Count one more delivery of `name` (kept beside it, as Queue Storage counts dequeues)."""
        counter = self.folder / f"{name}.count"
        count = _read_count(counter) + 1
        _write_atomically(counter, str(count).encode())
        return count

    def delete(self, message: QueueMessage) -> None:
        (self.folder / message.receipt).unlink(missing_ok=True)
        (self.folder / f"{message.receipt}.count").unlink(missing_ok=True)

    def count(self) -> int:
        return sum(1 for _ in self.folder.glob("*.msg")) if self.folder.is_dir() else 0


def _read_count(counter: Path) -> int:
    """The deliveries a counter file holds; 0 without one, and for one that is not a number.

    Counters were once written in place, so a kill between the truncation and the write left an
    empty one behind. Counting such a message from 0 again gives it its tries again, which a
    message that failed only because of the kill needs, rather than failing every later drain.
    """
    try:
        return int(counter.read_bytes())
    except FileNotFoundError:
        return 0
    except ValueError:  # empty or garbled: the crash state above
        return 0
