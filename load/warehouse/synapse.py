"""Synapse dedicated SQL pool: connection string, Entra token, retries, and the Warehouse on pyodbc.

In Azure the function's user-assigned managed identity signs in (`Authentication=
ActiveDirectoryMsi;UID=<client id>`); locally an Entra token from DefaultAzureCredential is
passed as SQL_COPT_SS_ACCESS_TOKEN. Connections always use autocommit=True: Synapse forbids DDL
inside a transaction, so the plan opens its one DML transaction explicitly (notes: azure.md §3.4).

Transient failures (dropped connections, throttling, failover) are retried with backoff; the
whole message is re-run, which is safe because every load is idempotent. A paused pool is not
retried: PoolPaused says to resume it (load.pool does, when it controls the pool). A failure to
connect or to create the schema (login failed, wrong database, permission denied) is one
WarehouseUnavailable line with a hint; a failed load is one LoadError line. Either raises, so
the queue retries, then poisons, with the reason logged. pyodbc is imported only here, and only
when a connection is made.
"""

from __future__ import annotations

import contextlib
import logging
import re
import struct
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from typing import Any, TypeVar

import pyarrow as pa

from contracts.layout import CURATED_CONTAINER
from contracts.text import one_line
from load.dialect import TSQL
from load.errors import LoadError, PoolPaused, WarehouseUnavailable
from load.local_time import HomeZone
from load.plan import Statement
from load.warehouse.base import Warehouse, check_curated_file
from settings import Settings
from storage.lake import Lake

logger = logging.getLogger(__name__)

ODBC_DRIVER = "ODBC Driver 18 for SQL Server"
DRIVER_HINT = "install it: https://learn.microsoft.com/sql/connect/odbc/download-odbc-driver-for-sql-server"
SQL_COPT_SS_ACCESS_TOKEN = 1256  # from msodbcsql.h
TOKEN_SCOPE = "https://database.windows.net/.default"
ATTEMPTS = 4
BACKOFF_SECONDS = 2.0  # 2, 4, 8 s

# SQL error numbers worth retrying: service busy/throttled (40501, 10928, 10929, 49918-49920),
# database unavailable or failing over (40613, 40197, 4221), connection reset (10053, 10054,
# 10060, 233, 64), deadlock victim (1205).
TRANSIENT_ERRORS = frozenset(
    {40501, 40613, 40197, 10928, 10929, 49918, 49919, 49920, 4221, 10053, 10054, 10060, 233, 64, 1205}
)
# ODBC states of a lost or never-made connection, a timeout, or a serialization failure.
TRANSIENT_SQLSTATES = frozenset({"08S01", "08001", "08004", "HYT00", "HYT01", "40001"})
# A paused pool (42108) or one still resuming (42109): waiting a few seconds will not help.
PAUSED_ERRORS = frozenset({42108, 42109})
PAUSED_MESSAGE = (
    "the Synapse SQL pool is paused or not available: resume it (portal, or `az synapse sql pool resume`) "
    "and run the load again"
)

# Permanent failures whose fix is known: the error number -> what to do (one line each).
USER_HINT = "check that the function identity's database user exists: scripts/postprovision.sh"
ROLES_HINT = (
    "grant the function identity's database user its roles (db_ddladmin ...): scripts/postprovision.sh"
)
FAILURE_HINTS = {
    18456: USER_HINT,  # login failed: no database user for the identity (or the wrong identity)
    4060: f"check SYNAPSE_DATABASE (the SQL pool's name), and {USER_HINT}",  # cannot open database
    262: ROLES_HINT,  # CREATE TABLE permission denied
    229: ROLES_HINT,  # permission denied on an object
}

T = TypeVar("T")


# -- pure decisions ----------------------------------------------------------------------------


def _server_address(server: str) -> str:
    server = server.strip()
    server = server.removeprefix("tcp:")
    return server.split(",", 1)[0]


def build_connection_string(settings: Settings, use_msi: bool) -> str:
    """The ODBC connection string for the pool the settings name (no secret is ever in it)."""
    if not settings.synapse_server:
        raise WarehouseUnavailable("SYNAPSE_SERVER is not set (e.g. <workspace>.sql.azuresynapse.net)")
    if not settings.synapse_database:
        raise WarehouseUnavailable("SYNAPSE_DATABASE is not set (the dedicated SQL pool's name)")
    server, database = _server_address(settings.synapse_server), settings.synapse_database.strip()
    for name, value in (("SYNAPSE_SERVER", server), ("SYNAPSE_DATABASE", database)):
        if not value or any(ch in value for ch in ";{}=") or value != value.strip():
            raise WarehouseUnavailable(f"{name} is not a valid name: {value!r}")
    parts = [
        f"Driver={{{ODBC_DRIVER}}}",
        f"Server=tcp:{server},1433",
        f"Database={database}",
        "Encrypt=yes",
        "TrustServerCertificate=no",
        "Connection Timeout=30",
    ]
    if use_msi:
        parts.append("Authentication=ActiveDirectoryMsi")
        if settings.managed_identity_client_id:
            parts.append(f"UID={settings.managed_identity_client_id}")  # user-assigned identity
    return ";".join(parts) + ";"


