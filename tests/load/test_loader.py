"""Loading many messages over one warehouse: batches, a bad message among good ones, the schema version."""

from __future__ import annotations

import dataclasses

import pytest
import sqlglot
from sqlglot import exp

from contracts.load_message import CuratedFile, LoadMessage
from load.dialect import DUCKDB, TSQL
from load.loader import LoadResult, batch_messages, load_message, load_messages
from load.plan import build_plan, render_plan, schema_version
from load.tables import META
from load.warehouse import open_warehouse
from storage import open_lake
from tests.load.curated_rows import (
    account,
    api,
    everything,
    message,
    put,
    stream,
    strip_synapse_options,
    three_overlapping_messages,
)


@pytest.fixture
def lake(folder_settings):
    return open_lake(folder_settings)


def _msg(source: str, rows: int, dataset: str = "streams") -> LoadMessage:
    return LoadMessage(source, (CuratedFile(dataset, f"{dataset}/{source}.parquet", rows),))


def test_batches_respect_the_row_budget_and_keep_order():
    messages = [_msg(f"m{i}", 40) for i in range(5)]
    assert [[m.curated_from for m in b] for b in batch_messages(messages, row_budget=100)] == [
        ["m0", "m1"],
        ["m2", "m3"],
        ["m4"],
    ]
    big = _msg("big", 500)  # larger than the budget: a batch of its own
    assert [len(b) for b in batch_messages([messages[0], big, messages[1]], row_budget=100)] == [1, 1, 1]


def test_only_order_independent_messages_share_a_batch():
    tracks, unknown_rows = _msg("t", 5, "tracks"), _msg("u", 0)
    replay = _msg("m0", 10)  # the same source (and file) again: loading it again must count as a replay
    batches = batch_messages([_msg("m0", 10), replay, _msg("m1", 10), tracks, _msg("m2", 10), unknown_rows])
    assert [[m.curated_from for m in b] for b in batches] == [["m0"], ["m0", "m1"], ["t"], ["m2"], ["u"]]
    assert batch_messages([]) == []


def test_a_batch_records_each_file_with_its_own_source():
    plan = build_plan([_msg("a", 1), _msg("b", 2)], "t1", "2024-02-01T00:00:00.000")
    sql = " ".join(s.sql for s in render_plan(plan, DUCKDB, lambda p: p) if "load_file" in s.sql)
    assert "'streams/a.parquet', 'streams', 1, 'a'" in sql and "'streams/b.parquet', 'streams', 2, 'b'" in sql


def _sum(results) -> LoadResult:
    results = list(results)
    names = [f.name for f in dataclasses.fields(LoadResult)]
    return LoadResult(*(sum(getattr(r, name) for r in results) for name in names))


@pytest.mark.parametrize("order", [(0, 1, 2), (2, 1, 0)])
def test_a_batch_gives_what_loading_one_by_one_gives(folder_settings, tmp_path, order):
    states, totals = [], []
    for batched in (False, True):
        settings = folder_settings.with_lake_dir(tmp_path / f"batched{batched}")
        lake = open_lake(settings)
        messages = [three_overlapping_messages(lake)[i] for i in order]
        with open_warehouse(settings) as warehouse:
            if batched:
                outcomes = list(load_messages(warehouse, lake, messages))
                assert [len(o.messages) for o in outcomes] == [3]
                totals.append(_sum(o.result for o in outcomes))
            else:
                totals.append(_sum(load_message(warehouse, lake, m) for m in messages))
            state = everything(warehouse)
            assert load_message(warehouse, lake, messages[0]).streams_accepted == 0  # replays change nothing
        states.append(state)
    assert states[0] == states[1]
    assert (
        totals[0]
        == totals[1]
        == LoadResult(
            streams_accepted=4,
            duplicates_skipped=1,  # the Web API play the export has
            records_set_aside=1,
            files=4,
            music_accepted=4,
            in_extended_history=1,  # the account row the export has, whichever loaded first
        )
    )


