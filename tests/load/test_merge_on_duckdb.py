"""The load plan executed for real on DuckDB: idempotence, cross-source merges, one transaction."""

from __future__ import annotations

import pyarrow as pa
import pytest

from contracts.datasets import DATASETS
from load.errors import LoadError
from load.loader import LoadResult, load_message
from load.warehouse import open_warehouse
from storage import open_lake
from tests.load.curated_rows import (
    ALL_TABLES,
    USER,
    account,
    album,
    api,
    artist,
    everything,
    message,
    put,
    reject,
    snapshot,
    stream,
    top_item,
    track,
)


@pytest.fixture
def lake(folder_settings):
    return open_lake(folder_settings)


def load_all(settings, lake, *messages) -> list[LoadResult]:
    with open_warehouse(settings) as warehouse:
        return [load_message(warehouse, lake, m) for m in messages]


def final_streams(settings, lake) -> list[tuple]:
    with open_warehouse(settings) as warehouse:
        return snapshot(warehouse)


def test_load_twice_changes_nothing_and_counts_are_exact(folder_settings, lake):
    night = stream("2024-01-01T12:34:56.789")
    streams = put(
        lake,
        "streams",
        "u/up1/extended/a",
        [night, dict(night), stream("2024-01-02T10:00:00", track="Low Tide", track_id="trk2")],
    )
    rejects = put(lake, "rejects", "u/up1/extended/a", [reject("up1/a.json", 3), reject("up1/a.json", 7)])
    first, second = load_all(folder_settings, lake, message(streams, rejects), message(streams, rejects))

    assert first == LoadResult(
        streams_accepted=2, duplicates_skipped=1, records_set_aside=2, files=2, music_accepted=2
    )
    assert second == LoadResult(streams_accepted=0, duplicates_skipped=3, records_set_aside=2, files=2)
    with open_warehouse(folder_settings) as warehouse:
        assert warehouse.query("SELECT COUNT(*), COUNT(DISTINCT stream_key) FROM fact_stream") == [(2, 2)]
        assert warehouse.query("SELECT COUNT(*) FROM stream_reject") == [(2,)]
        assert snapshot(warehouse, "load_file") == [
            ("rejects/u/up1/extended/a.parquet", "rejects", 2, "raw/test"),
            ("streams/u/up1/extended/a.parquet", "streams", 3, "raw/test"),
        ]
        # UTC instants stay UTC (no session time zone shift), millisecond precision kept.
        assert str(warehouse.query("SELECT MIN(ts) FROM fact_stream")[0][0]) == "2024-01-01 12:34:56.789000"
        before = everything(warehouse)
        assert load_message(warehouse, lake, message(streams, rejects)).streams_accepted == 0
        assert everything(warehouse) == before


def test_counts_are_per_user_and_a_second_user_is_separate(folder_settings, lake):
    mine = put(lake, "streams", "a", [stream("2024-01-01T10:00:00")])
    # The same stream for another user (new), and my stream again (a duplicate).
    theirs = put(
        lake, "streams", "b", [stream("2024-01-01T10:00:00", user="v" * 24), stream("2024-01-01T10:00:00")]
    )
    first, second = load_all(folder_settings, lake, message(mine), message(theirs))
    assert first.streams_accepted == 1
    assert (second.streams_accepted, second.duplicates_skipped) == (1, 1)


def test_exact_duplicates_across_uploads_keep_the_smallest_origin_in_any_order(folder_settings, tmp_path):
    results = []
    for order in ((0, 1), (1, 0)):
        settings = folder_settings.with_lake_dir(tmp_path / f"order{order[0]}")
        lake = open_lake(settings)
        files = [
            put(lake, "streams", f"up{i}", [stream("2024-01-01T10:00:00", origin=f"up{i}/history.json")])
            for i in (1, 2)
        ]
        loaded = load_all(settings, lake, *(message(files[i]) for i in order))
        assert [r.streams_accepted for r in loaded] == [1, 0]
        results.append(final_streams(settings, lake))
    assert results[0] == results[1]
    assert [row[-1] for row in results[0]] == ["up1/history.json"]


EPISODE = {
    "artist": None,
    "track": None,
    "show_name": "Slow News",
    "episode_name": "Ep. 12",
}
ENDED = "2024-03-05T21:17:42.500"  # an extended row's end time; its account-data minute is 21:17


