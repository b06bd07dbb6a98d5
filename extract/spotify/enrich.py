"""Catalog enrichment: fetch every track, album and artist id the warehouse lacks, once, ever.

Which ids: `missing_ids(kinds)`, a function the caller hands in (the composition layer asks the
warehouse: tracks streamed but not in dim_track; albums of known tracks not in dim_album; artists
of known tracks not in dim_artist), minus ids whose response
already landed in raw/ but is not loaded yet (`pending` in state/spotify/enrichment.json; an entry
older than PENDING_MAX_AGE is taken for a load that failed for good, and the id is fetched again).
Tracks first; then albums and artists, which the warehouse knows once the tracks are loaded: the CLI loads
them in-process between the two steps (`after_tracks`), the timer leaves it to the next run.

How: batch endpoints (`tracks?ids=` ≤ 50, `albums?ids=` ≤ 20, `artists?ids=` ≤ 50) while allowed;
apps created after 2026-02-11 get 403 there, so the first 403 switches to one call per id
(`tracks/{id}`, ...) for the rest of the run and, via state, for every later run.
Raw files, under raw/spotify-api/<tracks|albums|artists>/dt=YYYY-MM-DD/ (names from a hash of the ids):
- batch-<h>.json   a batch answer exactly as returned;
- single-<h>.json  up to 50 single-id answers, each byte-for-byte, in a batch-shaped envelope
                   `{"tracks": [...], "not_found": [ids that got 404]}` (one curated file and one
                   load per 50 ids instead of per id);
- missing-<h>.json `{"tracks": [], "not_found": [...]}` for ids a batch answer left out or null.
Curation turns `not_found` ids into `not_found` rows, so they are never asked again. A 429 never
marks anything missing: it stops the run, after landing what the current bundle already holds.

Pacing (Spotify answers large back-fills with lockouts of up to 20 h, notes §2.4): catalog requests
are spaced `pace` seconds apart (the SPOTIFY_REQUEST_INTERVAL_MS setting, default 1 s), and one run
makes at most `budget` of them (SPOTIFY_CATALOG_BUDGET, default 500). A spent budget stops like a
429 does: what landed stays, the progress is saved, the report says it resumes next run, and the
next run continues from there.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

import orjson

from contracts.layout import RAW_CONTAINER, ApiFile
from extract.spotify import state
from extract.spotify.errors import Forbidden, NotFound
from extract.spotify.report import ExtractReport
from storage.lake import Lake

if TYPE_CHECKING:
    from extract.spotify.client import SpotifyClient

logger = logging.getLogger(__name__)

ENDPOINTS = {"track": "tracks", "album": "albums", "artist": "artists"}
BATCH_LIMITS = {"track": 50, "album": 20, "artist": 50}
SAVE_EVERY = 20  # landings between saves of the pending list (a crash refetches at most this many)
BUNDLE_SIZE = 50  # single-id answers per landed file
PENDING_MAX_AGE = timedelta(days=3)  # a landed answer still not loaded after this: its load failed for good
_SPOTIFY_ID = re.compile(r"^[0-9A-Za-z]{22}$")

# kinds -> {kind: ids that loaded data references but the catalog lacks}
MissingIds = Callable[[Sequence[str]], dict[str, list[str]]]


class BudgetSpent(Exception):
    """This run's catalog request budget is spent: stop like a 429, resume next run."""


def bundle_body(kind: str, bodies: list[bytes], not_found: list[str]) -> bytes:
    """`{"<tracks|albums|artists>": [<each answer's exact bytes>, ...], "not_found": [ids]}`.

    The shape of a batch answer (so one curation reads both), plus the ids Spotify does not know.
    """
    items = b",".join(body.strip() for body in bodies)
    return b'{"%s":[%s],"not_found":%s}' % (ENDPOINTS[kind].encode(), items, orjson.dumps(not_found))


def ids_to_fetch(
    wanted: list[str],
    pending: dict[str, datetime | None],
    now: datetime,
    max_age: timedelta = PENDING_MAX_AGE,
) -> tuple[list[str], dict[str, datetime | None]]:
    """(ids to fetch, pending entries to keep).

    Pending ids the warehouse no longer misses are done (dropped). Pending ids it still misses are
    kept, and not fetched, while their landing is younger than `max_age`; older ones are fetched
    again (their load never happened: a poisoned message, a lost blob event). An entry with no
    time (older state file) counts as landed `now`.
    """
    wanted_set = set(wanted)
    kept: dict[str, datetime | None] = {}
    for item_id, landed_at in pending.items():
        landed_at = landed_at or now
        if item_id in wanted_set and now - landed_at < max_age:
            kept[item_id] = landed_at
    return sorted(wanted_set - kept.keys()), kept


def chunks(ids: Sequence[str], size: int) -> list[list[str]]:
    """`ids` in order, in consecutive chunks of at most `size` (a batch call, or a landed bundle)."""
    return [list(ids[start : start + size]) for start in range(0, len(ids), size)]


def batch_name(ids: list[str]) -> str:
    return bundle_name("batch", ids)


