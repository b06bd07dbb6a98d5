"""Warehouse connections: the embedded DuckDB file, or Synapse; both run rendered load plans.

`open_warehouse(settings)` yields a Warehouse with the tables and views in place: DuckDB at
`<lake_dir>/warehouse.duckdb` by default, Synapse when settings.warehouse == "synapse". This is
the only place that knows both backends.

    base.py     the schema, running a plan, bookkeeping: what every backend does the same way
    duckdb.py   the embedded DuckDB file
    synapse.py  the dedicated SQL pool over pyodbc (imported only when Synapse is chosen)
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from load.local_time import HomeZone
from load.warehouse.base import Warehouse, check_curated_file, check_parquet_schema
from load.warehouse.duckdb import WAREHOUSE_FILE, DuckDBWarehouse
from settings import Settings

__all__ = [
    "WAREHOUSE_FILE",
    "DuckDBWarehouse",
    "Warehouse",
    "check_curated_file",
    "check_parquet_schema",
    "open_warehouse",
]


@contextlib.contextmanager
def open_warehouse(settings: Settings) -> Iterator[Warehouse]:
    """The warehouse the settings name, tables and views created when missing; closed on exit."""
    warehouse: Warehouse
    if settings.warehouse == "synapse":
        from load.warehouse.synapse import SynapseWarehouse  # optional driver: pyodbc and unixODBC

        warehouse = SynapseWarehouse.connect(settings)
    else:
        warehouse = DuckDBWarehouse(Path(settings.lake_dir) / WAREHOUSE_FILE)
    try:
        warehouse.ensure_schema(HomeZone.of(settings.user_time_zone))
        yield warehouse
    finally:
        warehouse.close()
