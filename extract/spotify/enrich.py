"""Catalog enrichment: fetch every track, album and artist id the warehouse lacks, once, ever.

Which ids: `warehouse.unenriched_ids(kind)` (tracks streamed but not in dim_track; albums of known
tracks not in dim_album; artists of known tracks not in dim_artist), minus ids whose response
already landed in raw/ but is not loaded yet (`pending` in state/spotify/enrichment.json). Tracks
first; then albums and artists, which the warehouse knows once the tracks are loaded: the CLI loads
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
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable

import orjson

from extract.spotify import state
from extract.spotify.errors import Forbidden, NotFound
from settings import RAW_CONTAINER

logger = logging.getLogger(__name__)

ENDPOINTS = {"track": "tracks", "album": "albums", "artist": "artists"}
BATCH_LIMITS = {"track": 50, "album": 20, "artist": 50}
SAVE_EVERY = 20  # landings between saves of the pending list (a crash refetches at most this many)
BUNDLE_SIZE = 50  # single-id answers per landed file
_SPOTIFY_ID = re.compile(r"^[0-9A-Za-z]{22}$")


def bundle_body(kind: str, bodies: list[bytes], not_found: list[str]) -> bytes:
    """`{"<tracks|albums|artists>": [<each answer's exact bytes>, ...], "not_found": [ids]}`.

    The shape of a batch answer (so one curation reads both), plus the ids Spotify does not know.
    """
    items = b",".join(body.strip() for body in bodies)
    return b'{"%s":[%s],"not_found":%s}' % (ENDPOINTS[kind].encode(), items, orjson.dumps(not_found))


def plan_ids(wanted: list[str], pending: set[str]) -> tuple[list[str], set[str]]:
    """(ids to fetch, pending ids to keep): pending ids the warehouse no longer misses are done."""
    wanted_set = set(wanted)
    kept = pending & wanted_set
    return sorted(wanted_set - kept), kept


def batch_name(ids: list[str]) -> str:
    return bundle_name("batch", ids)


def bundle_name(prefix: str, ids: list[str]) -> str:
    """Deterministic: the same ids give the same name (a re-landing overwrites, never doubles)."""
    return f"{prefix}-" + hashlib.md5(",".join(ids).encode()).hexdigest()[:16]


def _default_open_warehouse(settings, lake):
    from load.warehouse import open_warehouse

    return open_warehouse(settings, lake)


def _wanted(open_warehouse, settings, lake, kinds: tuple[str, ...]) -> dict[str, list[str]]:
    # Opened briefly: the CLI's in-process loads need the (DuckDB) warehouse between the steps.
    with open_warehouse(settings, lake) as warehouse:
        return {kind: list(warehouse.unenriched_ids(kind)) for kind in kinds}


def enrich_catalog(
    lake,
    settings,
    client,
    report,
    day,
    *,
    after_tracks: Callable[[], None] | None = None,
    open_warehouse=None,
) -> None:
    """Fetch and land the catalog objects the warehouse lacks; progress goes to `report` and state."""
    from extract.spotify.job import raw_path

    open_warehouse = open_warehouse or _default_open_warehouse
    progress = state.read_enrichment(lake)
    report.mode = progress.mode
    requests_before = client.requests
    landed_since_save = 0

    def land(kind: str, name: str, body: bytes) -> None:
        nonlocal landed_since_save
        path = raw_path(ENDPOINTS[kind], day, name)
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
            while remaining:
                chunk = remaining[: BATCH_LIMITS[kind]]
                try:
                    body, doc = client.get_raw(ENDPOINTS[kind], ids=",".join(chunk))
                except Forbidden:
                    # New apps may not use the batch endpoints: one call per id from now on.
                    logger.info("enrich: batch %s lookup forbidden (403); switching to single-id calls", kind)
                    progress.mode = report.mode = "single"
                    state.save_enrichment(lake, progress)
                    break
                land(kind, batch_name(chunk), body)
                returned = {obj["id"] for obj in (doc or {}).get(ENDPOINTS[kind]) or [] if obj}
                missing = [i for i in chunk if i not in returned]
                if missing:  # null (Spotify) or left out: recorded so they are never asked again
                    land(kind, bundle_name("missing", missing), bundle_body(kind, [], missing))
                report.fetched[kind] += len(returned & set(chunk))
                report.not_found[kind] += len(missing)
                progress.pending[kind].update(chunk)
                remaining = remaining[len(chunk) :]
                report.left[kind] = len(remaining)
        if progress.mode == "single":
            # One call per id, landed as one bundle per BUNDLE_SIZE ids (each answer's bytes kept
            # exactly), so a back-fill makes one curated file and one load per bundle, not per id.
            for start in range(0, len(remaining), BUNDLE_SIZE):
                chunk = remaining[start : start + BUNDLE_SIZE]
                found: list[tuple[str, bytes]] = []
                missing: list[str] = []
                try:
                    for item_id in chunk:
                        try:
                            body, _ = client.get_raw(f"{ENDPOINTS[kind]}/{item_id}")
                            found.append((item_id, body))
                        except NotFound:
                            missing.append(item_id)
                finally:
                    # Also on a 429 mid-bundle: what was fetched lands and counts as done.
                    done = [i for i, _ in found] + missing
                    if done:
                        land(
                            kind,
                            bundle_name("single", done),
                            bundle_body(kind, [b for _, b in found], missing),
                        )
                        progress.pending[kind].update(done)
                    report.fetched[kind] += len(found)
                    report.not_found[kind] += len(missing)
                    report.left[kind] = len(remaining) - start - len(done)

    try:
        for step, kinds in enumerate((("track",), ("album", "artist"))):
            if step and after_tracks:
                after_tracks()
            wanted = _wanted(open_warehouse, settings, lake, kinds)
            for kind in kinds:
                todo, progress.pending[kind] = plan_ids(wanted[kind], progress.pending[kind])
                report.left[kind] = len(todo)
                if todo:
                    fetch(kind, todo)
    finally:
        report.catalog_requests = client.requests - requests_before
        state.save_enrichment(lake, progress)
