"""The Wrapped summary for any period, in the listener's own time zone, from the warehouse.

Every rule, in one place (README "What the figures mean" says the same):
- music streams: content_type 'music' with artist and track names; podcasts are counted apart
  (top_shows), never as music;
- a stream's local time is its end time in the home zone, or in the zone of the country it was
  played in when that country has one zone (load.local_time); dates and hours are local;
- the period: inclusive local dates (`first`, `last`; either may be open);
- streams: music streams; plays: those with ms_played >= 30 000; skip_rate: the others' share;
  minutes: the ms sum / 60 000, rounded half up to one decimal (minutes_from_ms);
- top artists by ms desc, then artist; top tracks by plays desc, ms desc, track, artist; top
  albums (the export's album names) by ms desc, album, artist; top shows by ms desc, show;
- listening_clock: streams and ms per local weekday (Monday 0) and hour, hours with music only;
- new_artists: artists whose first music stream ever (all of the user's data) is in the period;
- longest_streak_days: the longest run of consecutive local dates in the period with music;
- busiest_day: the local date with the most music ms (ties: the earliest);
- sessions: runs of music streams each ending within 30 min of the previous end (local_time);
  a session's length is from its first stream's start to its last stream's end;
- shuffle_share: the share of music streams played on shuffle, of those whose export says;
- previous_period (both bounds given): the period just before (the previous year for --year, the
  previous month for --month, else as many days), and the artists (top of either period) that
  rose and fell the most;
- ahead_of_charts, mainstream_share: with Spotify's charts loaded, see load.wrapped_charts;
- listening_modes, listener_segment: with an analysis run loaded, see load.wrapped_modes.
The SQL is written once and rendered per dialect; the small steps after it (streaks, medians,
risers) run in Python on what the SQL returned, so DuckDB and Synapse give the same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from statistics import median
from typing import Any

from load.dialect import Dialect
from load.local_time import (
    HomeZone,
    is_music,
    is_podcast,
    literal_home,
    local_streams,
    minutes_from_ms,
    sessions,
)
from load.period import Period
from load.warehouse import Warehouse
from load.wrapped_charts import ChartQueries, chart_figures
from load.wrapped_modes import mode_figures, mode_queries

RISERS = 5  # artists listed as risers and as fallers


class _Queries:
    """The summary's SQL in one dialect, for one user (None: everybody), zone and period."""

    def __init__(self, d: Dialect, user_id: str | None, home: HomeZone, top: int):
        self.d, self.top = d, top
        where = f"s.user_id = {d.lit(user_id)}" if user_id is not None else ""
        self.streams = f"({local_streams(d, literal_home(d, home), where)}) AS s"

    def _in(self, period: Period, column: str = "s.local_date") -> str:
        """SQL: the date `column` lies in the period."""
        d, parts = self.d, []
        if period.first is not None:
            parts.append(f"{column} >= {d.date_lit(period.first)}")
        if period.last is not None:
            parts.append(f"{column} <= {d.date_lit(period.last)}")
        return " AND ".join(parts) or "1 = 1"

    def music(self, period: Period) -> str:
        """The period's music streams, as a FROM item aliased m."""
        return f"(SELECT * FROM {self.streams} WHERE {is_music(self.d, 's')} AND {self._in(period)}) AS m"

    def totals(self, period: Period) -> str:
        return (
            "SELECT COUNT(*), SUM(m.is_play), SUM(m.ms_played), MIN(m.local_date), MAX(m.local_date),"
            " COUNT(DISTINCT m.artist_name), SUM(CAST(m.shuffle AS INT)), COUNT(m.shuffle)"
            f" FROM {self.music(period)}"
        )

    def distinct_tracks(self, period: Period) -> str:
        return (
            "SELECT COUNT(*) FROM (SELECT DISTINCT m.artist_name, m.track_name"
            f" FROM {self.music(period)}) AS t"
        )

    def _ranked(self, select: str, period: Period, group: str, order: str, where: str = "") -> str:
        d = self.d
        return (
            f"SELECT {d.top(self.top)} {select} FROM {self.music(period)}{where}"
            f" GROUP BY {group} ORDER BY {order} {d.limit(self.top)}"
        ).strip()

    def top_artists(self, period: Period) -> str:
        return self._ranked(
            "m.artist_name, SUM(m.ms_played)", period, "m.artist_name", "SUM(m.ms_played) DESC, m.artist_name"
        )

    def top_tracks(self, period: Period) -> str:
        return self._ranked(
            "m.artist_name, m.track_name, SUM(m.is_play), SUM(m.ms_played)",
            period,
            "m.artist_name, m.track_name",
            "SUM(m.is_play) DESC, SUM(m.ms_played) DESC, m.track_name, m.artist_name",
        )

    def top_albums(self, period: Period) -> str:
        return self._ranked(
            "m.album_name, m.artist_name, SUM(m.ms_played)",
            period,
            "m.album_name, m.artist_name",
            "SUM(m.ms_played) DESC, m.album_name, m.artist_name",
            " WHERE m.album_name IS NOT NULL",
        )

    def top_genres(self, period: Period) -> str:
        # A stream's genres: its primary artist's (each genre counted once per stream); needs enrichment.
        d = self.d
        return (
            f"SELECT {d.top(self.top)} x.genre, SUM(x.ms_played) FROM ("
            " SELECT DISTINCT m.user_id, m.stream_key, m.ms_played, g.genre"
            f" FROM {self.music(period)} JOIN {d.table('bridge_track_artist')} AS b"
            f" ON b.track_id = m.track_id AND b.{d.ident('position')} = 0"
            f" JOIN {d.table('bridge_artist_genre')} AS g ON g.artist_id = b.artist_id) AS x"
            f" GROUP BY x.genre ORDER BY SUM(x.ms_played) DESC, x.genre {d.limit(self.top)}"
        ).strip()

    def top_shows(self, period: Period) -> str:
        d = self.d
        return (
            f"SELECT {d.top(self.top)} s.show_name, SUM(s.ms_played),"
            " COUNT(DISTINCT COALESCE(s.episode_id, s.episode_name))"
            f" FROM {self.streams} WHERE {is_podcast(d, 's')} AND {self._in(period)}"
            f" GROUP BY s.show_name ORDER BY SUM(s.ms_played) DESC, s.show_name {d.limit(self.top)}"
        ).strip()

    def clock(self, period: Period) -> str:
        return (
            "SELECT m.weekday, m.local_hour, COUNT(*), SUM(m.ms_played)"
            f" FROM {self.music(period)} GROUP BY m.weekday, m.local_hour"
        )

    def months(self, period: Period) -> str:
        return (
            "SELECT YEAR(m.local_date), MONTH(m.local_date), COUNT(*), SUM(m.is_play), SUM(m.ms_played)"
            f" FROM {self.music(period)} GROUP BY YEAR(m.local_date), MONTH(m.local_date)"
        )

    def days(self, period: Period) -> str:
        return f"SELECT m.local_date, SUM(m.ms_played) FROM {self.music(period)} GROUP BY m.local_date"

    def by(self, column: str, period: Period) -> str:
        return f"SELECT m.{column}, SUM(m.ms_played) FROM {self.music(period)} GROUP BY m.{column}"

    def session_lengths(self, period: Period) -> str:
        return f"SELECT x.seconds FROM ({sessions(self.d, self.music(period))}) AS x"

    def first_heard(self, period: Period) -> str:
        """Artists first heard (all of the user's music) in the period, with their ms in it."""
        first = (
            "SELECT m.artist_name, MIN(m.local_date) AS first_heard"
            f" FROM {self.music(Period())} GROUP BY m.artist_name"
        )
        played = (
            f"SELECT m.artist_name, SUM(m.ms_played) AS ms FROM {self.music(period)} GROUP BY m.artist_name"
        )
        return (
            f"SELECT f.artist_name, p.ms, f.first_heard FROM ({first}) AS f"
            f" JOIN ({played}) AS p ON p.artist_name = f.artist_name"
            f" WHERE {self._in(period, 'f.first_heard')}"
        )

    def artists_in(self, periods: tuple[Period, Period], names: Sequence[str]) -> str:
        """ms per artist in each of two periods, for the named artists."""
        d = self.d
        spans = Period(periods[1].first, periods[0].last)
        current = self._in(periods[0], "m.local_date")
        listed = ", ".join(d.lit(n) for n in names) or d.lit("")
        return (
            f"SELECT m.artist_name, SUM(CASE WHEN {current} THEN m.ms_played ELSE 0 END),"
            f" SUM(CASE WHEN {current} THEN 0 ELSE m.ms_played END)"
            f" FROM {self.music(spans)} WHERE m.artist_name IN ({listed}) GROUP BY m.artist_name"
        )


