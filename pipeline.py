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

from extract.export.errors import UploadRefused
from settings import LOAD_QUEUE, Settings

__all__ = ["UploadRefused", "accept_upload", "curate_raw", "load_curated", "run_extract"]

logger = logging.getLogger(__name__)


def accept_upload(settings: Settings, name: str):
    """upload/{name}: validate the upload and land its history files in raw/ (or quarantine it)."""
    from extract.export.upload import accept_upload as _accept

    from storage import open_lake

    return _accept(open_lake(settings), name, settings)


def curate_raw(settings: Settings, name: str):
    """raw/{name}: clean one landed file into curated Parquet; returns the load message, or None."""
    from transform.curate import curate_raw as _curate

    from storage import open_lake

    return _curate(open_lake(settings), name, settings)


def load_curated(settings: Settings, body: str):
    """Load queue: load exactly the curated files a message names, in one transaction."""
    from load.loader import load_message
    from load.warehouse import open_warehouse

    from load.message import LoadMessage
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
    files_skipped: int = 0
    already_ingested: int = 0
    notes: list[str] = field(default_factory=list)


def drain_load_queue(settings: Settings, summary: IngestSummary) -> None:
    """Load every queued message in order, as the queue trigger would, deleting each once loaded."""
    from storage import open_queue

    queue = open_queue(settings, LOAD_QUEUE)
    while messages := queue.receive():
        for message in messages:
            result = load_curated(settings, message.body)
            summary.streams_accepted += result.streams_accepted
            summary.duplicates_skipped += result.duplicates_skipped
            summary.records_set_aside += result.records_set_aside
            queue.delete(message)
