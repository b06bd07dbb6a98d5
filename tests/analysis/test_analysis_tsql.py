"""The analyses' SQL rendered for Synapse parses as T-SQL and uses none of DuckDB's own spellings.

The same logical queries run on DuckDB in the other tests here (test_chart_runs, test_modes).
"""

from __future__ import annotations

from datetime import date

import pytest
import sqlglot
from sqlglot import exp

from analysis.chart_runs import chart_span_sql, runs_sql
from analysis.sessions import session_artists_sql, sessions_sql, users_sql
from load.dialect import TSQL
from load.local_time import HomeZone

HOME = HomeZone.of("Europe/Stockholm")
STATEMENTS = {
    "runs": runs_sql(TSQL),
    "chart_span": chart_span_sql(TSQL),
    "sessions": sessions_sql(TSQL, "u", HOME, date(2024, 1, 1), date(2024, 12, 31)),
    "everybody's sessions": sessions_sql(TSQL, None, HOME),
    "session_artists": session_artists_sql(TSQL, "u", HOME, None, date(2024, 12, 31)),
    "users": users_sql(TSQL),
}
DUCKDB_ONLY = ("date_diff(", "isodow(", " // ", "INTERVAL", "LIMIT ", "::", "to_seconds(")


@pytest.mark.parametrize("name", sorted(STATEMENTS))
def test_each_analysis_query_parses_as_tsql(name):
    sql = STATEMENTS[name]
    parsed = sqlglot.parse_one(sql, read="tsql")
    assert isinstance(parsed, exp.Select | exp.Union | exp.With) or parsed.find(exp.Select)
    assert not isinstance(parsed, exp.Command)
    assert not [word for word in DUCKDB_ONLY if word in sql], name
