"""Listening modes: planted kinds of session are found again, named in plain words, the same every run."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sklearn.metrics import adjusted_rand_score

from analysis.modes import NotEnoughSessions
from analysis.runs import run_modes, run_segments
from load.loader import load_message
from load.local_time import HomeZone
from load.period import Period
from load.warehouse import open_warehouse
from load.wrapped import wrapped
from storage import open_lake
from tests.analysis.planted import history
from tests.load.curated_rows import USER, message, put

UTC_ZONE = HomeZone.of("UTC")
NOW = datetime(2026, 12, 1, 4, tzinfo=UTC)


@pytest.fixture
def planted(folder_settings):
    rows, kinds = history()
    lake = open_lake(folder_settings)
    with open_warehouse(folder_settings) as warehouse:
        load_message(warehouse, lake, message(put(lake, "streams", "planted", rows)))
        yield warehouse, lake, kinds


def stored_modes(warehouse) -> dict[date, int]:
    return dict(warehouse.query("SELECT local_date, mode_id FROM fact_session"))


def test_planted_modes_are_found_again(planted):
    warehouse, lake, kinds = planted
    result = run_modes(warehouse, lake, USER, UTC_ZONE, NOW)
    load_message(warehouse, lake, result.message)
    found = stored_modes(warehouse)
    assert set(found) == set(kinds)  # one session a day, each stored with its mode
    days = sorted(kinds)
    assert adjusted_rand_score([kinds[d] for d in days], [found[d] for d in days]) >= 0.8
    assert len(result.modes.modes) == 3  # k = 3 had the best silhouette


def test_each_mode_is_named_after_what_its_sessions_are_like(planted):
    warehouse, lake, kinds = planted
    result = run_modes(warehouse, lake, USER, UTC_ZONE, NOW)
    load_message(warehouse, lake, result.message)
    found = stored_modes(warehouse)
    label = {m.mode_id: m.label for m in result.modes.modes}
    kind_label = {}
    for kind in ("commute", "album", "podcast"):
        modes = [found[d] for d, k in kinds.items() if k == kind]
        kind_label[kind] = label[max(set(modes), key=modes.count)]
    assert kind_label["album"] == "late night, long, album-like, few skips, at the computer"
    assert (
        kind_label["commute"]
        == "morning, short, many artists, lots of skips, on shuffle, discovering, on the phone"
    )
    assert (
        kind_label["podcast"].startswith("afternoon, ")
        and "podcasts, few skips, on the phone" in kind_label["podcast"]
    )
    albums = next(m for m in result.modes.modes if m.label == kind_label["album"])
    assert result.top_artists[albums.mode_id][0].startswith("Band ")


def test_the_same_data_gives_the_same_modes_twice(planted):
    warehouse, lake, _ = planted
    first = run_modes(warehouse, lake, USER, UTC_ZONE, NOW)
    again = run_modes(warehouse, lake, USER, UTC_ZONE, datetime(2026, 12, 8, tzinfo=UTC))
    assert first.modes.modes == again.modes.modes
    assert first.modes.assignment.tolist() == again.modes.assignment.tolist()
    assert first.top_artists == again.top_artists and first.minutes_share == again.minutes_share


def test_too_few_sessions_say_how_many_there_are(planted):
    warehouse, lake, _ = planted
    with pytest.raises(NotEnoughSessions, match="need at least 20 sessions; the period has 10"):
        run_modes(warehouse, lake, USER, UTC_ZONE, NOW, date(2024, 1, 1), date(2024, 1, 10))


def test_wrapped_shows_a_periods_sessions_by_the_stored_modes(planted):
    warehouse, lake, _ = planted
    assert "listening_modes" not in wrapped(warehouse, USER)  # absent before a modes run
    result = run_modes(warehouse, lake, USER, UTC_ZONE, NOW)
    load_message(warehouse, lake, result.message)
    january = wrapped(warehouse, USER, Period(date(2024, 1, 1), date(2024, 1, 31)))["listening_modes"]
    assert january["run_id"] == "20261201T040000Z" and january["sessions"] == 31
    found = stored_modes(warehouse)
    expected = {
        m: sum(1 for d, x in found.items() if x == m and d.month == 1 and d.year == 2024) for m in (1, 2, 3)
    }
    assert {m["mode_id"]: m["sessions"] for m in january["modes"]} == expected
    assert sum(m["session_share"] for m in january["modes"]) == pytest.approx(1, abs=1e-3)
    assert [m["label"] for m in january["modes"]] == [m.label for m in result.modes.modes]


def test_listeners_are_segmented_from_five_on_and_below_that_it_says_why(folder_settings):
    lake = open_lake(folder_settings)
    users = [f"{n:024x}" for n in range(6)]
    with open_warehouse(folder_settings) as warehouse:
        for n, user in enumerate(users[:4]):
            rows, _ = history(60, seed=n, user=user, kinds=("album",) if n % 2 else ("commute",))
            load_message(warehouse, lake, message(put(lake, "streams", f"u{n}", rows)))
        with pytest.raises(NotEnoughSessions, match=r"at least 5 listeners.*has 4"):
            run_segments(warehouse, lake, UTC_ZONE, NOW)
        for n, user in enumerate(users[4:], 4):
            rows, _ = history(60, seed=n, user=user, kinds=("album",) if n % 2 else ("commute",))
            load_message(warehouse, lake, message(put(lake, "streams", f"u{n}", rows)))
        result = run_segments(warehouse, lake, UTC_ZONE, NOW)
        load_message(warehouse, lake, result.message)
        segment = dict(warehouse.query("SELECT user_id, segment_id FROM dim_listener_segment"))
        assert len({segment[u] for u in users[0::2]}) == 1 and len({segment[u] for u in users[1::2]}) == 1
        assert segment[users[0]] != segment[users[1]]
        assert wrapped(warehouse, users[1])["listener_segment"]["users"] == 3
