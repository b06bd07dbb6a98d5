"""The whole chain in-process, for the CLI: the trigger stages in order, and the queue drained.

`ingest` drops an export into upload/ and runs exactly what the triggers would: accept the upload
(upload → raw), curate each landed raw file (raw → curated, queueing one load message each), then
drain the load queue into the warehouse as the queue trigger does, poison rule included. Each
stage still reads only what the previous one wrote, as in Azure.
"""

from __future__ import annotations

import logging
import os
import stat
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from pathlib import Path

from contracts.layout import (
    CLI_HASH_DIGITS,
    LOAD_QUEUE,
    RAW_CONTAINER,
    UPLOAD_CONTAINER,
    ChartFile,
    poison_queue,
    upload_path,
)
from contracts.load_message import LoadMessage
from extract.export.errors import UploadRefused
from extract.export.upload import content_id
from load.errors import LoadError
from load.loader import ROW_BUDGET, LoadResult, finished_sources, load_messages
from load.warehouse import Warehouse, open_warehouse
from pipeline import stages
from settings import Settings
from storage import QueueMessage, open_lake, open_queue
from storage.lake import Lake
from transform.curate import release_memory

__all__ = ["IngestSummary", "QueueDrainer", "UploadRefused", "curate_and_load", "drain_load_queue", "ingest"]

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]


@dataclass
class IngestSummary:
    files: int = 0
    streams_accepted: int = 0
    duplicates_skipped: int = 0
    records_set_aside: int = 0
    already_ingested: int = 0
    skipped_detail: dict[str, int] = field(default_factory=dict)
    chart_parts: int = 0
    chart_entries_accepted: int = 0
    chart_duplicates_skipped: int = 0
    music_accepted: int = 0
    podcast_accepted: int = 0
    audiobook_accepted: int = 0
    in_extended_history: int = 0
    earlier_messages: int = 0  # load messages an earlier run left queued, loaded by this one
    files_already_loaded: int = 0  # raw blobs (files or bundles) whose load had finished: not curated again

    def add(self, result: LoadResult) -> None:
        """Count a load's result in (every LoadResult counter but `files`)."""
        for name in _LOAD_COUNTERS:
            setattr(self, name, getattr(self, name) + getattr(result, name))


_LOAD_COUNTERS = tuple(f.name for f in fields(LoadResult) if f.name != "files")


class QueueDrainer:
    """Loads what the load queue holds, as the queue trigger would, over one warehouse connection.

    `drain()` may run several times while curation goes on (each time it loads every message
    queued by then, in order, in batches: see load.loader.load_messages); `finish()` then says
    what failed. A bad message does not stop the others: it stays in the queue (to be retried,
    then poisoned) and is not tried again by this drainer; once the rest are loaded, one
    LoadError says which message failed and why.
    """

    def __init__(
        self,
        settings: Settings,
        summary: IngestSummary,
        warehouse: Warehouse,
        progress: Progress | None = None,
    ):
        self.settings, self.summary, self.warehouse = settings, summary, warehouse
        self.say = progress or (lambda _line: None)
        self.queue = open_queue(settings, LOAD_QUEUE)
        self.lake = open_lake(settings)
        self.failed: dict[str, str] = {}  # queue message id -> why it failed (left in the queue)
        self.failed_messages: dict[str, QueueMessage] = {}  # queue message id -> the queue message
        self.position: dict[str, int] = {}  # queue message id -> order received (failures report in it)
        self.loaded = 0  # messages loaded (and deleted from the queue)

    def drain(self) -> None:
        summary = self.summary
        while received := [m for m in self.queue.receive() if m.id not in self.failed]:
            for queued in received:
                self.position.setdefault(queued.id, len(self.position))
            by_message: dict[int, QueueMessage] = {}  # id() of a parsed message -> its queue message
            parsed: list[LoadMessage] = []
            for queued in received:
                try:
                    message = LoadMessage.from_json(queued.body)
                except ValueError as error:  # malformed: this one fails, the others still load
                    self.failed[queued.id], self.failed_messages[queued.id] = str(error), queued
                    continue
                by_message[id(message)] = queued
                parsed.append(message)
            done, rows = 0, sum(f.rows for m in parsed for f in m.files if f.rows > 0)
            for outcome in load_messages(self.warehouse, self.lake, parsed):
                done += sum(f.rows for m in outcome.messages for f in m.files if f.rows > 0)
                self.say(f"loaded {done:,} of {rows:,} rows")
                if outcome.result is None:  # one message failed and loaded nothing (outcome.error)
                    (message,) = outcome.messages
                    queued = by_message[id(message)]
                    self.failed[queued.id] = f"{message.curated_from}: {outcome.error}"
                    self.failed_messages[queued.id] = queued
                    continue
                summary.add(outcome.result)
                for message in outcome.messages:
                    self.queue.delete(by_message[id(message)])
                self.loaded += len(outcome.messages)

    def finish(self) -> None:
        """Raise LoadError naming the first failed message, if any (after poisoning as the host does)."""
        if not self.failed:
            return
        # As the queue trigger does: after MAX_DEQUEUE_COUNT tries a message moves to the poison
        # queue, so one bad message cannot fail every later ingest.
        poisoned = [m for m in self.failed_messages.values() if m.dequeue_count >= MAX_DEQUEUE_COUNT]
        if poisoned:
            poison = open_queue(self.settings, poison_queue(LOAD_QUEUE))
            for queued in poisoned:
                poison.send(queued.body)
                self.queue.delete(queued)
        first = self.failed[min(self.failed, key=self.position.__getitem__)]
        where = (
            f"moved to {poison_queue(LOAD_QUEUE)}"
            if len(poisoned) == len(self.failed)
            else "left in the queue"
        )
        more = f" (and {len(self.failed) - 1} more)" if len(self.failed) > 1 else ""
        raise LoadError(f"load failed, nothing of it loaded: {first}{more}; {where}")


