"""The event chain's stages: what each trigger runs, as plain functions of the settings.

upload/{name} --accept_upload--> raw/exports/<user>/<upload-id>/...
raw/{name}    --curate_raw-----> curated/<dataset>/...  + one load message naming those files
load queue    --load_curated---> warehouse (one transaction per message; waits for a paused pool)
timer         --run_extract----> raw/spotify-api/...
weekly timer  --request_analyses> analysis queue
analysis queue --run_analyses--> curated/<dataset>/.../analysis/...  + load messages, models/
timer         --pause_idle_pool> the SQL pool paused once idle (Azure Resource Manager)

Each stage opens the lake (and warehouse) the settings point at and calls one public function
of extract/, transform/ or load/. function_app.py imports this module at indexing time, so the
stages import their packages when they run: pyarrow, duckdb and spotipy stay out of cold start.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from extract.export.errors import UploadRefused
from load.errors import WarehouseUnavailable
from load.pool import LoadDeferred
from settings import Settings

if TYPE_CHECKING:
    from analysis.runs import AnalysesReport
    from contracts.load_message import LoadMessage
    from extract.export.upload import UploadResult
    from extract.spotify.client import SpotifyClient
    from extract.spotify.report import ExtractReport
    from load.loader import LoadResult
    from load.local_time import HomeZone
    from load.period import Period
    from load.pool import PauseReport
    from load.rejects import SetAside

__all__ = [
    "LoadDeferred",
    "UploadRefused",
    "WarehouseUnavailable",
    "accept_upload",
    "analysis_request",
    "curate_raw",
    "load_curated",
    "missing_catalog_ids",
    "pause_idle_pool",
    "records_set_aside",
    "report_page",
    "run_analyses",
    "run_extract",
    "summary_for_request",
]


def accept_upload(
    settings: Settings, name: str, progress: Callable[[str], None] | None = None, upload_id: str | None = None
) -> UploadResult:
    """upload/{name}: validate the upload and land its history files in raw/ (or quarantine it).

    Raises UploadRefused (already quarantined) for a bad upload. `upload_id`: the blob's content
    id when the caller computed it from the bytes it wrote (the CLI); the trigger passes none.
    """
    from extract.export.upload import accept_upload as accept  # lazy: keeps function_app light
    from storage import open_lake

    return accept(open_lake(settings), name, settings, progress, upload_id)


def curate_raw(settings: Settings, name: str) -> LoadMessage | None:
    """raw/{name}: clean one landed file into curated Parquet; returns the load message, or None."""
    from storage import open_lake
    from transform.curate import curate_raw_file  # lazy: keeps function_app light

    return curate_raw_file(open_lake(settings), name, settings)


def load_curated(settings: Settings, body: str) -> LoadResult:
    """Load queue: load exactly the curated files a message names, in one transaction.

    When the app controls the SQL pool (SYNAPSE_POOL_RESOURCE_ID), the load waits for it: a paused
    pool is resumed and the same body re-queued with a delay; raises LoadDeferred (already
    re-queued), and the trigger finishes the original without spending its dequeue count.
    """
    from contracts.layout import LOAD_QUEUE
    from contracts.load_message import LoadMessage
    from load.loader import load_message  # lazy: keeps function_app light
    from load.warehouse import open_warehouse
    from storage import open_lake, open_queue

    message = LoadMessage.from_json(body)
    lake = open_lake(settings)

    def load() -> LoadResult:
        with open_warehouse(settings) as warehouse:
            return load_message(warehouse, lake, message)

    if not settings.controls_pool:
        return load()
    from load.pool import run_gated_load  # lazy: HTTP to Resource Manager only when it controls the pool
    from load.pool.arm import open_pool

    queue = open_queue(settings, LOAD_QUEUE)
    return run_gated_load(lake, queue, open_pool(settings), body, load, settings.synapse_resume_poll_seconds)


def pause_idle_pool(settings: Settings, now: datetime | None = None) -> PauseReport:
    """Timer (SYNAPSE_PAUSE_SCHEDULE): pause the SQL pool once no load ran for
    SYNAPSE_PAUSE_AFTER_MINUTES, never while a load runs or a load message waits."""
    from contracts.layout import LOAD_QUEUE
    from load.pool import PauseReport, pause_if_idle  # lazy: keeps function_app light
    from load.pool.arm import open_pool
    from load.pool.control import utc_now
    from storage import open_lake, open_queue

    if not settings.controls_pool:
        return PauseReport(False, "SYNAPSE_POOL_RESOURCE_ID is not set")
    return pause_if_idle(
        open_lake(settings),
        open_queue(settings, LOAD_QUEUE),
        open_pool(settings),
        settings.synapse_pause_after_minutes,
        clock=utc_now if now is None else (lambda: now),
    )


def missing_catalog_ids(settings: Settings) -> Callable[[Sequence[str]], dict[str, list[str]]]:
    """What enrichment asks before each step: the catalog ids loaded data lacks, per kind."""

    def missing(kinds: Sequence[str]) -> dict[str, list[str]]:
        from load.warehouse import open_warehouse  # lazy: keeps function_app light

        # Opened briefly, per step: the CLI's in-process loads use the (DuckDB) warehouse in between.
        with open_warehouse(settings) as warehouse:
            return {kind: warehouse.unenriched_ids(kind) for kind in kinds}

    return missing


def run_extract(
    settings: Settings,
    *,
    client: SpotifyClient | None = None,
    chain: Callable[[list[str]], None] | None = None,
    now: datetime | None = None,
    catalog_budget: int | None = None,
    pace: float | None = None,
) -> ExtractReport:
    """Timer: pull recently played and top items into raw/, then enrich the catalog.

    `chain` (the CLI) curates and loads what landed before enrichment asks what is missing.
    """
    from extract.spotify.job import run_extract as run  # lazy: keeps function_app light
    from storage import open_lake

    return run(
        open_lake(settings),
        settings,
        missing_ids=missing_catalog_ids(settings),
        client=client,
        chain=chain,
        now=now,
        catalog_budget=catalog_budget,
        pace=pace,
    )


def analysis_request(now: datetime | None = None) -> str:
    """Weekly timer: the analysis queue's message for a run starting now."""
    from contracts.analysis_request import AnalysisRequest  # lazy: keeps function_app light

    return AnalysisRequest(now or datetime.now(UTC)).to_json()


