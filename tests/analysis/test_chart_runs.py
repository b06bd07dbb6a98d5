"""Chart runs: one row per (track, region) Top 200 run, hand-computed on a small chart in DuckDB."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from analysis.chart_runs import runs_sql
from load.loader import load_message
from load.warehouse import open_warehouse
from storage import open_lake
from tests.load.curated_rows import chart_entry, message, put

START = date(2020, 1, 1)


def day(n: int) -> str:
    """Day n of the chart (1 = 2020-01-01)."""
    return (START + timedelta(days=n - 1)).isoformat()


def entries() -> list[dict]:
    rows = []
    # The filler is on every Swedish and Norwegian chart, days 1 to 20: the charts' spans.
    for n in range(1, 21):
        rows += [chart_entry(day(n), 200, "filler", "Sweden"), chart_entry(day(n), 200, "filler", "Norway")]
    # Track A enters Sweden on day 3 and climbs; off the chart on day 6; Norway on day 8.
    for n, rank, streams, trend in (
        (3, 50, 5000, "NEW_ENTRY"),
        (4, 30, 7000, "MOVE_UP"),
        (5, 10, 9000, "MOVE_UP"),
        (7, 20, 8000, "NEW_ENTRY"),
        (8, 15, 8500, "MOVE_UP"),
        (9, 15, 8400, "SAME_POSITION"),
        (12, 5, 12000, "MOVE_UP"),  # day 10 of the run: past a 9-day horizon
        (20, 40, 3000, "MOVE_DOWN"),  # on the latest chart
    ):
        rows.append(chart_entry(day(n), rank, "trackA", "Sweden", streams=streams, trend=trend))
    rows.append(chart_entry(day(8), 100, "trackA", "Norway", streams=900, trend="NEW_ENTRY"))
    # Track B: listed twice on one day (a data error): its better rank counts; a Viral 50 entry never.
    rows += [
        chart_entry(day(10), 60, "trackB", "Sweden", trend="NEW_ENTRY"),
        chart_entry(day(10), 70, "trackB", "Sweden", trend="NEW_ENTRY"),
        chart_entry(day(2), 1, "trackB", "Sweden", chart="viral50"),
        chart_entry(day(4), 3, None, "Sweden"),  # no track id: not a run
    ]
    # Track C entered on day 15 and is still on the chart on day 20, inside its horizon.
    rows += [chart_entry(day(n), 30 - n, "trackC", "Sweden") for n in range(15, 21)]
    return rows


@pytest.fixture
def runs(folder_settings):
    lake = open_lake(folder_settings)
    with open_warehouse(folder_settings) as warehouse:
        load_message(warehouse, lake, message(put(lake, "chart_entries", "runs", entries())))
        table = warehouse.query_table(runs_sql(warehouse.dialect, horizon=9))
    return {(r["track_id"], r["region"]): r for r in table.to_pylist()}


def test_one_row_per_track_and_region_on_the_top_200(runs):
    assert set(runs) == {
        ("filler", "Sweden"),
        ("filler", "Norway"),
        ("trackA", "Sweden"),
        ("trackA", "Norway"),
        ("trackB", "Sweden"),
        ("trackC", "Sweden"),
    }


def test_the_first_week_as_the_model_sees_it(runs):
    a = runs[("trackA", "Sweden")]
    assert a["first_date"] == date(2020, 1, 3)
    assert [a[f"rank_d{n}"] for n in range(1, 8)] == [50, 30, 10, None, 20, 15, 15]
    assert [a[f"streams_d{n}"] for n in range(1, 8)] == [5000, 7000, 9000, None, 8000, 8500, 8400]
    assert a["moves_up"] == 3
    # In Norway by day 6 of its Swedish run: two regions by day 7 (and Sweden before Norway's day 7).
    assert a["regions_by_d7"] == 2 and runs[("trackA", "Norway")]["regions_by_d7"] == 2
    assert a["danceability"] is None  # the file had no audio features


def test_what_it_reached_within_the_horizon_and_where_it_is_now(runs):
    a = runs[("trackA", "Sweden")]
    # Horizon 9 days: days 3..11 of the chart; the rank 5 on day 12 is past it.
    assert (a["peak_rank"], a["days_on_chart"]) == (10, 6)
    assert a["current_rank"] is None  # day 20 is past the horizon too: the run's figures stop there
    assert (a["region_first"], a["region_last"]) == (date(2020, 1, 1), date(2020, 1, 20))
    b = runs[("trackB", "Sweden")]
    assert (b["rank_d1"], b["peak_rank"], b["days_on_chart"]) == (60, 60, 1)
    filler = runs[("filler", "Sweden")]
    assert (filler["first_date"], filler["days_on_chart"], filler["current_rank"]) == (
        date(2020, 1, 1),
        9,
        None,
    )


def test_an_open_run_has_its_rank_on_the_latest_chart(runs):
    c = runs[("trackC", "Sweden")]
    assert (c["first_date"], c["rank_d1"], c["rank_d6"], c["rank_d7"]) == (date(2020, 1, 15), 15, 10, None)
    assert (c["current_rank"], c["peak_rank"], c["days_on_chart"]) == (10, 10, 6)
