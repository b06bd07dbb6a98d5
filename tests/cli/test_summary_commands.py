"""`wrapped`, `report` and `powerbi` on the command line: time zones, periods, the files they write."""

from __future__ import annotations

import json

import pytest

from cli.__main__ import main
from tests.exports import small_export


@pytest.fixture
def lake(tmp_path):
    export = tmp_path / "my_spotify_data.zip"
    export.write_bytes(small_export())
    assert main(["ingest", str(export), "--lake", str(tmp_path / "lake")]) == 0
    return tmp_path / "lake"


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_tz_moves_a_stream_across_midnight_and_the_json_says_which_zone(lake, capsys):
    argv = ("wrapped", "--json", "--lake", lake, "--from", "2024-01-01", "--to", "2024-01-01")
    _, out, _ = run(capsys, *argv)
    utc = json.loads(out)
    _, out, _ = run(capsys, *argv, "--tz", "Europe/Berlin")
    berlin = json.loads(out)
    # The account row 2023-12-31 23:59 UTC is New Year's Day in Berlin.
    assert (utc["time_zone"], utc["streams"]) == ("UTC", 1)
    assert (berlin["time_zone"], berlin["streams"]) == ("Europe/Berlin", 2)
    assert set(berlin) >= {
        "listening_clock",
        "minutes_per_month",
        "top_albums",
        "top_shows",
        "new_artists",
        "longest_streak_days",
        "busiest_day",
        "previous_period",
        "sessions",
        "skip_rate",
        "shuffle_share",
        "minutes_by_platform",
        "minutes_by_country",
    }


def test_year_and_month_shortcuts_and_the_period_before(lake, capsys):
    _, out, _ = run(capsys, "wrapped", "--json", "--lake", lake, "--month", "2024-02")
    february = json.loads(out)
    assert (february["from"], february["to"], february["streams"]) == ("2024-02-01", "2024-02-29", 1)
    assert (february["previous_period"]["from"], february["previous_period"]["streams"]) == ("2024-01-01", 2)
    _, out, _ = run(capsys, "wrapped", "--json", "--lake", lake, "--year", "2024")
    assert json.loads(out)["previous_period"]["to"] == "2023-12-31"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--tz", "Berlin"], "unknown time zone 'Berlin'"),
        (["--year", "2024", "--month", "2024-01"], "either --from/--to, --year or --month"),
        (["--month", "March"], "--month must be a month like 2025-03"),
    ],
)
def test_period_and_zone_mistakes_are_one_line(lake, capsys, argv, message):
    code, out, err = run(capsys, "wrapped", "--lake", lake, *argv)
    assert code == 2 and out == "" and message in err and len(err.strip().splitlines()) == 1


def test_the_text_summary_shows_local_hours_and_the_new_sections(lake, capsys):
    code, out, _ = run(capsys, "wrapped", "--lake", lake, "--tz", "Europe/Berlin", "--year", "2024")
    assert code == 0
    assert out.startswith("Your listening, 2024-01-01 → 2024-12-31 (Europe/Berlin)")
    assert "When you listen (local time" in out and "Minutes per month" in out and "Top shows" in out


def test_report_writes_one_html_file_and_refuses_a_folder(lake, tmp_path, capsys):
    target = tmp_path / "out" / "wrapped.html"
    target.parent.mkdir()
    code, _, err = run(capsys, "report", "--lake", lake, "--year", "2024", "--out", target)
    assert code == 0 and f"wrote {target}" in err
    page = target.read_text()
    assert page.startswith("<!doctype html>") and "<svg" in page
    assert 'data-figure="streams">3<' in page  # 2024 in UTC: the fourth stream ended on 2023-12-31
    assert [p.name for p in target.parent.iterdir()] == ["wrapped.html"]  # no temporary left behind
    code, _, err = run(capsys, "report", "--lake", lake, "--out", tmp_path)
    assert code == 2 and "is a folder" in err


def test_powerbi_writes_a_directquery_connection_file_for_the_pool(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SYNAPSE_SERVER", "tcp:ws1.sql.azuresynapse.net,1433")
    monkeypatch.setenv("SYNAPSE_DATABASE", "pool1")
    target = tmp_path / "lake.pbids"
    code, _, err = run(capsys, "powerbi", "--out", target)
    assert code == 0 and "Power BI Desktop" in err
    (connection,) = json.loads(target.read_text())["connections"]
    assert connection == {
        "details": {
            "protocol": "tds",
            "address": {"server": "ws1.sql.azuresynapse.net", "database": "pool1"},
        },
        "options": {},
        "mode": "DirectQuery",
    }
    monkeypatch.delenv("SYNAPSE_SERVER")
    code, _, err = run(capsys, "powerbi", "--out", target)
    assert code == 2 and "--server <workspace>.sql.azuresynapse.net" in err
