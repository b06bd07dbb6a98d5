"""Local time on real DuckDB: the home zone, trips abroad, a DST night, the date line, a zone changed later.

The same SQL as T-SQL is parsed in test_plan_tsql.py (every view and every query of the summary).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import pytest

from load.dialect import TSQL
from load.loader import load_message
from load.local_time import HomeZone
from load.period import Period
from load.plan import schema_statements
from load.warehouse import open_warehouse
from load.wrapped import wrapped
from storage import open_lake
from tests.load.curated_rows import USER, message, put, stream


def local_rows(warehouse, home: str, user: str = USER) -> list[tuple]:
    """(UTC end, zone, local end, local date, local hour, weekday) per stream, for a home zone."""
    from load.local_time import literal_home, local_streams

    d = warehouse.dialect
    sql = local_streams(d, literal_home(d, HomeZone.of(home)), f"s.user_id = {d.lit(user)}")
    return warehouse.query(
        f"SELECT ts, zone, local_ts, local_date, local_hour, weekday FROM ({sql}) AS x ORDER BY ts"
    )


@pytest.fixture
def load(folder_settings):
    """Load rows as one curated file; yields an open warehouse."""
    lake = open_lake(folder_settings)
    opened = []

    def loaded(rows, settings=None):
        settings = settings or folder_settings
        warehouse_cm = open_warehouse(settings)
        warehouse = warehouse_cm.__enter__()
        opened.append(warehouse_cm)
        load_message(warehouse, lake, message(put(lake, "streams", f"s{len(opened)}", rows)))
        return warehouse

    yield loaded
    for warehouse_cm in opened:
        warehouse_cm.__exit__(None, None, None)


def test_a_dst_night_in_the_home_zone_gives_the_wall_clock_hours(load):
    warehouse = load(
        [
            stream("2024-03-31T00:30:00", conn_country="DE"),  # 01:30 CET
            stream("2024-03-31T01:30:00", conn_country="DE"),  # 03:30 CEST: 02:xx never happened
            stream("2024-10-27T00:30:00", conn_country="DE"),  # 02:30 CEST
            stream("2024-10-27T01:30:00", conn_country="DE"),  # 02:30 CET, the repeated hour
        ]
    )
    rows = local_rows(warehouse, "Europe/Berlin")
    assert [r[2] for r in rows] == [
        datetime(2024, 3, 31, 1, 30),
        datetime(2024, 3, 31, 3, 30),
        datetime(2024, 10, 27, 2, 30),
        datetime(2024, 10, 27, 2, 30),
    ]
    assert {r[1] for r in rows} == {"Europe/Berlin"}  # DE has two zones: the home zone is used


def test_a_trip_to_a_one_zone_country_shows_its_hours_and_several_zone_countries_stay_home(load):
    warehouse = load(
        [
            stream("2024-07-01T03:00:00", conn_country="JP", track="Tokyo"),  # 12:00 in Tokyo
            stream("2024-07-01T04:00:00", conn_country="US", track="Somewhere in the US"),
            stream("2024-07-01T05:00:00", conn_country=None, track="No country"),
            stream("2024-07-01T06:00:00", conn_country="ZZ", track="Unknown country"),
            stream("2024-07-01T07:00:00", conn_country="FR", track="Paris"),
        ]
    )
    rows = local_rows(warehouse, "Europe/Berlin")
    assert [(r[1], r[4]) for r in rows] == [
        ("Asia/Tokyo", 12),
        ("Europe/Berlin", 6),
        ("Europe/Berlin", 7),
        ("Europe/Berlin", 8),
        ("Europe/Paris", 9),
    ]
    # With a home in Paris, France is home: the same hour, by the home rule.
    assert local_rows(warehouse, "Europe/Paris")[-1][1:3] == ("Europe/Paris", datetime(2024, 7, 1, 9))


def test_across_the_date_line_the_local_date_decides_the_day(load):
    # Home in Los Angeles; 2024-03-01 20:00 UTC is 12:00 in LA but 05:00 on 2024-03-02 in Tokyo.
    warehouse = load(
        [
            stream("2024-03-01T20:00:00", conn_country="JP", track="In Tokyo"),
            stream("2024-03-01T21:00:00", conn_country="US", track="At home", track_id="t2"),
        ]
    )
    rows = local_rows(warehouse, "America/Los_Angeles")
    assert [(r[3], r[4], r[5]) for r in rows] == [(date(2024, 3, 2), 5, 5), (date(2024, 3, 1), 13, 4)]
    home = HomeZone.of("America/Los_Angeles")
    march_2 = wrapped(warehouse, USER, Period(date(2024, 3, 2), date(2024, 3, 2)), home)
    assert (march_2["streams"], march_2["top_tracks"][0]["track"]) == (1, "In Tokyo")
    assert wrapped(warehouse, USER, Period(date(2024, 3, 1), date(2024, 3, 1)), home)["streams"] == 1


def test_another_home_zone_takes_effect_on_the_next_query_without_loading_again(folder_settings, load):
    warehouse = load([stream("2024-01-15T23:30:00", conn_country=None)])
    in_utc = wrapped(warehouse, USER, home=HomeZone.of("UTC"))
    in_berlin = wrapped(warehouse, USER, home=HomeZone.of("Europe/Berlin"))
    assert in_utc["listening_clock"] == [{"weekday": 0, "hour": 23, "streams": 1, "ms_played": 200_000}]
    assert in_berlin["listening_clock"] == [{"weekday": 1, "hour": 0, "streams": 1, "ms_played": 200_000}]
    assert (in_berlin["time_zone"], in_berlin["first_stream_date"]) == ("Europe/Berlin", date(2024, 1, 16))
    # The views follow the app's USER_TIME_ZONE: the next opening with another zone redefines nothing,
    # it records the zone, and the views show its hours.
    view = "SELECT local_hour, zone FROM v_music_stream"
    assert warehouse.query(view) == [(23, "UTC")]
    warehouse.close()
    with open_warehouse(replace(folder_settings, user_time_zone="Asia/Tokyo")) as tokyo:
        assert tokyo.query(view) == [(8, "Asia/Tokyo")]
        assert tokyo.meta()["home_country"] == "JP"


def test_the_reference_tables_and_views_are_part_of_the_tsql_schema():
    ddl = " ".join(schema_statements(TSQL))
    assert "CREATE TABLE dbo.ref_zone_offset" in ddl and "DISTRIBUTION = REPLICATE" in ddl
    assert "CREATE VIEW dbo.v_music_session" in ddl and "DATEADD(minute, o.offset_minutes" in ddl
