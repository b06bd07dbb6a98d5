"""Listening sessions with the features listening modes are found from, computed in the warehouse.

The streams are a user's music and podcast streams (audiobooks and videos are left out), in
local time (load.local_time); sessions follow its one session rule (a 30-minute gap ends one).
Per session:

- session_start/_end (UTC), local_date and local_hour of its start, streams, ms_played, seconds;
- skips: streams under 30 s (load.local_time.PLAY_MS); shuffled / shuffle_known: streams on
  shuffle, of those whose source says;
- artists: distinct artists; podcasts: podcast streams;
- new_artist_streams: music streams of artists whose first stream ever (all of the user's
  history) is in this session;
- phone / computer: streams on a phone (android, ios) or a computer (windows, osx, linux, web).

A session belongs to the period its local start date lies in.
"""

from __future__ import annotations

from datetime import date

from load.dialect import Dialect
from load.local_time import HomeZone, literal_home, local_streams, session_streams

PHONE = ("android", "ios")
COMPUTER = ("windows", "osx", "linux", "web")
KINDS = ("music", "podcast")
SESSION_COLUMNS = (
    "user_id",
    "session_start",
    "session_end",
    "local_start",
    "streams",
    "ms_played",
    "seconds",
    "skips",
    "shuffled",
    "shuffle_known",
    "artists",
    "podcasts",
    "new_artist_streams",
    "phone",
    "computer",
)


def _in_period(d: Dialect, column: str, first: date | None, last: date | None) -> str:
    parts = []
    if first is not None:
        parts.append(f"{column} >= {d.date_lit(first)}")
    if last is not None:
        parts.append(f"{column} <= {d.date_lit(last)}")
    return " AND ".join(parts) or "1 = 1"


def _numbered(d: Dialect, user_id: str | None, home: HomeZone) -> str:
    """Every music and podcast stream (of one user, or everybody) with its session number and the
    start of its session."""
    kinds = ", ".join(d.lit(k) for k in KINDS)
    where = f"s.content_type IN ({kinds})"
    if user_id is not None:
        where = f"s.user_id = {d.lit(user_id)} AND {where}"
    streams = f"({local_streams(d, literal_home(d, home), where)}) AS m"
    numbered = session_streams(d, streams, ("artist_name", "content_type", "shuffle", "platform", "is_play"))
    return (
        "SELECT n.*, MIN(n.start_ts) OVER (PARTITION BY n.user_id, n.session_number) AS session_first"
        f" FROM ({numbered}) AS n"
    )


def sessions_sql(
    d: Dialect, user_id: str | None, home: HomeZone, first: date | None = None, last: date | None = None
) -> str:
    """One row per session (SESSION_COLUMNS) of a user (None: everybody) starting in the period."""
    music = d.lit("music")
    first_heard = (
        "SELECT h.user_id, h.artist_name, MIN(h.ts) AS first_ts"
        f" FROM {d.table('fact_stream')} AS h WHERE h.content_type = {music} AND h.artist_name IS NOT NULL"
        + (f" AND h.user_id = {d.lit(user_id)}" if user_id is not None else "")
        + " GROUP BY h.user_id, h.artist_name"
    )
    phone = ", ".join(d.lit(p) for p in PHONE)
    computer = ", ".join(d.lit(p) for p in COMPUTER)
    grouped = (
        "SELECT w.user_id, w.session_number, MIN(w.start_ts) AS session_start, MAX(w.ts) AS session_end,"
        " MIN(w.local_start_ts) AS local_start, COUNT(*) AS streams, SUM(w.ms_played) AS ms_played,"
        f" {d.seconds_between('MIN(w.start_ts)', 'MAX(w.ts)')} AS seconds,"
        " SUM(1 - w.is_play) AS skips, SUM(CAST(w.shuffle AS INT)) AS shuffled,"
        " COUNT(w.shuffle) AS shuffle_known, COUNT(DISTINCT w.artist_name) AS artists,"
        f" SUM(CASE WHEN w.content_type = {d.lit('podcast')} THEN 1 ELSE 0 END) AS podcasts,"
        f" SUM(CASE WHEN w.content_type = {music} AND a.first_ts >= w.session_first THEN 1 ELSE 0 END)"
        " AS new_artist_streams,"
        f" SUM(CASE WHEN w.platform IN ({phone}) THEN 1 ELSE 0 END) AS phone,"
        f" SUM(CASE WHEN w.platform IN ({computer}) THEN 1 ELSE 0 END) AS computer"
        f" FROM ({_numbered(d, user_id, home)}) AS w"
        f" LEFT JOIN ({first_heard}) AS a ON a.user_id = w.user_id AND a.artist_name = w.artist_name"
        " GROUP BY w.user_id, w.session_number"
    )
    columns = ", ".join(f"g.{c}" for c in SESSION_COLUMNS)
    local_day = d.to_date("g.local_start")
    return (
        f"SELECT {columns} FROM ({grouped}) AS g WHERE {_in_period(d, local_day, first, last)}"
        " ORDER BY g.user_id, g.session_start"
    )


def session_artists_sql(
    d: Dialect, user_id: str, home: HomeZone, first: date | None = None, last: date | None = None
) -> str:
    """ms per (session start, artist) of a user's music in sessions starting in the period."""
    local_day = d.to_date("w.local_first")
    numbered = (
        "SELECT n.*, MIN(n.local_start_ts) OVER (PARTITION BY n.user_id, n.session_number) AS local_first"
        f" FROM ({_numbered(d, user_id, home)}) AS n"
    )
    return (
        "SELECT w.session_first AS session_start, w.artist_name, SUM(w.ms_played) AS ms_played"
        f" FROM ({numbered}) AS w WHERE w.content_type = {d.lit('music')} AND w.artist_name IS NOT NULL"
        f" AND {_in_period(d, local_day, first, last)}"
        " GROUP BY w.session_first, w.artist_name"
    )


def users_sql(d: Dialect) -> str:
    """Every user with music or podcast streams."""
    kinds = ", ".join(d.lit(k) for k in KINDS)
    return (
        f"SELECT DISTINCT s.user_id FROM {d.table('fact_stream')} AS s WHERE s.content_type IN ({kinds})"
        " ORDER BY s.user_id"
    )