def drain_load_queue(settings: Settings, summary: IngestSummary) -> None:
    """Load every queued message in order, as the queue trigger would, deleting each once loaded.

    One warehouse connection for the whole queue (see QueueDrainer); a failed message raises one
    LoadError once the others are loaded.
    """
    with open_warehouse(settings) as warehouse:
        drainer = QueueDrainer(settings, summary, warehouse)
        drainer.drain()
    drainer.finish()


# Tries before a load message moves to the poison queue: host.json queues.maxDequeueCount.
MAX_DEQUEUE_COUNT = 5

# Raw files curated at once in-process: the host curates blobs in parallel too
# (host.json blobs.maxDegreeOfParallelism), and DuckDB and pyarrow release the GIL. A chart part
# (~1M rows) already keeps a core busy while the load of the one before it keeps the other:
# one at a time (measured on 5M rows: two at once was slower, and +210 MB at the peak).
CURATE_WORKERS = 2
CHART_CURATE_WORKERS = 1


def curate_and_load(
    settings: Settings, raw_paths: Iterable[str], summary: IngestSummary, progress: Progress | None = None
) -> None:
    """Curate landed raw files and load them, the stages overlapping as the host runs them.

    What the raw blob trigger and the queue trigger do for these files, run in-process: files
    are curated on CURATE_WORKERS threads (chart parts on one); each file's load message is
    queued, in order, as soon as it is curated, and the queue is drained (this thread, one
    warehouse connection) whenever it holds a whole load batch (load.loader.ROW_BUDGET rows)
    while the other files still curate, and once at the end. Each stage still reads only what
    the one before it wrote. A file whose curation fails stops the ingest with its error; what
    was loaded before it stays loaded (every load is idempotent) and running the ingest again
    completes the rest.
    """
    say = progress or (lambda _line: None)
    queue = open_queue(settings, LOAD_QUEUE)
    paths = list(raw_paths)
    queued_rows = 0
    charts = any(ChartFile.parse(path) for path in paths)
    workers = CHART_CURATE_WORKERS if charts else CURATE_WORKERS
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="curate")
    try:
        curated = [pool.submit(stages.curate_raw, settings, f"{RAW_CONTAINER}/{path}") for path in paths]
        with open_warehouse(settings) as warehouse:
            # What an earlier run left queued (it crashed, or its load failed) loads first, counted
            # apart: this run's summary is about this run's files.
            drainer = QueueDrainer(settings, IngestSummary(), warehouse)
            drainer.drain()
            summary.earlier_messages += drainer.loaded
            drainer.summary, drainer.loaded, drainer.say = summary, 0, say
            for index, (path, future) in enumerate(zip(paths, curated, strict=True), 1):
                message = future.result()
                say(f"curated {index}/{len(paths)}: {path.rsplit('/', 1)[-1]}")
                if message is None:
                    continue
                queue.send(message.to_json())
                queued_rows += sum(f.rows for f in message.files)
                if queued_rows >= ROW_BUDGET and index < len(paths):
                    drainer.drain()  # a whole batch: load it while the next files curate
                    queued_rows = 0
            release_memory()  # curation is over in this process: keep the peak at one stage's worth
            drainer.drain()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    drainer.finish()


