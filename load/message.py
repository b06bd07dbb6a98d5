"""The load queue's message: exactly the curated files one raw file produced, loaded together."""

from __future__ import annotations

from dataclasses import dataclass

import orjson

MESSAGE_VERSION = 1


@dataclass(frozen=True)
class CuratedFile:
    dataset: str  # a key of transform.schema.DATASETS
    path: str  # path inside the curated container
    rows: int


@dataclass(frozen=True)
class LoadMessage:
    source: str  # the raw blob name the files were curated from (lineage, logs)
    files: tuple[CuratedFile, ...]

    def to_json(self) -> str:
        return orjson.dumps(
            {
                "version": MESSAGE_VERSION,
                "source": self.source,
                "files": [{"dataset": f.dataset, "path": f.path, "rows": f.rows} for f in self.files],
            }
        ).decode()

    @classmethod
    def from_json(cls, body: str | bytes) -> LoadMessage:
        """Parse a queue message body; a malformed one raises ValueError with the reason."""
        try:
            data = orjson.loads(body)
            if data.get("version") != MESSAGE_VERSION:
                raise ValueError(f"unsupported message version {data.get('version')!r}")
            files = tuple(
                CuratedFile(str(f["dataset"]), str(f["path"]), int(f["rows"])) for f in data["files"]
            )
            return cls(source=str(data["source"]), files=files)
        except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError) as error:
            raise ValueError(f"malformed load message: {error}") from None
