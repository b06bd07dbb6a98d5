"""The Spotify job's incremental state in the lake's `state` container: small, explicit JSON documents.

state/spotify/recently-played.json  {"cursor": "played_at", "initial_value": 0, "last_value": <ms>}
    The `after` cursor (Unix ms of the newest play landed), dlt-style naming. Written ONLY after the
    raw page it covers has landed, so a failed run never skips plays.
state/spotify/enrichment.json       {"mode": "batch"|"single", "pending": {"track": [...], ...}}
    `mode`: whether this app may call the batch catalog endpoints (apps created after 2026-02-11
    get 403); remembered so later runs go straight to single-id calls. `pending`: ids whose catalog
    response has landed in raw/ but may not be in the warehouse yet, so a second run before the load
    does not fetch them again; ids the warehouse no longer reports as missing are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import orjson

from settings import STATE_CONTAINER

RECENTLY_PLAYED_STATE = "spotify/recently-played.json"
ENRICHMENT_STATE = "spotify/enrichment.json"
KINDS = ("track", "album", "artist")


def _read(lake, path: str) -> dict:
    if not lake.exists(STATE_CONTAINER, path):
        return {}
    return orjson.loads(lake.read_bytes(STATE_CONTAINER, path))


def _write(lake, path: str, doc: dict) -> None:
    lake.write_bytes(STATE_CONTAINER, path, orjson.dumps(doc, option=orjson.OPT_INDENT_2))


def read_cursor(lake) -> int:
    """The `after` value for the next recently-played request (0 before the first run)."""
    return int(_read(lake, RECENTLY_PLAYED_STATE).get("last_value") or 0)


def save_cursor(lake, last_value: int) -> None:
    _write(lake, RECENTLY_PLAYED_STATE, {"cursor": "played_at", "initial_value": 0, "last_value": last_value})


@dataclass
class EnrichmentState:
    mode: str = "batch"
    pending: dict[str, set[str]] = field(default_factory=lambda: {kind: set() for kind in KINDS})


def read_enrichment(lake) -> EnrichmentState:
    doc = _read(lake, ENRICHMENT_STATE)
    pending = doc.get("pending") or {}
    return EnrichmentState(
        mode="single" if doc.get("mode") == "single" else "batch",
        pending={kind: set(pending.get(kind) or ()) for kind in KINDS},
    )


def save_enrichment(lake, state: EnrichmentState) -> None:
    doc = {"mode": state.mode, "pending": {kind: sorted(state.pending[kind]) for kind in KINDS}}
    _write(lake, ENRICHMENT_STATE, doc)