def queries(d: Dialect, user_id: str | None, home: HomeZone, period: Period, top: int = 10) -> dict[str, str]:
    """Every query the summary runs, by name (what the T-SQL parse test reads)."""
    q = _Queries(d, user_id, home, top)
    named = {
        "totals": q.totals(period),
        "distinct_tracks": q.distinct_tracks(period),
        "top_artists": q.top_artists(period),
        "top_tracks": q.top_tracks(period),
        "top_albums": q.top_albums(period),
        "top_genres": q.top_genres(period),
        "top_shows": q.top_shows(period),
        "clock": q.clock(period),
        "months": q.months(period),
        "days": q.days(period),
        "platforms": q.by("platform", period),
        "countries": q.by("conn_country", period),
        "sessions": q.session_lengths(period),
        "new_artists": q.first_heard(period),
    }
    charts = ChartQueries(d, q.music, top)
    named |= {
        "chart_country": charts.country(period),
        "chart_coverage": charts.coverage("SE"),
        "ahead_of_charts": charts.ahead("SE", period),
        "mainstream_share": charts.mainstream("SE", period),
    }
    if user_id is not None:
        named |= mode_queries(d, user_id, period)
    previous = period.previous()
    if previous is not None:
        named["previous_totals"] = q.totals(previous)
        named["previous_top_artists"] = q.top_artists(previous)
        named["artists_in_both"] = q.artists_in((period, previous), ["An Artist"])
    return named


