"""The warehouse's star schema, declared from the curated Arrow schemas so the two never drift.

Each table names the curated dataset it is loaded from, how a load merges into it, and its
physical design on Synapse. Column names, order, types and NOT NULL come from
contracts.datasets.DATASETS; only the NVARCHAR lengths (Synapse wants a bound, not MAX) are
chosen here, per column name.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from contracts.datasets import DATASETS

# Logical column types, rendered per dialect by load.dialect.
STRING, TIMESTAMP, BIGINT, INT, BOOL, DATE = "string", "timestamp", "bigint", "int", "bool", "date"
DOUBLE = "double"

# NVARCHAR(n) per string column. Ids: Spotify base62 (22), user_id (24 hex), stream_key (32 hex).
# Names get room for long classical titles; a longer value fails the load loudly, never truncates.
_LENGTHS = {
    "user_id": 64,
    "stream_key": 64,
    "track_id": 64,
    "album_id": 64,
    "artist_id": 64,
    "episode_id": 64,
    "audiobook_id": 64,
    "chapter_id": 64,
    "item_id": 64,
    "isrc": 32,
    "source": 16,
    "content_type": 16,
    "time_range": 16,
    "item_type": 16,
    "album_type": 32,
    "release_date": 16,
    "release_date_precision": 16,
    "platform": 32,
    "conn_country": 8,
    "reason_start": 64,
    "reason_end": 64,
    "genre": 200,
    "origin": 400,
    "reason": 400,
    "path": 400,
    "dataset": 32,
    "zone": 64,
    "country": 8,
    "region": 64,
    "chart": 16,
    "trend": 16,
    "model": 32,
    "run_id": 16,
    "device": 16,
    "scope": 16,
}
_DEFAULT_LENGTH = 500  # names and titles


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # one of the logical types above
    nullable: bool = True
    length: int | None = None  # NVARCHAR length for strings


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    dataset: str | None = None  # curated dataset loaded into it; None for bookkeeping
    merge: str = "append"  # streams | first_copy | replace | upsert_latest | latest_run (see load.plan)
    keys: tuple[str, ...] = ()  # replace: rows with these key values are replaced; upsert: the id
    prune_by: str | None = None  # first_copy: a date column that bounds which loaded rows can match
    # (None: every loaded row may)
    # Synapse physical design (load.dialect renders it; DuckDB ignores it).
    distribution: str = "ROUND_ROBIN"  # ROUND_ROBIN | REPLICATE | HASH(<column>)
    clustered_index: tuple[str, ...] = ()  # empty = HEAP

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def _logical_type(arrow_type: pa.DataType) -> str:
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return STRING
    if pa.types.is_timestamp(arrow_type):
        return TIMESTAMP
    if pa.types.is_int64(arrow_type):
        return BIGINT
    if pa.types.is_int32(arrow_type):
        return INT
    if pa.types.is_boolean(arrow_type):
        return BOOL
    if pa.types.is_date32(arrow_type):
        return DATE
    if pa.types.is_float64(arrow_type):
        return DOUBLE
    raise TypeError(f"no warehouse type for Arrow type {arrow_type}")


def columns_of(schema: pa.Schema) -> tuple[Column, ...]:
    """Warehouse columns for an Arrow schema: same names, order and nullability."""
    columns = []
    for field in schema:
        kind = _logical_type(field.type)
        length = _LENGTHS.get(field.name, _DEFAULT_LENGTH) if kind == STRING else None
        columns.append(Column(field.name, kind, field.nullable, length))
    return tuple(columns)


def _table(name: str, dataset: str, **design) -> Table:
    return Table(name=name, columns=columns_of(DATASETS[dataset]), dataset=dataset, **design)


# Physical design on Synapse (notes: azure.md §3.3). A personal history is far below the 60 M rows
# where clustered columnstore pays off (and CCI cannot hold long strings), so tables are HEAP or
# a clustered rowstore index.
TABLES: tuple[Table, ...] = (
    # HASH(stream_key): the only high-cardinality, evenly spread column; user_id would put a
    # one-person warehouse on one distribution of 60. The exact-duplicate check joins on it, and the
    # clustered index (user_id, ts) serves the ±60 s cross-source match and date-filtered reports.
    _table(
        "fact_stream",
        "streams",
        merge="streams",
        keys=("user_id", "stream_key"),
        distribution="HASH(stream_key)",
        clustered_index=("user_id", "ts"),
    ),
    _table("stream_reject", "rejects", merge="replace", keys=("user_id", "origin")),
    # Small, slowly changing dimensions: a full copy on every compute node makes joins local.
    _table(
        "dim_track",
        "tracks",
        merge="upsert_latest",
        keys=("track_id",),
        distribution="REPLICATE",
        clustered_index=("track_id",),
    ),
    _table(
        "dim_album",
        "albums",
        merge="upsert_latest",
        keys=("album_id",),
        distribution="REPLICATE",
        clustered_index=("album_id",),
    ),
    _table(
        "dim_artist",
        "artists",
        merge="upsert_latest",
        keys=("artist_id",),
        distribution="REPLICATE",
        clustered_index=("artist_id",),
    ),
    _table(
        "bridge_track_artist",
        "track_artists",
        merge="replace",
        keys=("track_id",),
        distribution="REPLICATE",
        clustered_index=("track_id",),
    ),
    _table(
        "bridge_artist_genre",
        "artist_genres",
        merge="replace",
        keys=("artist_id",),
        distribution="REPLICATE",
        clustered_index=("artist_id",),
    ),
    _table(
        "fact_top_item",
        "top_items",
        merge="replace",
        keys=("user_id", "snapshot_date", "time_range", "item_type"),
    ),
    # Spotify's public charts: ~26 million rows for 2017-2021. HASH(entry_key) spreads them and
    # serves the load's anti-join; the clustered index serves the per-country, per-date queries.
    _table(
        "fact_chart_entry",
        "chart_entries",
        merge="first_copy",
        keys=("entry_key",),
        prune_by="chart_date",
        distribution="HASH(entry_key)",
        clustered_index=("country", "chart_date"),
    ),
    _table("chart_reject", "chart_rejects", merge="replace", keys=("origin",)),
    # Audio features per track, from the wider chart files: a row per track (~200 000 at most),
    # small enough to copy to every distribution.
    _table(
        "dim_chart_track_features",
        "chart_track_features",
        merge="first_copy",
        keys=("track_id",),
        distribution="REPLICATE",
        clustered_index=("track_id",),
    ),
    # What the analyses computed (analysis/): per key, the rows of the latest run only.
    _table("fact_chart_prediction", "chart_predictions", merge="latest_run", keys=("model",)),
    _table(
        "fact_session",
        "sessions",
        merge="latest_run",
        keys=("user_id",),
        clustered_index=("user_id", "session_start"),
    ),
    _table(
        "dim_listening_mode",
        "listening_modes",
        merge="latest_run",
        keys=("user_id",),
        distribution="REPLICATE",
        clustered_index=("user_id", "mode_id"),
    ),
    _table(
        "dim_listener_segment",
        "listener_segments",
        merge="latest_run",
        keys=("scope",),
        distribution="REPLICATE",
        clustered_index=("user_id",),
    ),
    # Bookkeeping: which curated files are in the warehouse (the CLI loads only the others).
    Table(
        name="load_file",
        columns=(
            Column("path", STRING, False, _LENGTHS["path"]),
            Column("dataset", STRING, False, _LENGTHS["dataset"]),
            Column("row_count", BIGINT, False),  # as declared by the load message
            Column("source", STRING, False, _LENGTHS["origin"]),
            Column("loaded_at", TIMESTAMP, False),
        ),
    ),
    # Reference data from the tz database (load.time_zones), the same rows in every warehouse:
    # local time is a stream's UTC end time plus the offset of its zone at that instant.
    Table(
        name="ref_zone_offset",
        columns=(
            Column("zone", STRING, False, _LENGTHS["zone"]),
            Column("valid_from", TIMESTAMP, False),  # UTC, inclusive
            Column("valid_to", TIMESTAMP, False),  # UTC, exclusive
            Column("offset_minutes", INT, False),
        ),
        distribution="REPLICATE",
        clustered_index=("zone", "valid_from"),
    ),
    # Countries with exactly one zone in zone.tab: a stream there is in that zone's local time.
    Table(
        name="ref_country_zone",
        columns=(
            Column("country", STRING, False, _LENGTHS["country"]),
            Column("zone", STRING, False, _LENGTHS["zone"]),
        ),
        distribution="REPLICATE",
        clustered_index=("country",),
    ),
)

# The warehouse's own settings (the schema version): not part of the loaded schema above.
META = Table(
    name="warehouse_meta",
    columns=(Column("name", STRING, False, 64), Column("value", STRING, False, 200)),
)

TABLE_BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}
TABLE_BY_DATASET: dict[str, Table] = {t.dataset: t for t in TABLES if t.dataset}
LOAD_FILE = TABLE_BY_NAME["load_file"]
ZONE_OFFSET = TABLE_BY_NAME["ref_zone_offset"]
COUNTRY_ZONE = TABLE_BY_NAME["ref_country_zone"]

# A latest_run table keeps the rows of the newest run per key: its dataset says which run a row is of.
for _t in TABLES:
    if _t.merge == "latest_run" and "run_id" not in _t.column_names:
        raise RuntimeError(f"{_t.name}: a latest_run table needs a run_id column")

# Every curated dataset has exactly one table: a new dataset must be placed here before it loads.
if set(TABLE_BY_DATASET) != set(DATASETS):
    raise RuntimeError(f"load.tables covers {sorted(TABLE_BY_DATASET)}, curated has {sorted(DATASETS)}")
