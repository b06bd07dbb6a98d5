"""The load queue's message: exactly the curated files one raw file produced, loaded together."""

from __future__ import annotations

from dataclasses import dataclass

import orjson

MESSAGE_VERSION = 2
# Version 1 named `curated_from` "source"; such messages may still wait in a queue after an upgrade.
_READABLE_VERSIONS = {1: "source", 2: "curated_from"}


@dataclass(frozen=True)
class CuratedFile:
    dataset: str  # a key of contracts.datasets.DATASETS
    path: str  # path inside the curated container
    rows: int  # as curation wrote them; 0 when unknown (the CLI's listing of the lake)


@dataclass(frozen=True)
class LoadMessage:
    curated_from: str  # the raw blob the files were curated from (lineage and logs)
    files: tuple[CuratedFile, ...]

    def to_json(self) -> str:
        return orjson.dumps(
            {
                "version": MESSAGE_VERSION,
                "curated_from": self.curated_from,
                "files": [{"dataset": f.dataset, "path": f.path, "rows": f.rows} for f in self.files],
            }
        ).decode()

    @classmethod
    def from_json(cls, body: str | bytes) -> LoadMessage:
        """Parse a queue message body; a malformed one raises ValueError with the reason."""
        try:
            data = orjson.loads(body)
            key = _READABLE_VERSIONS.get(data.get("version"))
            if key is None:
                raise ValueError(f"unsupported message version {data.get('version')!r}")
            files = tuple(
                CuratedFile(str(f["dataset"]), str(f["path"]), int(f["rows"])) for f in data["files"]
            )
            return cls(curated_from=str(data[key]), files=files)
        except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError) as error:
            raise ValueError(f"malformed load message: {error}") from None
