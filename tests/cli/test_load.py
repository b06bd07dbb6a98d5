"""`python -m cli load`: DuckDB loads of the lake's curated files, and the Synapse dry run."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import sqlglot

from cli.__main__ import main
from settings import APP_SETTING_NAMES, STORAGE_CONNECTION
from storage.folder import FolderLake
from tests.load.curated_rows import put, reject, stream, strip_synapse_options

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in APP_SETTING_NAMES:
        monkeypatch.delenv(name, raising=False)
    for suffix in ("blobServiceUri", "queueServiceUri", "credential", "clientId"):
        monkeypatch.delenv(f"{STORAGE_CONNECTION}__{suffix}", raising=False)


@pytest.fixture
def lake_dir(tmp_path):
    lake = FolderLake(tmp_path)
    put(lake, "streams", "u/up1/extended/a", [stream("2024-01-01T10:00:00"), stream("2024-01-01T11:00:00")])
    put(lake, "rejects", "u/up1/extended/a", [reject("up1/a.json", 4)])
    put(lake, "streams", "u/up2/account/b", [stream("2024-01-01T10:00:00")])  # a duplicate
    return tmp_path


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_load_into_duckdb_then_nothing_left(lake_dir, capsys):
    code, out, err = run(capsys, "load", "--lake", lake_dir)
    assert (code, err) == (0, "")
    assert out == (
        "loaded 3 files in 2 groups into duckdb: "
        "2 streams accepted, 1 duplicates skipped, 1 records set aside\n"
    )
    assert (lake_dir / "warehouse.duckdb").is_file()
    code, out, _ = run(capsys, "load", "--lake", lake_dir, "--target", "duckdb")
    assert (code, out) == (0, "nothing to load: all 3 curated files are already in duckdb\n")


def test_synapse_dry_run_prints_the_whole_plan_and_never_connects(lake_dir, capsys):
    code, out, err = run(capsys, "load", "--target", "synapse", "--dry-run", "--lake", lake_dir)
    assert (code, err) == (0, "")
    assert not (lake_dir / "warehouse.duckdb").exists()
    assert "-- server: <server>, database: <database>" in out
    assert "CREATE TABLE dbo.fact_stream (" in out and "CREATE VIEW dbo.v_minutes_per_month AS" in out
    assert out.count("BEGIN TRANSACTION;") == 2  # one per file group
    assert (
        "COPY INTO dbo.stg_" in out
        and "FROM 'https://<account>.dfs.core.windows.net/curated/streams/u/up1/extended/a.parquet'" in out
    )
    assert "https://<account>.dfs.core.windows.net/curated/rejects/u/up1/extended/a.parquet" in out
    # Every statement line is T-SQL (the one Synapse option sqlglot cannot read stripped).
    statements = [re.sub(r";(  -- .*)?$", "", line) for line in out.splitlines() if line and line[:2] != "--"]
    assert len(statements) > 40
    for sql in statements:
        sqlglot.parse_one(strip_synapse_options(sql), read="tsql")


def test_synapse_dry_run_names_the_configured_pool(lake_dir, capsys, monkeypatch):
    monkeypatch.setenv("SYNAPSE_SERVER", "ws.sql.azuresynapse.net")
    monkeypatch.setenv("SYNAPSE_DATABASE", "pool1")
    code, out, _ = run(capsys, "load", "--target", "synapse", "--dry-run", "--lake", lake_dir)
    assert code == 0 and "-- server: ws.sql.azuresynapse.net, database: pool1" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--dry-run"], "error: --dry-run prints the Synapse plan: use it with --target synapse"),
        (["--target", "synapse"], "error: SYNAPSE_SERVER is not set"),
    ],
)
def test_user_mistakes_are_one_line(lake_dir, capsys, argv, message):
    code, out, err = run(capsys, "load", "--lake", lake_dir, *argv)
    assert code == 2 and out == ""
    assert err.startswith(message) and err.count("\n") == 1


def test_synapse_needs_the_lake_in_a_storage_account(lake_dir, capsys, monkeypatch):
    monkeypatch.setenv("SYNAPSE_SERVER", "ws.sql.azuresynapse.net")
    monkeypatch.setenv("SYNAPSE_DATABASE", "pool1")
    code, _, err = run(capsys, "load", "--lake", lake_dir, "--target", "synapse")
    assert code == 2 and "loads from a storage account" in err and err.count("\n") == 1


def test_a_broken_curated_file_is_one_line_and_nothing_loads(lake_dir, capsys):
    (lake_dir / "curated" / "rejects" / "u" / "up1" / "extended" / "a.parquet").write_bytes(b"not parquet")
    code, out, err = run(capsys, "load", "--lake", lake_dir)
    assert (code, out) == (2, "") and "not a readable Parquet file" in err and err.count("\n") == 1
    # Loading stops at the broken group, with nothing of it loaded; the next run meets it again.
    with duckdb.connect(str(lake_dir / "warehouse.duckdb")) as db:
        assert db.execute("SELECT COUNT(*) FROM fact_stream").fetchone() == (0,)
    code, _, err = run(capsys, "load", "--lake", lake_dir)
    assert code == 2 and "rejects/u/up1/extended/a.parquet" in err


def run_process(*argv) -> subprocess.CompletedProcess:
    """The CLI as a user runs it: its own process, its own logging set-up (the environment cleaned)."""
    return subprocess.run(
        [sys.executable, "-m", "cli", *map(str, argv)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_corrupt_warehouse_file_is_one_line_and_is_left_alone(lake_dir):
    corrupt = lake_dir / "warehouse.duckdb"
    corrupt.write_bytes(b"this is not a DuckDB database file, just some bytes\n" * 100)
    before = corrupt.read_bytes()
    done = run_process("load", "--lake", lake_dir)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith(f"error: cannot open the warehouse {corrupt}: ")
    assert "not a valid DuckDB database file" in done.stderr and done.stderr.count("\n") == 1
    assert corrupt.read_bytes() == before


def test_a_broken_curated_file_is_one_line_in_a_real_process(lake_dir):
    (lake_dir / "curated" / "rejects" / "u" / "up1" / "extended" / "a.parquet").write_bytes(b"not parquet")
    done = run_process("load", "--lake", lake_dir)
    assert (done.returncode, done.stdout) == (2, "")
    # Only the error line: the loader's own log of the same failure (for the queue) is not repeated.
    assert done.stderr.startswith("error: rejects/u/up1/extended/a.parquet: not a readable Parquet file")
    assert done.stderr.count("\n") == 1
