"""The whole chain in-process, for the CLI: the trigger stages in order, and the queue drained.

`ingest` drops an export into upload/ and runs exactly what the triggers would: accept the upload
(upload → raw), curate each landed raw file (raw → curated, queueing one load message each), then
drain the load queue into the warehouse as the queue trigger does, poison rule included. Each
stage still reads only what the previous one wrote, as in Azure.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from contracts.layout import LOAD_QUEUE, RAW_CONTAINER, UPLOAD_CONTAINER, poison_queue, upload_path
from contracts.load_message import LoadMessage
from extract.export.errors import UploadRefused
from load.errors import LoadError
from load.loader import load_messages
from load.warehouse import open_warehouse
from pipeline import stages
from settings import Settings
from storage import QueueMessage, open_lake, open_queue
from transform.curate import release_memory

__all__ = ["IngestSummary", "UploadRefused", "curate_and_load", "drain_load_queue", "ingest"]

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


def drain_load_queue(settings: Settings, summary: IngestSummary) -> None:
    """Load every queued message in order, as the queue trigger would, deleting each once loaded.

    One warehouse connection for the whole queue; consecutive messages load in batches (each
    batch one transaction, see load.loader.load_messages). A bad message does not stop the
    others: it stays in the queue (to be retried, then poisoned) and, once the rest are loaded,
    one LoadError says which message failed and why.
    """
    queue = open_queue(settings, LOAD_QUEUE)
    lake = open_lake(settings)
    failed: dict[str, str] = {}  # queue message id -> why it failed (left in the queue)
    failed_messages: dict[str, QueueMessage] = {}  # queue message id -> the queue message
    position: dict[str, int] = {}  # queue message id -> order received (failures report in it)
    with open_warehouse(settings) as warehouse:
        while received := [m for m in queue.receive() if m.id not in failed]:
            for queued in received:
                position.setdefault(queued.id, len(position))
            by_message: dict[int, QueueMessage] = {}  # id() of a parsed message -> its queue message
            parsed: list[LoadMessage] = []
            for queued in received:
                try:
                    message = LoadMessage.from_json(queued.body)
                except ValueError as error:  # malformed: this one fails, the others still load
                    failed[queued.id], failed_messages[queued.id] = str(error), queued
                    continue
                by_message[id(message)] = queued
                parsed.append(message)
            for outcome in load_messages(warehouse, lake, parsed):
                if outcome.result is None:  # one message failed and loaded nothing (outcome.error)
                    (message,) = outcome.messages
                    queued = by_message[id(message)]
                    failed[queued.id], failed_messages[queued.id] = (
                        f"{message.curated_from}: {outcome.error}",
                        queued,
                    )
                    continue
                summary.streams_accepted += outcome.result.streams_accepted
                summary.duplicates_skipped += outcome.result.duplicates_skipped
                summary.records_set_aside += outcome.result.records_set_aside
                summary.chart_entries_accepted += outcome.result.chart_entries_accepted
                summary.chart_duplicates_skipped += outcome.result.chart_duplicates_skipped
                for message in outcome.messages:
                    queue.delete(by_message[id(message)])
    if failed:
        # As the queue trigger does: after MAX_DEQUEUE_COUNT tries a message moves to the poison
        # queue, so one bad message cannot fail every later ingest.
        poisoned = [m for m in failed_messages.values() if m.dequeue_count >= MAX_DEQUEUE_COUNT]
        if poisoned:
            poison = open_queue(settings, poison_queue(LOAD_QUEUE))
            for queued in poisoned:
                poison.send(queued.body)
                queue.delete(queued)
        first = failed[min(failed, key=position.__getitem__)]
        where = (
            f"moved to {poison_queue(LOAD_QUEUE)}" if len(poisoned) == len(failed) else "left in the queue"
        )
        more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
        raise LoadError(f"load failed, nothing of it loaded: {first}{more}; {where}")


# Tries before a load message moves to the poison queue: host.json queues.maxDequeueCount.
MAX_DEQUEUE_COUNT = 5

# Raw files curated at once in-process: the host curates blobs in parallel too
# (host.json blobs.maxDegreeOfParallelism), and DuckDB and pyarrow release the GIL.
CURATE_WORKERS = 2


def curate_and_load(
    settings: Settings, raw_paths: Iterable[str], summary: IngestSummary, progress: Progress | None = None
) -> None:
    """Curate landed raw files, queue their load messages in order, and drain the queue.

    What the raw blob trigger and the queue trigger do for these files, run in-process.
    """
    say = progress or (lambda _line: None)
    queue = open_queue(settings, LOAD_QUEUE)
    paths = list(raw_paths)
    messages = []
    with ThreadPoolExecutor(max_workers=CURATE_WORKERS, thread_name_prefix="curate") as pool:
        curated = pool.map(lambda path: stages.curate_raw(settings, f"{RAW_CONTAINER}/{path}"), paths)
        for index, (path, message) in enumerate(zip(paths, curated, strict=True), 1):
            messages.append(message)
            say(f"curated {index}/{len(paths)}: {path.rsplit('/', 1)[-1]}")
    # Queued only once every file is curated: a file that fails leaves none of its export queued.
    for message in messages:
        if message is not None:
            queue.send(message.to_json())
    release_memory()  # the load comes next in this process: keep the peak at one stage's worth
    drain_load_queue(settings, summary)


def _short_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()[:8]


def _pack_folder(folder: Path, target: Path) -> int:
    """Zip a folder's files (stored, not compressed) so a folder uploads as one export."""
    count = 0
    with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.is_symlink():
                archive.write(path, path.relative_to(folder).as_posix())
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
        # The same export again lands on the same name (contracts.layout.upload_path).
        name = upload_path(user, upload_name, _short_hash(upload_file))
        lake.write_file(UPLOAD_CONTAINER, name, upload_file)
    say(f"uploaded {upload_name}")

    accepted = stages.accept_upload(settings, name)
    summary.files = accepted.history_files
    summary.chart_parts = accepted.chart_parts
    summary.skipped_detail = dict(accepted.skipped)
    if accepted.already_ingested:
        # Accepted before: its raw files are in place. Curating and loading them again is
        # idempotent, changes nothing if that run finished, and completes it if it did not.
        summary.already_ingested = 1
        say(f"{upload_name}: this exact export was accepted before ({accepted.upload_id})")

    curate_and_load(settings, accepted.raw_paths, summary, progress=say)
    logger.info(
        "ingest %s: %d files, %d streams accepted, %d duplicates, %d set aside",
        accepted.upload_id,
        summary.files,
        summary.streams_accepted,
        summary.duplicates_skipped,
        summary.records_set_aside,
    )
    return summary