def _longest_streak(days: Sequence[date]) -> int:
    longest = run = 0
    previous = None
    for day in sorted(days):
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        longest, previous = max(longest, run), day
    return longest


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _minutes_by(rows: Sequence[tuple], key: str) -> list[dict[str, Any]]:
    ordered = sorted(rows, key=lambda r: (-int(r[1] or 0), r[0] is None, r[0] or ""))
    return [
        {key: name or "unknown", "minutes": minutes_from_ms(ms or 0), "ms_played": int(ms or 0)}
        for name, ms in ordered
    ]


def wrapped(
    warehouse: Warehouse,
    user_id: str | None,
    period: Period | None = None,
    home: HomeZone | None = None,
    top: int = 10,
) -> dict[str, Any]:
    """The listening summary of `user_id` (None: everybody) for a period of local dates."""
    if top < 1:
        raise ValueError("top must be at least 1")
    period = period or Period()
    home = home or HomeZone.of("UTC")
    q = _Queries(warehouse.dialect, user_id, home, top)

    def run(sql: str) -> list[tuple]:
        return warehouse.query(sql)

    summary: dict[str, Any] = {"time_zone": home.name, **_totals(run(q.totals(period))[0])}
    summary["distinct_tracks"] = int(run(q.distinct_tracks(period))[0][0])
    summary["top_artists"] = [{"artist": a, "ms_played": int(m)} for a, m in run(q.top_artists(period))]
    summary["top_tracks"] = [
        {"artist": a, "track": t, "plays": int(p), "ms_played": int(m)}
        for a, t, p, m in run(q.top_tracks(period))
    ]
    summary["top_albums"] = [
        {"album": n, "artist": a, "ms_played": int(m)} for n, a, m in run(q.top_albums(period))
    ]
    summary["top_genres"] = [{"genre": g, "ms_played": int(m)} for g, m in run(q.top_genres(period))]
    summary["top_shows"] = [
        {"show": s, "ms_played": int(m), "episodes": int(e)} for s, m, e in run(q.top_shows(period))
    ]
    summary["listening_clock"] = [
        {"weekday": int(w), "hour": int(h), "streams": int(n), "ms_played": int(m)}
        for w, h, n, m in sorted(run(q.clock(period)))
    ]
    summary["minutes_per_month"] = [
        {
            "month": f"{int(y):04d}-{int(mo):02d}",
            "streams": int(n),
            "plays": int(p or 0),
            "minutes": minutes_from_ms(ms),
        }
        for y, mo, n, p, ms in sorted(run(q.months(period)))
    ]
    days = [(day, int(ms)) for day, ms in run(q.days(period))]
    summary["longest_streak_days"] = _longest_streak([day for day, _ in days])
    busiest = min(days, key=lambda x: (-x[1], x[0])) if days else None
    summary["busiest_day"] = {"date": busiest[0], "ms_played": busiest[1]} if busiest else None
    lengths = sorted(int(s) for (s,) in run(q.session_lengths(period)))
    summary["sessions"] = {
        "count": len(lengths),
        "longest_minutes": minutes_from_ms(lengths[-1] * 1000) if lengths else 0.0,
        "median_minutes": minutes_from_ms(round(median(lengths) * 1000)) if lengths else 0.0,
    }
    summary["skip_rate"] = _share(summary["streams"] - summary["plays"], summary["streams"])
    summary["minutes_by_platform"] = _minutes_by(run(q.by("platform", period)), "platform")
    summary["minutes_by_country"] = _minutes_by(run(q.by("conn_country", period)), "country")
    new = sorted(run(q.first_heard(period)), key=lambda r: (-int(r[1]), r[0]))
    summary["new_artists"] = {
        "count": len(new),
        "top": [{"artist": a, "ms_played": int(m), "first_heard": f} for a, m, f in new[:top]],
    }
    summary["previous_period"] = _previous(run, q, period, summary)
    # Present only when chart data / a listening-mode run is loaded (absent, not zero, otherwise).
    summary |= chart_figures(run, ChartQueries(warehouse.dialect, q.music, top), period, home.country)
    if user_id is not None:
        summary |= mode_figures(run, warehouse.dialect, user_id, period)
    return summary


