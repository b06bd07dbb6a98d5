"""Wrapped figures on a small hand-computed history, and the reporting views agreeing with them.

All in UTC here (the default home zone); local time has its own tests in test_local_time.py.
"""

from __future__ import annotations

from datetime import date

import pytest

from load.loader import load_message
from load.period import Period
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
    summary = wrapped(warehouse, USER)
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
    assert summary["top_albums"] == [] and summary["top_genres"] == []  # no album names, not enriched


def test_top_n_and_all_users(warehouse):
    summary = wrapped(warehouse, USER, top=2)
    assert [a["artist"] for a in summary["top_artists"]] == ["Gamma", "Alpha"]
    assert len(summary["top_tracks"]) == 2
    everybody = wrapped(warehouse, None)
    assert (everybody["streams"], everybody["plays"]) == (7, 5)
    assert everybody["top_artists"][0] == {"artist": "Alpha", "ms_played": 159_999}
    nobody = wrapped(warehouse, "x" * 24)
    assert (nobody["streams"], nobody["plays"], nobody["minutes"], nobody["top_artists"]) == (0, 0, 0.0, [])
    assert nobody["first_stream_date"] is None


def test_dates_are_inclusive_local_days_of_the_end_time(warehouse):
    day2 = wrapped(warehouse, USER, Period(date(2024, 1, 2), date(2024, 1, 2)))
    assert (day2["streams"], day2["plays"], day2["ms_played"], day2["minutes"]) == (2, 2, 119_998, 2.0)
    day1 = wrapped(warehouse, USER, Period(None, date(2024, 1, 1)))
    assert [t["track"] for t in day1["top_tracks"]] == ["One", "Two"]  # 00:00:00 on the first day counts
    from_day3 = wrapped(warehouse, USER, Period(date(2024, 1, 3)))
    assert (from_day3["streams"], from_day3["ms_played"], from_day3["minutes"]) == (2, 60_000, 1.0)


@pytest.mark.parametrize(
    ("ms", "minutes"),
    [(0, 0.0), (2_999, 0.0), (3_000, 0.1), (9_000, 0.2), (15_000, 0.3), (370_000, 6.2), (239_997, 4.0)],
)
def test_minutes_round_half_up_to_one_decimal(ms, minutes):
    assert minutes_from_ms(ms) == minutes


def test_the_reporting_views_give_what_wrapped_gives(warehouse):
    summary = wrapped(warehouse, USER)
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


def test_top_genres_once_the_catalog_is_loaded(warehouse, lake):
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

    summary = wrapped(warehouse, USER)
    assert summary["top_albums"] == []  # the export's album names, not the catalog's
    assert summary["top_genres"] == [
        {"genre": "pop", "ms_played": 119_999},
        {"genre": "indie", "ms_played": 59_999},
    ]
    assert wrapped(warehouse, USER, top=1)["top_genres"] == [{"genre": "pop", "ms_played": 119_999}]


# -- the rules of the new figures, each on its own small history ---------------------------------


@pytest.fixture
def summary_of(folder_settings, lake):
    """Load rows into a fresh warehouse and return the summary for a period (UTC home)."""
    from dataclasses import replace

    count = [0]

    def summarise(rows, period=None, **kwargs):
        count[0] += 1
        settings = replace(folder_settings, lake_dir=folder_settings.lake_dir / f"w{count[0]}")
        with open_warehouse(settings) as warehouse:
            load_message(warehouse, lake, message(put(lake, "streams", f"rules{count[0]}", rows)))
            return wrapped(warehouse, USER, period, **kwargs)

    return summarise


def test_a_stream_ending_exactly_30_minutes_after_the_last_continues_its_session(summary_of):
    summary = summary_of(
        [
            stream("2024-05-01T10:00:00", 180_000, track="A"),  # started 09:57:00
            stream("2024-05-01T10:30:00", 180_000, track="B"),  # exactly 30 min later: same session
            stream("2024-05-01T11:00:00.001", 180_000, track="C"),  # 30 min + 1 ms: a new session
            stream("2024-05-01T11:10:00", 60_000, track="D"),
        ]
    )
    # 09:57:00 -> 10:30:00 is 33 min; 10:57:00.001 -> 11:10:00 is 780 second boundaries (13 min), as
    # both dialects count seconds; the median of 33 and 13 is 23.
    assert summary["sessions"] == {"count": 2, "longest_minutes": 33.0, "median_minutes": 23.0}


