"""`wrapped` and `report` only read: a read-only lake works, nothing is created, and a summary
without music says why (nothing ingested, not this user, not this period); `load` needs a lake."""

from __future__ import annotations

import json
import os
import stat

import duckdb
import pytest

from cli.__main__ import main
from tests.cli.process import cli
from tests.exports import EXPECTED, small_export


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def lake(tmp_path, capsys):
    export = tmp_path / "my_spotify_data.zip"
    export.write_bytes(small_export())
    assert main(["ingest", str(export), "--lake", str(tmp_path / "lake")]) == 0
    capsys.readouterr()
    return tmp_path / "lake"


def test_no_music_in_the_period_names_the_period_and_when_yours_is(lake, capsys):
    code, out, _ = run(capsys, "wrapped", "--lake", lake, "--year", "2019")
    assert code == 0
    assert "No music streams between 2019-01-01 and 2019-12-31" in out
    assert "yours run from 2023-12-31 to 2024-02-01" in out
    assert "ingest an export first" not in out
    code, out, _ = run(capsys, "wrapped", "--lake", lake, "--from", "2030-01-01")
    assert "No music streams from 2030-01-01 on" in out
    code, out, _ = run(capsys, "wrapped", "--json", "--lake", lake, "--to", "2001-12-31")
    assert json.loads(out)["empty_reason"].startswith("No music streams up to 2001-12-31")


def test_no_music_for_another_user_says_so(lake, capsys):
    code, out, _ = run(capsys, "wrapped", "--lake", lake, "--user", "alice")
    assert code == 0 and "No music streams for user 'alice'" in out and "--user" in out
    assert "ingest an export first" not in out


def test_ingest_an_export_first_only_when_the_warehouse_has_no_music(tmp_path, capsys):
    lake = tmp_path / "lake"
    lake.mkdir()  # a lake that was made, but no export was ever accepted into it
    code, _, err = run(capsys, "wrapped", "--lake", lake)
    assert code == 2 and "no warehouse at" in err and "ingest an export first" in err
    assert not (lake / "warehouse.duckdb").exists()  # reading created no warehouse
    main(["load", "--lake", str(lake)])  # an empty warehouse, as after ingesting only podcasts
    capsys.readouterr()
    code, out, _ = run(capsys, "wrapped", "--lake", lake, "--year", "2024")
    assert code == 0 and "ingest an export first" in out


def test_the_report_page_says_why_too(lake, tmp_path, capsys):
    page = tmp_path / "r.html"
    assert run(capsys, "report", "--lake", lake, "--year", "2019", "--out", page)[0] == 0
    assert "No music streams between 2019-01-01 and 2019-12-31" in page.read_text()


def _read_only(path):
    for folder, _dirs, files in os.walk(path):
        os.chmod(folder, 0o555)
        for name in files:
            os.chmod(os.path.join(folder, name), 0o444)


def test_wrapped_and_report_work_on_a_read_only_lake_beside_another_reader(lake, tmp_path):
    """A lake the user may only read (chmod; as root, a second reader's shared lock shows it too:
    DuckDB lets readers share a file, while a read-write open needs it alone)."""
    before = sorted(p.relative_to(lake) for p in lake.rglob("*"))
    _read_only(lake)
    other = duckdb.connect(str(lake / "warehouse.duckdb"), read_only=True)
    try:
        result = cli("wrapped", "--json", "--lake", lake)
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["streams"] == EXPECTED["streams"]
        page = tmp_path / "page.html"
        result = cli("report", "--lake", lake, "--out", page)
        assert result.returncode == 0, result.stderr
    finally:
        other.close()
        for folder, _dirs, files in os.walk(lake):
            os.chmod(folder, stat.S_IRWXU)
            for name in files:
                os.chmod(os.path.join(folder, name), stat.S_IRUSR | stat.S_IWUSR)
    assert sorted(p.relative_to(lake) for p in lake.rglob("*")) == before  # nothing written


def test_reading_an_older_warehouse_brings_its_schema_up_to_date_first(lake, capsys):
    with duckdb.connect(str(lake / "warehouse.duckdb")) as db:
        db.execute("DROP VIEW v_top_artist")  # as if made by a version without it
    code, out, err = run(capsys, "wrapped", "--json", "--lake", lake)
    assert code == 0, err
    assert json.loads(out)["streams"] == EXPECTED["streams"]
    with duckdb.connect(str(lake / "warehouse.duckdb"), read_only=True) as db:
        assert db.execute("SELECT COUNT(*) FROM v_top_artist").fetchone()[0] > 0


def test_load_in_a_folder_without_a_lake_creates_nothing(tmp_path):
    result = cli("load", cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [
        "error: no lake at .lake: ingest an export first (python -m cli ingest ...)"
    ]
    assert list(tmp_path.iterdir()) == []
