"""Synapse connection decisions without a server: connection string, token packing, retries."""

from __future__ import annotations

import struct
from contextlib import ExitStack

import pytest

from load.errors import WarehouseUnavailable
from load.warehouse.synapse import (
    PAUSED_MESSAGE,
    build_connection_string,
    error_numbers,
    is_paused,
    is_transient,
    token_attrs,
    with_retries,
)
from settings import Settings

try:  # pyodbc loads libodbc at import; its Error takes (sqlstate, message) like the real driver's
    import pyodbc

    OdbcError = pyodbc.Error
except ImportError:  # no unixODBC on this machine: an exception class with the same shape
    OdbcError = type("Error", (Exception,), {})

SETTINGS = Settings(synapse_server="ws.sql.azuresynapse.net", synapse_database="pool1")


def odbc_error(sqlstate: str, message: str) -> Exception:
    return OdbcError(sqlstate, message)


def test_connection_string_with_managed_identity():
    settings = Settings(
        synapse_server="tcp:ws.sql.azuresynapse.net,1433",
        synapse_database="pool1",
        managed_identity_client_id="11111111-2222-3333-4444-555555555555",
    )
    assert build_connection_string(settings, use_msi=True) == (
        "Driver={ODBC Driver 18 for SQL Server};Server=tcp:ws.sql.azuresynapse.net,1433;Database=pool1;"
        "Encrypt=yes;TrustServerCertificate=no;Connection Timeout=30;"
        "Authentication=ActiveDirectoryMsi;UID=11111111-2222-3333-4444-555555555555;"
    )


def test_connection_string_for_a_token_has_no_authentication_keyword():
    value = build_connection_string(SETTINGS, use_msi=False)
    assert value == (
        "Driver={ODBC Driver 18 for SQL Server};Server=tcp:ws.sql.azuresynapse.net,1433;Database=pool1;"
        "Encrypt=yes;TrustServerCertificate=no;Connection Timeout=30;"
    )
    assert "Authentication" not in value and "UID" not in value and "PWD" not in value


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (Settings(synapse_database="pool1"), "SYNAPSE_SERVER is not set"),
        (Settings(synapse_server="ws.sql.azuresynapse.net"), "SYNAPSE_DATABASE is not set"),
        (Settings(synapse_server="ws;Driver={x}", synapse_database="pool1"), "SYNAPSE_SERVER is not a valid"),
    ],
)
def test_connection_string_refuses_missing_or_unsafe_settings(settings, message):
    with pytest.raises(WarehouseUnavailable, match=message):
        build_connection_string(settings, use_msi=False)


def test_token_is_packed_as_length_prefixed_utf16le():
    attrs = token_attrs("eyJ0eXAi.abc")
    raw = "eyJ0eXAi.abc".encode("utf-16-le")
    assert list(attrs) == [1256]
    assert attrs[1256] == struct.pack("<I", len(raw)) + raw
    assert struct.unpack_from("<I", attrs[1256])[0] == 24
    with pytest.raises(ValueError):
        token_attrs("")


@pytest.mark.parametrize(
    ("sqlstate", "message", "transient"),
    [
        ("08S01", "[Microsoft][ODBC Driver 18 for SQL Server]Communication link failure (0)", True),
        (
            "42000",
            "[SQL Server]The service is currently busy. Retry the request after 10 seconds. (40501)",
            True,
        ),
        (
            "HY000",
            "Database 'pool1' on server 'ws' is not currently available. (40613) (SQLDriverConnect)",
            True,
        ),
        (
            "42000",
            "Resource ID : 1. The request limit for the database is 400 and has been reached. (10928)",
            True,
        ),
        ("HY000", "The service has encountered an error processing your request. (40197)", True),
        ("HY000", "Cannot process request. Not enough resources to process request. (49918)", True),
        ("HYT00", "[Microsoft][ODBC Driver 18 for SQL Server]Login timeout expired (0)", True),
        ("40001", "Transaction was deadlocked on lock resources (1205)", True),
        ("42S02", "[SQL Server]Invalid object name 'dbo.fact_stream'. (208) (SQLExecDirectW)", False),
        ("23000", "Cannot insert the value NULL into column 'reason' (515)", False),
        ("28000", "Login failed for user '<token-identified principal>'. (18456)", False),
        ("42000", "[SQL Server]Cannot connect to database when it is paused. (42108)", False),
    ],
)
def test_only_transient_sql_errors_are_retried(sqlstate, message, transient):
    assert is_transient(odbc_error(sqlstate, message)) is transient