def test_one_quiet_day_breaks_a_streak(summary_of):
    days = ["2024-02-01", "2024-02-02", "2024-02-03", "2024-02-05", "2024-02-06"]
    summary = summary_of([stream(f"{d}T12:00:00", track=d) for d in days])
    assert summary["longest_streak_days"] == 3


def test_the_busiest_day_is_the_one_with_most_music_and_the_earliest_on_a_tie(summary_of):
    summary = summary_of(
        [
            stream("2024-02-02T10:00:00", 100_000, track="x"),
            stream("2024-02-01T10:00:00", 60_000, track="y"),
            stream("2024-02-01T11:00:00", 40_000, track="z"),
            stream("2024-02-03T10:00:00", 90_000, track="w"),
        ]
    )
    assert summary["busiest_day"] == {"date": date(2024, 2, 1), "ms_played": 100_000}


def test_an_artist_first_heard_on_the_periods_first_day_is_new_and_one_heard_the_day_before_is_not(
    summary_of,
):
    rows = [
        stream("2024-03-01T00:00:00", 100_000, "Fresh", "One", track_id="t1"),
        stream("2024-03-02T00:00:00", 50_000, "Fresh", "Two", track_id="t2"),
        stream("2024-02-29T23:59:59", 1_000, "Known", "Old", track_id="t3"),
        stream("2024-03-05T00:00:00", 300_000, "Known", "New", track_id="t4"),
        stream("2024-03-31T23:59:59", 10_000, "Late", "Last", track_id="t5"),
    ]
    summary = summary_of(rows, Period.parse(month="2024-03"))
    assert summary["new_artists"] == {
        "count": 2,
        "top": [
            {"artist": "Fresh", "ms_played": 150_000, "first_heard": date(2024, 3, 1)},
            {"artist": "Late", "ms_played": 10_000, "first_heard": date(2024, 3, 31)},
        ],
    }


def test_albums_come_from_the_exports_album_names_and_podcasts_are_shows_not_music(summary_of):
    summary = summary_of(
        [
            stream("2024-01-01T10:00:00", 100_000, "A", "x", track_id="t1", album_name="Alpha LP"),
            stream("2024-01-01T11:00:00", 100_000, "A", "y", track_id="t2", album_name="Alpha LP"),
            stream("2024-01-01T12:00:00", 150_000, "B", "z", track_id="t3", album_name="Beta EP"),
            stream("2024-01-01T13:00:00", 150_000, "B", "w", track_id="t4"),  # no album name
            stream(
                "2024-01-02T07:00:00",
                1_200_000,
                None,
                None,
                track_id=None,
                content_type="podcast",
                show_name="Slow News",
                episode_name="Ep. 1",
                episode_id="ep1",
            ),
            stream(
                "2024-01-03T07:00:00",
                600_000,
                None,
                None,
                track_id=None,
                content_type="podcast",
                show_name="Slow News",
                episode_name="Ep. 2",
                episode_id="ep2",
            ),
        ]
    )
    assert summary["top_albums"] == [
        {"album": "Alpha LP", "artist": "A", "ms_played": 200_000},
        {"album": "Beta EP", "artist": "B", "ms_played": 150_000},
    ]
    assert summary["top_shows"] == [{"show": "Slow News", "ms_played": 1_800_000, "episodes": 2}]
    assert summary["streams"] == 4  # podcasts are counted as shows, never as music


def test_skips_shuffle_platforms_and_countries(summary_of):
    summary = summary_of(
        [
            stream("2024-01-01T10:00:00", 29_999, track="a", shuffle=True, platform="ios", conn_country="SE"),
            stream("2024-01-01T11:00:00", 30_000, track="b", shuffle=True, platform="ios", conn_country="SE"),
            stream(
                "2024-01-01T12:00:00", 60_000, track="c", shuffle=False, platform="windows", conn_country="DE"
            ),
            stream(
                "2024-01-01T13:00:00", 120_000, track="d", source="account", platform=None
            ),  # no shuffle info
        ]
    )
    assert summary["skip_rate"] == 0.25  # one of four under 30 s
    assert summary["shuffle_share"] == round(2 / 3, 4)  # of the three whose export says
    assert summary["minutes_by_platform"] == [
        {"platform": "unknown", "minutes": 2.0, "ms_played": 120_000},
        {"platform": "windows", "minutes": 1.0, "ms_played": 60_000},
        {"platform": "ios", "minutes": 1.0, "ms_played": 59_999},
    ]
    assert [c["country"] for c in summary["minutes_by_country"]] == ["unknown", "DE", "SE"]