def _account_extended_files(lake):
    extended = put(
        lake,
        "streams",
        "ext",
        [
            stream(ENDED, ms=181_000),
            stream("2024-03-05T22:00:10", ms=50_000, track="Elsewhere", track_id="trk9"),
            stream("2024-03-05T22:40:05", ms=900_000, content_type="podcast", track_id=None, **EPISODE),
        ],
    )
    acc = put(
        lake,
        "streams",
        "acc",
        [
            account("2024-03-05T21:17:00", ms=181_000),  # the same stream as the first extended row
            account("2024-03-05T21:17:00", ms=180_999),  # another ms_played: another stream
            account("2024-03-05T23:00:00", ms=10_000, track="Only Here"),
            # a podcast episode has no artist or track: it matches on show and episode
            account("2024-03-05T22:40:00", ms=900_000, content_type="podcast", **EPISODE),
        ],
    )
    return extended, acc


def test_account_rows_and_extended_rows_give_the_same_result_in_either_order(folder_settings, tmp_path):
    finals, results = [], []
    for name in ("extended_first", "account_first"):
        settings = folder_settings.with_lake_dir(tmp_path / name)
        lake = open_lake(settings)
        extended, acc = _account_extended_files(lake)
        order = (extended, acc) if name == "extended_first" else (acc, extended)
        results.append(load_all(settings, lake, *(message(f) for f in order)))
        finals.append(final_streams(settings, lake))

    assert finals[0] == finals[1]
    assert sorted((row[2], row[4]) for row in finals[0]) == [
        ("account", 10_000),
        ("account", 180_999),
        ("extended", 50_000),
        ("extended", 181_000),
        ("extended", 900_000),
    ]
    # Either order, the two account rows the extended history has are counted as that, not as
    # duplicates: already there (extended first), or replaced by it (net 0, account first).
    counts = [
        [(r.streams_accepted, r.duplicates_skipped, r.in_extended_history) for r in rs] for rs in results
    ]
    assert counts[0] == [(3, 0, 0), (2, 0, 2)]
    assert counts[1] == [(4, 0, 0), (1, 0, 2)]


def _api_export_files(lake):
    export = put(
        lake,
        "streams",
        "export",
        [
            stream("2024-03-06T08:00:00", track="Tide", track_id="trkA"),
            stream("2024-03-06T09:00:00", track="Harbour", track_id="trkB"),
        ],
    )
    acc = put(lake, "streams", "acc", [account("2024-03-06T10:00:00", track="Static")])
    plays = put(
        lake,
        "streams",
        "api",
        [
            api("2024-03-06T08:01:00", track="Tide", track_id="trkA"),  # exactly 60 s later: same
            api("2024-03-06T09:01:01", track="Harbour", track_id="trkB"),  # 61 s: another stream
            api("2024-03-06T09:59:15.250", track="Static", track_id="trkS"),  # account row: by names
            api("2024-03-06T08:00:30", track="Other", track_id="trkO"),  # another track: kept
        ],
    )
    return export, acc, plays


def test_api_plays_and_export_rows_within_60_s_are_one_stream_in_either_order(folder_settings, tmp_path):
    finals = []
    for name in ("export_first", "api_first"):
        settings = folder_settings.with_lake_dir(tmp_path / name)
        lake = open_lake(settings)
        export, acc, plays = _api_export_files(lake)
        order = (export, acc, plays) if name == "export_first" else (plays, acc, export)
        results = load_all(settings, lake, *(message(f) for f in order))
        finals.append(final_streams(settings, lake))
        if name == "export_first":
            assert [(r.streams_accepted, r.duplicates_skipped) for r in results] == [(2, 0), (1, 0), (2, 2)]
        else:
            # The api rows come first; each export row replaces its api play (net 0).
            assert [(r.streams_accepted, r.duplicates_skipped) for r in results] == [(4, 0), (0, 1), (1, 1)]
    assert finals[0] == finals[1]
    assert sorted((row[2], row[9] or row[6]) for row in finals[0]) == [
        ("account", "Static"),
        ("api", "trkB"),
        ("api", "trkO"),
        ("extended", "trkA"),
        ("extended", "trkB"),
    ]