def test_paused_pool_detection_and_error_numbers():
    paused = odbc_error(
        "42000", "[SQL Server]Cannot connect to database when it is paused. (42108) (SQLDriverConnect)"
    )
    assert is_paused(paused) and error_numbers(paused) == {42108}
    assert is_paused(odbc_error("HY000", "The SQL pool is warming up. Please try again. (42109)"))
    assert not is_paused(odbc_error("08S01", "Communication link failure (10054)"))


class Flaky:
    """Fails with the given errors, one per call, then returns 'ok'."""

    def __init__(self, *errors):
        self.errors, self.calls = list(errors), 0

    def __call__(self):
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


def test_retries_transient_errors_with_backoff_then_succeeds():
    sleeps, reconnects = [], []
    action = Flaky(
        odbc_error("08S01", "Communication link failure (10054)"), odbc_error("42000", "busy (40501)")
    )
    result = with_retries(
        action, is_transient, (OdbcError,), sleep=sleeps.append, before_retry=lambda: reconnects.append(1)
    )
    assert (result, action.calls, sleeps, len(reconnects)) == ("ok", 3, [2.0, 4.0], 2)


def test_permanent_errors_raise_at_once():
    sleeps = []
    action = Flaky(odbc_error("42S02", "Invalid object name 'x'. (208)"))
    with pytest.raises(OdbcError):
        with_retries(action, is_transient, (OdbcError,), sleep=sleeps.append)
    assert (action.calls, sleeps) == (1, [])


def test_a_paused_pool_is_one_clear_error_without_retrying():
    sleeps = []
    action = Flaky(odbc_error("42000", "Cannot connect to database when it is paused. (42108)"))
    with pytest.raises(WarehouseUnavailable, match="resume it") as raised:
        with_retries(action, is_transient, (OdbcError,), sleep=sleeps.append)
    assert str(raised.value) == PAUSED_MESSAGE and "\n" not in PAUSED_MESSAGE
    assert (action.calls, sleeps) == (1, [])


def test_unavailable_after_every_retry_says_to_resume_the_pool():
    unavailable = [
        odbc_error("HY000", "Database 'pool1' is not currently available. (40613)") for _ in range(4)
    ]
    action = Flaky(*unavailable)
    with pytest.raises(WarehouseUnavailable, match="paused or not available"):
        with_retries(action, is_transient, (OdbcError,), sleep=lambda s: None)
    assert action.calls == 4


def test_transient_errors_that_persist_raise_the_last_error():
    action = Flaky(*[odbc_error("08S01", "Communication link failure (10054)") for _ in range(4)])
    with pytest.raises(OdbcError, match="Communication link failure"):
        with_retries(action, is_transient, (OdbcError,), sleep=lambda s: None)
    assert action.calls == 4


def test_opening_synapse_without_settings_is_one_line(tmp_path):
    from load.warehouse import open_warehouse

    settings = Settings(lake_dir=tmp_path, warehouse="synapse")
    with (
        pytest.raises(WarehouseUnavailable, match="SYNAPSE_SERVER is not set"),
        open_warehouse(settings),
    ):
        pass


# -- reaching the warehouse: permanent errors are one line with a hint -------------------------


@pytest.mark.parametrize(
    ("sqlstate", "message", "expected", "hint"),
    [
        (
            "28000",
            "[Microsoft][ODBC Driver 18 for SQL Server][SQL Server]Login failed for user "
            "'<token-identified principal>'. (18456) (SQLDriverConnect)",
            "Synapse: connecting failed: Login failed for user '<token-identified principal>'.",
            "check that the function identity's database user exists: scripts/postprovision.sh",
        ),
        (
            "42000",
            '[Microsoft][ODBC Driver 18 for SQL Server][SQL Server]Cannot open database "pool2" requested '
            "by the login. The login failed. (4060) (SQLDriverConnect)\nsecond diagnostic record (18456)",
            'Synapse: connecting failed: Cannot open database "pool2" requested by the login.',
            "check SYNAPSE_DATABASE",
        ),
        (
            "42000",
            "[Microsoft][ODBC Driver 18 for SQL Server][SQL Server]CREATE TABLE permission denied in "
            "database 'pool1'. (262) (SQLExecDirectW)",
            "Synapse: connecting failed: CREATE TABLE permission denied in database 'pool1'.",
            "db_ddladmin",
        ),
        (
            "08S01",  # transient, but still failing after every retry
            "[Microsoft][ODBC Driver 18 for SQL Server]Communication link failure (10054)",
            "Synapse: connecting failed: Communication link failure (10054)",
            None,
        ),
    ],
)
def test_failing_to_reach_the_warehouse_is_one_line_with_a_hint(sqlstate, message, expected, hint):
    from load.warehouse.synapse import ATTEMPTS, retry_or_unavailable

    transient = is_transient(odbc_error(sqlstate, message))
    action = Flaky(*[odbc_error(sqlstate, message) for _ in range(ATTEMPTS)])
    sleeps = []
    with pytest.raises(WarehouseUnavailable) as raised:
        retry_or_unavailable(action, "connecting", (OdbcError,), sleep=sleeps.append)
    text = str(raised.value)
    assert "\n" not in text and text.startswith(expected)
    assert (hint in text) if hint else text == expected
    assert action.calls == (ATTEMPTS if transient else 1) and len(sleeps) == action.calls - 1
    assert isinstance(raised.value.__cause__, OdbcError)  # the driver's error stays chained for the log