def _not_loaded_yet(settings: Settings, raw_paths: list[str]) -> list[str]:
    """The raw files of an accepted export whose load has not finished (curation and load redo them)."""
    with open_warehouse(settings) as warehouse:
        done = finished_sources(warehouse, (f"{RAW_CONTAINER}/{path}" for path in raw_paths))
    return [path for path in raw_paths if f"{RAW_CONTAINER}/{path}" not in done]


def _upload(lake: Lake, source: Path, user: str, upload_name: str) -> tuple[str, str | None]:
    """Drop `source` into upload/, named by its content; returns (blob name, its upload id).

    The content id is computed once, here, from the file: the stage then need not read it again.
    A file that changed while it was hashed and copied (its size, time or inode differ) gets no
    id, and the stage hashes the blob itself.
    """
    before = source.stat()
    with source.open("rb") as handle:
        upload_id = content_id(handle)
    # The same export again lands on the same name (contracts.layout.upload_path).
    name = upload_path(user, upload_name, upload_id[:CLI_HASH_DIGITS])
    lake.write_file(UPLOAD_CONTAINER, name, source)
    after = source.stat()
    unchanged = (before.st_size, before.st_mtime_ns, before.st_ino) == (
        after.st_size,
        after.st_mtime_ns,
        after.st_ino,
    )
    return name, upload_id if unchanged else None


def _pack_folder(folder: Path, target: Path) -> int:
    """Zip a folder's files (stored, not compressed) so a folder uploads as one export.

    A symlink goes in as a link, never followed (it may point anywhere on this machine): the
    upload stage skips and counts it, as it does the links in any zip, so the summary says so.
    """
    count = 0
    with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as archive:
        for path in sorted(folder.rglob("*")):
            name = path.relative_to(folder).as_posix()
            if path.is_symlink():
                link = zipfile.ZipInfo(name)
                link.create_system = 3  # Unix: the mode bits below say "symlink"
                link.external_attr = (stat.S_IFLNK | 0o777) << 16
                archive.writestr(link, os.readlink(path))
            elif path.is_file():
                archive.write(path, name)
            else:
                continue
            count += 1
    return count


def ingest(settings: Settings, export: Path, user: str, progress: Progress | None = None) -> IngestSummary:
    """Run the whole chain in-process for one export (.zip, folder, or history .json).

    The same stage functions the triggers run, in the same order: the file is dropped into
    upload/, accepted into raw/, each raw file curated, its load message queued, and the queue
    drained into the warehouse. Raises UploadRefused (already quarantined) for a bad upload.
    """
    say = progress or (lambda _line: None)
    lake = open_lake(settings)
    summary = IngestSummary()
    with tempfile.TemporaryDirectory(prefix="ingest-") as scratch:
        upload_file, upload_name = export, export.name
        if export.is_dir():
            upload_file = Path(scratch) / f"{export.name or 'export'}.zip"
            if _pack_folder(export, upload_file) == 0:
                raise UploadRefused(f"{export} is an empty folder")
            upload_name = upload_file.name
        name, upload_id = _upload(lake, upload_file, user, upload_name)
    say(f"uploaded {upload_name}")

    accepted = stages.accept_upload(settings, name, progress=say, upload_id=upload_id)
    summary.files = accepted.history_files
    summary.chart_parts = accepted.chart_parts
    summary.skipped_detail = dict(accepted.skipped)
    if accepted.already_ingested:
        # Accepted before: its raw files are in place. Those already loaded are done; curating
        # and loading the others (idempotent) completes what an earlier run did not finish.
        summary.already_ingested = 1
        say(f"{upload_name}: this exact export was accepted before ({accepted.upload_id})")

    raw_paths = list(accepted.raw_paths)
    if accepted.already_ingested:
        raw_paths = _not_loaded_yet(settings, raw_paths)
        summary.files_already_loaded = len(accepted.raw_paths) - len(raw_paths)
    if raw_paths:
        curate_and_load(settings, raw_paths, summary, progress=say)
    logger.info(
        "ingest %s: %d files, %d streams accepted, %d duplicates, %d set aside",
        accepted.upload_id,
        summary.files,
        summary.streams_accepted,
        summary.duplicates_skipped,
        summary.records_set_aside,
    )
    return summary