def test_the_previous_period_of_a_year_is_the_year_before_with_risers_and_fallers(summary_of):
    summary = summary_of(
        [
            stream("2023-06-01T10:00:00", 600_000, "Riser", "r1", track_id="t1"),
            stream("2024-06-01T10:00:00", 3_000_000, "Riser", "r2", track_id="t2"),
            stream("2023-06-01T11:00:00", 2_000_000, "Faller", "f1", track_id="t3"),
            stream("2024-06-01T11:00:00", 500_000, "Faller", "f2", track_id="t4"),
            stream("2022-12-31T23:59:59", 9_000_000, "Too early", "e", track_id="t5"),
        ],
        Period.parse(year="2024"),
    )
    previous = summary["previous_period"]
    assert (previous["from"], previous["to"]) == (date(2023, 1, 1), date(2023, 12, 31))
    assert (previous["streams"], previous["plays"], previous["minutes"]) == (2, 2, 43.3)
    assert previous["risers"] == [
        {"artist": "Riser", "ms_played": 3_000_000, "previous_ms_played": 600_000, "change_ms": 2_400_000}
    ]
    assert previous["fallers"] == [
        {"artist": "Faller", "ms_played": 500_000, "previous_ms_played": 2_000_000, "change_ms": -1_500_000}
    ]
    assert summary_of([stream("2024-01-01T00:00:00")])["previous_period"] is None  # no period asked


def test_the_clock_and_months_list_only_what_has_music_in_local_order(summary_of):
    summary = summary_of(
        [
            stream("2024-01-07T23:00:00", 60_000, track="sunday night"),  # Sunday = 6
            stream("2024-01-01T08:00:00", 60_000, track="monday morning"),
            stream("2024-03-01T08:00:00", 30_000, track="march"),
        ]
    )
    assert [(c["weekday"], c["hour"]) for c in summary["listening_clock"]] == [(0, 8), (4, 8), (6, 23)]
    assert summary["minutes_per_month"] == [
        {"month": "2024-01", "streams": 2, "plays": 2, "minutes": 2.0},
        {"month": "2024-03", "streams": 1, "plays": 1, "minutes": 0.5},
    ]


@pytest.mark.parametrize(
    ("args", "first", "last", "previous"),
    [
        ({"year": "2025"}, date(2025, 1, 1), date(2025, 12, 31), (date(2024, 1, 1), date(2024, 12, 31))),
        ({"month": "2024-02"}, date(2024, 2, 1), date(2024, 2, 29), (date(2024, 1, 1), date(2024, 1, 31))),
        ({"month": "2025-01"}, date(2025, 1, 1), date(2025, 1, 31), (date(2024, 12, 1), date(2024, 12, 31))),
        (
            {"date_from": "2024-03-10", "date_to": "2024-03-16"},
            date(2024, 3, 10),
            date(2024, 3, 16),
            (date(2024, 3, 3), date(2024, 3, 9)),
        ),
        ({"date_from": "2024-03-10"}, date(2024, 3, 10), None, None),
    ],
)
def test_periods_from_the_command_line_and_the_period_before(args, first, last, previous):
    period = Period.parse(**args)
    assert (period.first, period.last) == (first, last)
    before = period.previous()
    assert (before.first, before.last) == previous if previous else before is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"date_from": "2024-1-5"}, "--from must be a date like 2024-01-31"),
        ({"date_from": "20240105"}, "--from must be a date like 2024-01-31"),
        ({"date_to": "2024-02-30"}, "--to must be a date like 2024-01-31"),
        ({"date_from": "2024-02-01", "date_to": "2024-01-01"}, "is after --to"),
        ({"year": "24"}, "--year must be a year like 2025"),
        ({"month": "2024-13"}, "--month must be a month like 2025-03"),
        ({"year": "2024", "month": "2024-01"}, "either --from/--to, --year or --month"),
        ({"year": "2024", "date_from": "2024-01-01"}, "either --from/--to, --year or --month"),
    ],
)
def test_a_wrong_period_is_one_line_naming_the_format(args, message):
    with pytest.raises(ValueError, match=message) as raised:
        Period.parse(**args)
    assert "\n" not in str(raised.value)
