"""The Wrapped figures that need Spotify's public charts: ahead of the charts, and mainstream share.

Both are about the listener's country: the conn_country most of their music streams in the
period were played in (ties: the first by code), else the home zone's country. When no Top 200
of that country is loaded (or it does not cover the period), the figures are absent, not zero.

- ahead_of_charts: tracks that entered the country's Top 200 in the period (not on the chart's
  first day in the data, when they may have been on it long before) and that the listener had
  streamed before that day: how many, and the ones found earliest, with the number of days;
- mainstream_share: of the listening time in the weeks (Monday to Sunday, local dates) the
  country's chart covers, the share on tracks that were in that week's Top 200.

A stream matches a chart entry by track id, or (a stream without one, as account data has) by
exact artist and title, the chart's artist being the one its file names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from load.dialect import Dialect
from load.period import Period

Run = Callable[[str], list[tuple]]
Music = Callable[[Period], str]  # the period's music streams, as a FROM item aliased m


class ChartQueries:
    """The chart figures' SQL in one dialect, over a user's local music streams."""

    def __init__(self, d: Dialect, music: Music, top: int):
        self.d, self.music, self.top = d, music, top

    def _chart(self, country: str, alias: str = "c") -> str:
        d = self.d
        return (
            f"{d.table('fact_chart_entry')} AS {alias} WHERE {alias}.country = {d.lit(country)}"
            f" AND {alias}.chart = {d.lit('top200')}"
        )

    def country(self, period: Period) -> str:
        """The period's conn_country with the most music streams (ties: the first by code)."""
        d = self.d
        return (
            f"SELECT {d.top(1)} m.conn_country, COUNT(*) FROM {self.music(period)}"
            " WHERE m.conn_country IS NOT NULL GROUP BY m.conn_country"
            f" ORDER BY COUNT(*) DESC, m.conn_country {d.limit(1)}"
        ).strip()

    def coverage(self, country: str) -> str:
        return f"SELECT MIN(c.chart_date), MAX(c.chart_date) FROM {self._chart(country)}"

    def ahead(self, country: str, period: Period) -> str:
        """Tracks entering the chart in the period, with the listener's first stream of each."""
        d = self.d
        start = f"(SELECT MIN(f.chart_date) FROM {self._chart(country, 'f')})"
        entered = (
            "SELECT c.track_id, MIN(c.title) AS title, MIN(c.artist) AS artist, MIN(c.chart_date) AS entered"
            f" FROM {self._chart(country)} AND c.track_id IS NOT NULL GROUP BY c.track_id"
        )
        by_id = (
            "SELECT m.track_id, MIN(m.local_date) AS first_heard"
            f" FROM {self.music(Period())} WHERE m.track_id IS NOT NULL GROUP BY m.track_id"
        )
        by_name = (
            "SELECT m.artist_name, m.track_name, MIN(m.local_date) AS first_heard"
            f" FROM {self.music(Period())} WHERE m.track_id IS NULL GROUP BY m.artist_name, m.track_name"
        )
        first = (
            "CASE WHEN n.first_heard IS NULL OR i.first_heard <= n.first_heard"
            " THEN i.first_heard ELSE n.first_heard END"
        )
        bounds = []
        if period.first is not None:
            bounds.append(f"e.entered >= {d.date_lit(period.first)}")
        if period.last is not None:
            bounds.append(f"e.entered <= {d.date_lit(period.last)}")
        where = " AND ".join([f"e.entered > {start}", *bounds])
        return (
            f"SELECT e.title, e.artist, e.entered, {first} AS first_heard FROM ({entered}) AS e"
            f" LEFT JOIN ({by_id}) AS i ON i.track_id = e.track_id"
            f" LEFT JOIN ({by_name}) AS n ON n.artist_name = e.artist AND n.track_name = e.title"
            f" WHERE {where} AND (i.first_heard IS NOT NULL OR n.first_heard IS NOT NULL)"
        )

    def _week(self, column: str) -> str:
        return self.d.add_days(column, f"-{self.d.weekday(column)}")

    def mainstream(self, country: str, period: Period) -> str:
        """ms in the chart's weeks, ms of those on that week's chart, and the weeks."""
        week_of_chart = self._week("c.chart_date")
        weeks = f"SELECT DISTINCT {week_of_chart} AS wk FROM {self._chart(country)}"
        by_id = (
            f"SELECT DISTINCT c.track_id, {week_of_chart} AS wk FROM {self._chart(country)}"
            " AND c.track_id IS NOT NULL"
        )
        by_name = f"SELECT DISTINCT c.artist, c.title, {week_of_chart} AS wk FROM {self._chart(country)}"
        streams = f"SELECT m.*, {self._week('m.local_date')} AS wk FROM {self.music(period)}"
        charted = "t.track_id IS NOT NULL OR n.title IS NOT NULL"
        return (
            f"SELECT SUM(s.ms_played), SUM(CASE WHEN {charted} THEN s.ms_played ELSE 0 END),"
            f" COUNT(DISTINCT s.wk) FROM ({streams}) AS s INNER JOIN ({weeks}) AS w ON w.wk = s.wk"
            f" LEFT JOIN ({by_id}) AS t ON t.track_id = s.track_id AND t.wk = s.wk"
            f" LEFT JOIN ({by_name}) AS n ON s.track_id IS NULL AND n.artist = s.artist_name"
            " AND n.title = s.track_name AND n.wk = s.wk"
        )


def chart_figures(run: Run, q: ChartQueries, period: Period, home_country: str) -> dict[str, Any]:
    """{"ahead_of_charts": ..., "mainstream_share": ...}, each only when the data allows it."""
    rows = run(q.country(period))
    country = rows[0][0] if rows else (home_country or None)
    if not country:
        return {}
    first_day, last_day = run(q.coverage(country))[0]
    overlaps = first_day is not None and Period(first_day, last_day).overlaps(period)
    if not overlaps:
        return {}
    streamed = run(q.ahead(country, period))
    ahead = [
        {
            "track": title,
            "artist": artist,
            "first_streamed": first_heard,
            "entered_chart": entered,
            "days_earlier": (entered - first_heard).days,
        }
        for title, artist, entered, first_heard in streamed
        if first_heard < entered
    ]
    ahead.sort(key=lambda t: (-t["days_earlier"], t["track"] or "", t["artist"] or ""))
    figures: dict[str, Any] = {
        "ahead_of_charts": {
            "country": country,
            "chart_data": {"from": first_day, "to": last_day},
            "tracks_charted": len(streamed),  # entered in the period, and streamed by the listener
            "count": len(ahead),
            "tracks": ahead[: q.top],
        }
    }
    covered, on_chart, weeks = run(q.mainstream(country, period))[0]
    if covered:
        figures["mainstream_share"] = {
            "country": country,
            "share": round(int(on_chart) / int(covered), 4),
            "weeks": int(weeks),
            "ms_in_chart_weeks": int(covered),
            "ms_on_chart": int(on_chart),
        }
    return figures
