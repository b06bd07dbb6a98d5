"""Local time, plays, skips and sessions: the definitions every figure shares, as SQL both dialects run.

A stream's local time is its UTC end time (`ts`) in the home zone, except when its conn_country
is another country that has exactly one zone in zone.tab (ref_country_zone): then that zone, so
a trip to Tokyo shows Tokyo hours. Countries with several zones, and streams without a country
(account data, the Web API), use the home zone. The offset is the zone's at that instant
(ref_zone_offset, from tzdata: DST-correct).

The views (load.views, for Power BI) take the home zone stored in warehouse_meta; a query for
another zone (`wrapped --tz`) passes it as literals. Both build on the same functions here.
"""

from __future__ import annotations

from dataclasses import dataclass

from load.dialect import Dialect
from load.time_zones import canonical_zone, zone_country

PLAY_MS = 30_000  # a stream counts as a play from 30 s; below that it is a skip
SESSION_GAP_SECONDS = 30 * 60  # a stream ending within 30 min of the previous one's end continues its session
HOME_ZONE_KEY = "home_time_zone"  # warehouse_meta: the zone the views use (the app's USER_TIME_ZONE)
HOME_COUNTRY_KEY = "home_country"  # warehouse_meta: that zone's country in zone.tab, or ''


def minutes_from_ms(ms: int) -> float:
    """round_half_up(ms / 60 000, 1), exactly as load.views.minutes_sql computes it."""
    return ((int(ms) + 3000) // 6000) / 10


@dataclass(frozen=True)
class HomeZone:
    """A home time zone: the name asked for, the zone the offsets table knows it by, its country."""

    name: str
    zone: str
    country: str  # '' when zone.tab lists no country for it (UTC)

    @classmethod
    def of(cls, name: str) -> HomeZone:
        """ValueError (one line) for a name the tz database does not know."""
        return cls(name, canonical_zone(name), zone_country(name) or "")


def stored_home(d: Dialect) -> tuple[str, str]:
    """SQL for the home zone and its country as warehouse_meta holds them (what the views use)."""
    meta = d.table("warehouse_meta")

    def value(key: str) -> str:
        return f"(SELECT {d.ident('value')} FROM {meta} WHERE {d.ident('name')} = {d.lit(key)})"

    return value(HOME_ZONE_KEY), value(HOME_COUNTRY_KEY)


def literal_home(d: Dialect, home: HomeZone) -> tuple[str, str]:
    """SQL literals for a home zone asked for by a query."""
    return d.lit(home.zone), d.lit(home.country)


STREAM_COLUMNS = (
    "user_id",
    "stream_key",
    "source",
    "ts",
    "ms_played",
    "content_type",
    "track_name",
    "artist_name",
    "album_name",
    "track_id",
    "show_name",
    "episode_name",
    "episode_id",
    "shuffle",
    "platform",
    "conn_country",
)


def local_streams(d: Dialect, home: tuple[str, str], where: str = "") -> str:
    """Every stream (of fact_stream, `where` applied first) with its zone, local time and play flag.

    Columns: STREAM_COLUMNS, zone, local_ts, local_date, local_hour, weekday (Monday 0), is_play.
    """
    home_zone, home_country = home
    columns = ", ".join(f"s.{c}" for c in STREAM_COLUMNS)
    zoned = (
        f"SELECT {columns}, CASE WHEN c.zone IS NOT NULL AND s.conn_country <> {home_country}"
        f" THEN c.zone ELSE {home_zone} END AS zone"
        f" FROM {d.table('fact_stream')} AS s LEFT JOIN {d.table('ref_country_zone')} AS c"
        f" ON c.country = s.conn_country{f' WHERE {where}' if where else ''}"
    )
    local_ts = d.add_minutes("z.ts", "o.offset_minutes")
    return (
        f"SELECT {', '.join(f'z.{c}' for c in STREAM_COLUMNS)}, z.zone, {local_ts} AS local_ts,"
        f" {d.to_date(local_ts)} AS local_date, {d.hour(local_ts)} AS local_hour,"
        f" {d.weekday(local_ts)} AS weekday,"
        f" CASE WHEN z.ms_played >= {PLAY_MS} THEN 1 ELSE 0 END AS is_play"
        f" FROM ({zoned}) AS z INNER JOIN {d.table('ref_zone_offset')} AS o"
        " ON o.zone = z.zone AND z.ts >= o.valid_from AND z.ts < o.valid_to"
    )


def is_music(d: Dialect, alias: str) -> str:
    """A music stream: content_type music, with artist and track names (podcasts never count)."""
    return (
        f"{alias}.content_type = {d.lit('music')}"
        f" AND {alias}.track_name IS NOT NULL AND {alias}.artist_name IS NOT NULL"
    )


def is_podcast(d: Dialect, alias: str) -> str:
    return f"{alias}.content_type = {d.lit('podcast')} AND {alias}.show_name IS NOT NULL"


def session_streams(d: Dialect, streams: str, columns: tuple[str, ...] = ()) -> str:
    """Every stream of `streams` (a table, or a parenthesised query with alias m, as local_streams
    gives them) with the number of its session: the session rule, written once.

    A session is a run of streams, each ending within SESSION_GAP_SECONDS (inclusive) of the
    previous one's end, per user. A stream started at its end minus ms_played. Columns: user_id,
    stream_key, ts, ms_played, start_ts, local_start_ts, session_number (1, 2, ... per user in
    time order), and `columns` of the source as they are.
    """
    previous = "LAG(m.ts) OVER (PARTITION BY m.user_id ORDER BY m.ts, m.stream_key)"
    extra = "".join(f", m.{c}" for c in columns)
    flagged = (
        f"SELECT m.user_id, m.stream_key, m.ts, m.ms_played{extra},"
        f" {d.minus_seconds('m.ts', d.int_div('m.ms_played', '1000'))} AS start_ts,"
        f" {d.minus_seconds('m.local_ts', d.int_div('m.ms_played', '1000'))} AS local_start_ts,"
        f" CASE WHEN {previous} >= {d.add_seconds('m.ts', -SESSION_GAP_SECONDS)} THEN 0 ELSE 1 END"
        f" AS starts_session FROM {streams}"
    )
    kept = "".join(f", f.{c}" for c in columns)
    return (
        f"SELECT f.user_id, f.stream_key, f.ts, f.ms_played, f.start_ts, f.local_start_ts{kept},"
        " SUM(f.starts_session) OVER (PARTITION BY f.user_id ORDER BY f.ts, f.stream_key"
        " ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS session_number"
        f" FROM ({flagged}) AS f"
    )


def sessions(d: Dialect, music: str) -> str:
    """Listening sessions of the music streams in `music` (a table or a parenthesised query with alias).

    The session rule of session_streams. A session starts when its first stream started and
    ends when its last stream ended. Columns: user_id, session_number, session_start,
    session_end (UTC), local_start (local time of the start), streams, ms_played, seconds
    (wall-clock length).
    """
    return (
        "SELECT n.user_id, n.session_number, MIN(n.start_ts) AS session_start, MAX(n.ts) AS session_end,"
        " MIN(n.local_start_ts) AS local_start, COUNT(*) AS streams, SUM(n.ms_played) AS ms_played,"
        f" {d.seconds_between('MIN(n.start_ts)', 'MAX(n.ts)')} AS seconds"
        f" FROM ({session_streams(d, music)}) AS n GROUP BY n.user_id, n.session_number"
    )
