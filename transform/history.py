"""raw/exports/... history files → curated `streams` (and `rejects`) Parquet, one file each.

Layout in raw: `exports/<user>/<upload-id>/<kind>/<entry path>` (contracts.layout.ExportFile), kind
one of contracts.vintages.HISTORY_KINDS, or small files of one kind together in a bundle
(ExportBundle). `curate_history` is the pure core: one JSON array file in, two Arrow tables out with
exactly the `streams` and `rejects` schemas of contracts/datasets.py; `curate_bundle` gives the same
for a bundle's members, in one query. `curate_export_file` and `curate_export_bundle` are the shells
around them: user id, lake I/O, Parquet, the load message.

DuckDB parses the file with explicit columns (no sniffing), every field read as VARCHAR, or as
JSON where the JSON type matters, so one odd value never fails a file. The SQL validates each
record by the rule of contracts.vintages.record_problem (tests/transform/test_rule_parity.py
keeps the two in step) and normalises the rest. Usernames, IP addresses and user agents are
never even read. Curation does not dedupe: the loader drops exact duplicates by `stream_key`.
"""

from __future__ import annotations

import functools
import logging
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

import duckdb
import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import simdjson

from contracts.datasets import REJECTS, STREAMS
from contracts.layout import CURATED_CONTAINER, RAW_CONTAINER, ExportBundle, ExportFile
from contracts.load_message import CuratedFile, LoadMessage
from contracts.text import one_line
from contracts.vintages import ACCOUNT_AUDIOBOOK, ACCOUNT_PODCAST, EXTENDED, HISTORY_KINDS, MAX_RECORD_BYTES
from settings import Settings
from storage.lake import Lake
from storage.parquet import write_parquet
from transform.platform import platform_family
from transform.pseudonym import user_id, user_id_key

logger = logging.getLogger(__name__)

SOURCE_EXTENDED = "extended"
SOURCE_ACCOUNT = "account"

# Fields of every extended vintage that we keep. Absent ones (audiobook_* before late 2024) read
# as NULL; username, ip_addr(_decrypted) and user_agent_decrypted are not columns, so never read.
_EXTENDED_COLUMNS = {
    "ts": "VARCHAR",
    "ms_played": "JSON",  # JSON, so that 1.0, true and "12" can be told from an integer
    "platform": "VARCHAR",
    "conn_country": "VARCHAR",
    "master_metadata_track_name": "VARCHAR",
    "master_metadata_album_artist_name": "VARCHAR",
    "master_metadata_album_album_name": "VARCHAR",
    "spotify_track_uri": "VARCHAR",
    "episode_name": "VARCHAR",
    "episode_show_name": "VARCHAR",
    "spotify_episode_uri": "VARCHAR",
    "audiobook_title": "VARCHAR",
    "audiobook_uri": "VARCHAR",
    "audiobook_chapter_uri": "VARCHAR",
    "audiobook_chapter_title": "VARCHAR",
    "reason_start": "VARCHAR",
    "reason_end": "VARCHAR",
    "shuffle": "VARCHAR",
    "skipped": "VARCHAR",
    "offline": "VARCHAR",
    "offline_timestamp": "VARCHAR",
    "incognito_mode": "VARCHAR",
}
_ACCOUNT_COLUMNS = {
    "endTime": "VARCHAR",
    "msPlayed": "JSON",
    "artistName": "VARCHAR",
    "trackName": "VARCHAR",
    "podcastName": "VARCHAR",
    "episodeName": "VARCHAR",
    "audiobookName": "VARCHAR",
    "chapterName": "VARCHAR",
}

# DuckDB reads any object up to maximum_object_size wherever it falls in its buffers (a larger one
# only at some offsets); the upload stage refuses a file with a larger record, so a file it
# accepted never fails here on a record's size (tests/extract/export/test_upload.py: the worst offset).
_MAX_OBJECT_BYTES = MAX_RECORD_BYTES


def _read_json(columns: dict[str, str]) -> str:
    spec = ", ".join(f"'{name}': '{sql_type}'" for name, sql_type in columns.items())
    # A record whose every column reads NULL is `{}`, an object of nulls or of unknown keys... or
    # a JSON `null` element, which SQL cannot tell apart; `all_null` marks them for a second look.
    all_null = " AND ".join(f'"{name}" IS NULL' for name in columns)
    return f"""
        SELECT *, ordinality - 1 AS record_index, ({all_null}) AS all_null
        FROM read_json($path, format = 'array', columns = {{{spec}}}, auto_detect = false,
                       maximum_object_size = {_MAX_OBJECT_BYTES}) WITH ORDINALITY"""