def music_coverage(warehouse: Warehouse, user_id: str | None, home: HomeZone | None = None) -> dict[str, Any]:
    """What music the warehouse holds at all, to say why a period has none: the music streams of
    everybody, and the user's first and last local date with music (None: no music of theirs)."""
    home = home or HomeZone.of("UTC")
    everybody = _totals(warehouse.query(_Queries(warehouse.dialect, None, home, 1).totals(Period()))[0])
    if not everybody["streams"] or user_id is None:
        return {"streams_of_everybody": everybody["streams"], "first": None, "last": None}
    yours = _totals(warehouse.query(_Queries(warehouse.dialect, user_id, home, 1).totals(Period()))[0])
    return {
        "streams_of_everybody": everybody["streams"],
        "first": yours["first_stream_date"] if yours["streams"] else None,
        "last": yours["last_stream_date"] if yours["streams"] else None,
    }


def _totals(row: tuple) -> dict[str, Any]:
    streams, plays, ms, first, last, artists, shuffled, shuffle_known = row
    return {
        "streams": int(streams),
        "plays": int(plays or 0),
        "minutes": minutes_from_ms(ms or 0),
        "ms_played": int(ms or 0),
        "first_stream_date": first,
        "last_stream_date": last,
        "distinct_artists": int(artists),
        "shuffle_share": _share(int(shuffled or 0), int(shuffle_known)),
    }


def _previous(run, q: _Queries, period: Period, summary: dict[str, Any]) -> dict[str, Any] | None:
    previous = period.previous()
    if previous is None:
        return None
    totals = _totals(run(q.totals(previous))[0])
    names = {a["artist"] for a in summary["top_artists"]} | {a for a, _ in run(q.top_artists(previous))}
    changes = [
        {
            "artist": a,
            "ms_played": int(now),
            "previous_ms_played": int(before),
            "change_ms": int(now) - int(before),
        }
        for a, now, before in run(q.artists_in((period, previous), sorted(names)))
    ]
    return {
        "from": previous.first,
        "to": previous.last,
        "streams": totals["streams"],
        "plays": totals["plays"],
        "minutes": totals["minutes"],
        "risers": sorted(
            (c for c in changes if c["change_ms"] > 0), key=lambda c: (-c["change_ms"], c["artist"])
        )[:RISERS],
        "fallers": sorted(
            (c for c in changes if c["change_ms"] < 0), key=lambda c: (c["change_ms"], c["artist"])
        )[:RISERS],
    }
