"""The lake's layout: containers, queues and every path in them, each built and parsed here.

    upload/      [<user>/]<file>                                    what a person (or the CLI) drops
    raw/         exports/<user>/<upload-id>/<kind>/<entry path>     an export's history files, unchanged
                 exports/<user>/<upload-id>/bundles/<kind>/<n>.zip  small ones of a many-file export, together
                 spotify-api/<endpoint>/dt=YYYY-MM-DD/<name>.json   Web API answers, as returned
                 charts/<upload-id>/<name>                          a public chart file (.csv, .csv.gz)
    curated/     <dataset>/<user-id>/<upload-id>/<kind>/<entry path minus .json>.parquet
                 <dataset>/<user-id>/<upload-id>/bundles/<kind>/<n>.parquet
                 <dataset>[/<user-id>]/spotify-api/<endpoint>/dt=YYYY-MM-DD/<name>.parquet
                 chart_entries|chart_rejects|chart_track_features/<upload-id>/<name>/part-<n>.parquet
                 <dataset>[/<user-id>]/analysis/<analysis>/<run-id>.parquet    what an analysis computed
    quarantine/  <upload-id>/<file>, <upload-id>/reason.json        refused uploads
    state/       uploads/<user>/<upload-id>.json                    what an accepted upload landed
                 spotify/recently-played.json, spotify/enrichment.json, secrets/user-id.key
                 pool/loads/<load-id>.json, pool/last-load.json, pool/pausing.json, pool/observed.json
    models/      hit-model/<run-id>/model.joblib, metrics.json       a trained model and its figures
    queues       curated-loads (one message per curated raw file), curated-loads-poison,
                 analysis-requests (one message per weekly run of the analyses)

Container, queue and path names are part of the deployment contract: infra/ declares the
containers and the queue, the blob triggers bind `upload/{name}` and `raw/{name}`. Builders and
parsers sit side by side, and tests/contracts/test_layout.py checks that each parser reads back
exactly what its builder wrote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import PurePosixPath

from contracts.vintages import HISTORY_KINDS

UPLOAD_CONTAINER = "upload"
RAW_CONTAINER = "raw"
CURATED_CONTAINER = "curated"
QUARANTINE_CONTAINER = "quarantine"
STATE_CONTAINER = "state"
MODELS_CONTAINER = "models"
CONTAINERS = (
    UPLOAD_CONTAINER,
    RAW_CONTAINER,
    CURATED_CONTAINER,
    QUARANTINE_CONTAINER,
    STATE_CONTAINER,
    MODELS_CONTAINER,
)
LOAD_QUEUE = "curated-loads"
ANALYSIS_QUEUE = "analysis-requests"  # the weekly timer asks; the analyses run when the pool is online


def poison_queue(queue: str) -> str:
    """Where the Functions host moves a message that failed `maxDequeueCount` times."""
    return f"{queue}-poison"


# Whose history: the first folder of an upload's name (upload/<user>/<file>), `--user` in the CLI.
DEFAULT_USER = "me"
USER_LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")  # use fullmatch


def split_blob_name(name: str) -> tuple[str, str]:
    """`"raw/exports/a.json"` -> `("raw", "exports/a.json")`; refuses names without a path."""
    container, _, path = name.lstrip("/").partition("/")
    if not container or not path:
        raise ValueError(f"not a container/path blob name: {name!r}")
    return container, path


def in_container(container: str, name: str) -> str:
    """The path inside `container` of a trigger's blob name, with or without the container prefix."""
    path = name.lstrip("/")
    return path.removeprefix(f"{container}/")


# -- upload/ -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class UploadName:
    """An upload blob: its path inside upload/, whose history it is, and the file's own name."""

    path: str
    user: str
    filename: str

    @classmethod
    def parse(cls, name: str) -> UploadName:
        """`alice/my_spotify_data.zip`, the trigger's blob name (the path inside upload/); a bare
        file name is DEFAULT_USER's. Raises ValueError for a name with an empty, `.` or `..` segment.
        """
        path = name.lstrip("/")
        parts = path.split("/")
        if any(part in ("", ".", "..") for part in parts):
            raise ValueError(f"not an upload file name: {name!r}")
        user = parts[0] if len(parts) >= 2 else DEFAULT_USER
        return cls(path=path, user=user, filename=parts[-1])


