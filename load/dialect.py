"""The two SQL dialects the one load plan renders to: DuckDB (embedded) and T-SQL (Synapse).

Everything else (load.plan, load.views, load.wrapped) writes its SQL once, from shared templates,
and asks the dialect only for what really differs: types, quoting, literals, date arithmetic,
TOP/LIMIT, table options, and how staged files get into a staging table.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import ClassVar

from load.tables import BIGINT, BOOL, DATE, DOUBLE, INT, STRING, TIMESTAMP, Column, Table


class Dialect:
    name = ""
    schema_prefix = ""

    # -- names and literals ---------------------------------------------------------------
    def ident(self, name: str) -> str:
        """A quoted identifier (a column or alias name)."""
        raise NotImplementedError

    def table(self, name: str) -> str:
        """A table or view reference, schema included where the dialect has one."""
        return f"{self.schema_prefix}{name}"

    def lit(self, value: str) -> str:
        return "'" + value.replace("'", "''") + "'"

    def timestamp_lit(self, iso: str) -> str:
        raise NotImplementedError

    def cols(self, names: Sequence[str], alias: str = "") -> str:
        prefix = f"{alias}." if alias else ""
        return ", ".join(prefix + self.ident(n) for n in names)

    # -- types and expressions ------------------------------------------------------------
    def type(self, column: Column) -> str:
        raise NotImplementedError

    def trunc_minute(self, expr: str) -> str:
        raise NotImplementedError

    def add_seconds(self, expr: str, seconds: int) -> str:
        raise NotImplementedError

    def add_minutes(self, expr: str, minutes: str) -> str:
        """`expr` (a timestamp) plus `minutes`, an integer SQL expression."""
        raise NotImplementedError

    def minus_seconds(self, expr: str, seconds: str) -> str:
        """`expr` (a timestamp) minus `seconds`, an integer SQL expression."""
        raise NotImplementedError

    def seconds_between(self, start: str, end: str) -> str:
        """Whole seconds from `start` to `end` (timestamps)."""
        raise NotImplementedError

    def date_lit(self, day: date) -> str:
        raise NotImplementedError

    def add_days(self, expr: str, days: int | str) -> str:
        """`expr` (a date) plus a whole number of days (an int, or an integer SQL expression)."""
        raise NotImplementedError

    def days_between(self, start: str, end: str) -> str:
        """Whole days from date `start` to date `end`."""
        raise NotImplementedError

    def int_div(self, a: str, b: str) -> str:
        raise NotImplementedError

    def to_float(self, expr: str) -> str:
        raise NotImplementedError

    def to_date(self, expr: str) -> str:
        return f"CAST({expr} AS DATE)"

    def month_start(self, expr: str) -> str:
        raise NotImplementedError

    def hour(self, expr: str) -> str:
        raise NotImplementedError

    def weekday(self, expr: str) -> str:
        """Day of the week, Monday = 0 .. Sunday = 6, independent of session settings."""
        raise NotImplementedError

    def top(self, n: int) -> str:
        """Goes after SELECT (T-SQL); empty where LIMIT is used."""
        return ""

    def limit(self, n: int) -> str:
        """Goes at the end of the query (DuckDB); empty where TOP is used."""
        return ""

    # -- statements -----------------------------------------------------------------------
    def column_defs(self, columns: Sequence[Column], not_null: bool = True) -> str:
        return ", ".join(
            f"{self.ident(c.name)} {self.type(c)}{' NOT NULL' if not_null and not c.nullable else ''}"
            for c in columns
        )

    def create_table(self, table: Table) -> str:
        raise NotImplementedError

    # `external` staging holds the files' rows as they are; a dialect may read them in place.
    # `derived` staging is filled once, by `fill_derived`, from a query over other staging.
    def create_staging(
        self, name: str, columns: Sequence[Column], external: bool = False, derived: bool = False
    ) -> str:
        raise NotImplementedError

    def dedupe_select(
        self, columns: Sequence[str], source: str, keys: Sequence[str] = (), order: Sequence[str] = ()
    ) -> str:
        """The rows of `source` (a table reference or a parenthesised query): with `keys`, one
        row per key, the first by `order`; without, all of them (a copy)."""
        cols = self.cols(columns)
        if not keys:
            return f"SELECT {cols} FROM {source}"
        window = f"PARTITION BY {self.cols(keys)} ORDER BY {', '.join(order)}"
        return (
            f"SELECT {self.cols(columns, 'r')} FROM "
            f"(SELECT {cols}, ROW_NUMBER() OVER ({window}) AS rn FROM {source}) AS r WHERE r.rn = 1"
        )

    def derive_staging(
        self,
        name: str,
        columns: Sequence[str],
        source: str,
        keys: Sequence[str] = (),
        order: Sequence[str] = (),
    ) -> list[str]:
        """Fill derived staging `name` from staging `source`: a copy, or (`keys`) its dedupe."""
        select = self.dedupe_select(columns, self.table(source), keys, order)
        return [f"INSERT INTO {self.table(name)} ({self.cols(columns)}) {select}"]

    def stage_files(
        self, name: str, columns: Sequence[Column], locations: Sequence[str], external: bool = False
    ) -> str:
        raise NotImplementedError

    def drop_staging(self, name: str, external: bool = False, derived: bool = False) -> list[str]:
        raise NotImplementedError

    def create_view(self, name: str, body: str, exists: bool) -> str:
        raise NotImplementedError

    def value_lit(self, value: object) -> str:
        """A Python value (str, int, datetime, None) as a literal of this dialect."""
        if value is None:
            return "NULL"
        if isinstance(value, bool):
            return "1" if value else "0"
        if isinstance(value, int):
            return str(value)
        if isinstance(value, datetime):
            return self.timestamp_lit(value.isoformat(sep="T", timespec="milliseconds"))
        return self.lit(str(value))

    def insert_rows(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
        """INSERT statements for literal rows (reference data), a bounded number of rows each."""
        raise NotImplementedError

    begin = "BEGIN TRANSACTION"
    commit = "COMMIT"
    rollback = "ROLLBACK"


class DuckDBDialect(Dialect):
    name = "duckdb"
    _TYPES: ClassVar[dict[str, str]] = {
        STRING: "VARCHAR",
        TIMESTAMP: "TIMESTAMP",  # naive UTC; the session runs with TimeZone = 'UTC'
        BIGINT: "BIGINT",
        INT: "INTEGER",
        BOOL: "BOOLEAN",
        DATE: "DATE",
        DOUBLE: "DOUBLE",
    }

    def ident(self, name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    def timestamp_lit(self, iso: str) -> str:
        return f"TIMESTAMP {self.lit(iso)}"

    def type(self, column: Column) -> str:
        return self._TYPES[column.type]

    def trunc_minute(self, expr: str) -> str:
        return f"date_trunc('minute', {expr})"

    def add_seconds(self, expr: str, seconds: int) -> str:
        return f"({expr} + INTERVAL ({seconds}) SECOND)"

    def add_minutes(self, expr: str, minutes: str) -> str:
        return f"({expr} + to_minutes(CAST({minutes} AS BIGINT)))"

    def minus_seconds(self, expr: str, seconds: str) -> str:
        return f"({expr} - to_seconds(CAST({seconds} AS BIGINT)))"

    def seconds_between(self, start: str, end: str) -> str:
        return f"date_diff('second', {start}, {end})"

    def date_lit(self, day: date) -> str:
        return f"DATE {self.lit(day.isoformat())}"

    def add_days(self, expr: str, days: int | str) -> str:
        return f"CAST({expr} + INTERVAL ({_days(days)}) DAY AS DATE)"

    def days_between(self, start: str, end: str) -> str:
        return f"CAST(date_diff('day', {start}, {end}) AS INTEGER)"

    def int_div(self, a: str, b: str) -> str:
        return f"({a}) // ({b})"

    def to_float(self, expr: str) -> str:
        return f"CAST({expr} AS DOUBLE)"

    def month_start(self, expr: str) -> str:
        return f"CAST(date_trunc('month', {expr}) AS DATE)"

    def hour(self, expr: str) -> str:
        return f"CAST(hour({expr}) AS INTEGER)"

    def weekday(self, expr: str) -> str:
        return f"CAST(isodow({expr}) - 1 AS INTEGER)"

    def limit(self, n: int) -> str:
        return f"LIMIT {int(n)}"

    def create_table(self, table: Table) -> str:
        return f"CREATE TABLE IF NOT EXISTS {self.table(table.name)} ({self.column_defs(table.columns)})"

    def _typed(self, columns: Sequence[Column], values: Sequence[str]) -> str:
        return ", ".join(
            f"CAST({v} AS {self.type(c)}) AS {self.ident(c.name)}"
            for c, v in zip(columns, values, strict=True)
        )

    def create_staging(
        self, name: str, columns: Sequence[Column], external: bool = False, derived: bool = False
    ) -> str:
        # Temporary: private to this connection, gone with it even after a crash.
        if external or derived:
            # A view: the files are read in place (columnar, only the columns a query needs), and
            # derived staging stays a query over them, so staged rows are never copied and held
            # in memory: the merge reads them straight from the files. Empty until filled.
            return (
                f"CREATE TEMP VIEW {name} AS SELECT {self._typed(columns, ['NULL'] * len(columns))} LIMIT 0"
            )
        return f"CREATE TEMP TABLE {name} ({self.column_defs(columns, not_null=False)})"

    def derive_staging(
        self,
        name: str,
        columns: Sequence[str],
        source: str,
        keys: Sequence[str] = (),
        order: Sequence[str] = (),
    ) -> list[str]:
        # A view, so the staged rows are read in place by every statement that uses them. A dedupe
        # holds only the winners of the keys that repeat (few rows) in a table; the view takes
        # them plus every row whose key does not repeat.
        if not keys:
            return [f"CREATE OR REPLACE TEMP VIEW {name} AS {self.dedupe_select(columns, source)}"]
        k, match = self.cols(keys), " AND ".join(f"w.{self.ident(c)} = s.{self.ident(c)}" for c in keys)
        repeated = (
            f"(SELECT s.* FROM {source} AS s INNER JOIN (SELECT {k} FROM {source} GROUP BY {k}"
            f" HAVING COUNT(*) > 1) AS w ON {match})"
        )
        winners, cols = _winners(name), self.cols(columns)
        return [
            f"CREATE OR REPLACE TEMP TABLE {winners} AS {self.dedupe_select(columns, repeated, keys, order)}",
            f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT {self.cols(columns, 's')} FROM {source} AS s"
            f" WHERE NOT EXISTS (SELECT 1 FROM {winners} AS w WHERE {match})"
            f" UNION ALL SELECT {cols} FROM {winners}",
        ]

    def stage_files(
        self, name: str, columns: Sequence[Column], locations: Sequence[str], external: bool = False
    ) -> str:
        files = ", ".join(self.lit(str(p)) for p in locations)
        names = self.cols([c.name for c in columns])
        # Columns by name, so a file's column order never matters; the loader has checked the schema.
        if external:
            # Cast as an INSERT into the staging table would (instants to naive UTC timestamps).
            typed = self._typed(columns, [self.ident(c.name) for c in columns])
            return f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT {typed} FROM read_parquet([{files}])"
        return f"INSERT INTO {name} ({names}) SELECT {names} FROM read_parquet([{files}])"

    def drop_staging(self, name: str, external: bool = False, derived: bool = False) -> list[str]:
        if derived:
            return [f"DROP VIEW IF EXISTS {name}", f"DROP TABLE IF EXISTS {_winners(name)}"]
        return [f"DROP {'VIEW' if external else 'TABLE'} IF EXISTS {name}"]

    def create_view(self, name: str, body: str, exists: bool) -> str:
        return f"CREATE OR REPLACE VIEW {self.table(name)} AS {body}"

    def insert_rows(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
        statements = []
        for start in range(0, len(rows), 2000):
            values = ", ".join(
                "(" + ", ".join(self.value_lit(v) for v in row) + ")" for row in rows[start : start + 2000]
            )
            statements.append(f"INSERT INTO {self.table(table)} ({self.cols(columns)}) VALUES {values}")
        return statements


def _winners(name: str) -> str:
    """DuckDB: the table holding a derived staging's dedupe winners."""
    return f"{name}_winners"


