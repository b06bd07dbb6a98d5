"""Curated test inputs for the load tests (rows in the exact contracts.datasets schemas), and helpers."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import UTC, date, datetime

import pyarrow as pa
import pyarrow.parquet as pq

from contracts.datasets import DATASETS
from contracts.layout import CURATED_CONTAINER
from contracts.load_message import CuratedFile, LoadMessage

USER = "u" * 24


def ts(text: str) -> datetime:
    """'2024-01-01T12:34:56.789' as an aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def stream(
    when: str,
    ms: int = 200_000,
    artist: str | None = "Aurora Lane",
    track: str | None = "Night Drive",
    source: str = "extended",
    track_id: str | None = "trk0000000000000000001",
    origin: str = "up1/Streaming_History_Audio_0.json",
    user: str = USER,
    content_type: str = "music",
    **extra,
) -> dict:
    identity = track_id or f"{artist}\x1f{track}"
    key = hashlib.md5(f"{source}\x1e{when}\x1e{identity}\x1e{ms}".encode()).hexdigest()
    row = {name: None for name in DATASETS["streams"].names}
    row.update(
        user_id=user,
        stream_key=key,
        source=source,
        ts=ts(when),
        ms_played=ms,
        content_type=content_type,
        track_name=track,
        artist_name=artist,
        track_id=track_id if source != "account" else None,
        origin=origin,
    )
    row.update(extra)
    return row


def account(when: str, **kwargs) -> dict:
    """An account-data row: minute precision, no URIs."""
    kwargs.setdefault("origin", "up2/StreamingHistory_music_0.json")
    return stream(when, source="account", track_id=None, **kwargs)


def api(when: str, **kwargs) -> dict:
    kwargs.setdefault("origin", "api/recently-played/dt=2024-01-01/page-0.json")
    return stream(when, source="api", **kwargs)


def reject(origin: str, index: int, reason: str = "no ts", user: str = USER) -> dict:
    return {"user_id": user, "origin": origin, "record_index": index, "reason": reason}


def track(
    track_id: str, name: str, album_id: str | None, fetched: str = "2024-02-01T00:00:00", **extra
) -> dict:
    row = {n: None for n in DATASETS["tracks"].names}
    row.update(
        track_id=track_id, name=name, album_id=album_id, not_found=False, fetched_at=ts(fetched), **extra
    )
    return row


def album(album_id: str, name: str, fetched: str = "2024-02-01T00:00:00") -> dict:
    row = {n: None for n in DATASETS["albums"].names}
    row.update(album_id=album_id, name=name, not_found=False, fetched_at=ts(fetched))
    return row


def artist(artist_id: str, name: str, fetched: str = "2024-02-01T00:00:00") -> dict:
    row = {n: None for n in DATASETS["artists"].names}
    row.update(artist_id=artist_id, name=name, not_found=False, fetched_at=ts(fetched))
    return row


def top_item(
    rank: int, item_id: str, snapshot: date = date(2024, 2, 1), time_range: str = "short_term"
) -> dict:
    return {
        "user_id": USER,
        "snapshot_date": snapshot,
        "time_range": time_range,
        "item_type": "track",
        "rank": rank,
        "item_id": item_id,
        "name": f"item {item_id}",
    }


COUNTRIES = {"Sweden": "SE", "Norway": "NO", "Denmark": "DK", "Global": None}


def chart_entry(
    day: str,
    rank: int,
    track_id: str | None,
    region: str = "Sweden",
    title: str | None = None,
    artist: str | None = "Chart Artist",
    streams: int | None = 1000,
    trend: str = "SAME_POSITION",
    chart: str = "top200",
    origin: str = "up9/charts.csv",
    **extra,
) -> dict:
    """A curated chart entry (contracts.datasets.CHART_ENTRIES) of one of the COUNTRIES' charts."""
    from contracts.charts import entry_key

    when = date.fromisoformat(day)
    row = {name: None for name in DATASETS["chart_entries"].names}
    row.update(
        entry_key=entry_key(when, COUNTRIES[region], chart, rank),
        chart_date=when,
        region=region,
        country=COUNTRIES[region],
        chart=chart,
        rank=rank,
        track_id=track_id,
        title=title or f"Title {track_id}",
        artist=artist,
        streams=streams,
        trend=trend,
        origin=origin,
        record_index=rank,
    )
    row.update(extra)
    return row


def parquet_bytes(dataset: str, rows: list[dict], schema: pa.Schema | None = None) -> bytes:
    table = pa.Table.from_pylist(rows, schema=schema or DATASETS[dataset])
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def put(lake, dataset: str, name: str, rows: list[dict], schema: pa.Schema | None = None) -> CuratedFile:
    """Write curated/<dataset>/<name>.parquet and return its CuratedFile."""
    path = f"{dataset}/{name}.parquet"
    lake.write_bytes(CURATED_CONTAINER, path, parquet_bytes(dataset, rows, schema))
    return CuratedFile(dataset, path, len(rows))


def message(*files: CuratedFile, curated_from: str = "raw/test") -> LoadMessage:
    return LoadMessage(curated_from=curated_from, files=tuple(files))


def strip_synapse_options(sql: str) -> str:
    """Remove the one Synapse table option sqlglot's T-SQL grammar cannot parse.

    That is `CLUSTERED INDEX (<columns>)` inside `CREATE TABLE ... WITH (DISTRIBUTION = ..., ...)`;
    everything else generated (COPY INTO, DISTRIBUTION, HEAP, IF OBJECT_ID ...) parses as is.
    """
    return re.sub(r", CLUSTERED INDEX \([^)]*\)\)$", ")", sql)


ALL_TABLES = (
    "fact_stream",
    "stream_reject",
    "dim_track",
    "dim_album",
    "dim_artist",
    "bridge_track_artist",
    "bridge_artist_genre",
    "fact_top_item",
    "load_file",
)


def snapshot(warehouse, table: str = "fact_stream") -> list[tuple]:
    """Every row of a table, in a stable order (load_file's timestamps left out)."""
    if table == "load_file":
        return sorted(warehouse.query("SELECT path, dataset, row_count, source FROM load_file"))
    return sorted(warehouse.query(f"SELECT * FROM {table}"), key=repr)


def everything(warehouse) -> dict[str, list[tuple]]:
    return {table: snapshot(warehouse, table) for table in ALL_TABLES}


def three_overlapping_messages(lake) -> list[LoadMessage]:
    """Three messages: an export, an account file matching it, and API plays overlapping both."""
    export = put(
        lake,
        "streams",
        "ext",
        [stream("2024-03-05T21:17:42.500", ms=181_000), stream("2024-03-06T08:00:00", track_id="trkA")],
    )
    rejects = put(lake, "rejects", "ext", [reject("up1/ext.json", 1)])
    acc = put(
        lake, "streams", "acc", [account("2024-03-05T21:17:00", ms=181_000), account("2024-03-07T10:00:00")]
    )
    plays = put(
        lake,
        "streams",
        "api",
        [api("2024-03-06T08:00:40", track_id="trkA"), api("2024-03-08T08:00:00", track_id="trkZ")],
    )
    return [
        message(export, rejects, curated_from="raw/ext"),
        message(acc, curated_from="raw/acc"),
        message(plays, curated_from="raw/api"),
    ]
