"""Reporting views, defined once and rendered per dialect; created with the tables.

Power BI (DirectQuery on Synapse) reads these; they use the home zone stored in warehouse_meta
(the app's USER_TIME_ZONE) and the shared definitions of load.local_time, which load.wrapped
uses too, for any zone a query asks for. Per user:
- v_stream_local: every stream with its zone, local end time, local date, hour and weekday;
- v_music_stream: the music streams of those (content_type 'music' with artist and track);
- v_minutes_per_month, v_listening_clock, v_music_day: by local month / weekday and hour / date;
- v_top_artist, v_top_track, v_top_album, v_top_show (podcasts): all-time aggregates;
- v_artist_first_heard: the local date of each artist's first music stream;
- v_music_session: listening sessions (see load.local_time.sessions);
- v_minutes_by_platform, v_minutes_by_country.
Minutes are rounded half up to one decimal from the exact millisecond sum, with integer
arithmetic, so every dialect (and Python, see load.local_time.minutes_from_ms) gets the same number.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from load.dialect import Dialect
from load.local_time import PLAY_MS, is_music, is_podcast, local_streams, sessions, stored_home

__all__ = ["PLAY_MS", "VIEWS", "View", "minutes_sql"]


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


def _stream_local(d: Dialect) -> str:
    return local_streams(d, stored_home(d))


def _music_stream(d: Dialect) -> str:
    return f"SELECT * FROM {d.table('v_stream_local')} AS s WHERE {is_music(d, 's')}"


def _minutes_per_month(d: Dialect) -> str:
    month = d.month_start("local_date")
    return (
        f"SELECT user_id, {month} AS {d.ident('month')}, {_aggregates(d)}"
        f" FROM {d.table('v_music_stream')} GROUP BY user_id, {month}"
    )


def _listening_clock(d: Dialect) -> str:
    return (
        f"SELECT user_id, weekday, local_hour AS {d.ident('hour')}, {_aggregates(d)}"
        f" FROM {d.table('v_music_stream')} GROUP BY user_id, weekday, local_hour"
    )


def _top_track(d: Dialect) -> str:
    return (
        f"SELECT user_id, artist_name AS artist, track_name AS track, {_aggregates(d)}"
        f" FROM {d.table('v_music_stream')} GROUP BY user_id, artist_name, track_name"
    )


def _top_album(d: Dialect) -> str:
    return (
        f"SELECT user_id, album_name AS album, artist_name AS artist, {_aggregates(d)}"
        f" FROM {d.table('v_music_stream')} WHERE album_name IS NOT NULL"
        " GROUP BY user_id, album_name, artist_name"
    )


def _top_show(d: Dialect) -> str:
    return (
        f"SELECT user_id, show_name AS {d.ident('show')},"
        " COUNT(DISTINCT COALESCE(episode_id, episode_name)) AS episodes,"
        f" {_aggregates(d)} FROM {d.table('v_stream_local')} AS s WHERE {is_podcast(d, 's')}"
        " GROUP BY user_id, show_name"
    )


def _first_heard(d: Dialect) -> str:
    return (
        "SELECT user_id, artist_name AS artist, MIN(local_date) AS first_heard"
        f" FROM {d.table('v_music_stream')} GROUP BY user_id, artist_name"
    )


def _session(d: Dialect) -> str:
    return sessions(d, f"{d.table('v_music_stream')} AS m")


def _by(column: str, alias: str) -> Callable[[Dialect], str]:
    def body(d: Dialect) -> str:
        return (
            f"SELECT user_id, {column} AS {d.ident(alias)}, {_aggregates(d)}"
            f" FROM {d.table('v_music_stream')} GROUP BY user_id, {column}"
        )

    return body


# In dependency order: v_stream_local, then v_music_stream, then what reads it.
VIEWS: tuple[View, ...] = (
    View("v_stream_local", _stream_local),
    View("v_music_stream", _music_stream),
    View("v_minutes_per_month", _minutes_per_month),
    View("v_listening_clock", _listening_clock),
    View("v_music_day", _by("local_date", "day")),
    View("v_top_artist", _by("artist_name", "artist")),
    View("v_top_track", _top_track),
    View("v_top_album", _top_album),
    View("v_top_show", _top_show),
    View("v_artist_first_heard", _first_heard),
    View("v_music_session", _session),
    View("v_minutes_by_platform", _by("platform", "platform")),
    View("v_minutes_by_country", _by("conn_country", "country")),
)