class TSqlDialect(Dialect):
    """Synapse dedicated SQL pool. Tables live in dbo; staging tables are per-load dbo tables."""

    name = "tsql"
    schema_prefix = "dbo."
    _TYPES: ClassVar[dict[str, str]] = {
        TIMESTAMP: "DATETIME2(3)",
        BIGINT: "BIGINT",
        INT: "INT",
        BOOL: "BIT",
        DATE: "DATE",
        DOUBLE: "FLOAT",
    }

    def __init__(self, credential: str = "IDENTITY = 'Managed Identity'"):
        # COPY INTO reads the data lake as the workspace's managed identity (.dfs endpoint).
        self.credential = credential

    def ident(self, name: str) -> str:
        return "[" + name.replace("]", "]]") + "]"

    def lit(self, value: str) -> str:
        return "N" + super().lit(value)

    def timestamp_lit(self, iso: str) -> str:
        return f"CAST({self.lit(iso)} AS DATETIME2(3))"

    def type(self, column: Column) -> str:
        if column.type == STRING:
            return f"NVARCHAR({column.length})"
        return self._TYPES[column.type]

    def trunc_minute(self, expr: str) -> str:
        base = "CAST('2000-01-01' AS DATETIME2(3))"
        return f"DATEADD(minute, DATEDIFF(minute, {base}, {expr}), {base})"

    def add_seconds(self, expr: str, seconds: int) -> str:
        return f"DATEADD(second, {seconds}, {expr})"

    def add_minutes(self, expr: str, minutes: str) -> str:
        return f"DATEADD(minute, {minutes}, {expr})"

    def minus_seconds(self, expr: str, seconds: str) -> str:
        return f"DATEADD(second, -CAST({seconds} AS INT), {expr})"

    def seconds_between(self, start: str, end: str) -> str:
        return f"DATEDIFF(second, {start}, {end})"

    def date_lit(self, day: date) -> str:
        return f"CAST({self.lit(day.isoformat())} AS DATE)"

    def add_days(self, expr: str, days: int | str) -> str:
        return f"DATEADD(day, {_days(days)}, {expr})"

    def days_between(self, start: str, end: str) -> str:
        return f"DATEDIFF(day, {start}, {end})"

    def int_div(self, a: str, b: str) -> str:
        return f"({a}) / ({b})"  # integer operands: integer division

    def to_float(self, expr: str) -> str:
        return f"CAST({expr} AS FLOAT)"

    def month_start(self, expr: str) -> str:
        return f"DATEFROMPARTS(YEAR({expr}), MONTH({expr}), 1)"

    def hour(self, expr: str) -> str:
        return f"DATEPART(hour, {expr})"

    def weekday(self, expr: str) -> str:
        # Not DATEPART(weekday): that depends on SET DATEFIRST. 1900-01-01 was a Monday.
        return f"DATEDIFF(day, CAST('1900-01-01' AS DATE), CAST({expr} AS DATE)) % 7"

    def top(self, n: int) -> str:
        return f"TOP ({int(n)})"

    def _with(self, distribution: str, clustered_index: Sequence[str]) -> str:
        index = f"CLUSTERED INDEX ({self.cols(clustered_index)})" if clustered_index else "HEAP"
        if distribution.startswith("HASH("):
            distribution = f"HASH({self.ident(distribution[5:-1])})"
        return f"WITH (DISTRIBUTION = {distribution}, {index})"

    def create_table(self, table: Table) -> str:
        return (
            f"CREATE TABLE {self.table(table.name)} ({self.column_defs(table.columns)}) "
            f"{self._with(table.distribution, table.clustered_index)}"
        )

    def create_staging(
        self, name: str, columns: Sequence[Column], external: bool = False, derived: bool = False
    ) -> str:
        # Round-robin heaps load fastest. A dbo table named per load (not a #temp table), so COPY
        # INTO can fill it and concurrent loads never share one; dropped when the load ends.
        return (
            f"CREATE TABLE {self.table(name)} ({self.column_defs(columns, not_null=False)}) "
            f"{self._with('ROUND_ROBIN', ())}"
        )

    def stage_files(
        self, name: str, columns: Sequence[Column], locations: Sequence[str], external: bool = False
    ) -> str:
        # COPY INTO always lands in a table (external or not). Parquet columns map by position;
        # curated files have exactly the staging column order.
        files = ", ".join("'" + loc.replace("'", "''") + "'" for loc in locations)
        return (
            f"COPY INTO {self.table(name)} FROM {files} "
            f"WITH (FILE_TYPE = 'PARQUET', CREDENTIAL = ({self.credential}), MAXERRORS = 0)"
        )

    def drop_staging(self, name: str, external: bool = False, derived: bool = False) -> list[str]:
        # Also runs before CREATE, so a retried load never trips over its own leftovers.
        return [f"IF OBJECT_ID({self.lit(self.table(name))}, N'U') IS NOT NULL DROP TABLE {self.table(name)}"]

    def create_view(self, name: str, body: str, exists: bool) -> str:
        # No CREATE OR ALTER on dedicated pools: the caller knows whether the view exists.
        return f"{'ALTER' if exists else 'CREATE'} VIEW {self.table(name)} AS {body}"

    def insert_rows(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
        # Dedicated pools take one row per VALUES: a batch is INSERT ... SELECT ... UNION ALL ...
        statements = []
        for start in range(0, len(rows), 500):
            selects = " UNION ALL ".join(
                "SELECT " + ", ".join(self.value_lit(v) for v in row) for row in rows[start : start + 500]
            )
            statements.append(f"INSERT INTO {self.table(table)} ({self.cols(columns)}) {selects}")
        return statements

    begin = "BEGIN TRANSACTION"
    commit = "COMMIT TRANSACTION"
    rollback = "ROLLBACK TRANSACTION"


def _days(days: int | str) -> str:
    return str(int(days)) if isinstance(days, int) else f"({days})"


DUCKDB = DuckDBDialect()
TSQL = TSqlDialect()
