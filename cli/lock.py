"""One run at a time on a local lake: commands that write wait for each other and for readers.

The folder lake's queue and the embedded DuckDB file are shared by every `python -m cli` on the
same lake, and DuckDB lets only one process open its file for writing (a reader cannot open it
while a writer holds it, either). So each command holds an advisory lock on `<lake>/.lock` for
its whole run: exclusive for commands that write (ingest, load, the analyses), shared for those
that only read (wrapped, report). A second run waits, saying so once, and goes on when the
first ends; each run then drains only the load messages its own export queued. The lock dies
with its process (flock), so a killed run never leaves the lake locked.

Nothing is locked for a lake in Azure Storage with Synapse: the host and the warehouse take care
of concurrent work there. Without fcntl (Windows) runs are not serialised.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from cli.common import UserError
from settings import Settings

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

LOCK_FILE = ".lock"
WAIT_SECONDS = 30 * 60  # a long ingest (the 26M-row charts file: ~2 min here) finishes well within
POLL_SECONDS = 0.2


def lake_lock_path(settings: Settings) -> Path | None:
    """Where this lake's lock lives, or None when nothing local is shared (Azure lake + Synapse)."""
    if settings.uses_storage_account and settings.warehouse == "synapse":
        return None
    return settings.lake_dir / LOCK_FILE


def _holder(path: Path) -> str:
    with contextlib.suppress(OSError, ValueError):
        pid = int(path.read_text(encoding="ascii").strip() or "0")
        if pid > 0:
            return f" (PID {pid})"
    return ""


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


@contextlib.contextmanager
def hold_lake(
    settings: Settings,
    exclusive: bool,
    wait_seconds: float = WAIT_SECONDS,
    say: Callable[[str], None] = _say,
) -> Iterator[None]:
    """Hold the lake's lock for the block, waiting (bounded) while another run holds it.

    A lake folder that does not exist is not locked (the command creates it, or says there is
    none); nor is one this process may not write to (a read-only copy: no writer can be there).
    """
    path = lake_lock_path(settings)
    if path is None or fcntl is None or not path.parent.is_dir():
        yield
        return
    try:
        handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        if exclusive:
            raise
        yield  # read-only lake: nothing can write to it while this reads
        return
    mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
    try:
        deadline = time.monotonic() + wait_seconds
        waiting = False
        while True:
            try:
                fcntl.flock(handle, mode | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not waiting:
                    say(f"waiting for another run on this lake{_holder(path)}…")
                    waiting = True
                if time.monotonic() >= deadline:
                    raise UserError(
                        f"another run{_holder(path)} still holds {settings.lake_dir} after "
                        f"{wait_seconds / 60:.0f} minutes: let it finish, or stop it, and try again"
                    ) from None
                time.sleep(POLL_SECONDS)
        # Who holds it, for the next run's message: fixed width, so a reader never sees half of it.
        os.pwrite(handle, f"{os.getpid():>10}\n".encode("ascii"), 0)
        yield
    finally:
        os.close(handle)  # releases the lock
