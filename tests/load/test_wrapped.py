"""Wrapped figures on a small hand-computed history, and the reporting views agreeing with them."""

from __future__ import annotations

from datetime import date

import pytest

from load.loader import load_message
from load.warehouse import open_warehouse
from load.wrapped import minutes_from_ms, wrapped
from storage import open_lake
from tests.load.curated_rows import USER, album, artist, message, put, stream, track

OTHER = "v" * 24

# user USER, music: 6 streams, 4 plays (>= 30 000 ms), 239 997 ms = 3.99995 min -> 4.0
HISTORY = [
    stream("2024-01-01T00:00:00", 30_000, "Alpha", "One", track_id="t1"),  # exactly 30 s: a play
    stream("2024-01-01T12:00:00", 29_999, "Alpha", "Two", track_id="t2"),  # 1 ms short: not a play
    stream("2024-01-02T23:59:59.999", 59_999, "Beta", "Three", track_id="t3"),
    stream("2024-01-02T08:00:00", 59_999, "Delta", "Zed", track_id="t4"),
    stream("2024-01-03T00:00:00", 45_000, "Gamma", "Four", track_id="t5"),
    stream("2024-01-03T01:00:00", 15_000, "Gamma", "Four", track_id="t5"),
    # not music: never counted
    stream(
        "2024-01-02T09:00:00",
        600_000,
        None,
        None,
        track_id=None,
        content_type="podcast",
        episode_name="Ep",
        show_name="Show",
    ),
    # another user
    stream("2024-01-01T05:00:00", 100_000, "Alpha", "One", track_id="t1", user=OTHER),
]


@pytest.fixture
def lake(folder_settings):
    return open_lake(folder_settings)


@pytest.fixture
def warehouse(folder_settings, lake):
    with open_warehouse(folder_settings) as warehouse:
        load_message(warehouse, lake, message(put(lake, "streams", "history", HISTORY)))
        yield warehouse


def test_all_time_figures_rankings_and_ties(warehouse):
    summary = wrapped(warehouse, USER, None, None)
    assert (summary["streams"], summary["plays"], summary["minutes"]) == (6, 4, 4.0)
    assert summary["ms_played"] == 239_997
    assert (summary["first_stream_date"], summary["last_stream_date"]) == (date(2024, 1, 1), date(2024, 1, 3))
    assert (summary["distinct_artists"], summary["distinct_tracks"]) == (4, 5)
    # ms desc, then artist asc on the three-way tie
    assert summary["top_artists"] == [
        {"artist": "Gamma", "ms_played": 60_000},
        {"artist": "Alpha", "ms_played": 59_999},
        {"artist": "Beta", "ms_played": 59_999},
        {"artist": "Delta", "ms_played": 59_999},
    ]
    # plays desc, then ms desc, then track asc (Three before Zed)
    assert summary["top_tracks"] == [
        {"artist": "Gamma", "track": "Four", "plays": 1, "ms_played": 60_000},
        {"artist": "Beta", "track": "Three", "plays": 1, "ms_played": 59_999},
        {"artist": "Delta", "track": "Zed", "plays": 1, "ms_played": 59_999},
        {"artist": "Alpha", "track": "One", "plays": 1, "ms_played": 30_000},
        {"artist": "Alpha", "track": "Two", "plays": 0, "ms_played": 29_999},
    ]
    assert summary["top_albums"] == [] and summary["top_genres"] == []  # not enriched yet


def test_top_n_and_all_users(warehouse):
    summary = wrapped(warehouse, USER, None, None, top=2)
    assert [a["artist"] for a in summary["top_artists"]] == ["Gamma", "Alpha"]
    assert len(summary["top_tracks"]) == 2
    everybody = wrapped(warehouse, None, None, None)
    assert (everybody["streams"], everybody["plays"]) == (7, 5)
    assert everybody["top_artists"][0] == {"artist": "Alpha", "ms_played": 159_999}
    nobody = wrapped(warehouse, "x" * 24, None, None)
    assert (nobody["streams"], nobody["plays"], nobody["minutes"], nobody["top_artists"]) == (0, 0, 0.0, [])
    assert nobody["first_stream_date"] is None


def test_dates_are_inclusive_utc_days_of_the_end_time(warehouse):
    day2 = wrapped(warehouse, USER, date(2024, 1, 2), date(2024, 1, 2))
    assert (day2["streams"], day2["plays"], day2["ms_played"], day2["minutes"]) == (2, 2, 119_998, 2.0)
    day1 = wrapped(warehouse, USER, None, date(2024, 1, 1))
    assert [t["track"] for t in day1["top_tracks"]] == ["One", "Two"]  # 00:00:00 on the first day counts
    from_day3 = wrapped(warehouse, USER, date(2024, 1, 3), None)
    assert (from_day3["streams"], from_day3["ms_played"], from_day3["minutes"]) == (2, 60_000, 1.0)