def run_analyses(settings: Settings, body: str) -> AnalysesReport:
    """Analysis queue: the hit model, every user's listening modes and the listener segments, each
    as far as the data allows; their results queued for the load.

    When the app controls the SQL pool, the run waits for it as a load does: a paused pool is
    resumed and the same request re-queued with a delay (LoadDeferred). The run is named by the
    request's time, so running a request again writes the same run.
    """
    from contracts.analysis_request import AnalysisRequest
    from contracts.layout import ANALYSIS_QUEUE
    from pipeline.analyses import analyse_all  # lazy: scikit-learn stays out of function_app's cold start
    from storage import open_lake, open_queue

    request = AnalysisRequest.from_json(body)

    def run() -> AnalysesReport:
        return analyse_all(settings, request.requested_at)

    if not settings.controls_pool:
        return run()
    from load.pool import run_gated_load  # lazy: HTTP to Resource Manager only when it controls the pool
    from load.pool.arm import open_pool

    queue = open_queue(settings, ANALYSIS_QUEUE)
    return run_gated_load(
        open_lake(settings), queue, open_pool(settings), body, run, settings.synapse_resume_poll_seconds
    )


def listening_summary(
    settings: Settings, user: str, period: Period, home: HomeZone, top: int = 10
) -> dict[str, Any]:
    """The Wrapped summary of one user's listening in a period, local to `home` (load.wrapped)."""
    from load.warehouse import open_warehouse  # lazy: keeps function_app light
    from load.wrapped import wrapped
    from storage import open_lake
    from transform.pseudonym import user_id, user_id_key

    key = user_id_key(open_lake(settings), settings)
    with open_warehouse(settings) as warehouse:
        summary = wrapped(warehouse, user_id(user, key), period, home, top)
    return {"from": period.first, "to": period.last, **summary}


def records_set_aside(settings: Settings, user: str, limit: int | None = None) -> tuple[int, list[SetAside]]:
    """What was set aside for this user (and in charts) and why: the count, and the first `limit`."""
    from load.rejects import set_aside  # lazy: keeps function_app light
    from load.warehouse import open_warehouse
    from storage import open_lake
    from transform.pseudonym import existing_user_id_key, user_id

    # A reader: no key created, a read-only connection ("" is no user's id: chart rows only).
    key = existing_user_id_key(open_lake(settings), settings)
    with open_warehouse(settings, read_only=True) as warehouse:
        return set_aside(warehouse, user_id(user, key) if key is not None else "", limit)


def summary_for_request(settings: Settings, params: Mapping[str, str]) -> dict[str, Any]:
    """GET /api/wrapped?from=&to=&year=&month=&tz=&user=&top= : the summary (ValueError for a bad one)."""
    from contracts.layout import DEFAULT_USER, USER_LABEL  # lazy: keeps function_app light
    from load.local_time import HomeZone
    from load.period import Period

    user = params.get("user") or DEFAULT_USER
    if not USER_LABEL.fullmatch(user):
        raise ValueError(f"user must be 1-64 letters, digits, '.', '_' or '-', not {user!r}")
    top = params.get("top") or "10"
    if not top.isdigit() or not 1 <= int(top) <= 100:
        raise ValueError(f"top must be a whole number from 1 to 100, not {top!r}")
    period = Period.parse(params.get("from"), params.get("to"), params.get("year"), params.get("month"))
    home = HomeZone.of(params.get("tz") or settings.user_time_zone)
    return listening_summary(settings, user, period, home, int(top))


def report_page(settings: Settings, params: Mapping[str, str]) -> str:
    """GET /api/report?... : the summary as the self-contained HTML report (ValueError for a bad query)."""
    from report.html import render_page  # lazy: keeps function_app light (vl-convert draws here)

    return render_page(summary_for_request(settings, params))
