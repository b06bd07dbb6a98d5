"""What every warehouse does the same way: the schema, running a rendered load plan, bookkeeping.

A backend (load.warehouse.duckdb, load.warehouse.synapse) supplies the primitives: run a
statement, query, list what exists, and say where its bulk loader reads a curated file. This base
runs the same load.plan statements on either: setup, then one transaction for the warehouse
tables, then staging cleanup whatever happened.

Opening is cheap when nothing changed: the tables and views are (re)defined only when one is
missing or the schema's DDL differs from the version stored in `warehouse_meta`.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import BinaryIO

import pyarrow as pa
import pyarrow.parquet as pq

from contracts.datasets import DATASETS
from contracts.layout import CURATED_CONTAINER
from load.dialect import Dialect
from load.errors import LoadError
from load.local_time import HOME_COUNTRY_KEY, HOME_ZONE_KEY, HomeZone
from load.plan import Statement, schema_statements, schema_version, should_run
from load.tables import COUNTRY_ZONE, META, TABLES, ZONE_OFFSET, Table
from load.time_zones import TZDATA_VERSION, UTC_NAME, country_zones, zone_offsets
from load.views import VIEWS
from storage.lake import Lake, LakeError

logger = logging.getLogger(__name__)

SCHEMA_VERSION_KEY = "schema_version"
TZDATA_KEY = "tzdata_version"

# kind -> ids seen in the facts/bridges but missing from the dimension (the enrichment backlog)
_UNENRICHED = {
    "track": ("track_id", "fact_stream", "dim_track"),
    "album": ("album_id", "dim_track", "dim_album"),
    "artist": ("artist_id", "bridge_track_artist", "dim_artist"),
}


class Warehouse:
    """What loader, wrapped and the enrichment helper need from a warehouse connection."""

    dialect: Dialect
    db_errors: tuple[type[BaseException], ...] = ()

    # -- primitives (per connection type) ---------------------------------------------------
    def run(self, sql: str) -> None:
        raise NotImplementedError

    def query(self, sql: str, params: Sequence = ()) -> list[tuple]:
        raise NotImplementedError

    def query_table(self, sql: str) -> pa.Table:
        """A query's result as an Arrow table, columns named as the query names them (analyses)."""
        raise NotImplementedError

    def existing_objects(self) -> set[str]:
        """Names of the tables and views that exist now."""
        raise NotImplementedError

    def locate(self, lake: Lake, dataset: str, path: str, stack: ExitStack) -> str:
        """Where this warehouse's bulk loader reads one curated file (kept valid by `stack`)."""
        raise NotImplementedError

    # -- shared behaviour -------------------------------------------------------------------
    def ensure_schema(self, home: HomeZone | None = None) -> None:
        """Create what is missing, redefine the views only when the schema's DDL changed, refill the
        time-zone reference data when tzdata changed, and record the home zone the views use."""
        home = home or HomeZone.of(UTC_NAME)
        existing = {name.lower() for name in self.existing_objects()}
        meta = self.meta() if META.name in existing else {}
        version = schema_version(self.dialect)
        wanted = {t.name for t in TABLES} | {v.name for v in VIEWS} | {META.name}
        changes: dict[str, str] = {}
        if not (wanted <= existing and meta.get(SCHEMA_VERSION_KEY) == version):
            if META.name not in existing:
                self.run(self.dialect.create_table(META))
            for sql in schema_statements(self.dialect, existing):
                self.run(sql)
            changes[SCHEMA_VERSION_KEY] = version
            logger.info("warehouse schema defined (version %s)", version)
        if meta.get(TZDATA_KEY) != TZDATA_VERSION:
            self._load_time_zones()
            changes[TZDATA_KEY] = TZDATA_VERSION
        if (meta.get(HOME_ZONE_KEY), meta.get(HOME_COUNTRY_KEY)) != (home.zone, home.country):
            changes |= {HOME_ZONE_KEY: home.zone, HOME_COUNTRY_KEY: home.country}
        if changes:
            self.set_meta(changes)

    def schema_is_current(self) -> bool:
        """Every table and view exists as this code defines them, with this tzdata's offsets: a
        reader may query without `ensure_schema` (which would write)."""
        existing = {name.lower() for name in self.existing_objects()}
        wanted = {t.name for t in TABLES} | {v.name for v in VIEWS} | {META.name}
        if not wanted <= existing:
            return False
        meta = self.meta()
        return meta.get(SCHEMA_VERSION_KEY) == schema_version(self.dialect) and meta.get(TZDATA_KEY) == (
            TZDATA_VERSION
        )

    def meta(self) -> dict[str, str]:
        """The warehouse's own settings (warehouse_meta): schema version, tzdata version, home zone."""
        d = self.dialect
        return dict(self.query(f"SELECT {d.cols(['name', 'value'])} FROM {d.table(META.name)}"))

    def stored_schema_version(self) -> str | None:
        return self.meta().get(SCHEMA_VERSION_KEY)

    def set_meta(self, values: dict[str, str]) -> None:
        d, meta = self.dialect, self.dialect.table(META.name)
        keys = ", ".join(d.lit(k) for k in values)
        with self._transaction():
            self.run(f"DELETE FROM {meta} WHERE {d.ident('name')} IN ({keys})")
            self.insert_rows(META, list(values.items()))

    def _load_time_zones(self) -> None:
        """Replace the reference rows of load.time_zones (tzdata changed, or a new warehouse)."""
        d = self.dialect
        offsets = [(r.zone, r.valid_from, r.valid_to, r.offset_minutes) for r in zone_offsets()]
        with self._transaction():
            for table in (ZONE_OFFSET, COUNTRY_ZONE):
                self.run(f"DELETE FROM {d.table(table.name)}")
            self.insert_rows(ZONE_OFFSET, offsets)
            self.insert_rows(COUNTRY_ZONE, sorted(country_zones().items()))
        logger.info("time-zone reference data from tzdata %s: %d offsets", TZDATA_VERSION, len(offsets))

    def insert_rows(self, table: Table, rows: Sequence[Sequence[object]]) -> None:
        """Insert literal rows (reference data, settings) into `table`, in its column order."""
        for sql in self.dialect.insert_rows(table.name, table.column_names, rows):
            self.run(sql)

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        self.run(self.dialect.begin)
        try:
            yield
        except BaseException:
            self._rollback()
            raise
        self.run(self.dialect.commit)

    def execute(self, statements: Sequence[Statement]) -> dict[str, int]:
        """Run a rendered plan; returns the captured counts. On error: rollback, cleanup, raise."""
        counts: dict[str, int] = {}
        in_transaction = False
        try:
            for statement in statements:
                if statement.phase == "cleanup" or not should_run(statement, counts):
                    continue
                if statement.capture:
                    (row,) = self.query(statement.sql)
                    for name, value in zip(statement.capture.split(","), row, strict=True):
                        counts[name] = int(value or 0)  # SUM over no rows is NULL
                else:
                    self.run(statement.sql)
                in_transaction = statement.phase in ("begin", "txn")
        except BaseException:
            if in_transaction:
                self._rollback()
            raise
        finally:
            for statement in statements:
                if statement.phase == "cleanup":
                    self._cleanup(statement.sql)
        return counts

    def _rollback(self) -> None:
        try:
            self.run(self.dialect.rollback)
        except self.db_errors as error:
            # The original error matters more; a dropped connection rolls back on the server anyway.
            logger.warning("rollback failed: %s", error)

    def _cleanup(self, sql: str) -> None:
        try:
            self.run(sql)
        except self.db_errors as error:
            # Staging tables are private to this load; a leftover is dropped by the next retry.
            logger.warning("staging cleanup failed: %s", error)

    def unenriched_ids(self, kind: str) -> list[str]:
        """Ids (track | album | artist) referenced by loaded data but not in their dimension yet."""
        if kind not in _UNENRICHED:
            raise ValueError(f"kind must be one of {sorted(_UNENRICHED)}, not {kind!r}")
        column, source, dim = _UNENRICHED[kind]
        d, c = self.dialect, self.dialect.ident(column)
        rows = self.query(
            f"SELECT DISTINCT s.{c} FROM {d.table(source)} AS s WHERE s.{c} IS NOT NULL"
            f" AND NOT EXISTS (SELECT 1 FROM {d.table(dim)} AS d WHERE d.{c} = s.{c})"
        )
        return sorted(row[0] for row in rows)

    def loaded_paths(self) -> set[str]:
        """Curated paths already loaded (the bookkeeping table)."""
        return {
            row[0]
            for row in self.query(
                f"SELECT {self.dialect.ident('path')} FROM {self.dialect.table('load_file')}"
            )
        }

    def close(self) -> None:
        raise NotImplementedError