def upload_path(user: str, filename: str, content_hash: str) -> str:
    """Where the CLI drops a local export: named by content too, since Spotify calls every export
    my_spotify_data.zip and an earlier upload must be kept, not overwritten. `content_hash`: the
    first hex digits of the file's sha256, as the upload id (extract.export.upload.content_id)."""
    return f"{user}/{content_hash}-{filename}"


CLI_HASH_DIGITS = 8  # the content hash the CLI puts before a file's name (upload_path)


def original_filename(filename: str, upload_id: str) -> str:
    """The name a file had before the CLI uploaded it: `filename` (an upload's own file name)
    without upload_path's content-hash prefix, when that prefix is this content's (its upload id's
    first digits); else unchanged, as a name a person gave a file in upload/ is.

    A lone history file is known by its name (contracts.vintages.classify_entry), and a refusal
    names the file as its owner knows it.
    """
    prefix = f"{upload_id[:CLI_HASH_DIGITS]}-"
    if len(upload_id) >= CLI_HASH_DIGITS and filename.startswith(prefix) and len(filename) > len(prefix):
        return filename[len(prefix) :]
    return filename


# -- raw/ --------------------------------------------------------------------------------------

EXPORTS_PREFIX = "exports"
API_PREFIX = "spotify-api"
CHARTS_PREFIX = "charts"
# Top items are snapshotted per time range: raw/spotify-api/top-<tracks|artists>/dt=D/<range>.json
TOP_TIME_RANGES = ("short_term", "medium_term", "long_term")


@dataclass(frozen=True)
class ExportFile:
    """One landed history file of an accepted upload: raw/exports/<user>/<upload-id>/<kind>/<entry>."""

    user: str  # the user label (never written to curated data)
    upload_id: str
    kind: str  # one of contracts.vintages.HISTORY_KINDS
    entry: str  # the file's path inside the export zip, `/`-separated

    @property
    def raw_path(self) -> str:
        return f"{EXPORTS_PREFIX}/{self.user}/{self.upload_id}/{self.kind}/{self.entry}"

    @property
    def origin(self) -> str:
        """The stream rows' lineage: the upload, kind and entry, never the user label."""
        return f"{self.upload_id}/{self.kind}/{self.entry}"

    @classmethod
    def parse(cls, path: str) -> ExportFile | None:
        """The file a raw path names, or None when it is not a landed history file."""
        parts = path.split("/")
        if len(parts) < 5 or parts[0] != EXPORTS_PREFIX or any(not part for part in parts[1:]):
            return None
        user, upload_id, kind = parts[1], parts[2], parts[3]
        if kind not in HISTORY_KINDS:
            return None
        return cls(user, upload_id, kind, "/".join(parts[4:]))

    def curated_paths(self, user_id: str) -> tuple[str, str]:
        """(streams, rejects) Parquet paths inside curated/: deterministic, so a re-run overwrites.

        The whole entry path, not just its name: two files of one upload may share a name in
        different folders (or differ only in the case of ".json") and must not overwrite each other.
        """
        name = self.entry[: -len(".json")] if self.entry.endswith(".json") else self.entry
        tail = f"{user_id}/{self.upload_id}/{self.kind}/{name}.parquet"
        return f"streams/{tail}", f"rejects/{tail}"


BUNDLES = "bundles"  # the raw folder of an upload's bundles; never a history kind