@pytest.mark.parametrize(
    ("played_at", "same"),
    [
        ("2024-03-07T12:01:00.400", True),  # the reviewer's repro: 60.4 s after the minute's start
        ("2024-03-07T12:01:59.900", True),  # within 60 s of 12:00:59.999, the minute's last instant
        ("2024-03-07T11:59:00.000", True),  # 60 s before the minute's first instant
        ("2024-03-07T12:02:00.500", False),  # more than 60 s after every instant of 12:00
        ("2024-03-07T11:58:59.500", False),  # more than 60 s before every instant of 12:00
    ],
)
@pytest.mark.parametrize("order", ["account_first", "api_first", "together"])
def test_an_api_play_within_60_s_of_any_instant_of_an_account_minute_is_that_stream(
    folder_settings, tmp_path, played_at, same, order
):
    # An account row's ts is its end minute rounded down: the real end lies in [12:00, 12:01).
    settings = folder_settings.with_lake_dir(tmp_path / order)
    lake = open_lake(settings)
    acc_row, play_row = account("2024-03-07T12:00:00", track="Static"), api(played_at, track="Static")
    if order == "together":
        messages = [message(put(lake, "streams", "both", [acc_row, play_row]))]
    else:
        acc, play = put(lake, "streams", "acc", [acc_row]), put(lake, "streams", "api", [play_row])
        messages = (
            [message(acc), message(play)] if order == "account_first" else [message(play), message(acc)]
        )
    results = load_all(settings, lake, *messages)
    sources = sorted(row[2] for row in final_streams(settings, lake))
    assert sources == (["account"] if same else ["account", "api"])
    assert sum(r.streams_accepted for r in results) == len(sources)
    assert sum(r.duplicates_skipped for r in results) == (1 if same else 0)


def test_one_message_mixing_sources_applies_the_same_rules(folder_settings, lake):
    both = put(
        lake,
        "streams",
        "mixed",
        [stream(ENDED, ms=181_000), account("2024-03-05T21:17:00", ms=181_000), api("2024-03-05T21:18:10")],
    )
    (result,) = load_all(folder_settings, lake, message(both))
    # the API play is a duplicate; the account row is the extended row's stream
    assert (result.streams_accepted, result.duplicates_skipped, result.in_extended_history) == (1, 1, 1)
    assert [row[2] for row in final_streams(folder_settings, lake)] == ["extended"]


def _state(settings, lake):
    with open_warehouse(settings) as warehouse:
        return everything(warehouse)


@pytest.mark.parametrize(
    ("broken", "reason"),
    [
        ("missing", "curated file missing"),
        ("wrong_schema", "differ from the rejects schema"),
        ("not_parquet", "not a readable Parquet file"),
        ("null_in_not_null_column", "rolled back"),
    ],
)
def test_a_message_with_a_broken_file_leaves_the_warehouse_exactly_as_before(
    folder_settings, lake, broken, reason
):
    first = put(lake, "streams", "first", [stream("2024-01-01T10:00:00")])
    load_all(folder_settings, lake, message(first))
    before = _state(folder_settings, lake)

    good = put(lake, "streams", "second", [stream("2024-01-02T10:00:00"), stream("2024-01-03T10:00:00")])
    if broken == "missing":
        second = put(lake, "rejects", "second", [reject("x", 1)])
        lake.delete("curated", second.path)
    elif broken == "wrong_schema":
        renamed = pa.schema([f.with_name("why") if f.name == "reason" else f for f in DATASETS["rejects"]])
        second = put(
            lake,
            "rejects",
            "second",
            [{"user_id": USER, "origin": "x", "record_index": 1, "why": "?"}],
            renamed,
        )
    elif broken == "not_parquet":
        second = put(lake, "rejects", "second", [reject("x", 1)])
        lake.write_bytes("curated", second.path, b"PAR1 this is not parquet")
    else:
        # Same names and types, so it gets past the schema check and fails inside the transaction,
        # after fact_stream has already taken the new streams.
        loose = pa.schema([f.with_nullable(True) for f in DATASETS["rejects"]])
        second = put(lake, "rejects", "second", [reject("x", 1), {**reject("x", 2), "reason": None}], loose)

    with open_warehouse(folder_settings) as warehouse:
        with pytest.raises(LoadError, match=reason):
            load_message(warehouse, lake, message(good, second))
        assert everything(warehouse) == before
        # The connection is still usable, and no staging table is left behind.
        assert warehouse.query("SELECT COUNT(*) FROM duckdb_tables() WHERE table_name LIKE 'stg_%'") == [(0,)]
        assert load_message(warehouse, lake, message(good)).streams_accepted == 2


