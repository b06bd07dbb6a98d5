"""The listening report: one self-contained HTML page (inline CSS and SVG, no request when opened).

Readable on a phone (one column below 720 px), printable (charts keep together, no backgrounds),
and accessible: each chart is a figure with a caption and the same numbers as a table beside it.
The summary's figures carry `data-figure` attributes, and the whole summary rides along as a
JSON data block, so a test (or a person) can check the page against `wrapped --json`.
Pure: a summary in, the page's text out (charts drawn by report.charts).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from datetime import date
from html import escape
from typing import Any

from report import charts
from report.text import WEEKDAYS, span

Draw = Callable[[dict[str, Any]], str]

CSS = """
:root { --ink: #1f2630; --muted: #5b6573; --line: #e4e7eb; --accent: #1a7f4b; --fall: #b5473a;
  --paper: #fbfaf7; --card: #ffffff; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--paper); color: var(--ink);
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; }
main { max-width: 1100px; margin: 0 auto; padding: 2rem 1.25rem 3rem; }
header h1 { font-size: 2.4rem; line-height: 1.1; margin: .2rem 0 .4rem; letter-spacing: -.02em; }
.eyebrow { text-transform: uppercase; letter-spacing: .12em; font-size: .75rem; color: var(--accent);
  margin: 0; font-weight: 600; }
.span { color: var(--muted); margin: 0 0 1.5rem; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: .75rem;
  margin-bottom: 2rem; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 12px; padding: .9rem 1rem; }
.card .value { display: block; font-size: 1.45rem; white-space: nowrap; font-weight: 700;
  letter-spacing: -.01em;
  font-variant-numeric: tabular-nums; }
.card .label { color: var(--muted); font-size: .85rem; }
.grid { display: grid; grid-template-columns: 1fr 1fr; gap: 1.25rem; }
section.panel { background: var(--card); border: 1px solid var(--line); border-radius: 14px;
  padding: 1.1rem 1.25rem 1rem; margin-bottom: 1.25rem; break-inside: avoid; }