@dataclass(frozen=True)
class ExportBundle:
    """Small history files of one kind from an upload of many, landed together as one stored zip of
    the files, unchanged: raw/exports/<user>/<upload-id>/bundles/<kind>/<n>.zip.

    One blob, one curation and one load for up to a thousand files (extract.export.upload decides
    which), where one each would cost a blob event, a curation and a warehouse load per file. Each
    member keeps its own lineage: its rows' origin is the member's, as if it had landed alone.
    """

    user: str
    upload_id: str
    kind: str  # one of contracts.vintages.HISTORY_KINDS
    number: int  # 1, 2, ... within the upload and kind

    @property
    def raw_path(self) -> str:
        return f"{EXPORTS_PREFIX}/{self.user}/{self.upload_id}/{BUNDLES}/{self.kind}/{self.number:04d}.zip"

    def member(self, entry: str) -> ExportFile:
        """The history file a member (by its path inside the export) would be, landed alone."""
        return ExportFile(self.user, self.upload_id, self.kind, entry)

    @classmethod
    def parse(cls, path: str) -> ExportBundle | None:
        """The bundle a raw path names, or None when it is not one."""
        parts = path.split("/")
        if len(parts) != 6 or parts[0] != EXPORTS_PREFIX or parts[3] != BUNDLES:
            return None
        user, upload_id, kind, name = parts[1], parts[2], parts[4], parts[5]
        stem = name.removesuffix(".zip")
        numbered = stem != name and stem.isascii() and stem.isdigit() and int(stem) >= 1
        if not user or not upload_id or kind not in HISTORY_KINDS or not numbered:
            return None
        return cls(user, upload_id, kind, int(stem))

    def curated_paths(self, user_id: str) -> tuple[str, str]:
        """(streams, rejects) Parquet paths inside curated/: one of each for the whole bundle."""
        tail = f"{user_id}/{self.upload_id}/{BUNDLES}/{self.kind}/{self.number:04d}.parquet"
        return f"streams/{tail}", f"rejects/{tail}"


@dataclass(frozen=True)
class ApiFile:
    """One landed Web API answer: raw/spotify-api/<endpoint>/dt=YYYY-MM-DD/<name>.json."""

    endpoint: str  # recently-played, top-tracks, top-artists, tracks, albums, artists
    day: date  # the day it landed (UTC)
    name: str  # without .json

    @property
    def raw_path(self) -> str:
        return f"{API_PREFIX}/{self.endpoint}/dt={self.day.isoformat()}/{self.name}.json"

    @classmethod
    def parse(cls, path: str) -> ApiFile | None:
        """The answer a raw path names, or None when it is not in this layout."""
        parts = PurePosixPath(path).parts
        if len(parts) != 4 or parts[0] != API_PREFIX or not parts[2].startswith("dt="):
            return None
        if not parts[3].endswith(".json") or parts[3] == ".json":
            return None
        try:
            day = date.fromisoformat(parts[2][3:])
        except ValueError:
            return None
        return cls(parts[1], day, parts[3][: -len(".json")])

    def curated_path(self, dataset: str, user_id: str | None = None) -> str:
        """The curated Parquet path of one dataset of this answer; per-user datasets under the user id."""
        stem = self.raw_path[: -len(".json")]
        return f"{dataset}/{user_id}/{stem}.parquet" if user_id else f"{dataset}/{stem}.parquet"


@dataclass(frozen=True)
class ChartFile:
    """A landed public chart file: raw/charts/<upload-id>/<name> (charts.csv, charts.csv.gz)."""

    upload_id: str
    name: str

    @property
    def raw_path(self) -> str:
        return f"{CHARTS_PREFIX}/{self.upload_id}/{self.name}"

    @property
    def origin(self) -> str:
        return f"{self.upload_id}/{self.name}"

    @classmethod
    def parse(cls, path: str) -> ChartFile | None:
        parts = path.split("/")
        if len(parts) != 3 or parts[0] != CHARTS_PREFIX or not all(parts[1:]):
            return None
        return cls(parts[1], parts[2])

    def curated_part(self, dataset: str, number: int) -> str:
        """Part `number` of a dataset curated from this file (chart_entries, chart_rejects,
        chart_track_features)."""
        return f"{dataset}/{self.upload_id}/{self.name}/part-{number:05d}.parquet"


# -- curated/ ----------------------------------------------------------------------------------