def test_an_unknown_dataset_is_refused_before_anything_runs(folder_settings, lake):
    from contracts.load_message import CuratedFile

    with open_warehouse(folder_settings) as warehouse:
        with pytest.raises(LoadError, match="unknown curated dataset"):
            load_message(warehouse, lake, message(CuratedFile("playlists", "playlists/a.parquet", 1)))
        assert load_message(warehouse, lake, message()) == LoadResult()


def test_dimensions_upsert_by_latest_fetch_and_the_enrichment_backlog(folder_settings, lake):
    plays = put(
        lake,
        "streams",
        "s",
        [
            stream("2024-01-01T10:00:00", track_id="t1"),
            stream("2024-01-01T11:00:00", track_id="t2"),
            stream("2024-01-01T12:00:00", track_id="t3"),
            stream("2024-01-01T13:00:00", track_id=None, content_type="podcast", track=None, artist=None),
        ],
    )
    with open_warehouse(folder_settings) as warehouse:
        load_message(warehouse, lake, message(plays))
        assert warehouse.unenriched_ids("track") == ["t1", "t2", "t3"]
        assert warehouse.unenriched_ids("album") == []

        newer = put(
            lake,
            "tracks",
            "newer",
            [
                track("t1", "One (remaster)", "al1", fetched="2024-02-02T00:00:00"),
                track("t1", "One (stale copy)", "al1", fetched="2024-01-15T00:00:00"),  # same file: dedupe
                track("t2", "Two", "al2"),
            ],
        )
        older = put(lake, "tracks", "older", [track("t1", "One", "al1", fetched="2024-01-01T00:00:00")])
        links = put(
            lake,
            "track_artists",
            "links",
            [
                {"track_id": "t1", "artist_id": "ar1", "position": 0},
                {"track_id": "t1", "artist_id": "ar2", "position": 1},
            ],
        )
        load_message(warehouse, lake, message(newer, links))
        load_message(warehouse, lake, message(older))  # arrives late: the newer fetch stays
        assert warehouse.query("SELECT track_id, name FROM dim_track ORDER BY track_id") == [
            ("t1", "One (remaster)"),
            ("t2", "Two"),
        ]
        assert warehouse.unenriched_ids("track") == ["t3"]
        assert warehouse.unenriched_ids("album") == ["al1", "al2"]
        assert warehouse.unenriched_ids("artist") == ["ar1", "ar2"]

        load_message(
            warehouse,
            lake,
            message(
                put(lake, "albums", "a", [album("al1", "First")]),
                put(lake, "artists", "a", [artist("ar2", "B")]),
            ),
        )
        assert warehouse.unenriched_ids("album") == ["al2"]
        assert warehouse.unenriched_ids("artist") == ["ar1"]
        with pytest.raises(ValueError):
            warehouse.unenriched_ids("genre")


def test_bridges_and_top_items_are_replaced_by_key(folder_settings, lake):
    def genres(name, rows):
        return put(lake, "artist_genres", name, [{"artist_id": a, "genre": g} for a, g in rows])

    first = genres("g1", [("ar1", "indie"), ("ar1", "dream pop"), ("ar2", "jazz")])
    second = genres("g2", [("ar1", "shoegaze")])
    tops_a = put(lake, "top_items", "t1", [top_item(1, "x"), top_item(2, "y")])
    tops_b = put(lake, "top_items", "t2", [top_item(1, "z")])
    tops_other_range = put(lake, "top_items", "t3", [top_item(1, "w", time_range="long_term")])
    with open_warehouse(folder_settings) as warehouse:
        for m in (message(first, tops_a), message(second, tops_b), message(tops_other_range)):
            load_message(warehouse, lake, m)
        assert warehouse.query("SELECT artist_id, genre FROM bridge_artist_genre ORDER BY 1, 2") == [
            ("ar1", "shoegaze"),
            ("ar2", "jazz"),
        ]
        assert warehouse.query('SELECT time_range, "rank", item_id FROM fact_top_item ORDER BY 1, 2') == [
            ("long_term", 1, "w"),
            ("short_term", 1, "z"),
        ]