class RefusingConnection:
    """Stands in for a pool that refuses every statement with one driver error (no server here)."""

    def __init__(self, error: Exception):
        self.error, self.statements = error, []

    def cursor(self):
        return self

    def execute(self, sql, *params):
        self.statements.append(sql)
        raise self.error

    def close(self):
        pass


def unconnected_synapse(connection=None):
    """A SynapseWarehouse without pyodbc or a server (its __init__ needs pyodbc, missing here)."""
    from load.warehouse.synapse import SynapseWarehouse

    warehouse = object.__new__(SynapseWarehouse)
    warehouse.settings, warehouse.db_errors, warehouse.connection = SETTINGS, (OdbcError,), connection
    return warehouse


def test_a_permission_error_while_creating_the_schema_is_one_line():
    refused = odbc_error(
        "42000",
        "[Microsoft][ODBC Driver 18 for SQL Server][SQL Server]CREATE TABLE permission denied in "
        "database 'pool1'. (262) (SQLExecDirectW)",
    )
    connection = RefusingConnection(refused)
    with pytest.raises(WarehouseUnavailable) as raised:
        unconnected_synapse(connection).ensure_schema()
    assert str(raised.value).startswith(
        "Synapse: creating the tables and views failed: CREATE TABLE permission denied in database 'pool1'."
    )
    assert "scripts/postprovision.sh" in str(raised.value) and "\n" not in str(raised.value)
    assert len(connection.statements) == 1  # permanent: not retried


# -- Synapse checks the curated Parquet schema too (COPY INTO maps columns by position) ---------


def _reordered(dataset: str):
    import pyarrow as pa

    from contracts.datasets import DATASETS

    fields = list(DATASETS[dataset])
    return pa.schema([fields[1], fields[0], *fields[2:]])


def _extra(dataset: str):
    import pyarrow as pa

    from contracts.datasets import DATASETS

    return DATASETS[dataset].append(pa.field("extra", pa.string()))


@pytest.mark.parametrize("schema", [_reordered, _extra])
def test_synapse_refuses_a_curated_file_whose_columns_would_shift(tmp_path, schema):
    from load.errors import LoadError
    from load.warehouse.synapse import curated_url
    from storage.folder import FolderLake
    from tests.load.curated_rows import put, reject

    lake = FolderLake(tmp_path)
    bad = put(lake, "rejects", "u/up1/a", [{**reject("x", 1), "extra": "?"}], schema("rejects"))
    with pytest.raises(LoadError, match="differ from the rejects schema"):
        curated_url(lake, bad.dataset, bad.path)
    with ExitStack() as stack, pytest.raises(LoadError, match="differ from the rejects schema"):
        unconnected_synapse().locate(lake, bad.dataset, bad.path, stack)
    # A file that matches gets past the check, to the next one (a folder lake has no https URL).
    good = put(lake, "rejects", "u/up1/b", [reject("x", 1)])
    with pytest.raises(LoadError, match="Synapse loads from a storage account"):
        curated_url(lake, good.dataset, good.path)
    with pytest.raises(LoadError, match="curated file missing"):
        curated_url(lake, "rejects", "rejects/u/up1/none.parquet")


def test_synapse_schema_check_reads_blobs_from_the_storage_account(azurite_settings):
    from load.errors import LoadError
    from load.warehouse.synapse import curated_url
    from storage import open_lake
    from tests.load.curated_rows import put, stream

    lake = open_lake(azurite_settings)
    bad = put(lake, "streams", "u/up1/a", [stream("2024-01-01T10:00:00")], _reordered("streams"))
    with pytest.raises(LoadError, match="differ from the streams schema"):
        curated_url(lake, bad.dataset, bad.path)
    good = put(lake, "streams", "u/up1/b", [stream("2024-01-01T10:00:00")])
    with pytest.raises(LoadError, match="Synapse loads from a storage account"):  # Azurite: http://
        curated_url(lake, good.dataset, good.path)