@pytest.mark.parametrize(
    ("ms", "minutes"),
    [(0, 0.0), (2_999, 0.0), (3_000, 0.1), (9_000, 0.2), (15_000, 0.3), (370_000, 6.2), (239_997, 4.0)],
)
def test_minutes_round_half_up_to_one_decimal(ms, minutes):
    assert minutes_from_ms(ms) == minutes


def test_the_reporting_views_give_what_wrapped_gives(warehouse):
    summary = wrapped(warehouse, USER, None, None)
    artists = warehouse.query(
        "SELECT artist, ms_played FROM v_top_artist WHERE user_id = ? ORDER BY ms_played DESC, artist", [USER]
    )
    assert [{"artist": a, "ms_played": m} for a, m in artists] == summary["top_artists"]
    tracks = warehouse.query(
        "SELECT artist, track, plays, ms_played FROM v_top_track WHERE user_id = ?"
        " ORDER BY plays DESC, ms_played DESC, track",
        [USER],
    )
    assert [{"artist": a, "track": t, "plays": p, "ms_played": m} for a, t, p, m in tracks] == summary[
        "top_tracks"
    ]

    months = warehouse.query(
        "SELECT month, streams, plays, ms_played, minutes FROM v_minutes_per_month WHERE user_id = ?", [USER]
    )
    assert months == [(date(2024, 1, 1), 6, 4, 239_997, 4.0)]
    clock = warehouse.query(
        "SELECT weekday, hour, streams, minutes FROM v_listening_clock WHERE user_id = ? ORDER BY 1, 2",
        [USER],
    )
    # 2024-01-01 was a Monday (0).
    assert clock == [
        (0, 0, 1, 0.5),
        (0, 12, 1, 0.5),
        (1, 8, 1, 1.0),
        (1, 23, 1, 1.0),
        (2, 0, 1, 0.8),
        (2, 1, 1, 0.3),
    ]
    assert sum(row[2] for row in clock) == summary["streams"]
    # Each view's minutes use the same rounding as wrapped's.
    for (ms,) in warehouse.query("SELECT ms_played FROM v_top_artist"):
        assert warehouse.query("SELECT minutes FROM v_top_artist WHERE ms_played = ?", [ms])[0][
            0
        ] == minutes_from_ms(ms)


def test_top_albums_and_genres_once_the_catalog_is_loaded(warehouse, lake):
    tracks = put(
        lake,
        "tracks",
        "catalog",
        [
            track("t1", "One", "al1"),
            track("t2", "Two", "al1"),
            track("t3", "Three", "al2"),
            track("t5", "Four", "al3"),
        ],
    )
    albums = put(
        lake,
        "albums",
        "catalog",
        [album("al1", "First Light"), album("al2", "Second"), album("al3", "Third")],
    )
    artists = put(lake, "artists", "catalog", [artist("ar1", "Alpha"), artist("ar3", "Gamma")])
    links = put(
        lake,
        "track_artists",
        "catalog",
        [
            {"track_id": "t1", "artist_id": "ar1", "position": 0},
            {"track_id": "t2", "artist_id": "ar1", "position": 0},
            {"track_id": "t5", "artist_id": "ar3", "position": 0},
            {"track_id": "t5", "artist_id": "ar1", "position": 1},  # a featured artist: not counted
        ],
    )
    genres = put(
        lake,
        "artist_genres",
        "catalog",
        [
            {"artist_id": "ar1", "genre": "indie"},
            {"artist_id": "ar1", "genre": "pop"},
            {"artist_id": "ar3", "genre": "pop"},
        ],
    )
    load_message(warehouse, lake, message(tracks, albums, artists, links, genres))

    summary = wrapped(warehouse, USER, None, None)
    assert summary["top_albums"] == [
        {"album": "Third", "artist": "Gamma", "ms_played": 60_000},
        {"album": "First Light", "artist": "Alpha", "ms_played": 59_999},
        {"album": "Second", "artist": "Beta", "ms_played": 59_999},
    ]
    assert summary["top_genres"] == [
        {"genre": "pop", "ms_played": 119_999},
        {"genre": "indie", "ms_played": 59_999},
    ]
    assert wrapped(warehouse, USER, None, None, top=1)["top_genres"] == [
        {"genre": "pop", "ms_played": 119_999}
    ]