def curated_group(path: str) -> tuple[str, str] | None:
    """(dataset, group) of a curated Parquet path; files of one raw file share the group.

    Curation writes `<dataset>/<rest>` for every dataset a raw file produced (streams and rejects
    share `<rest>`), so `<rest>` without its extension names the raw file. None for other paths.
    """
    dataset, _, rest = path.partition("/")
    if not dataset or not rest or not path.endswith(".parquet"):
        return None
    return dataset, str(PurePosixPath(rest).with_suffix(""))


ANALYSIS_PREFIX = "analysis"
RUN_ID = re.compile(r"\d{8}T\d{6}Z")  # use fullmatch
ANALYSES = ("hit-model", "modes", "segments")


def run_id(when: datetime) -> str:
    """An analysis run's id: its start, UTC, to the second (sorts as time does)."""
    return when.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


@dataclass(frozen=True)
class AnalysisRun:
    """One run of an analysis: what it writes to curated/ (and models/), named by the run.

    Per-user analyses (modes) write under the user id, so a user's files of one run form one
    group (curated_group) and load together.
    """

    analysis: str  # one of ANALYSES
    run_id: str  # run_id(): YYYYMMDDTHHMMSSZ
    user_id: str | None = None

    def curated_path(self, dataset: str) -> str:
        user = f"{self.user_id}/" if self.user_id else ""
        return f"{dataset}/{user}{ANALYSIS_PREFIX}/{self.analysis}/{self.run_id}.parquet"

    @classmethod
    def parse(cls, path: str) -> tuple[str, AnalysisRun] | None:
        """(dataset, run) of a curated path an analysis wrote, or None."""
        parts = path.split("/")
        if len(parts) == 4:
            dataset, user_id, rest = parts[0], None, parts[1:]
        elif len(parts) == 5:
            dataset, user_id, rest = parts[0], parts[1], parts[2:]
        else:
            return None
        prefix, analysis, name = rest
        if prefix != ANALYSIS_PREFIX or analysis not in ANALYSES or not name.endswith(".parquet"):
            return None
        run = name[: -len(".parquet")]
        if not dataset or user_id == "" or not RUN_ID.fullmatch(run):
            return None
        return dataset, cls(analysis, run, user_id)

    def model_paths(self) -> tuple[str, str]:
        """(the model, its metrics.json) inside models/."""
        return f"{self.analysis}/{self.run_id}/model.joblib", f"{self.analysis}/{self.run_id}/metrics.json"


# -- quarantine/ and state/ --------------------------------------------------------------------

REASON_FILE = "reason.json"


def quarantine_paths(upload_id: str, filename: str) -> tuple[str, str]:
    """(the refused upload's copy, its reason.json) inside quarantine/."""
    copy_name = filename.replace("\\", "_")
    if copy_name in (REASON_FILE, ".", ".."):
        copy_name = f"upload-{copy_name.strip('.') or 'file'}"
    return f"{upload_id}/{copy_name}", f"{upload_id}/{REASON_FILE}"


def manifest_path(user: str, upload_id: str) -> str:
    """What an accepted upload landed (state/): the same content again is answered from it."""
    return f"uploads/{user}/{upload_id}.json"


RECENTLY_PLAYED_STATE = "spotify/recently-played.json"
ENRICHMENT_STATE = "spotify/enrichment.json"
USER_ID_KEY_PATH = "secrets/user-id.key"

# The SQL pool's activity (load.pool): one marker per running load, the end of the last load, the
# automatic pause's announced intent, and the pool status the pause timer saw last.
POOL_LOADS_PREFIX = "pool/loads/"
POOL_LAST_LOAD = "pool/last-load.json"
POOL_PAUSING = "pool/pausing.json"
POOL_OBSERVED = "pool/observed.json"


def pool_load_marker(load_id: str) -> str:
    """The marker a running load keeps in state/ (`load_id`: letters and digits only)."""
    if not load_id.isalnum():
        raise ValueError(f"not a load id: {load_id!r}")
    return f"{POOL_LOADS_PREFIX}{load_id}.json"
