"""The embedded warehouse: one DuckDB file in the lake folder, `<lake_dir>/warehouse.duckdb`."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path

import duckdb
import pyarrow as pa

from contracts.layout import CURATED_CONTAINER
from contracts.text import one_line
from load.dialect import DUCKDB
from load.errors import LoadError, WarehouseUnavailable
from load.plan import Statement
from load.tables import Table
from load.warehouse.base import Warehouse, check_parquet_schema
from storage.lake import Lake, LakeError

WAREHOUSE_FILE = "warehouse.duckdb"
# The embedded warehouse runs next to the rest of the ingest on a small machine: a bounded buffer
# pool (DuckDB spills to <file>.tmp beyond it) and no more threads than cores.
DUCKDB_CONFIG: dict[str, str | int | bool] = {
    "threads": 2,
    "memory_limit": "160MB",
    "preserve_insertion_order": False,
}


class DuckDBWarehouse(Warehouse):
    dialect = DUCKDB
    db_errors = (duckdb.Error,)

    def __init__(self, path: Path, read_only: bool = False):
        """`read_only`: for queries only; works on a lake the user may not write, and beside other
        readers. The file must exist then (reading never creates a warehouse)."""
        self.path = path
        if read_only and not path.is_file():
            raise WarehouseUnavailable(
                f"no warehouse at {path}: ingest an export first (python -m cli ingest EXPORT.zip)"
            )
        if not read_only:
            path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.connection = duckdb.connect(str(path), read_only=read_only, config=dict(DUCKDB_CONFIG))
        except duckdb.Error as error:  # not a DuckDB file, or another program holds its lock
            raise WarehouseUnavailable(f"cannot open the warehouse {path}: {one_line(error)}") from None
        # Warehouse timestamps are naive UTC: Parquet's UTC instants convert as UTC, not local time.
        self.connection.execute("SET TimeZone = 'UTC'")

    def run(self, sql: str) -> None:
        self.connection.execute(sql)

    def query(self, sql: str, params: Sequence = ()) -> list[tuple]:
        return self.connection.execute(sql, list(params)).fetchall()

    def query_table(self, sql: str) -> pa.Table:
        return self.connection.sql(sql).to_arrow_table()

    def insert_rows(self, table: Table, rows: Sequence[Sequence[object]]) -> None:
        # Thousands of reference rows: through Arrow, not as SQL text (13 000 rows: 2 s -> 0.05 s).
        columns = list(zip(*rows, strict=True)) if rows else [()] * len(table.columns)
        data = pa.table({c.name: list(values) for c, values in zip(table.columns, columns, strict=True)})
        self.connection.register("_rows", data)
        try:
            self.run(f"INSERT INTO {self.dialect.table(table.name)} SELECT * FROM _rows")
        finally:
            self.connection.unregister("_rows")

    def existing_objects(self) -> set[str]:
        rows = self.query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'")
        return {row[0] for row in rows}

    def locate(self, lake: Lake, dataset: str, path: str, stack: ExitStack) -> str:
        try:
            local = stack.enter_context(lake.local_path(CURATED_CONTAINER, path))
        except LakeError as error:
            raise LoadError(f"curated file missing: {path} ({error})") from None
        check_parquet_schema(local, dataset, path)
        return str(local)

    def execute(self, statements: Sequence[Statement]) -> dict[str, int]:
        try:
            return super().execute(statements)
        except duckdb.Error as error:
            raise LoadError(f"load failed and was rolled back: {one_line(error)}") from error

    def close(self) -> None:
        self.connection.close()