def _parsed(time: str) -> str:
    """SQL for the time as a TIMESTAMP, NULL when it names no real time (2024-13-01, 23:60)."""
    return f'TRY_CAST("{time}" AS TIMESTAMP)'


def _problem(time: str, ms: str, pattern: str) -> str:
    """SQL for formats.record_problem: NULL when valid, else its reason string.

    Needs the column `parsed` (see _parsed). A time is valid when it has the shape, names a real
    date and time, and is one Python's datetime accepts too: DuckDB's cast also takes hour 24 (as
    the next day) and year 0, Python refuses both. `ms` is a JSON value: valid when it is a JSON
    integer from 0 to the BIGINT maximum.
    """
    return f"""CASE
        WHEN "{time}" IS NULL THEN 'missing {time}'
        WHEN parsed IS NULL OR NOT regexp_full_match("{time}", '{pattern}')
            OR left("{time}", 4) = '0000' OR substr("{time}", 12, 2) = '24' THEN 'bad {time}'
        WHEN "{ms}" IS NULL THEN 'missing {ms}'
        WHEN NOT (json_type("{ms}") IN ('UBIGINT', 'BIGINT')
                  AND coalesce(TRY_CAST("{ms}" AS BIGINT) >= 0, false)) THEN 'bad {ms}'
    END"""