def test_rejects_of_the_same_origin_are_replaced(folder_settings, lake):
    v1 = put(
        lake, "rejects", "v1", [reject("up1/a.json", 1), reject("up1/a.json", 2), reject("up1/b.json", 1)]
    )
    v2 = put(lake, "rejects", "v2", [reject("up1/a.json", 5)])
    results = load_all(folder_settings, lake, message(v1), message(v2))
    assert [r.records_set_aside for r in results] == [3, 1]
    with open_warehouse(folder_settings) as warehouse:
        assert warehouse.query("SELECT origin, record_index FROM stream_reject ORDER BY 1, 2") == [
            ("up1/a.json", 5),
            ("up1/b.json", 1),
        ]


def test_warehouse_file_lives_in_the_lake_dir(folder_settings, lake):
    with open_warehouse(folder_settings) as warehouse:
        names = warehouse.existing_objects()
    assert (folder_settings.lake_dir / "warehouse.duckdb").is_file()
    assert set(ALL_TABLES) | {"v_music_stream", "v_top_artist", "v_top_track"} <= names


@pytest.mark.azurite
def test_load_from_azurite_into_duckdb(azurite_settings):
    lake = open_lake(azurite_settings)
    streams = put(
        lake, "streams", "u/up1/extended/a", [stream("2024-01-01T10:00:00"), stream("2024-01-01T11:00:00")]
    )
    rejects = put(lake, "rejects", "u/up1/extended/a", [reject("up1/a.json", 0)])
    first, again = load_all(azurite_settings, lake, message(streams, rejects), message(streams, rejects))
    assert first == LoadResult(
        streams_accepted=2, duplicates_skipped=0, records_set_aside=1, files=2, music_accepted=2
    )
    assert (again.streams_accepted, again.duplicates_skipped) == (0, 2)
    assert (azurite_settings.lake_dir / "warehouse.duckdb").is_file()
    assert len(final_streams(azurite_settings, lake)) == 2


def _modes_of(lake, run: str, user: str, labels: list[str]):
    rows = [
        {n: None for n in DATASETS["listening_modes"].names}
        | {
            "user_id": user,
            "run_id": run,
            "mode_id": i,
            "label": label,
            "sessions": 1,
            "session_share": 1.0,
            "ms_played": 1,
            "minutes_share": 1.0,
            "typical_hour": 1.0,
            "typical_minutes": 1.0,
            "skip_rate": 0.0,
            "shuffle_share": 0.0,
            "artists_per_hour": 1.0,
            "podcast_share": 0.0,
            "new_artist_share": 0.0,
            "device": "phone",
            "silhouette": 0.5,
        }
        for i, label in enumerate(labels, 1)
    ]
    return put(lake, "listening_modes", f"{user}/analysis/modes/{run}", rows)


@pytest.mark.parametrize("order", ["older first", "newer first", "one batch"])
def test_analysis_results_keep_the_newest_run_per_key_in_any_order(folder_settings, lake, order):
    from load.loader import load_messages

    other = "v" * 24
    older = message(
        _modes_of(lake, "20261201T000000Z", USER, ["a", "b", "c"]),
        _modes_of(lake, "20261201T000000Z", other, ["x"]),
        curated_from="analysis:modes/20261201T000000Z",
    )
    newer = message(
        _modes_of(lake, "20261208T000000Z", USER, ["d", "e"]), curated_from="analysis:modes/20261208T000000Z"
    )
    with open_warehouse(folder_settings) as warehouse:
        if order == "one batch":
            outcomes = list(load_messages(warehouse, lake, [newer, older]))
            assert len(outcomes) == 1  # the newest run wins anyway: they may load together
        else:
            for m in (older, newer) if order == "older first" else (newer, older):
                load_message(warehouse, lake, m)
        load_message(warehouse, lake, newer)  # a replay changes nothing
        assert warehouse.query("SELECT user_id, run_id, label FROM dim_listening_mode ORDER BY 1, 3") == [
            (USER, "20261208T000000Z", "d"),
            (USER, "20261208T000000Z", "e"),
            (other, "20261201T000000Z", "x"),  # another key: its own latest run
        ]
