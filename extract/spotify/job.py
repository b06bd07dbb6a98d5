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
and the next run continues from exactly there. Enrichment also paces itself (PACE_SECONDS between
catalog requests, at most CATALOG_BUDGET per run; see extract.spotify.enrich) and, when that budget
is spent, stops and resumes the same way. Auth failures (AuthExpired: run `python -m cli auth`)
and outages outlasting the retries raise.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from urllib.parse import parse_qs, urlsplit

from extract.spotify import state
from extract.spotify.errors import RateLimited
from settings import RAW_CONTAINER

logger = logging.getLogger(__name__)

RAW_PREFIX = "spotify-api"
PAGE_LIMIT = 50
MAX_PAGES = 20  # recently-played holds 50 plays; a longer `next` chain would be a server bug
TIME_RANGES = ("short_term", "medium_term", "long_term")
TOP_KINDS = ("tracks", "artists")

# Called with the raw paths a step landed (CLI: curate + load them before the next step).
Chain = Callable[[list[str]], None]


@dataclass
class ExtractReport:
    """What one run did; `str()` is the one-line summary the timer logs and the CLI prints."""

    plays: int = 0
    pages: int = 0
    top_snapshots: int = 0
    fetched: dict[str, int] = field(default_factory=lambda: dict.fromkeys(state.KINDS, 0))
    not_found: dict[str, int] = field(default_factory=lambda: dict.fromkeys(state.KINDS, 0))
    left: dict[str, int] = field(default_factory=lambda: dict.fromkeys(state.KINDS, 0))
    catalog_requests: int = 0
    requests: int = 0
    mode: str = "batch"
    rate_limited: bool = False
    retry_after: int | None = None
    budget_spent: bool = False  # the run's catalog request budget ran out (pacing, not an error)
    catalog_budget: int | None = None
    landed: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        parts = [
            f"{self.plays} plays in {self.pages} pages",
            f"{self.top_snapshots} top-item snapshots",
            f"enriched {self.fetched['track']} tracks, {self.fetched['album']} albums, "
            f"{self.fetched['artist']} artists ({sum(self.not_found.values())} not found) "
            f"in {self.catalog_requests} catalog requests ({self.mode} mode)",
        ]
        line = "; ".join(parts)
        left = sum(self.left.values())
        ids_left = f" ({left} ids left)" if left else ""
        if self.rate_limited:
            wait = f"Retry-After {self.retry_after} s" if self.retry_after is not None else "no Retry-After"
            line += f"; rate-limited ({wait}), resumes next run" + ids_left
        elif self.budget_spent:
            line += f"; catalog budget of {self.catalog_budget} requests spent, resumes next run" + ids_left
        return line


def raw_path(endpoint: str, day: date, name: str) -> str:
    return f"{RAW_PREFIX}/{endpoint}/dt={day.isoformat()}/{name}.json"


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


def pull_recently_played(lake, client, report: ExtractReport, day: date) -> None:
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


def pull_top_items(lake, client, report: ExtractReport, day: date) -> None:
    """Today's snapshot of the user's top tracks and artists for each time range."""
    for kind in TOP_KINDS:
        for time_range in TIME_RANGES:
            body, _ = client.get_raw(f"me/top/{kind}", time_range=time_range, limit=PAGE_LIMIT)
            path = raw_path(f"top-{kind}", day, time_range)
            lake.write_bytes(RAW_CONTAINER, path, body)
            report.landed.append(path)
            report.top_snapshots += 1


def run_extract(
    lake,
    settings,
    *,
    client=None,
    chain: Chain | None = None,
    now: datetime | None = None,
    open_warehouse=None,
    catalog_budget: int | None = None,
    pace: float | None = None,
) -> ExtractReport:
    """One timer run: pull → land → (chain) → enrich. Returns the report; see the module docstring.

    `catalog_budget` / `pace`: enrichment's requests per run and seconds between them (None: the
    defaults, CATALOG_BUDGET and PACE_SECONDS; tests and the benchmark pass pace=0).
    """
    from extract.spotify.client import SpotifyClient
    from extract.spotify.enrich import CATALOG_BUDGET, PACE_SECONDS, enrich_catalog

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
            settings,
            client,
            report,
            day,
            after_tracks=flush,
            open_warehouse=open_warehouse,
            now=now,
            budget=CATALOG_BUDGET if catalog_budget is None else catalog_budget,
            pace=PACE_SECONDS if pace is None else pace,
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