def _same_type(actual: pa.DataType, expected: pa.DataType) -> bool:
    if pa.types.is_timestamp(expected):
        # Parquet keeps the instant; any spelling of UTC is the same contract.
        return (
            pa.types.is_timestamp(actual)
            and actual.unit == expected.unit
            and (actual.tz or "").upper() in ("UTC", "+00:00", "ETC/UTC", "Z")
        )
    if pa.types.is_string(expected):
        return pa.types.is_string(actual) or pa.types.is_large_string(actual)
    return actual == expected


def check_parquet_schema(source: Path | BinaryIO, dataset: str, path: str) -> None:
    """Refuse a curated file whose columns or types differ from transform.schema (LoadError).

    `source` is a local path or a seekable binary stream; only the Parquet footer is read. The
    check matters for both warehouses: DuckDB reads by name, but Synapse's COPY INTO (no column
    list) maps by position, so a reordered or extra column would load shifted data.
    """
    try:
        actual = pq.read_schema(source)
    except (pa.ArrowInvalid, OSError) as error:  # not Parquet at all, or truncated
        raise LoadError(f"{path}: not a readable Parquet file ({error})") from None
    expected = DATASETS[dataset]
    if actual.names != expected.names:
        raise LoadError(f"{path}: columns {actual.names} differ from the {dataset} schema {expected.names}")
    for have, want in zip(actual, expected, strict=True):
        if not _same_type(have.type, want.type):
            raise LoadError(
                f"{path}: column {want.name} is {have.type}, the {dataset} schema says {want.type}"
            )


def check_curated_file(lake: Lake, dataset: str, path: str) -> None:
    """The curated file exists and matches its dataset's schema (LoadError); reads its footer only."""
    try:
        with lake.open_read(CURATED_CONTAINER, path) as stream:
            check_parquet_schema(stream, dataset, path)
    except LakeError as error:
        raise LoadError(f"curated file missing: {path} ({error})") from None
