"""The listening summary as text for a terminal: figures, top lists, a small clock, months as bars.

Pure: a summary dict (load.wrapped, with "from"/"to") in, lines out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
SHADES = " ·░▒▓█"  # the clock: no music, then five steps up to the busiest hour
BAR = 30  # characters of the longest month bar
WIDTH = 60  # characters of a top-list label at most


def _minutes(ms: int) -> str:
    return f"{ms / 60000:,.1f}"


def _percent(share: float | None) -> str:
    return "–" if share is None else f"{share * 100:.1f} %"


def _weekday(day: date | str) -> str:
    day = date.fromisoformat(day) if isinstance(day, str) else day
    return f"{WEEKDAYS[day.weekday()]} {day.isoformat()}"


def span(summary: dict[str, Any]) -> str:
    """`2024-01-01 → 2024-12-31`, from the period asked for or the data's first and last day."""
    first = summary.get("from") or summary.get("first_stream_date") or "the beginning"
    last = summary.get("to") or summary.get("last_stream_date") or "today"
    return f"{first} → {last}"


def _table(
    title: str, rows: Sequence[dict], label: Callable[[dict], str], columns: Sequence[tuple[str, str]]
) -> list[str]:
    """A ranked list: `columns` are (header, key); ms_played keys print as minutes."""
    if not rows:
        return []
    labels = [label(r) for r in rows]
    width = min(max(len(x) for x in labels) + 2, WIDTH)
    header = f"\n{title}".ljust(width + 6) + "".join(f"{h:>11}" for h, _ in columns)
    lines = [header]
    for rank, (row, text) in enumerate(zip(rows, labels, strict=True), 1):
        text = text if len(text) <= width - 2 else text[: width - 3] + "…"
        cells = "".join(
            f"{_minutes(row[k]) if k == 'ms_played' else f'{row[k]:,}':>11}" if k in row else f"{'':>11}"
            for _, k in columns
        )
        lines.append(f"{rank:>3}. {text.ljust(width)}{cells}")
    return lines


def clock_lines(clock: Sequence[dict]) -> list[str]:
    """The listening clock: weekdays down, local hours across, darker where there was more music."""
    ms = {(c["weekday"], c["hour"]): c["ms_played"] for c in clock}
    top = max(ms.values(), default=0)
    header = "      " + "".join(f"{h:<3}" for h in range(0, 24, 3))
    lines = [header.rstrip()]
    for weekday, name in enumerate(WEEKDAYS):
        cells = []
        for hour in range(24):
            value = ms.get((weekday, hour), 0)
            step = 0 if not value else 1 + min(4, int(value / top * 5)) if top else 0
            cells.append(SHADES[step])
        lines.append(f"  {name} " + "".join(cells))
    return lines


def month_lines(months: Sequence[dict]) -> list[str]:
    top = max((m["minutes"] for m in months), default=0)

    def bar(minutes: float) -> str:
        return "█" * max(1, round(minutes / top * BAR)) if top and minutes else ""

    return [f"  {m['month']}  {bar(m['minutes']):<{BAR}} {m['minutes']:>9,.1f} min" for m in months]


def _change(ms: int) -> str:
    return f"{'+' if ms >= 0 else '−'}{abs(ms) / 60000:,.1f} min"