_TS_PROBLEM = _problem("ts", "ms_played", r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z?")
_END_TIME_PROBLEM = _problem("endTime", "msPlayed", r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}")


def _id(uri: str) -> str:
    """SQL for the id in a `spotify:<type>:<id>` URI; NULL for anything else (spotify:local:...)."""
    return (
        f"CASE WHEN {uri} LIKE 'spotify:%:%' AND {uri} NOT LIKE 'spotify:%:%:%'"
        f" THEN nullif(split_part({uri}, ':', 3), '') END"
    )


_EXTENDED_SQL = f"""
WITH src AS ({_read_json(_EXTENDED_COLUMNS)}),
parsed AS (SELECT *, {_parsed("ts")} AS parsed FROM src),
named AS (
    SELECT record_index, all_null, {_TS_PROBLEM} AS reason,
        -- Values are computed for every row (try_, so never an error), then kept for valid ones.
        -- to ms, truncating any fraction (epoch_ms alone would round it)
        epoch_ms(date_trunc('millisecond', parsed))
            AS ts_ms,
        TRY_CAST(ms_played AS BIGINT) AS ms_played,
        nullif(master_metadata_track_name, '') AS track_name,
        nullif(master_metadata_album_artist_name, '') AS artist_name,
        nullif(master_metadata_album_album_name, '') AS album_name,
        nullif(spotify_track_uri, '') AS track_uri,
        nullif(episode_name, '') AS episode_name,
        nullif(episode_show_name, '') AS show_name,
        nullif(spotify_episode_uri, '') AS episode_uri,
        nullif(audiobook_title, '') AS audiobook_title,
        nullif(audiobook_uri, '') AS audiobook_uri,
        nullif(audiobook_chapter_title, '') AS chapter_title,
        nullif(audiobook_chapter_uri, '') AS chapter_uri,
        nullif(reason_start, '') AS reason_start,
        nullif(reason_end, '') AS reason_end,
        TRY_CAST(shuffle AS BOOLEAN) AS shuffle,
        TRY_CAST(skipped AS BOOLEAN) AS skipped,
        TRY_CAST(offline AS BOOLEAN) AS offline,
        TRY_CAST(offline_timestamp AS DOUBLE) AS offline_number,
        TRY_CAST(incognito_mode AS BOOLEAN) AS incognito,
        nullif(platform, '') AS platform_raw,
        nullif(conn_country, '') AS conn_country
    FROM parsed
)
SELECT record_index, all_null, reason,
    -- exact-duplicate identity: (ts, track URI, ms_played), artist + track when there is no URI
    md5(concat(
        ts_ms::VARCHAR, chr(30),
        coalesce(track_uri, episode_uri, chapter_uri, audiobook_uri,
                 coalesce(artist_name, '') || chr(31) || coalesce(track_name, '')),
        chr(30), ms_played::VARCHAR)) AS stream_key,
    ts_ms, ms_played,
    CASE
        WHEN audiobook_uri IS NOT NULL OR chapter_uri IS NOT NULL THEN 'audiobook'
        WHEN episode_uri IS NOT NULL OR episode_name IS NOT NULL THEN 'podcast'
        WHEN track_name IS NOT NULL AND artist_name IS NOT NULL THEN 'music'
        ELSE 'unknown'
    END AS content_type,
    track_name, artist_name, album_name, {_id("track_uri")} AS track_id,
    episode_name, show_name, {_id("episode_uri")} AS episode_id,
    audiobook_title, {_id("audiobook_uri")} AS audiobook_id,
    chapter_title, {_id("chapter_uri")} AS chapter_id,
    reason_start, reason_end, shuffle, skipped, offline,
    -- offline_timestamp: ms (2019-21), s (2023+), float s, or junk. Below 1e8 is junk, below
    -- 1e11 seconds, else ms; from 1e14 ms (year 5138) it is junk too, which also bounds the cast.
    CASE
        WHEN offline_number < 1e8 THEN NULL
        WHEN offline_number < 1e11 THEN CAST(floor(offline_number * 1000) AS BIGINT)
        WHEN offline_number < 1e14 THEN CAST(floor(offline_number) AS BIGINT)
    END AS offline_at_ms,
    incognito, platform_raw, conn_country
FROM named
"""


def _account_sql(first: str, second: str, known: str, content_type: str) -> str:
    return f"""
WITH src AS ({_read_json(_ACCOUNT_COLUMNS)}),
parsed AS (SELECT *, {_parsed("endTime")} AS parsed FROM src),
named AS (
    SELECT record_index, all_null, {_END_TIME_PROBLEM} AS reason, endTime, parsed,
        TRY_CAST(msPlayed AS BIGINT) AS ms_played,
        nullif("{first}", '') AS first_name, nullif("{second}", '') AS second_name
    FROM parsed
)
SELECT record_index, all_null, reason,
    md5(concat_ws(chr(30), 'account', endTime, coalesce(first_name, ''), coalesce(second_name, ''),
        ms_played::VARCHAR)) AS stream_key,
    epoch_ms(parsed) AS ts_ms,
    ms_played,
    CASE WHEN {known} THEN '{content_type}' ELSE 'unknown' END AS content_type,
    first_name, second_name
FROM named
"""


# Music files, and the legacy files that mix music and podcasts under artistName/trackName (the
# format cannot tell them apart, so a row naming both counts as music); podcast files name a show
# and an episode. A row naming neither is `unknown`, as in the extended history.
_MUSIC_SQL = _account_sql(
    "artistName", "trackName", "first_name IS NOT NULL AND second_name IS NOT NULL", "music"
)
_PODCAST_SQL = _account_sql(
    "podcastName", "episodeName", "first_name IS NOT NULL OR second_name IS NOT NULL", "podcast"
)
# Audiobook files (2024+) name a book and a chapter; the author (authorName) has no column.
_AUDIOBOOK_SQL = _account_sql(
    "audiobookName", "chapterName", "first_name IS NOT NULL OR second_name IS NOT NULL", "audiobook"
)
_ACCOUNT_SQL = {ACCOUNT_PODCAST: _PODCAST_SQL, ACCOUNT_AUDIOBOOK: _AUDIOBOOK_SQL}


@functools.cache
def _engine() -> duckdb.DuckDBPyConnection:
    """One in-memory DuckDB per process; each call takes its own cursor (thread-safe). It holds no
    tables or state between calls, and saves ~15 ms per file over a fresh connection.

    One thread per query: files are curated in parallel instead (the host runs blob triggers
    concurrently; pipeline.chain.curate_and_load uses two workers). Measured on 12 files of 25k
    streams, 2 cores: threads=2 per query, 2 workers 1.10 s; threads=1, 2 workers 0.61 s."""
    return duckdb.connect(":memory:", config={"threads": 1})


def release_memory() -> None:
    """Close the cached engine and hand Arrow's unused memory back: ~60 MB on a 25k-stream file.

    For a process that curates a batch of files and then does something else (the CLI loads next).
    The next curation opens a new engine.
    """
    if _engine.cache_info().currsize:
        _engine().close()
        _engine.cache_clear()
    pa.default_memory_pool().release_unused()


def _run(sql: str, json_path: Path) -> pa.Table:
    con = _engine().cursor()
    try:
        return con.sql(sql, params={"path": str(json_path)}).to_arrow_table()
    finally:
        con.close()


def curate_history(json_path: Path, kind: str, user_id: str, origin: str) -> tuple[pa.Table, pa.Table]:
    """One history file → (streams, rejects), Arrow tables with exactly the declared schemas.

    `json_path` holds a JSON array of records of `kind` (contracts.vintages.HISTORY_KINDS).
    A record that fails formats.record_problem goes to rejects with its 0-based position and the
    same reason; every other record is one stream, in file order. Pure: the same file and
    arguments always give the same tables. Raises ValueError, before anything is produced, when
    the file is not a JSON array of objects.

    stream_key = md5 hex of (ts in epoch ms, first of track/episode/chapter/audiobook URI else
    artist + track, ms_played) for extended rows, and of ("account", endTime, artist, show or book,
    track, episode or chapter, msPlayed) for account rows: the same play in two files or two
    uploads gets the same key. Duplicates are kept here; the loader drops them.
    """
    table = _records(json_path, kind, origin)
    return _datasets(table, kind, user_id, pa.nulls(table.num_rows, pa.string()).fill_null(origin))


def _records(json_path: Path, kind: str, origin: str) -> pa.Table:
    """Every record of one history file, in file order: its index, `reason` (NULL when valid) and
    the normalised columns. Raises ValueError when the file is not a JSON array of objects."""
    if kind not in HISTORY_KINDS:
        raise ValueError(f"{origin}: not a history kind: {kind!r}")
    sql = _EXTENDED_SQL if kind == EXTENDED else _ACCOUNT_SQL.get(kind, _MUSIC_SQL)
    _check_starts_like_array(json_path, origin)
    try:
        table = _run(sql, json_path)
    except (duckdb.InvalidInputException, duckdb.ConversionException) as error:
        if "has duplicate key" not in str(error):
            # Malformed JSON or a non-object element: the upload stage should have refused it.
            detail = one_line(error).replace(f' in file "{json_path}"', "").replace(str(json_path), "")
            raise ValueError(f"{origin}: not a JSON array of objects: {detail}") from None
        # Valid JSON that DuckDB refuses: an object repeating a key (the upload stage accepts it,
        # as JSON parsers do). Rewrite it with the last value of each key, as Python reads it.
        with tempfile.TemporaryDirectory(prefix="curate-") as tmp:
            rewritten = Path(tmp, "history.json")
            rewritten.write_bytes(orjson.dumps(orjson.loads(json_path.read_bytes())))
            table = _run(sql, rewritten)

    # DuckDB keeps insertion order (file order) by default; sort only if it ever did not.
    index = table["record_index"]
    if len(index) > 1 and not pc.all(pc.less(index.slice(0, len(index) - 1), index.slice(1))).as_py():
        table = table.sort_by("record_index")
    ok = pc.is_null(table["reason"])
    bad = table.filter(pc.invert(ok))
    if bad.num_rows and pc.any(bad["all_null"]).as_py():
        _refuse_null_elements(json_path, origin, bad.filter(bad["all_null"])["record_index"].to_pylist())
    return table


def _datasets(table: pa.Table, kind: str, user_id: str, origins: pa.Array) -> tuple[pa.Table, pa.Table]:
    """(streams, rejects) of the records `_records` read; `origins`: each record's origin."""
    ok = pc.is_null(table["reason"])
    bad = table.filter(pc.invert(ok))
    good = table.filter(ok)
    n = good.num_rows

    def const(value: str) -> pa.Array:
        return pa.nulls(n, pa.string()).fill_null(value)

    def null(field: str) -> pa.Array:
        return pa.nulls(n, STREAMS.field(field).type)

    columns = {
        "user_id": const(user_id),
        "stream_key": good["stream_key"],
        "source": const(SOURCE_EXTENDED if kind == EXTENDED else SOURCE_ACCOUNT),
        "ts": good["ts_ms"].cast(STREAMS.field("ts").type),
        "ms_played": good["ms_played"],
        "content_type": good["content_type"],
        "origin": origins.filter(ok),
    }
    if kind == EXTENDED:
        for name in STREAMS.names:
            if name not in columns and name not in ("offline_at", "platform"):
                columns[name] = good[name]
        columns["offline_at"] = good["offline_at_ms"].cast(STREAMS.field("offline_at").type)
        columns["platform"] = _platform_families(good["platform_raw"])
    elif kind == ACCOUNT_PODCAST:
        columns["show_name"], columns["episode_name"] = good["first_name"], good["second_name"]
    elif kind == ACCOUNT_AUDIOBOOK:
        columns["audiobook_title"], columns["chapter_title"] = good["first_name"], good["second_name"]
    else:
        columns["artist_name"], columns["track_name"] = good["first_name"], good["second_name"]
    streams = pa.table(
        [columns[name] if name in columns else null(name) for name in STREAMS.names], names=STREAMS.names
    )
    rejects = pa.table(
        {
            "user_id": pa.nulls(bad.num_rows, pa.string()).fill_null(user_id),
            "origin": origins.filter(pc.invert(ok)),
            "record_index": bad["record_index"],
            "reason": bad["reason"],
        }
    )
    return streams.cast(STREAMS), rejects.cast(REJECTS)


def curate_bundle(members: Sequence[tuple[str, bytes]], kind: str, user_id: str) -> tuple[pa.Table, pa.Table]:
    """A bundle's members, (origin, JSON array bytes) each, of one `kind` → (streams, rejects).

    The same tables, row for row, as curating each member with `curate_history` and concatenating
    them in order: each record keeps its member's origin and its position in its member. One query
    for all: the members' records are joined into one array (the count of each taken from a parse
    of it). When that array cannot be curated, each member is curated alone, so an error names the
    member it is in.
    """
    if not members:
        raise ValueError("an empty bundle")
    joined = _read_joined(members, kind)
    if joined is not None:
        table, member = joined
        origins = pc.take(pa.array([origin for origin, _ in members], pa.string()), pa.array(member))
        return _datasets(table, kind, user_id, origins)
    # Not one array's worth: curate each member alone (its own error, with its own name).
    logger.info("bundle of %d files: curating each alone (they do not read as one array)", len(members))
    parts = []
    with tempfile.TemporaryDirectory(prefix="bundle-") as tmp:
        for number, (origin, data) in enumerate(members):
            path = Path(tmp, f"{number}.json")
            path.write_bytes(data)
            parts.append(curate_history(path, kind, user_id, origin))
    return pa.concat_tables([p[0] for p in parts]), pa.concat_tables([p[1] for p in parts])


_BLANK = b" \t\r\n"


def _read_joined(members: Sequence[tuple[str, bytes]], kind: str) -> tuple[pa.Table, np.ndarray] | None:
    """The members' records read as one array (`_records`), each record's index made its own
    member's, and the member of each record; None when the members do not read as one array."""
    parser = simdjson.Parser()
    bodies: list[bytes] = []
    counts: list[int] = []
    for _origin, data in members:
        try:
            document = parser.parse(data)
        except (ValueError, RuntimeError):  # not JSON, or past simdjson's limits
            return None
        if not isinstance(document, simdjson.Array):
            return None
        counts.append(len(document))
        del document  # the parser reuses its buffers for the next member
        if counts[-1]:
            bodies.append(data.removeprefix(b"\xef\xbb\xbf").strip(_BLANK)[1:-1].strip(_BLANK))
    with tempfile.TemporaryDirectory(prefix="bundle-") as tmp:
        joined = Path(tmp, "members.json")
        joined.write_bytes(b"[" + b",".join(bodies) + b"]")
        try:
            table = _records(joined, kind, "bundle")
        except ValueError:
            return None
    if table.num_rows != sum(counts):
        return None
    starts = np.cumsum([0, *counts[:-1]])
    index = table["record_index"].to_numpy()
    # A member with no records starts where the next one does: searchsorted skips it.
    member = np.searchsorted(starts, index, side="right") - 1
    column = table.schema.get_field_index("record_index")
    return table.set_column(column, "record_index", pa.array(index - starts[member])), member


def _check_starts_like_array(json_path: Path, origin: str) -> None:
    # DuckDB reads an empty file as an empty array; an empty file is not an export file.
    with open(json_path, "rb") as handle:
        head = handle.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head:
        raise ValueError(f"{origin}: not a JSON array of objects: the file is empty")


def _refuse_null_elements(json_path: Path, origin: str, indexes: list[int]) -> None:
    """Raise ValueError if any of these array positions holds JSON `null` rather than an object."""
    records = orjson.loads(json_path.read_bytes())
    for index in indexes:
        if records[index] is None:
            raise ValueError(f"{origin}: not a JSON array of objects: record {index} is null")


def _platform_families(raw: pa.ChunkedArray) -> pa.Array:
    """Map raw platform strings to families once per distinct value (a file has a handful)."""
    distinct = pc.unique(raw)
    families = pa.array([platform_family(value) for value in distinct.to_pylist()], pa.string())
    return pc.take(families, pc.index_in(raw, value_set=distinct))


def curate_export_file(lake: Lake, path: str, settings: Settings) -> LoadMessage | None:
    """Curate one landed history file (`path` inside raw/); None when `path` is not one.

    Writes `curated/streams/<user_id>/<upload-id>/<kind>/<entry path>.parquet` and, when some records
    were set aside, the same path under `rejects/`; each atomically, each overwritten on a re-run,
    so curating a file twice gives the same files. Returns the load message naming them.
    """
    export = ExportFile.parse(path)
    if export is None:
        logger.info("raw exports file not in the <user>/<upload-id>/<kind>/<file> layout, skipped")
        return None
    uid = user_id(export.user, user_id_key(lake, settings))
    with lake.local_path(RAW_CONTAINER, path) as local:
        streams, rejects = curate_history(local, export.kind, uid, export.origin)

    message = _write_curated(lake, export.curated_paths(uid), streams, rejects, f"{RAW_CONTAINER}/{path}")
    logger.info(
        "curated %s for user %s: %d streams, %d records set aside",
        export.origin,
        uid,
        streams.num_rows,
        rejects.num_rows,
    )
    return message


def curate_export_bundle(lake: Lake, path: str, settings: Settings) -> LoadMessage | None:
    """Curate one landed bundle of small history files (`path` inside raw/); None when it is not one.

    Writes one `curated/streams/<user_id>/<upload-id>/bundles/<kind>/<n>.parquet` (and `rejects/`,
    when some records were set aside) for all its members, each atomically and overwritten on a
    re-run, as for a file landed alone; each row keeps its member's origin.
    """
    bundle = ExportBundle.parse(path)
    if bundle is None:
        logger.info("raw exports file not in the <user>/<upload-id>/bundles/<kind>/<n>.zip layout, skipped")
        return None
    uid = user_id(bundle.user, user_id_key(lake, settings))
    with lake.local_path(RAW_CONTAINER, path) as local:
        try:
            with zipfile.ZipFile(local) as archive:
                members = [
                    (bundle.member(info.filename).origin, archive.read(info)) for info in archive.infolist()
                ]
        except (zipfile.BadZipFile, OSError) as error:
            raise ValueError(f"{path}: not a bundle of history files ({one_line(error)})") from None
    streams, rejects = curate_bundle(members, bundle.kind, uid)
    message = _write_curated(lake, bundle.curated_paths(uid), streams, rejects, f"{RAW_CONTAINER}/{path}")
    logger.info(
        "curated %d files of bundle %s for user %s: %d streams, %d records set aside",
        len(members),
        f"{bundle.upload_id}/{bundle.kind}/{bundle.number}",
        uid,
        streams.num_rows,
        rejects.num_rows,
    )
    return message


def _write_curated(
    lake: Lake, paths: tuple[str, str], streams: pa.Table, rejects: pa.Table, curated_from: str
) -> LoadMessage:
    """Write one raw blob's streams (and rejects, if any) to curated/; the load message names them."""
    streams_path, rejects_path = paths
    files = [CuratedFile("streams", streams_path, streams.num_rows)]
    write_parquet(lake, streams_path, streams)
    if rejects.num_rows:
        files.append(CuratedFile("rejects", rejects_path, rejects.num_rows))
        write_parquet(lake, rejects_path, rejects)
    else:
        lake.delete(CURATED_CONTAINER, rejects_path)  # one left by an older rule would mislead
    return LoadMessage(curated_from=curated_from, files=tuple(files))
