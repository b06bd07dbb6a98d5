"""The event chain's stages as plain functions: what each trigger runs, and what the CLI runs.

upload/{name} --accept_upload--> raw/exports/<user>/<upload-id>/...
raw/{name}    --curate_raw-----> curated/<dataset>/...  + one load message naming those files
load queue    --load_curated---> warehouse (one transaction per message)
timer         --run_extract----> raw/spotify-api/...

Each stage opens the lake (and warehouse) the settings point at and calls one public function
of extract/, transform/ or load/. `ingest` replays the same stages in-process, in order, for the
CLI: upload → raw → curated → queue → load.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from extract.export.errors import UploadRefused
from settings import LOAD_QUEUE, RAW_CONTAINER, UPLOAD_CONTAINER, Settings

__all__ = [
    "IngestSummary",
    "UploadRefused",
    "accept_upload",
    "curate_and_load",
    "curate_raw",
    "drain_load_queue",
    "ingest",
    "load_curated",
    "run_extract",
]

logger = logging.getLogger(__name__)


def accept_upload(settings: Settings, name: str):
    """upload/{name}: validate the upload and land its history files in raw/ (or quarantine it)."""
    from extract.export.upload import accept_upload as _accept
    from storage import open_lake

    return _accept(open_lake(settings), name, settings)


def curate_raw(settings: Settings, name: str):
    """raw/{name}: clean one landed file into curated Parquet; returns the load message, or None."""
    from storage import open_lake
    from transform.curate import curate_raw as _curate

    return _curate(open_lake(settings), name, settings)


def load_curated(settings: Settings, body: str):
    """Load queue: load exactly the curated files a message names, in one transaction."""
    from load.loader import load_message
    from load.message import LoadMessage
    from load.warehouse import open_warehouse
    from storage import open_lake

    lake = open_lake(settings)
    with open_warehouse(settings, lake) as warehouse:
        return load_message(warehouse, lake, LoadMessage.from_json(body))


def run_extract(settings: Settings):
    """Timer: pull recently played and top items into raw/, then enrich the catalog."""
    from extract.spotify.job import run_extract as _run
    from storage import open_lake

    return _run(open_lake(settings), settings)


@dataclass
class IngestSummary:
    files: int = 0
    streams_accepted: int = 0
    duplicates_skipped: int = 0
    records_set_aside: int = 0
    already_ingested: int = 0
    skipped_detail: dict[str, int] = field(default_factory=dict)


def drain_load_queue(settings: Settings, summary: IngestSummary) -> None:
    """Load every queued message in order, as the queue trigger would, deleting each once loaded.

    One warehouse connection for the whole queue; consecutive messages load in batches (each
    batch one transaction, see load.loader.load_messages). A bad message does not stop the
    others: it stays in the queue (to be retried, then poisoned) and, once the rest are loaded,
    one LoadError says which message failed and why.
    """
    from load.errors import LoadError
    from load.loader import load_messages
    from load.message import LoadMessage
    from load.warehouse import open_warehouse
    from storage import open_lake, open_queue

    queue = open_queue(settings, LOAD_QUEUE)
    lake = open_lake(settings)
    failed: dict[str, str] = {}  # queue message id -> why it failed (left in the queue)
    failed_messages: dict[str, object] = {}  # queue message id -> the queue message
    position: dict[str, int] = {}  # queue message id -> order received (failures report in it)
    with open_warehouse(settings, lake) as warehouse:
        while received := [m for m in queue.receive() if m.id not in failed]:
            for queued in received:
                position.setdefault(queued.id, len(position))
            by_message: dict[int, object] = {}  # id() of a parsed message -> its queue message
            parsed = []
            for queued in received:
                try:
                    message = LoadMessage.from_json(queued.body)
                except ValueError as error:  # malformed: this one fails, the others still load
                    failed[queued.id], failed_messages[queued.id] = str(error), queued
                    continue
                by_message[id(message)] = queued
                parsed.append(message)
            for outcome in load_messages(warehouse, lake, parsed):
                if outcome.error is not None:
                    (message,) = outcome.messages
                    queued = by_message[id(message)]
                    failed[queued.id], failed_messages[queued.id] = (
                        f"{message.source}: {outcome.error}",
                        queued,
                    )
                    continue
                summary.streams_accepted += outcome.result.streams_accepted
                summary.duplicates_skipped += outcome.result.duplicates_skipped
                summary.records_set_aside += outcome.result.records_set_aside
                for message in outcome.messages:
                    queue.delete(by_message[id(message)])
    if failed:
        # As the queue trigger does: after MAX_DEQUEUE_COUNT tries a message moves to the poison
        # queue, so one bad message cannot fail every later ingest.
        poisoned = [m for m in failed_messages.values() if m.dequeue_count >= MAX_DEQUEUE_COUNT]
        if poisoned:
            poison = open_queue(settings, f"{LOAD_QUEUE}-poison")
            for queued in poisoned:
                poison.send(queued.body)
                queue.delete(queued)
        first = failed[min(failed, key=position.__getitem__)]
        where = f"moved to {LOAD_QUEUE}-poison" if len(poisoned) == len(failed) else "left in the queue"
        more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
        raise LoadError(f"load failed, nothing of it loaded: {first}{more}; {where}")


# Tries before a load message moves to the poison queue: host.json queues.maxDequeueCount.
MAX_DEQUEUE_COUNT = 5

# Raw files curated at once in-process: the host curates blobs in parallel too
# (host.json blobs.maxDegreeOfParallelism), and DuckDB and pyarrow release the GIL.
CURATE_WORKERS = 2


def curate_and_load(settings: Settings, raw_paths, summary: IngestSummary, progress=None) -> None:
    """Curate landed raw files, queue their load messages in order, and drain the queue.

    What the raw blob trigger and the queue trigger do for these files, run in-process.
    """
    from concurrent.futures import ThreadPoolExecutor

    from storage import open_queue

    say = progress or (lambda _line: None)
    queue = open_queue(settings, LOAD_QUEUE)
    paths = list(raw_paths)
    messages = []
    with ThreadPoolExecutor(max_workers=CURATE_WORKERS, thread_name_prefix="curate") as pool:
        curated = pool.map(lambda path: curate_raw(settings, f"{RAW_CONTAINER}/{path}"), paths)
        for index, (path, message) in enumerate(zip(paths, curated, strict=True), 1):
            messages.append(message)
            say(f"curated {index}/{len(paths)}: {path.rsplit('/', 1)[-1]}")
    # Queued only once every file is curated: a file that fails leaves none of its export queued.
    for message in messages:
        if message is not None:
            queue.send(message.to_json())
    from transform.curate import release_memory

    release_memory()  # the load comes next in this process: keep the peak at one stage's worth
    drain_load_queue(settings, summary)


def _short_hash(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()[:8]


def _pack_folder(folder: Path, target: Path) -> int:
    """Zip a folder's files (stored, not compressed) so a folder uploads as one export."""
    import zipfile

    count = 0
    with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.is_symlink():
                archive.write(path, path.relative_to(folder).as_posix())
                count += 1
    return count


