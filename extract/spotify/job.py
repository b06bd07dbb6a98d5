"""The daily Spotify job: pull recently played and top items into raw/, then enrich the catalog.

    recently played  GET me/player/recently-played?limit=50&after=<cursor>, following `next`
                     -> raw/spotify-api/recently-played/dt=YYYY-MM-DD/after-<cursor>.json
    top items        GET me/top/{tracks,artists}?time_range=<r>&limit=50, r in short/medium/long_term
                     -> raw/spotify-api/top-{tracks,artists}/dt=YYYY-MM-DD/<r>.json (same-day re-run
                     overwrites the same names)
    enrichment       extract.spotify.enrich (tracks, then their albums and artists)

Raw files hold the response bodies exactly as returned. Each landing fires the raw blob trigger
(curation) in Azure; the CLI passes `chain` to curate and load them in-process instead, which also
lets this run enrich the albums and artists of tracks it just fetched. In Azure those follow on the
next run, once the loads have happened.

Rate limits: a 429 beyond the short-wait budget stops the run where it is; everything landed stays,
the cursor and the enrichment progress are saved, the report says "rate-limited, resumes next run",
and the next run continues from exactly there. Enrichment also paces itself (the settings
SPOTIFY_REQUEST_INTERVAL_MS between catalog requests, at most SPOTIFY_CATALOG_BUDGET per run; see
extract.spotify.enrich) and, when that budget is spent, stops and resumes the same way. Auth
failures (AuthExpired: run `python -m cli auth`) and outages outlasting the retries raise.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import UTC, date, datetime
from urllib.parse import parse_qs, urlsplit

from contracts.layout import RAW_CONTAINER, TOP_TIME_RANGES, ApiFile
from extract.spotify import state
from extract.spotify.client import SpotifyClient
from extract.spotify.enrich import MissingIds, enrich_catalog
from extract.spotify.errors import RateLimited
from extract.spotify.report import ExtractReport
from settings import Settings
from storage.lake import Lake

logger = logging.getLogger(__name__)

PAGE_LIMIT = 50
MAX_PAGES = 20  # recently-played holds 50 plays; a longer `next` chain would be a server bug
TOP_KINDS = ("tracks", "artists")

# Called with the raw paths a step landed (CLI: curate + load them before the next step).
Chain = Callable[[list[str]], None]


def raw_path(endpoint: str, day: date, name: str) -> str:
    return ApiFile(endpoint, day, name).raw_path


def page_name(url_or_params: str | dict) -> str:
    """Deterministic file name of a recently-played page: from its `after`/`before` cursor."""
    if isinstance(url_or_params, str):
        query = {k: v[0] for k, v in parse_qs(urlsplit(url_or_params).query).items()}
    else:
        query = {k: str(v) for k, v in url_or_params.items()}
    for key in ("after", "before"):
        if key in query:
            return f"{key}-{query[key]}"
    return "url-" + hashlib.md5(str(url_or_params).encode()).hexdigest()[:16]


def newest_played_ms(page: dict) -> int | None:
    """The page's `cursors.after` (Unix ms of its newest play), or computed from `played_at`."""
    cursor = (page.get("cursors") or {}).get("after")
    if cursor:
        return int(cursor)
    stamps = [_iso_to_ms(item["played_at"]) for item in page.get("items") or [] if item.get("played_at")]
    return max(stamps) if stamps else None


def _iso_to_ms(value: str) -> int:
    return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000)


def pull_recently_played(lake: Lake, client: SpotifyClient, report: ExtractReport, day: date) -> None:
    """Land each page as returned, then (only then) move the cursor past it."""
    cursor = state.read_cursor(lake)
    url, params = "me/player/recently-played", {"limit": PAGE_LIMIT, "after": cursor}
    name = page_name(params)
    for _ in range(MAX_PAGES):
        body, page = client.get_raw(url, **params)
        items = (page or {}).get("items") or []
        if not items:
            break
        path = raw_path("recently-played", day, name)
        lake.write_bytes(RAW_CONTAINER, path, body)
        report.landed.append(path)
        report.plays += len(items)
        report.pages += 1
        newest = newest_played_ms(page)
        if newest is not None and newest > cursor:
            cursor = newest
            state.save_cursor(lake, cursor)  # after the page landed: a failed write never skips plays
        next_url = page.get("next")
        if not next_url:
            break
        url, params, name = next_url, {}, page_name(next_url)


def pull_top_items(lake: Lake, client: SpotifyClient, report: ExtractReport, day: date) -> None:
    """Today's snapshot of the user's top tracks and artists for each time range."""
    for kind in TOP_KINDS:
        for time_range in TOP_TIME_RANGES:
            body, _ = client.get_raw(f"me/top/{kind}", time_range=time_range, limit=PAGE_LIMIT)
            path = raw_path(f"top-{kind}", day, time_range)
            lake.write_bytes(RAW_CONTAINER, path, body)
            report.landed.append(path)
            report.top_snapshots += 1


def run_extract(
    lake: Lake,
    settings: Settings,
    *,
    missing_ids: MissingIds,
    client: SpotifyClient | None = None,
    chain: Chain | None = None,
    now: datetime | None = None,
    catalog_budget: int | None = None,
    pace: float | None = None,
) -> ExtractReport:
    """One timer run: pull → land → (chain) → enrich. Returns the report; see the module docstring.

    `missing_ids(kinds)` names, per kind, the catalog ids loaded data references but the catalog
    lacks (the composition layer asks the warehouse). `catalog_budget` / `pace`: enrichment's
    requests per run and seconds between them (None: the settings SPOTIFY_CATALOG_BUDGET and
    SPOTIFY_REQUEST_INTERVAL_MS; tests and the benchmark pass pace=0).
    """
    client = client or SpotifyClient.from_settings(settings)
    now = now or datetime.now(UTC)
    day = now.date()
    report = ExtractReport()
    chained = 0

    def flush() -> None:
        """Hand what landed since the last call to the chain (CLI); a no-op for the timer."""
        nonlocal chained
        if chain and len(report.landed) > chained:
            new, chained = report.landed[chained:], len(report.landed)
            chain(new)

    try:
        pull_recently_played(lake, client, report, day)
        pull_top_items(lake, client, report, day)
        flush()
        enrich_catalog(
            lake,
            client,
            report,
            day,
            missing_ids=missing_ids,
            after_tracks=flush,
            now=now,
            budget=settings.spotify_catalog_budget if catalog_budget is None else catalog_budget,
            pace=settings.spotify_request_interval_ms / 1000 if pace is None else pace,
        )
    except RateLimited as limited:
        # Stop here, keep everything landed; cursor and enrichment progress are already saved.
        report.rate_limited = True
        report.retry_after = limited.retry_after
        logger.warning("extract: %s; stopping, resumes next run", limited)
    finally:
        report.requests = client.requests
    flush()
    return report