def test_a_bad_message_in_a_batch_fails_alone_and_the_others_load(folder_settings, lake):
    good = three_overlapping_messages(lake)
    broken = put(lake, "streams", "broken", [stream("2024-05-01T10:00:00", track_id="trkB")])
    lake.write_bytes("curated", broken.path, b"PAR1 not parquet")
    bad = message(broken, curated_from="raw/broken")
    with open_warehouse(folder_settings) as warehouse:
        outcomes = list(load_messages(warehouse, lake, [good[0], bad, *good[1:]]))
        assert [(tuple(m.curated_from for m in o.messages), o.error is None) for o in outcomes] == [
            (("raw/ext",), True),
            (("raw/broken",), False),
            (("raw/acc",), True),
            (("raw/api",), True),
        ]
        (error,) = [o.error for o in outcomes if o.error]
        assert "not a readable Parquet file" in str(error) and "\n" not in str(error)
        assert _sum(o.result for o in outcomes if o.result).streams_accepted == 4
        paths = {row[0] for row in warehouse.query("SELECT path FROM load_file")}
        assert broken.path not in paths and len(paths) == 4
        assert warehouse.query("SELECT COUNT(*) FROM fact_stream WHERE track_id = 'trkB'") == [(0,)]


def test_the_schema_is_defined_once_and_again_only_when_it_changes(folder_settings, lake):
    with open_warehouse(folder_settings) as warehouse:
        assert warehouse.stored_schema_version() == schema_version(DUCKDB)
        warehouse.run("CREATE OR REPLACE VIEW v_top_track AS SELECT 1 AS marker")
    with open_warehouse(folder_settings) as warehouse:
        # Same version: the views were not redefined (the hand-made one is still there).
        assert warehouse.query("SELECT * FROM v_top_track") == [(1,)]
        warehouse.run("UPDATE warehouse_meta SET value = 'older' WHERE name = 'schema_version'")
    with open_warehouse(folder_settings) as warehouse:
        assert "track" in {row[0] for row in warehouse.query("DESCRIBE v_top_track")}
        assert warehouse.stored_schema_version() == schema_version(DUCKDB)
        warehouse.run("DROP VIEW v_listening_clock")
    with open_warehouse(folder_settings) as warehouse:
        assert "v_listening_clock" in warehouse.existing_objects()  # a missing object is created


def test_schema_version_and_meta_table_in_tsql():
    assert schema_version(TSQL) == schema_version(TSQL) != schema_version(DUCKDB)
    parsed = sqlglot.parse_one(strip_synapse_options(TSQL.create_table(META)), read="tsql")
    assert isinstance(parsed, exp.Create)


def test_the_conditional_dedupe_runs_exactly_one_of_its_statements(folder_settings, lake):
    twice = stream("2024-01-01T10:00:00", origin="up2/b.json")
    rows = [twice, dict(twice, origin="up1/a.json"), stream("2024-01-01T11:00:00")]
    with open_warehouse(folder_settings) as warehouse:
        result = load_message(warehouse, lake, message(put(lake, "streams", "dups", rows)))
        assert (result.streams_accepted, result.duplicates_skipped) == (2, 1)
        assert sorted(r[0] for r in warehouse.query("SELECT origin FROM fact_stream")) == [
            "up1/Streaming_History_Audio_0.json",
            "up1/a.json",
        ]


def test_repeated_keys_and_beaten_rows_in_one_message_leave_no_staging_behind(folder_settings, lake):
    # DuckDB stages streams as views over the files; repeated keys keep their winners in a table.
    twice = stream("2024-01-01T10:00:00", origin="up2/b.json")
    rows = [
        twice,
        dict(twice, origin="up1/a.json"),
        stream("2024-01-01T11:00:00", ms=181_000),
        api("2024-01-01T11:00:30"),  # the extended row above wins
        account("2024-01-01T11:00:00", ms=181_000),  # so does it over this one
    ]
    with open_warehouse(folder_settings) as warehouse:
        loaded = message(put(lake, "streams", "mixed_dups", rows))
        result = load_message(warehouse, lake, loaded)
        assert (result.streams_accepted, result.duplicates_skipped, result.in_extended_history) == (2, 2, 1)
        assert sorted(r[0] for r in warehouse.query("SELECT source FROM fact_stream")) == ["extended"] * 2
        assert load_message(warehouse, lake, loaded).streams_accepted == 0
        leftovers = warehouse.query(
            "SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'stg_%'"
            " UNION ALL SELECT view_name FROM duckdb_views() WHERE view_name LIKE 'stg_%'"
        )
        assert leftovers == []