def render(summary: dict[str, Any]) -> str:
    """The human-readable summary."""
    lines = [f"Your listening, {span(summary)} ({summary.get('time_zone', 'UTC')})"]
    if not summary["streams"]:
        lines.append(f"  {summary.get('empty_reason') or 'No music streams in this period.'}")
        return "\n".join(lines)
    hours = summary["minutes"] / 60
    lines.append(
        f"  {summary['streams']:,} streams · {summary['plays']:,} plays (≥ 30 s) · "
        f"{summary['minutes']:,.1f} minutes ({hours:,.1f} hours)"
    )
    new = summary.get("new_artists") or {"count": 0}
    lines.append(
        f"  {summary['distinct_artists']:,} artists · {summary['distinct_tracks']:,} tracks · "
        f"{new['count']:,} new artists · skip rate {_percent(summary.get('skip_rate'))} · "
        f"shuffle {_percent(summary.get('shuffle_share'))}"
    )
    busiest = summary.get("busiest_day")
    if busiest:
        lines.append(
            f"  longest streak {summary['longest_streak_days']} days · busiest day "
            f"{_weekday(busiest['date'])} ({_minutes(busiest['ms_played'])} min)"
        )
    sessions = summary.get("sessions")
    if sessions and sessions["count"]:
        lines.append(
            f"  {sessions['count']:,} sessions · longest {sessions['longest_minutes']:,.1f} min · "
            f"median {sessions['median_minutes']:,.1f} min"
        )
    previous = summary.get("previous_period")
    if previous:
        lines.append(
            f"\n  Before ({previous['from']} → {previous['to']}): {previous['streams']:,} streams, "
            f"{previous['minutes']:,.1f} minutes"
        )
        for title, key in (("Rising", "risers"), ("Falling", "fallers")):
            if previous[key]:
                moves = " · ".join(f"{r['artist']} ({_change(r['change_ms'])})" for r in previous[key])
                lines.append(f"  {title}: {moves}")
    lines += _table("Top artists", summary["top_artists"], lambda r: r["artist"], [("minutes", "ms_played")])
    lines += _table(
        "Top tracks",
        summary["top_tracks"],
        lambda r: f"{r['track']} — {r['artist']}",
        [("plays", "plays"), ("minutes", "ms_played")],
    )
    lines += _table(
        "Top albums",
        summary.get("top_albums") or [],
        lambda r: f"{r['album']} — {r['artist']}",
        [("minutes", "ms_played")],
    )
    lines += _table(
        "Top genres", summary.get("top_genres") or [], lambda r: r["genre"], [("minutes", "ms_played")]
    )
    lines += _table(
        "Top shows (podcasts)",
        summary.get("top_shows") or [],
        lambda r: r["show"],
        [("episodes", "episodes"), ("minutes", "ms_played")],
    )
    if new.get("top"):
        lines.append("\nNew artists".ljust(WIDTH // 2 + 6) + f"{'first heard':>12}{'minutes':>11}")
        for rank, row in enumerate(new["top"], 1):
            lines.append(
                f"{rank:>3}. {row['artist'][: WIDTH // 2 - 1]:<{WIDTH // 2}}"
                f"{row['first_heard']!s:>12}{_minutes(row['ms_played']):>11}"
            )
    if summary.get("listening_clock"):
        lines.append("\nWhen you listen (local time; darker = more music)")
        lines += clock_lines(summary["listening_clock"])
    if summary.get("minutes_per_month"):
        lines.append("\nMinutes per month")
        lines += month_lines(summary["minutes_per_month"])
    for title, key, name in (
        ("Platforms", "minutes_by_platform", "platform"),
        ("Countries", "minutes_by_country", "country"),
    ):
        rows = summary.get(key) or []
        if rows:
            lines.append(f"\n{title}: " + " · ".join(f"{r[name]} {r['minutes']:,.1f} min" for r in rows))
    lines += mode_lines(summary) + chart_lines(summary)
    return "\n".join(lines)


def mode_lines(summary: dict[str, Any]) -> list[str]:
    """Listening modes (python -m cli modes) and the listener segment, when an analysis stored them."""
    lines = []
    modes = summary.get("listening_modes")
    if modes:
        lines.append(f"\nListening modes ({modes['sessions']:,} sessions in this period)")
        for mode in modes["modes"]:
            artists = ", ".join(mode["top_artists"][:3])
            lines.append(
                f"  {mode['mode_id']}. {mode['label']}: {_percent(mode['session_share'])} of sessions,"
                f" {_percent(mode['minutes_share'])} of minutes" + (f" · {artists}" if artists else "")
            )
    segment = summary.get("listener_segment")
    if segment:
        lines.append(f"  Your listener segment: {segment['label']} ({segment['users']} listeners)")
    return lines


def chart_lines(summary: dict[str, Any]) -> list[str]:
    """Ahead of the charts and mainstream share, when Spotify's charts are loaded."""
    lines = []
    ahead = summary.get("ahead_of_charts")
    if ahead:
        lines.append(
            f"\nAhead of the charts ({ahead['country']} Top 200): {ahead['count']:,} of the"
            f" {ahead['tracks_charted']:,} tracks you streamed that entered it in this period, you had first"
        )
        for rank, track in enumerate(ahead["tracks"], 1):
            lines.append(
                f"{rank:>3}. {track['track']} — {track['artist']}: {track['days_earlier']:,} days earlier"
                f" ({track['first_streamed']} → {track['entered_chart']})"
            )
    share = summary.get("mainstream_share")
    if share:
        lines.append(
            f"  Mainstream share: {_percent(share['share'])} of your listening in the {share['weeks']:,}"
            f" weeks the {share['country']} Top 200 covers was on that week's chart"
        )
    return lines
