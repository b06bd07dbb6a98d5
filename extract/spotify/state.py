"""The Spotify job's incremental state in the lake's `state` container: small, explicit JSON documents.

state/spotify/recently-played.json  {"cursor": "played_at", "initial_value": 0, "last_value": <ms>}
    The `after` cursor (Unix ms of the newest play landed), dlt-style naming. Written ONLY after the
    raw page it covers has landed, so a failed run never skips plays.
state/spotify/enrichment.json       {"mode": "batch"|"single", "pending": {"track": {id: landed_at}, ...}}
    `mode`: whether this app may call the batch catalog endpoints (apps created after 2026-02-11
    get 403); remembered so later runs go straight to single-id calls. `pending`: ids whose catalog
    response has landed in raw/ (at `landed_at`, ISO-8601 UTC) but may not be in the warehouse yet,
    so a second run before the load does not fetch them again; ids the warehouse no longer reports
    as missing are dropped, and entries too old to still be waiting for a load (a poisoned load)
    expire so the id is fetched again (extract.spotify.enrich.ids_to_fetch). An older state file's plain
    id lists read as "landed at an unknown time" (None): the next run stamps them with its own time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import orjson

from contracts.layout import ENRICHMENT_STATE, RECENTLY_PLAYED_STATE, STATE_CONTAINER
from storage.lake import Lake

KINDS = ("track", "album", "artist")


def _read(lake: Lake, path: str) -> dict:
    if not lake.exists(STATE_CONTAINER, path):
        return {}
    return orjson.loads(lake.read_bytes(STATE_CONTAINER, path))


def _write(lake: Lake, path: str, doc: dict) -> None:
    lake.write_bytes(STATE_CONTAINER, path, orjson.dumps(doc, option=orjson.OPT_INDENT_2))


def read_cursor(lake: Lake) -> int:
    """The `after` value for the next recently-played request (0 before the first run)."""
    return int(_read(lake, RECENTLY_PLAYED_STATE).get("last_value") or 0)


def save_cursor(lake: Lake, last_value: int) -> None:
    _write(lake, RECENTLY_PLAYED_STATE, {"cursor": "played_at", "initial_value": 0, "last_value": last_value})


# kind -> {id: when its catalog answer landed in raw/ (None: unknown, from an older state file)}
Pending = dict[str, dict[str, datetime | None]]


@dataclass
class EnrichmentState:
    mode: str = "batch"
    pending: Pending = field(default_factory=lambda: {kind: {} for kind in KINDS})


def _read_pending(entries) -> dict[str, datetime | None]:
    if isinstance(entries, list):  # the older format: ids only
        return dict.fromkeys(entries)
    return {i: datetime.fromisoformat(at) if at else None for i, at in (entries or {}).items()}


def read_enrichment(lake: Lake) -> EnrichmentState:
    doc = _read(lake, ENRICHMENT_STATE)
    pending = doc.get("pending") or {}
    return EnrichmentState(
        mode="single" if doc.get("mode") == "single" else "batch",
        pending={kind: _read_pending(pending.get(kind)) for kind in KINDS},
    )


def save_enrichment(lake: Lake, state: EnrichmentState) -> None:
    pending = {
        kind: {i: at.isoformat() if at else None for i, at in sorted(state.pending[kind].items())}
        for kind in KINDS
    }
    _write(lake, ENRICHMENT_STATE, {"mode": state.mode, "pending": pending})
