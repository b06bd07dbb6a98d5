"""A hand-written stand-in for the warehouse's answer to enrichment: which catalog ids are missing.

Enrichment asks `missing_ids(kinds)` (pipeline.stages asks the real warehouse, whose
`unenriched_ids` tests/load/test_merge_on_duckdb.py covers). Here the test decides when a "load"
happens: `load(lake, paths)` reads the landed raw answers the way curation and the load would
record them - streamed tracks become referenced; every id a catalog answer names, found or in its
`not_found` list, becomes known; a known track references its album and artists.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import orjson

from contracts.layout import RAW_CONTAINER, ApiFile

_PLURAL = {"tracks": "track", "albums": "album", "artists": "artist"}


class Ledger:
    def __init__(self) -> None:
        self.referenced: dict[str, set[str]] = {"track": set(), "album": set(), "artist": set()}
        self.known: dict[str, set[str]] = {"track": set(), "album": set(), "artist": set()}
        self.asked = 0

    def missing_ids(self, kinds: Sequence[str]) -> dict[str, list[str]]:
        self.asked += 1
        return {kind: sorted(self.referenced[kind] - self.known[kind]) for kind in kinds}

    def load(self, lake, paths: Iterable[str]) -> None:
        for path in paths:
            answer = ApiFile.parse(path)
            if answer is None:
                continue
            doc = orjson.loads(lake.read_bytes(RAW_CONTAINER, path))
            if answer.endpoint == "recently-played":
                self.referenced["track"] |= {i["track"]["id"] for i in doc["items"] if i.get("track")}
            elif answer.endpoint in _PLURAL:
                kind = _PLURAL[answer.endpoint]
                objects = [o for o in doc.get(answer.endpoint, []) if o]
                self.known[kind] |= {o["id"] for o in objects} | set(doc.get("not_found", []))
                if kind == "track":
                    self.referenced["album"] |= {o["album"]["id"] for o in objects}
                    self.referenced["artist"] |= {a["id"] for o in objects for a in o["artists"]}