def bundle_name(prefix: str, ids: list[str]) -> str:
    """Deterministic: the same ids give the same name (a re-landing overwrites, never doubles)."""
    return f"{prefix}-" + hashlib.md5(",".join(ids).encode()).hexdigest()[:16]


def enrich_catalog(
    lake: Lake,
    client: SpotifyClient,
    report: ExtractReport,
    day: date,
    *,
    missing_ids: MissingIds,
    after_tracks: Callable[[], None] | None = None,
    now: datetime | None = None,
    budget: int,
    pace: float,
) -> None:
    """Fetch and land the catalog objects the warehouse lacks; progress goes to `report` and state.

    At most `budget` catalog requests, `pace` seconds apart (slept with the client's `sleep`); a
    spent budget sets `report.budget_spent` and returns, with the progress saved for the next run.
    """
    now = now or datetime.now(UTC)
    progress = state.read_enrichment(lake)
    report.mode = progress.mode
    report.catalog_budget = budget
    requests_before = client.requests
    landed_since_save = 0

    def ask(path: str, **params) -> tuple[bytes, dict]:
        """One catalog GET within the run's budget, `pace` seconds after the previous one."""
        made = client.requests - requests_before
        if made >= budget:
            raise BudgetSpent
        if made and pace > 0:
            client.sleep(pace)
        return client.get_raw(path, **params)

    def land(kind: str, name: str, body: bytes) -> None:
        nonlocal landed_since_save
        path = ApiFile(ENDPOINTS[kind], day, name).raw_path
        lake.write_bytes(RAW_CONTAINER, path, body)
        report.landed.append(path)
        landed_since_save += 1
        if landed_since_save >= SAVE_EVERY:
            state.save_enrichment(lake, progress)
            landed_since_save = 0

    def fetch(kind: str, ids: list[str]) -> None:
        remaining = [i for i in ids if _SPOTIFY_ID.match(i)]
        if len(remaining) < len(ids):
            # Not base62 ids (corrupt input): never asked, since one would fail a whole batch with 400.
            logger.warning("enrich: %d %s ids are not Spotify ids; skipped", len(ids) - len(remaining), kind)
        report.left[kind] = len(remaining)
        if progress.mode == "batch":
            for chunk in chunks(remaining, BATCH_LIMITS[kind]):
                try:
                    body, doc = ask(ENDPOINTS[kind], ids=",".join(chunk))
                except Forbidden:
                    # New apps may not use the batch endpoints: one call per id from now on.
                    logger.info("enrich: batch %s lookup forbidden (403); switching to single-id calls", kind)
                    progress.mode = report.mode = "single"
                    state.save_enrichment(lake, progress)
                    break
                land(kind, batch_name(chunk), body)
                returned = {obj["id"] for obj in (doc or {}).get(ENDPOINTS[kind]) or [] if obj}
                left_out = [i for i in chunk if i not in returned]
                if left_out:  # null (Spotify) or left out: recorded so they are never asked again
                    land(kind, bundle_name("missing", left_out), bundle_body(kind, [], left_out))
                report.fetched[kind] += len(returned & set(chunk))
                report.not_found[kind] += len(left_out)
                progress.pending[kind].update(dict.fromkeys(chunk, now))
                remaining = remaining[len(chunk) :]
                report.left[kind] = len(remaining)
        if progress.mode == "single":
            # One call per id, landed as one bundle per BUNDLE_SIZE ids (each answer's bytes kept
            # exactly), so a back-fill makes one curated file and one load per bundle, not per id.
            for number, chunk in enumerate(chunks(remaining, BUNDLE_SIZE)):
                start = number * BUNDLE_SIZE
                found: list[tuple[str, bytes]] = []
                missing: list[str] = []
                try:
                    for item_id in chunk:
                        try:
                            body, _ = ask(f"{ENDPOINTS[kind]}/{item_id}")
                            found.append((item_id, body))
                        except NotFound:
                            missing.append(item_id)
                finally:
                    # Also on a 429 or a spent budget mid-bundle: what was fetched lands, counts as done.
                    done = [i for i, _ in found] + missing
                    if done:
                        land(
                            kind,
                            bundle_name("single", done),
                            bundle_body(kind, [b for _, b in found], missing),
                        )
                        progress.pending[kind].update(dict.fromkeys(done, now))
                    report.fetched[kind] += len(found)
                    report.not_found[kind] += len(missing)
                    report.left[kind] = len(remaining) - start - len(done)

    try:
        for step, kinds in enumerate((("track",), ("album", "artist"))):
            if step and after_tracks:
                after_tracks()
            wanted = missing_ids(kinds)
            todos = {}
            for kind in kinds:
                todos[kind], progress.pending[kind] = ids_to_fetch(wanted[kind], progress.pending[kind], now)
                report.left[kind] = len(todos[kind])
            for kind in kinds:
                if todos[kind]:
                    fetch(kind, todos[kind])
    except BudgetSpent:
        # Not an error: the pace of a big back-fill. Landed answers stay, progress is saved below.
        report.budget_spent = True
        logger.warning(
            "enrich: catalog budget of %d requests spent; %d ids left, resumes next run",
            budget,
            sum(report.left.values()),
        )
    finally:
        report.catalog_requests = client.requests - requests_before
        state.save_enrichment(lake, progress)
