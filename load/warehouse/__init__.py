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

from load.errors import WarehouseUnavailable
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
def open_warehouse(settings: Settings, read_only: bool = False) -> Iterator[Warehouse]:
    """The warehouse the settings name, tables and views created when missing; closed on exit.

    `read_only` (queries only: wrapped, report): writes nothing when the schema is current, so it
    works on a read-only lake and beside other readers; the DuckDB file must exist. A schema this
    code would change is brought up to date first, through a writable connection.
    """
    warehouse = _connect(settings, read_only)
    try:
        if not (read_only and warehouse.schema_is_current()):
            if read_only and isinstance(warehouse, DuckDBWarehouse):
                warehouse.close()  # an older schema: upgrade it once, then read as asked
                _upgrade(settings)
                warehouse = _connect(settings, read_only)
            else:
                warehouse.ensure_schema(HomeZone.of(settings.user_time_zone))
        yield warehouse
    finally:
        warehouse.close()


def _upgrade(settings: Settings) -> None:
    try:
        with open_warehouse(settings):
            pass
    except WarehouseUnavailable as error:
        raise WarehouseUnavailable(
            f"the warehouse needs its tables updated for this version, which needs write access: {error}"
        ) from None


def _connect(settings: Settings, read_only: bool) -> Warehouse:
    if settings.warehouse == "synapse":
        from load.warehouse.synapse import SynapseWarehouse  # optional driver: pyodbc and unixODBC

        return SynapseWarehouse.connect(settings)
    return DuckDBWarehouse(Path(settings.lake_dir) / WAREHOUSE_FILE, read_only=read_only)
