"""Reporting views, defined once and rendered per dialect; created with the tables.

Power BI (DirectQuery on Synapse), the CLI and load.wrapped read these same definitions:
- v_music_stream: music streams (content_type 'music' with artist and track names) with their
  UTC date, hour and weekday (Monday = 0) and is_play (1 when ms_played >= 30 000).
- v_minutes_per_month, v_listening_clock: per-user aggregates by month / by weekday and hour.
- v_top_artist, v_top_track: per-user all-time aggregates, the basis of the Wrapped top lists.
Minutes are rounded half up to one decimal from the exact millisecond sum, with integer
arithmetic, so every dialect (and Python, see load.wrapped.minutes_from_ms) gets the same number.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from load.dialect import Dialect

PLAY_MS = 30_000  # a stream counts as a play from 30 s


@dataclass(frozen=True)
class View:
    name: str
    body: Callable[[Dialect], str]


def minutes_sql(d: Dialect, ms_sum: str) -> str:
    """SQL for round_half_up(ms_sum / 60 000, 1), the same in every dialect."""
    return f"{d.to_float(d.int_div(f'{ms_sum} + 3000', '6000'))} / 10"


def _aggregates(d: Dialect) -> str:
    return (
        "COUNT(*) AS streams, SUM(is_play) AS plays, SUM(ms_played) AS ms_played, "
        f"{minutes_sql(d, 'SUM(ms_played)')} AS minutes"
    )


def _music_stream(d: Dialect) -> str:
    return (
        f"SELECT user_id, stream_key, source, ts, {d.to_date('ts')} AS stream_date,"
        f" {d.hour('ts')} AS stream_hour, {d.weekday('ts')} AS weekday, ms_played,"
        f" CASE WHEN ms_played >= {PLAY_MS} THEN 1 ELSE 0 END AS is_play,"
        " track_name, artist_name, album_name, track_id"
        f" FROM {d.table('fact_stream')}"
        f" WHERE content_type = {d.lit('music')} AND track_name IS NOT NULL AND artist_name IS NOT NULL"
    )


def _minutes_per_month(d: Dialect) -> str:
    month = d.month_start("ts")
    return (
        f"SELECT user_id, {month} AS {d.ident('month')}, {_aggregates(d)}"
        f" FROM {d.table('v_music_stream')} GROUP BY user_id, {month}"
    )


def _listening_clock(d: Dialect) -> str:
    return (
        f"SELECT user_id, weekday, stream_hour AS {d.ident('hour')}, {_aggregates(d)}"
        f" FROM {d.table('v_music_stream')} GROUP BY user_id, weekday, stream_hour"
    )


def _top_artist(d: Dialect) -> str:
    return (
        f"SELECT user_id, artist_name AS artist, {_aggregates(d)}"
        f" FROM {d.table('v_music_stream')} GROUP BY user_id, artist_name"
    )


def _top_track(d: Dialect) -> str:
    return (
        f"SELECT user_id, artist_name AS artist, track_name AS track, {_aggregates(d)}"
        f" FROM {d.table('v_music_stream')} GROUP BY user_id, artist_name, track_name"
    )


# In dependency order: v_music_stream first.
VIEWS: tuple[View, ...] = (
    View("v_music_stream", _music_stream),
    View("v_minutes_per_month", _minutes_per_month),
    View("v_listening_clock", _listening_clock),
    View("v_top_artist", _top_artist),
    View("v_top_track", _top_track),
)
