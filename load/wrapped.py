"""The Wrapped summary for any period: streams, plays, minutes and the top lists, from the views.

Semantics (the same as the reporting views, which tests keep in step):
- music streams: rows of v_music_stream (content_type 'music' with artist and track names);
- streams: their count; plays: those with ms_played >= 30 000; minutes: the ms sum / 60 000,
  rounded half up to one decimal (minutes_from_ms);
- top artists by ms_played desc, then artist; top tracks by plays desc, ms_played desc, track;
- top albums and genres need catalog data (enrichment): empty lists until it exists;
- date_from / date_to: inclusive UTC dates of `ts`, the END time of the stream;
- user_id None: everybody in the warehouse.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

from load.dialect import Dialect


def minutes_from_ms(ms: int) -> float:
    """round_half_up(ms / 60 000, 1), exactly as load.views.minutes_sql computes it."""
    return ((int(ms) + 3000) // 6000) / 10


def _filters(user_id: str | None, date_from: date | None, date_to: date | None) -> tuple[str, list[object]]:
    conditions: list[str] = []
    params: list[object] = []
    if user_id is not None:
        conditions.append("m.user_id = ?")
        params.append(user_id)
    if date_from is not None:
        conditions.append("m.ts >= ?")
        params.append(datetime.combine(date_from, time.min))
    if date_to is not None:
        conditions.append("m.ts < ?")  # inclusive date: everything before the next midnight
        params.append(datetime.combine(date_to + timedelta(days=1), time.min))
    return " AND ".join(conditions), params


def _where(filters: str, *more: str) -> str:
    conditions = [c for c in (filters, *more) if c]
    return f" WHERE {' AND '.join(conditions)}" if conditions else ""


def queries(d: Dialect, filters: str, top: int) -> dict[str, str]:
    """The Wrapped queries in one dialect (each takes the filter parameters once)."""
    music = f"{d.table('v_music_stream')} AS m"
    where = _where(filters)
    return {
        "totals": (
            "SELECT COUNT(*), SUM(m.is_play), SUM(m.ms_played), MIN(m.ts), MAX(m.ts),"
            f" COUNT(DISTINCT m.artist_name) FROM {music}{where}"
        ),
        "distinct_tracks": (
            f"SELECT COUNT(*) FROM (SELECT DISTINCT m.artist_name, m.track_name FROM {music}{where}) AS t"
        ),
        "top_artists": (
            f"SELECT {d.top(top)} m.artist_name, SUM(m.ms_played) FROM {music}{where}"
            f" GROUP BY m.artist_name ORDER BY SUM(m.ms_played) DESC, m.artist_name {d.limit(top)}"
        ),
        "top_tracks": (
            f"SELECT {d.top(top)} m.artist_name, m.track_name, SUM(m.is_play), SUM(m.ms_played)"
            f" FROM {music}{where} GROUP BY m.artist_name, m.track_name"
            " ORDER BY SUM(m.is_play) DESC, SUM(m.ms_played) DESC, m.track_name, m.artist_name"
            f" {d.limit(top)}"
        ),
        # An album's artist: the one with the most listening on it (compilations have many).
        "top_albums": (
            "WITH album_artist AS ("
            " SELECT t.album_id, m.artist_name, SUM(m.ms_played) AS ms"
            f" FROM {music} JOIN {d.table('dim_track')} AS t ON t.track_id = m.track_id"
            f"{_where(filters, 't.album_id IS NOT NULL')}"
            " GROUP BY t.album_id, m.artist_name),"
            " ranked AS (SELECT album_id, artist_name, SUM(ms) OVER (PARTITION BY album_id) AS album_ms,"
            " ROW_NUMBER() OVER (PARTITION BY album_id ORDER BY ms DESC, artist_name) AS rn"
            " FROM album_artist)"
            f" SELECT {d.top(top)} a.name, r.artist_name, r.album_ms FROM ranked AS r"
            f" JOIN {d.table('dim_album')} AS a ON a.album_id = r.album_id"
            " WHERE r.rn = 1 AND a.name IS NOT NULL"
            f" ORDER BY r.album_ms DESC, a.name, r.artist_name {d.limit(top)}"
        ),
        # A stream's genres: its primary artist's (each genre counted once per stream).
        "top_genres": (
            f"SELECT {d.top(top)} x.genre, SUM(x.ms_played) FROM ("
            " SELECT DISTINCT m.user_id, m.stream_key, m.ms_played, g.genre"
            f" FROM {music} JOIN {d.table('bridge_track_artist')} AS b"
            f" ON b.track_id = m.track_id AND b.{d.ident('position')} = 0"
            f" JOIN {d.table('bridge_artist_genre')} AS g ON g.artist_id = b.artist_id{where}) AS x"
            f" GROUP BY x.genre ORDER BY SUM(x.ms_played) DESC, x.genre {d.limit(top)}"
        ),
    }


def wrapped(
    warehouse, user_id: str | None, date_from: date | None, date_to: date | None, top: int = 10
) -> dict:
    """The listening summary of `user_id` (None: everybody) between two inclusive UTC dates."""
    if top < 1:
        raise ValueError("top must be at least 1")
    filters, params = _filters(user_id, date_from, date_to)
    sql = queries(warehouse.dialect, filters, top)

    def run(name: str) -> Sequence[tuple]:
        return warehouse.query(sql[name].strip(), params)

    streams, plays, ms, first, last, artists = run("totals")[0]
    ms = int(ms or 0)
    return {
        "streams": int(streams),
        "plays": int(plays or 0),
        "minutes": minutes_from_ms(ms),
        "ms_played": ms,
        "first_stream_date": first.date() if first else None,
        "last_stream_date": last.date() if last else None,
        "distinct_artists": int(artists),
        "distinct_tracks": int(run("distinct_tracks")[0][0]),
        "top_artists": [{"artist": a, "ms_played": int(m)} for a, m in run("top_artists")],
        "top_tracks": [
            {"artist": a, "track": t, "plays": int(p), "ms_played": int(m)}
            for a, t, p, m in run("top_tracks")
        ],
        "top_albums": [{"album": n, "artist": a, "ms_played": int(m)} for n, a, m in run("top_albums")],
        "top_genres": [{"genre": g, "ms_played": int(m)} for g, m in run("top_genres")],
    }
