"""The same plan rendered as T-SQL for Synapse: every statement parses, and the design is as stated.

sqlglot (tsql) parses every generated statement as is, COPY INTO and `WITH (DISTRIBUTION = ...,
HEAP)` included, with ONE exception that is stripped before parsing: the Synapse table option
`CLUSTERED INDEX (<columns>)` inside `CREATE TABLE ... WITH (...)` (fact_stream, the dims and the
bridges), which sqlglot's T-SQL grammar does not know; tests.load.curated_rows.strip_synapse_options
removes exactly that.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
import sqlglot
from sqlglot import exp

from contracts.load_message import CuratedFile, LoadMessage
from load.dialect import DUCKDB, TSQL
from load.local_time import HomeZone
from load.period import Period
from load.plan import build_plan, dry_run_tag, group_curated, render_plan, schema_statements, synapse_script
from load.tables import TABLE_BY_DATASET, TABLES
from load.wrapped import queries
from tests.load.curated_rows import strip_synapse_options

ALL_DATASETS = LoadMessage(
    curated_from="raw/spotify-api/x",
    files=(
        *(CuratedFile(t.dataset, f"{t.dataset}/u/up1/a.parquet", 3) for t in TABLES if t.dataset),
        CuratedFile("streams", "streams/u/up1/b.parquet", 2),
    ),
)
URL = "https://acct.dfs.core.windows.net/curated/{}"


def tsql_statements() -> list[str]:
    plan = build_plan(ALL_DATASETS, dry_run_tag(ALL_DATASETS), "2024-02-01T00:00:00.000")
    statements = schema_statements(TSQL)
    statements += schema_statements(TSQL, existing={t.name for t in TABLES} | {"v_music_stream"})
    statements += [s.sql for s in render_plan(plan, TSQL, URL.format)]
    home = HomeZone.of("Europe/Berlin")
    for user in ("u", None):
        for period in (Period(), Period.parse(year="2024"), Period.parse("2024-03-01", "2024-03-31")):
            statements += list(queries(TSQL, user, home, period, 10).values())
    return statements


@pytest.mark.parametrize("sql", tsql_statements())
def test_every_generated_tsql_statement_parses(sql):
    parsed = sqlglot.parse_one(strip_synapse_options(sql), read="tsql")
    assert not isinstance(parsed, exp.Command), f"sqlglot fell back to an opaque command: {sql[:80]}"


def test_only_clustered_index_options_need_stripping():
    stripped = [s for s in tsql_statements() if strip_synapse_options(s) != s]
    assert stripped and all(s.startswith("CREATE TABLE dbo.") and "CLUSTERED INDEX" in s for s in stripped)
    assert all("CLUSTERED INDEX" not in strip_synapse_options(s) for s in tsql_statements())


def test_synapse_tables_get_their_distribution_and_index():
    ddl = {s.split()[2]: s for s in schema_statements(TSQL) if s.startswith("CREATE TABLE")}
    assert set(ddl) == {f"dbo.{t.name}" for t in TABLES}
    assert (
        "WITH (DISTRIBUTION = HASH([stream_key]), CLUSTERED INDEX ([user_id], [ts]))"
        in ddl["dbo.fact_stream"]
    )
    for dim in ("dim_track", "dim_album", "dim_artist", "bridge_track_artist", "bridge_artist_genre"):
        assert "DISTRIBUTION = REPLICATE" in ddl[f"dbo.{dim}"]
    for sql in ddl.values():
        assert "MAX)" not in sql and "COLUMNSTORE" not in sql
        assert re.findall(r"\] (\w+)", sql) and set(re.findall(r"\] (\w+)", sql)) <= {
            "NVARCHAR",
            "DATETIME2",
            "BIGINT",
            "INT",
            "FLOAT",
            "BIT",
            "DATE",
        }
    assert "[ts] DATETIME2(3) NOT NULL" in ddl["dbo.fact_stream"]
    assert "[user_id] NVARCHAR(64) NOT NULL" in ddl["dbo.fact_stream"]


def test_one_plan_renders_the_same_steps_in_both_dialects():
    plan = build_plan(ALL_DATASETS, "t1", "2024-02-01T00:00:00.000")
    tsql = render_plan(plan, TSQL, URL.format)
    duck = render_plan(plan, DUCKDB, lambda p: f"/lake/curated/{p}")

    # Same steps, same phases, same captured counts and conditions: only the SQL differs (a
    # dialect may render a step as more statements, e.g. DuckDB's derived staging views).
    def shape(statements):
        return [(s.phase, s.capture, s.if_any, s.if_none) for s in statements]

    for step in plan.steps:
        t_step = render_plan(replace(plan, steps=(step,)), TSQL, URL.format)
        d_step = render_plan(replace(plan, steps=(step,)), DUCKDB, lambda p: f"/lake/curated/{p}")
        assert set(shape(t_step)) == set(shape(d_step)), step
    assert [s.capture for s in tsql if s.capture] == [s.capture for s in duck if s.capture]
    captured = {name for s in tsql if s.capture for name in s.capture.split(",")}
    assert {"beatable:streams", "repeated:streams", "before:streams", "after:streams:podcast"} <= captured
    assert {"in_extended:streams", "before:streams:account"} <= captured
    phases = [s.phase for s in tsql]
    assert phases.count("begin") == phases.count("commit") == 1
    begin, commit = phases.index("begin"), phases.index("commit")
    assert set(phases[:begin]) == {"setup"} and set(phases[begin + 1 : commit]) == {"txn"}
    assert set(phases[commit + 1 :]) == {"cleanup"}
    # DDL only outside the transaction (Synapse forbids it inside).
    assert not any(s.sql.startswith(("CREATE", "DROP", "IF ", "COPY")) for s in tsql[begin:commit])

    copies = [s.sql for s in tsql if s.sql.startswith("COPY INTO")]
    assert len(copies) == len(TABLE_BY_DATASET)  # one per dataset; the two streams files in one COPY
    assert copies[0] == (
        "COPY INTO dbo.stg_t1_streams_in FROM "
        "'https://acct.dfs.core.windows.net/curated/streams/u/up1/a.parquet', "
        "'https://acct.dfs.core.windows.net/curated/streams/u/up1/b.parquet' WITH (FILE_TYPE = 'PARQUET', "
        "CREDENTIAL = (IDENTITY = 'Managed Identity'), MAXERRORS = 0)"
    )
    reads = [s.sql for s in duck if "read_parquet" in s.sql]
    assert (
        "read_parquet(['/lake/curated/streams/u/up1/a.parquet', '/lake/curated/streams/u/up1/b.parquet'])"
        in reads[0]
    )
    # The dialect hooks: minute truncation and the ±60 s window.
    merge = " ".join(s.sql for s in tsql)
    assert "DATEADD(minute, DATEDIFF(minute," in merge and "DATEADD(second, -60, s.ts)" in merge
    duck_merge = " ".join(s.sql for s in duck)
    assert "date_trunc('minute', s.ts)" in duck_merge and "INTERVAL (60) SECOND" in duck_merge
    # An account row's minute: an api play matches [ts - 60 s, ts + 120 s]; the near filter is ±121 s.
    assert "DATEADD(second, 120, s.ts)" in merge and "DATEADD(second, -121, MIN(n.ts))" in merge
    assert "(s.ts + INTERVAL (120) SECOND)" in duck_merge and "INTERVAL (-121) SECOND" in duck_merge


def test_group_curated_pairs_streams_with_their_rejects():
    paths = [
        "rejects/u/up1/extended/a.parquet",
        "streams/u/up1/extended/a.parquet",
        "streams/u/up1/extended/b.parquet",
        "tracks/dt=2024-02-01/p0.parquet",
        "playlists/x.parquet",
        "streams/u/readme.txt",
    ]
    groups = group_curated(paths, loaded={"streams/u/up1/extended/b.parquet"})
    assert [[f.path for f in m.files] for m in groups] == [
        ["tracks/dt=2024-02-01/p0.parquet"],
        ["streams/u/up1/extended/a.parquet", "rejects/u/up1/extended/a.parquet"],
    ]


def test_synapse_script_is_the_whole_plan():
    script = synapse_script(TSQL, [ALL_DATASETS], URL.format, "2024-02-01T00:00:00.000", ["header"])
    assert script.startswith("-- header\n")
    assert script.count("CREATE TABLE dbo.") == len(TABLES) + 2 * len(TABLE_BY_DATASET)  # tables + staging
    assert "CREATE VIEW dbo.v_top_track AS" in script
    assert script.count("BEGIN TRANSACTION;") == 1 and script.count("COMMIT TRANSACTION;") == 1