section.wide { grid-column: 1 / -1; }
h2 { font-size: 1.15rem; margin: 0 0 .6rem; }
figure { margin: 0; }
figure svg { width: 100%; max-width: 860px; height: auto; display: block; }
figcaption { color: var(--muted); font-size: .85rem; margin-top: .35rem; }
details { margin-top: .6rem; font-size: .9rem; }
summary { cursor: pointer; color: var(--accent); }
table { border-collapse: collapse; width: 100%; margin-top: .4rem; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: .25rem .5rem; border-bottom: 1px solid var(--line); }
td.num, th.num { text-align: right; }
.compare { display: flex; gap: 1.5rem; flex-wrap: wrap; margin-bottom: .5rem; }
.compare div { min-width: 9rem; }
.compare .value { font-size: 1.3rem; font-weight: 700; display: block; }
.up { color: var(--accent); } .down { color: var(--fall); }
.empty { background: var(--card); border: 1px dashed var(--line); border-radius: 14px; padding: 2rem; }
footer { color: var(--muted); font-size: .8rem; margin-top: 2rem; }
@media (max-width: 720px) { .grid { grid-template-columns: 1fr; } header h1 { font-size: 1.9rem; } }
@media print { body { background: #fff; } main { max-width: none; padding: 0; }
  section.panel, .card { border-color: #ccc; } details { display: none; } }
"""


def _num(value: int | float) -> str:
    return f"{value:,.1f}" if isinstance(value, float) else f"{value:,}"


def _minutes(ms: int) -> str:
    return f"{ms / 60000:,.1f}"


def _percent(share: float | None) -> str:
    return "–" if share is None else f"{share * 100:.1f} %"


def _card(value: str, label: str, figure: str) -> str:
    return (
        f'<div class="card"><span class="value" data-figure="{figure}">{escape(value)}</span>'
        f'<span class="label">{escape(label)}</span></div>'
    )


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]], numeric: Sequence[bool]) -> str:
    head = "".join(
        f"<th{' class=num' if n else ''}>{escape(h)}</th>" for h, n in zip(headers, numeric, strict=True)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f"<td{' class=num' if n else ''}>{escape(str(v))}</td>" for v, n in zip(row, numeric, strict=True)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _scoped(svg: str, prefix: str) -> str:
    """The SVG with its ids (clip paths) prefixed: ids are page-wide, and every chart has a clip1."""
    svg = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}-\1"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}-\1)", svg)
    return re.sub(r'href="#([^"]+)"', rf'href="#{prefix}-\1"', svg)


def _panel(
    key: str,
    title: str,
    svg: str,
    caption: str,
    table: str,
    wide: bool = False,
) -> str:
    return (
        f'<section class="panel{" wide" if wide else ""}" id="{key}" data-chart="{key}">'
        f"<h2>{escape(title)}</h2>"
        f'<figure role="img" aria-label="{escape(caption)}">{_scoped(svg, key)}'
        f"<figcaption>{escape(caption)}</figcaption></figure>"
        f"<details><summary>The numbers</summary>{table}</details></section>"
    )


def _ranked_panel(
    key: str,
    title: str,
    rows: Sequence[dict],
    label: Callable[[dict], str],
    extra: str | None,
    draw: Draw,
    by_plays: bool = False,
) -> str:
    """A top list as bars (of minutes, or of plays where plays rank it) and as a table."""
    if not rows:
        return ""
    data = [
        {"label": label(r), "minutes": round(r["ms_played"] / 60000, 1), "plays": r.get("plays", 0)}
        for r in rows
    ]
    headers = ["#", title.removeprefix("Top ").rstrip("s").capitalize() or "Item", "minutes"]
    cells = [
        [i, d["label"], _minutes(r["ms_played"])] for i, (d, r) in enumerate(zip(data, rows, strict=True), 1)
    ]
    numeric = [True, False, True]
    if extra:
        headers.insert(2, extra)
        for cell, row in zip(cells, rows, strict=True):
            cell.insert(2, _num(row[extra]))
        numeric.insert(2, True)
    measure = "plays" if by_plays else "minutes"
    caption = f"{title}: {data[0]['label']} leads with {_num(data[0][measure])} {measure}."
    return _panel(
        key,
        title,
        draw(charts.bars_spec(data, "label", measure, measure)),
        caption,
        _table(headers, cells, numeric),
    )


def _day(value: date | str) -> str:
    day = date.fromisoformat(value) if isinstance(value, str) else value
    return f"{WEEKDAYS[day.weekday()]} {day.isoformat()}"


def _comparison(summary: dict[str, Any], draw: Draw) -> str:
    previous = summary.get("previous_period")
    if not previous:
        return ""

    def change(now: float, before: float) -> str:
        if not before:
            return ""
        delta = (now - before) / before * 100
        return f'<span class="{"up" if delta >= 0 else "down"}">{delta:+.1f} %</span>'

    figures = "".join(
        f'<div><span class="value">{_num(summary[key])}</span>{escape(label)} · before {_num(previous[key])} '
        f"{change(summary[key], previous[key])}</div>"
        for key, label in (("streams", "streams"), ("plays", "plays"), ("minutes", "minutes"))
    )
    moves = [*previous["risers"], *previous["fallers"]]
    chart, table = "", ""
    if moves:
        chart = draw(charts.changes_spec(moves))
        table = _table(
            ["artist", "minutes now", "minutes before", "change"],
            [
                [
                    m["artist"],
                    _minutes(m["ms_played"]),
                    _minutes(m["previous_ms_played"]),
                    _minutes(m["change_ms"]),
                ]
                for m in moves
            ],
            [False, True, True, True],
        )
    caption = f"This period against {previous['from']} → {previous['to']}: who rose and who fell (minutes)."
    return (
        '<section class="panel wide" id="previous" data-chart="previous">'
        f"<h2>Against the period before ({escape(str(previous['from']))} →"
        f" {escape(str(previous['to']))})</h2>"
        f'<div class="compare">{figures}</div>'
        + (
            f'<figure role="img" aria-label="{escape(caption)}">{_scoped(chart, "previous")}'
            f"<figcaption>{escape(caption)}</figcaption>"
            f"</figure><details><summary>The numbers</summary>{table}</details>"
            if moves
            else ""
        )
        + "</section>"
    )


def render_page(summary: dict[str, Any], draw: Draw = charts.to_svg) -> str:
    """The whole report page for a summary (load.wrapped's, with "from"/"to")."""
    title = f"Your listening, {span(summary)}"
    zone = summary.get("time_zone", "UTC")
    head = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body><main>"
        f'<header><p class="eyebrow">spotify-lake · your listening report</p><h1>Your listening</h1>'
        f'<p class="span" data-figure="span">{escape(span(summary))} · local time {escape(zone)}</p></header>'
    )
    # "<" as \u003c: valid JSON, and nothing in a name can close the data block or look like a tag.
    data = json.dumps(summary, default=str, ensure_ascii=False).replace("<", "\\u003c")
    tail = (
        "<footer>Music streams have an artist and a track; a play lasts at least 30 seconds; dates and hours"
        f" are local ({escape(zone)}, or the country's zone on trips abroad). Made by spotify-lake from your"
        " own data; this file fetches nothing.</footer>"
        f'<script type="application/json" id="summary-data">{data}</script></main></body></html>'
    )
    if not summary["streams"]:
        empty = summary.get("empty_reason") or "No music streams in this period."
        return head + f'<p class="empty">{escape(empty)}</p>' + tail
    return head + _cards(summary) + _panels(summary, draw) + tail


def _cards(summary: dict[str, Any]) -> str:
    sessions = summary["sessions"]
    busiest = summary["busiest_day"]
    cards = [
        (_num(summary["streams"]), "streams", "streams"),
        (_num(summary["plays"]), "plays (≥ 30 s)", "plays"),
        (_num(summary["minutes"]), "minutes", "minutes"),
        (f"{summary['minutes'] / 60:,.1f}", "hours", "hours"),
        (_num(summary["distinct_artists"]), "artists", "distinct_artists"),
        (_num(summary["distinct_tracks"]), "tracks", "distinct_tracks"),
        (_num(summary["new_artists"]["count"]), "new artists", "new_artists"),
        (f"{summary['longest_streak_days']} days", "longest streak", "longest_streak_days"),
        (
            str(busiest["date"]) if busiest else "–",
            f"busiest day ({_day(busiest['date'])[:3]}, {_minutes(busiest['ms_played'])} min)"
            if busiest
            else "busiest day",
            "busiest_day",
        ),
        (_num(sessions["count"]), f"sessions · median {sessions['median_minutes']:,.1f} min", "sessions"),
        (_percent(summary["skip_rate"]), "skipped (< 30 s)", "skip_rate"),
        (_percent(summary["shuffle_share"]), "on shuffle", "shuffle_share"),
    ]
    share = summary.get("mainstream_share")
    if share:
        cards.append(
            (
                _percent(share["share"]),
                f"mainstream ({share['country']} Top 200 that week)",
                "mainstream_share",
            )
        )
    ahead = summary.get("ahead_of_charts")
    if ahead:
        cards.append(
            (_num(ahead["count"]), f"tracks found before the {ahead['country']} chart", "ahead_of_charts")
        )
    return '<section class="cards">' + "".join(_card(*c) for c in cards) + "</section>"


def _panels(summary: dict[str, Any], draw: Draw) -> str:
    parts = [_comparison(summary, draw)]
    months = summary["minutes_per_month"]
    if months:
        busiest = max(months, key=lambda m: m["minutes"])
        parts.append(
            _panel(
                "months",
                "Minutes per month",
                draw(charts.months_spec(months)),
                f"Minutes of music per month; the most in {busiest['month']} ({busiest['minutes']:,.1f}).",
                _table(
                    ["month", "streams", "plays", "minutes"],
                    [[m["month"], _num(m["streams"]), _num(m["plays"]), _num(m["minutes"])] for m in months],
                    [False, True, True, True],
                ),
                wide=True,
            )
        )
    clock = summary["listening_clock"]
    if clock:
        peak = max(clock, key=lambda c: c["ms_played"])
        parts.append(
            _panel(
                "clock",
                "When you listen",
                draw(charts.clock_spec(clock)),
                f"Minutes of music by weekday and local hour; the busiest hour is {WEEKDAYS[peak['weekday']]}"
                f" {peak['hour']:02d}:00.",
                _table(
                    ["weekday", "hour", "streams", "minutes"],
                    [
                        [
                            WEEKDAYS[c["weekday"]],
                            f"{c['hour']:02d}",
                            _num(c["streams"]),
                            _minutes(c["ms_played"]),
                        ]
                        for c in clock
                    ],
                    [False, True, True, True],
                ),
                wide=True,
            )
        )
    grid = [
        _ranked_panel("artists", "Top artists", summary["top_artists"], lambda r: r["artist"], None, draw),
        _ranked_panel(
            "tracks",
            "Top tracks",
            summary["top_tracks"],
            lambda r: f"{r['track']} — {r['artist']}",
            "plays",
            draw,
        ),
        _ranked_panel(
            "albums",
            "Top albums",
            summary["top_albums"],
            lambda r: f"{r['album']} — {r['artist']}",
            None,
            draw,
        ),
        _ranked_panel("shows", "Top shows", summary["top_shows"], lambda r: r["show"], "episodes", draw),
    ]
    new = summary["new_artists"]["top"]
    if new:
        data = [{"label": r["artist"], "minutes": round(r["ms_played"] / 60000, 1)} for r in new]
        grid.append(
            _panel(
                "new-artists",
                "New artists",
                draw(charts.bars_spec(data, "label", "minutes", "minutes")),
                f"{summary['new_artists']['count']} artists heard for the first time ever in this period.",
                _table(
                    ["artist", "first heard", "minutes"],
                    [[r["artist"], str(r["first_heard"]), _minutes(r["ms_played"])] for r in new],
                    [False, False, True],
                ),
            )
        )
    for key, title, name in (
        ("platforms", "Platforms", "platform"),
        ("countries", "Countries", "country"),
    ):
        rows = summary[f"minutes_by_{name}"]
        if rows:
            data = [{"label": r[name], "minutes": r["minutes"]} for r in rows]
            grid.append(
                _panel(
                    key,
                    title,
                    draw(charts.bars_spec(data, "label", "minutes", "minutes")),
                    f"Minutes of music by {name}; most on {rows[0][name]}.",
                    _table([name, "minutes"], [[r[name], _num(r["minutes"])] for r in rows], [False, True]),
                )
            )
    grid += [_modes_panel(summary, draw), _ahead_panel(summary, draw)]
    return "".join(parts) + '<div class="grid">' + "".join(grid) + "</div>"


def _modes_panel(summary: dict[str, Any], draw: Draw) -> str:
    """The listening modes of the last `modes` run: this period's sessions by mode."""
    modes = summary.get("listening_modes")
    if not modes or not modes["sessions"]:
        return ""
    rows = modes["modes"]
    data = [
        {"label": f"{m['mode_id']}. {m['label']}", "share": round((m["session_share"] or 0) * 100, 1)}
        for m in rows
    ]
    top = max(rows, key=lambda m: m["sessions"])
    segment = summary.get("listener_segment")
    caption = f"Your {modes['sessions']:,} sessions by listening mode; most were {top['label']}." + (
        f" Your listener segment: {segment['label']}." if segment else ""
    )
    return _panel(
        "modes",
        "Listening modes",
        draw(charts.bars_spec(data, "label", "share", "% of sessions")),
        caption,
        _table(
            ["#", "mode", "sessions", "% of sessions", "% of minutes", "top artists"],
            [
                [
                    m["mode_id"],
                    m["label"],
                    _num(m["sessions"]),
                    _percent(m["session_share"]),
                    _percent(m["minutes_share"]),
                    ", ".join(m["top_artists"][:3]),
                ]
                for m in rows
            ],
            [True, False, True, True, True, False],
        ),
    )


def _ahead_panel(summary: dict[str, Any], draw: Draw) -> str:
    """Tracks the listener streamed before they entered their country's Top 200."""
    ahead = summary.get("ahead_of_charts")
    if not ahead or not ahead["tracks"]:
        return ""
    rows = ahead["tracks"]
    data = [{"label": f"{t['track']} — {t['artist']}", "days": t["days_earlier"]} for t in rows]
    return _panel(
        "ahead",
        "Ahead of the charts",
        draw(charts.bars_spec(data, "label", "days", "days earlier")),
        f"{ahead['count']} of {ahead['tracks_charted']} tracks you streamed entered the {ahead['country']}"
        f" Top 200 after you found them; {rows[0]['track']} by {rows[0]['days_earlier']} days.",
        _table(
            ["track", "artist", "you first", "on the chart", "days earlier"],
            [
                [
                    t["track"],
                    t["artist"],
                    str(t["first_streamed"]),
                    str(t["entered_chart"]),
                    t["days_earlier"],
                ]
                for t in rows
            ],
            [False, False, False, False, True],
        ),
    )
