"""Ahead of the charts and mainstream share, hand-computed on a three-week Swedish Top 200."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from load.loader import load_message
from load.local_time import HomeZone
from load.period import Period
from load.warehouse import open_warehouse
from load.wrapped import wrapped
from storage import open_lake
from tests.load.curated_rows import USER, account, chart_entry, message, put, stream

JANUARY = Period(date(2024, 1, 1), date(2024, 1, 31))


def chart() -> list[dict]:
    """2024-01-01 (a Monday) to 01-21: three whole weeks of the Swedish Top 200."""
    rows = []
    for n in range(21):
        day = (date(2024, 1, 1) + timedelta(days=n)).isoformat()
        rows += [chart_entry(day, 200, "filler"), chart_entry(day, 199, "trackZ")]  # on it from day one
        if n >= 4:  # Y from Friday 01-05
            rows.append(chart_entry(day, 20, "trackY", title="Yes", artist="Yara"))
        if 9 <= n <= 13:  # X on 01-10 .. 01-14 (week 2)
            rows.append(chart_entry(day, 50, "trackX", title="Xylo", artist="Xan"))
        if n >= 14:  # W from Monday 01-15 (week 3), matched by name
            rows.append(chart_entry(day, 10, "trackW", title="Wild", artist="Wen"))
    rows.append(chart_entry("2024-01-10", 5, "trackX", region="Norway"))  # another country's chart
    return rows


def history() -> list[dict]:
    se = {"conn_country": "SE"}
    return [
        stream("2023-12-20T10:00:00", 100_000, "Xan", "Xylo", track_id="trackX", **se),  # X found early
        stream("2024-01-03T10:00:00", 60_000, "Xan", "Xylo", track_id="trackX", **se),  # wk 1: X not on it
        stream("2024-01-11T10:00:00", 120_000, "Xan", "Xylo", track_id="trackX", **se),  # wk 2: on it
        stream("2024-01-06T10:00:00", 50_000, "Yara", "Yes", track_id="trackY", **se),  # wk 1: on it
        account("2024-01-12T10:00:00", ms=90_000, artist="Wen", track="Wild", **se),  # wk 2: not yet
        account("2024-01-16T10:00:00", ms=30_000, artist="Wen", track="Wild", **se),  # wk 3: on it
        stream("2024-01-25T10:00:00", 40_000, "Yara", "Yes", track_id="trackY", **se),  # no chart that week
        stream("2024-01-08T10:00:00", 200_000, "Quinn", "Quiet", track_id="trackQ", conn_country="DK"),
    ]


@pytest.fixture
def warehouse(folder_settings):
    lake = open_lake(folder_settings)
    with open_warehouse(folder_settings) as warehouse:
        load_message(warehouse, lake, message(put(lake, "streams", "h", history())))
        load_message(warehouse, lake, message(put(lake, "chart_entries", "c", chart())))
        yield warehouse


def test_tracks_found_before_they_entered_the_listeners_countrys_chart(warehouse):
    ahead = wrapped(warehouse, USER, JANUARY)["ahead_of_charts"]
    assert ahead["country"] == "SE"
    assert ahead["chart_data"] == {"from": date(2024, 1, 1), "to": date(2024, 1, 21)}
    # X, Y and W entered in January and were streamed; Z and the filler were on it from day one.
    assert (ahead["tracks_charted"], ahead["count"]) == (3, 2)
    assert [
        (t["track"], t["days_earlier"], t["first_streamed"], t["entered_chart"]) for t in ahead["tracks"]
    ] == [
        ("Xylo", 21, date(2023, 12, 20), date(2024, 1, 10)),
        ("Wild", 3, date(2024, 1, 12), date(2024, 1, 15)),  # account data, matched by artist and title
    ]


def test_mainstream_share_is_the_time_on_that_weeks_chart(warehouse):
    share = wrapped(warehouse, USER, JANUARY)["mainstream_share"]
    # Covered weeks 1-3: 60 + 120 + 50 + 90 + 30 + 200 s; on that week's chart: 120 + 50 + 30 s.
    assert (share["ms_in_chart_weeks"], share["ms_on_chart"], share["weeks"]) == (550_000, 200_000, 3)
    assert share["share"] == round(200_000 / 550_000, 4) and share["country"] == "SE"


def test_absent_not_zero_without_a_chart_for_the_listeners_country_or_period(warehouse, folder_settings):
    for period in (
        Period(date(2025, 1, 1), date(2025, 12, 31)),
        Period(date(2023, 12, 1), date(2023, 12, 31)),
    ):
        summary = wrapped(warehouse, USER, period)
        assert "ahead_of_charts" not in summary and "mainstream_share" not in summary
    other = "w" * 24
    lake = open_lake(folder_settings)
    load_message(
        warehouse, lake, message(put(lake, "streams", "o", [stream("2024-01-09T10:00:00", user=other)]))
    )
    # No conn_country: the home zone's country, if its chart is loaded.
    assert "ahead_of_charts" not in wrapped(warehouse, other, JANUARY, HomeZone.of("UTC"))
    assert "ahead_of_charts" not in wrapped(warehouse, other, JANUARY, HomeZone.of("Europe/Copenhagen"))
    home = wrapped(warehouse, other, JANUARY, HomeZone.of("Europe/Stockholm"))
    assert home["ahead_of_charts"]["country"] == "SE" and home["mainstream_share"]["share"] == 0.0