def ingest(settings: Settings, source: Path, user: str, progress=None) -> IngestSummary:
    """Run the whole chain in-process for one export (.zip, folder, or history .json).

    The same stage functions the triggers run, in the same order: the file is dropped into
    upload/, accepted into raw/, each raw file curated, its load message queued, and the queue
    drained into the warehouse. Raises UploadRefused (already quarantined) for a bad upload.
    """
    import tempfile

    from storage import open_lake

    say = progress or (lambda _line: None)
    lake = open_lake(settings)
    summary = IngestSummary()
    with tempfile.TemporaryDirectory(prefix="ingest-") as scratch:
        upload_file, upload_name = source, source.name
        if source.is_dir():
            upload_file = Path(scratch) / f"{source.name or 'export'}.zip"
            if _pack_folder(source, upload_file) == 0:
                raise UploadRefused(f"{source} is an empty folder")
            upload_name = upload_file.name
        # Named by content too: Spotify names every export my_spotify_data.zip, and an earlier
        # upload must be kept, not overwritten. The same export again lands on the same name.
        name = f"{user}/{_short_hash(upload_file)}-{upload_name}"
        lake.write_file(UPLOAD_CONTAINER, name, upload_file)
    say(f"uploaded {upload_name}")

    accepted = accept_upload(settings, name)
    summary.files = accepted.history_files
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