def token_attrs(token: str) -> dict[int, bytes]:
    """pyodbc `attrs_before` carrying an Entra access token (length-prefixed UTF-16-LE)."""
    if not token:
        raise ValueError("empty access token")  # an empty/short token can crash the ODBC driver
    raw = token.encode("utf-16-le")
    return {SQL_COPT_SS_ACCESS_TOKEN: struct.pack(f"<I{len(raw)}s", len(raw), raw)}


def _sqlstate_and_message(error: BaseException) -> tuple[str, str]:
    args: tuple[object, ...] = getattr(error, "args", ())
    if len(args) >= 2 and isinstance(args[0], str):
        return args[0], str(args[1])
    return "", " ".join(str(a) for a in args)


def error_numbers(error: BaseException) -> set[int]:
    """SQL Server error numbers in a pyodbc error's message, e.g. '... (40613) (SQLDriverConnect)'."""
    _, message = _sqlstate_and_message(error)
    return {int(n) for n in re.findall(r"\((\d{2,5})\)", message)}


def is_paused(error: BaseException) -> bool:
    _, message = _sqlstate_and_message(error)
    return bool(error_numbers(error) & PAUSED_ERRORS) or "paused" in message.lower()


def is_transient(error: BaseException) -> bool:
    """True for failures a retry after a short wait can fix (never for a paused pool)."""
    if is_paused(error):
        return False
    sqlstate, message = _sqlstate_and_message(error)
    if sqlstate in TRANSIENT_SQLSTATES or error_numbers(error) & TRANSIENT_ERRORS:
        return True
    lowered = message.lower()
    return "communication link failure" in lowered or "connection was forcibly closed" in lowered


def _unavailable(error: BaseException) -> bool:
    _, message = _sqlstate_and_message(error)
    return 40613 in error_numbers(error) or "is not currently available" in message.lower()


def driver_message(error: BaseException) -> str:
    """The first line of a driver error's message, without its `[vendor][driver]` prefixes."""
    _, message = _sqlstate_and_message(error)
    first = one_line(message) or type(error).__name__
    return re.sub(r"^(\[[^\]]*\]\s*)+", "", first) or first


def unavailable(error: BaseException, doing: str) -> WarehouseUnavailable:
    """A driver error met while `doing` something, as one line with a hint when the fix is known."""
    line = f"Synapse: {doing} failed: {driver_message(error)}"
    hints = [FAILURE_HINTS[n] for n in sorted(error_numbers(error)) if n in FAILURE_HINTS]
    return WarehouseUnavailable(f"{line} ({hints[0]})" if hints else line)


def with_retries(
    action: Callable[[], T],
    is_retryable: Callable[[BaseException], bool],
    errors: tuple[type[BaseException], ...],
    attempts: int = ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
    backoff: float = BACKOFF_SECONDS,
    before_retry: Callable[[], None] = lambda: None,
) -> T:
    """Run `action`, retrying retryable `errors` with exponential backoff; paused → one-line error."""
    for attempt in range(1, attempts + 1):
        try:
            return action()
        except errors as error:
            if is_paused(error):
                raise PoolPaused(PAUSED_MESSAGE) from error
            if not is_retryable(error):
                raise
            if attempt == attempts:
                if _unavailable(error):
                    raise PoolPaused(PAUSED_MESSAGE) from error
                raise
            delay = backoff * 2 ** (attempt - 1)
            logger.warning(
                "Synapse transient error (attempt %d of %d), retrying in %.0f s: %s",
                attempt,
                attempts,
                delay,
                error,
            )
            sleep(delay)
            before_retry()
    raise AssertionError("unreachable")  # the loop returns or raises


def retry_or_unavailable(
    action: Callable[[], T],
    doing: str,
    errors: tuple[type[BaseException], ...],
    sleep: Callable[[float], None] = time.sleep,
    before_retry: Callable[[], None] = lambda: None,
) -> T:
    """`with_retries` for reaching the warehouse (connect, schema): a driver error that is left
    (permanent, or transient every time) becomes one WarehouseUnavailable line, never a traceback."""
    try:
        return with_retries(action, is_transient, errors, sleep=sleep, before_retry=before_retry)
    except errors as error:
        raise unavailable(error, doing) from error


def curated_url(lake: Lake, dataset: str, path: str) -> str:
    """Where COPY INTO reads a curated file, once its Parquet schema is checked (LoadError).

    COPY INTO without a column list maps Parquet columns by position: a reordered or extra column
    would load shifted data, so the file's footer is checked against transform.schema first.
    """
    check_curated_file(lake, dataset, path)
    url = lake.url(CURATED_CONTAINER, path)
    if not url.startswith("https://"):
        raise LoadError(f"Synapse loads from a storage account; {path} is at {url}")
    return url


# -- the shell ---------------------------------------------------------------------------------


def _import_pyodbc():
    try:
        import pyodbc  # optional driver: needs unixODBC
    except ImportError as error:  # pyodbc loads libodbc at import: missing unixODBC lands here
        raise WarehouseUnavailable(
            f"pyodbc cannot load: {error} (needs unixODBC and {ODBC_DRIVER}; {DRIVER_HINT})"
        ) from None
    return pyodbc


def _access_token() -> str:
    from azure.core.exceptions import ClientAuthenticationError  # optional: local Entra sign-in only
    from azure.identity import DefaultAzureCredential

    try:
        return DefaultAzureCredential().get_token(TOKEN_SCOPE).token
    except ClientAuthenticationError:
        # The credential chain's own message is pages long; the fix is one command.
        raise WarehouseUnavailable("no Entra credential for Synapse: sign in with `az login`") from None


def connect_pyodbc(settings: Settings):
    """A pyodbc connection with autocommit=True, via managed identity in Azure or a token locally."""
    pyodbc = _import_pyodbc()
    if ODBC_DRIVER not in pyodbc.drivers():
        raise WarehouseUnavailable(
            f"{ODBC_DRIVER} is not installed (found: {', '.join(pyodbc.drivers()) or 'none'}; {DRIVER_HINT})"
        )
    use_msi = bool(settings.managed_identity_client_id)
    connection_string = build_connection_string(settings, use_msi)

    def attempt():
        if use_msi:
            return pyodbc.connect(connection_string, autocommit=True)
        return pyodbc.connect(connection_string, attrs_before=token_attrs(_access_token()), autocommit=True)

    return retry_or_unavailable(attempt, "connecting", (pyodbc.Error,))


class SynapseWarehouse(Warehouse):
    dialect = TSQL

    def __init__(self, settings: Settings):
        build_connection_string(settings, bool(settings.managed_identity_client_id))  # settings first
        self.settings = settings
        self.pyodbc = _import_pyodbc()
        self.db_errors = (self.pyodbc.Error,)
        self.connection: Any = None  # a pyodbc.Connection once connected

    @classmethod
    def connect(cls, settings: Settings) -> SynapseWarehouse:
        warehouse = cls(settings)
        warehouse.reconnect()
        return warehouse

    def reconnect(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(self.pyodbc.Error):  # already broken: that is why we reconnect
                self.connection.close()
        self.connection = connect_pyodbc(self.settings)

    def _retrying(self, action: Callable[[], T]) -> T:
        return with_retries(action, is_transient, self.db_errors, before_retry=self.reconnect)

    def run(self, sql: str) -> None:
        self.connection.cursor().execute(sql)

    def query(self, sql: str, params: Sequence = ()) -> list[tuple]:
        return [tuple(row) for row in self.connection.cursor().execute(sql, *params).fetchall()]

    def query_table(self, sql: str) -> pa.Table:
        cursor = self.connection.cursor().execute(sql)
        names = [column[0] for column in cursor.description]
        rows = cursor.fetchall()
        columns = list(zip(*rows, strict=True)) if rows else [()] * len(names)
        return pa.table({name: pa.array(list(values)) for name, values in zip(names, columns, strict=True)})

    def existing_objects(self) -> set[str]:
        # Not retried here: ensure_schema, its only caller, retries as a whole.
        rows = self.query(
            "SELECT name FROM sys.objects WHERE schema_id = SCHEMA_ID('dbo') AND type IN ('U', 'V')"
        )
        return {row[0] for row in rows}

    def ensure_schema(self, home: HomeZone | None = None) -> None:
        base_ensure = super().ensure_schema
        retry_or_unavailable(
            lambda: base_ensure(home),
            "creating the tables and views",
            self.db_errors,
            before_retry=self.reconnect,
        )

    def locate(self, lake: Lake, dataset: str, path: str, stack: ExitStack) -> str:
        return curated_url(lake, dataset, path)

    def execute(self, statements: Sequence[Statement]) -> dict[str, int]:
        # A transient failure re-runs the whole message: staging is recreated, the merge is idempotent.
        base_execute = super().execute
        try:
            return self._retrying(lambda: base_execute(statements))
        except self.db_errors as error:
            raise LoadError(f"Synapse load failed and was rolled back: {driver_message(error)}") from error

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
