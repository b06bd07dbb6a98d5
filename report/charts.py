"""The report's charts: Vega-Lite specifications of the summary, rendered to static SVG.

Vega-Lite is the grammar; vl-convert renders it to SVG in-process (its own V8, no browser, no
network), so the page carries finished drawings: nothing to fetch or run when it is opened,
in a mail client or offline, on paper. Pure: a summary (load.wrapped) in, SVG text out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

ACCENT = "#1a7f4b"
FALL = "#b5473a"
# Arial's metrics (Liberation Sans and Helvetica share them): labels are measured when the SVG is
# drawn and shown in the reader's font, so both should be the same width.
FONT = "Arial, 'Liberation Sans', Helvetica, sans-serif"
WIDTH = 540  # a chart across the page (scaled up to 860 px on a desktop, down on a phone)
HALF = 300  # a chart in half a page (labels stay readable on a phone, where it takes the width)
LABELS = 150  # px kept for bar labels, whatever the font: a long name is cut with "…", never off the edge
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

_CONFIG = {
    "background": None,
    "font": FONT,
    "view": {"stroke": None},
    "axis": {"labelColor": "#3d4550", "titleColor": "#3d4550", "gridColor": "#e4e7eb", "domain": False},
    "legend": {"labelColor": "#3d4550", "titleColor": "#3d4550"},
}


def _spec(rows: Sequence[dict[str, Any]], **spec: Any) -> dict[str, Any]:
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "data": {"values": list(rows)},
        "config": _CONFIG,
        "width": WIDTH,
        **spec,
    }


def _label_axis() -> dict[str, Any]:
    return {"labelLimit": LABELS - 8, "minExtent": LABELS, "maxExtent": LABELS, "labelFontSize": 11}


def months_spec(months: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return _spec(
        months,
        height=220,
        mark={"type": "bar", "color": ACCENT, "cornerRadiusTopLeft": 2, "cornerRadiusTopRight": 2},
        encoding={
            "x": {"field": "month", "type": "temporal", "timeUnit": "yearmonth", "title": None},
            "y": {"field": "minutes", "type": "quantitative", "title": "minutes"},
        },
    )


def clock_spec(clock: Sequence[dict[str, Any]]) -> dict[str, Any]:
    cells = [
        {"weekday": WEEKDAYS[c["weekday"]], "hour": c["hour"], "minutes": round(c["ms_played"] / 60000, 1)}
        for c in clock
    ]
    return _spec(
        cells,
        height=200,
        mark={"type": "rect", "cornerRadius": 2},
        encoding={
            "x": {
                "field": "hour",
                "type": "ordinal",
                "scale": {"domain": list(range(24))},
                "title": "hour (local time)",
                "axis": {"labelAngle": 0},
            },
            "y": {"field": "weekday", "type": "ordinal", "scale": {"domain": list(WEEKDAYS)}, "title": None},
            "color": {
                "field": "minutes",
                "type": "quantitative",
                "scale": {"scheme": "greens"},
                "legend": {"title": "minutes"},
            },
        },
    )


def bars_spec(
    rows: Sequence[dict[str, Any]], label: str, value: str, title: str, width: int = HALF
) -> dict[str, Any]:
    """Horizontal bars, biggest first (rows come ranked)."""
    order = [r[label] for r in rows]
    return _spec(
        rows,
        width=width - LABELS,
        height=max(60, 22 * len(rows)),
        mark={"type": "bar", "color": ACCENT, "cornerRadiusEnd": 2},
        encoding={
            "y": {
                "field": label,
                "type": "nominal",
                "sort": order,
                "title": None,
                "axis": _label_axis(),
            },
            "x": {"field": value, "type": "quantitative", "title": title, "axis": {"tickCount": 4}},
        },
    )


def changes_spec(changes: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Risers and fallers: each artist's change in minutes against the previous period."""
    rows = [{"artist": c["artist"], "change": round(c["change_ms"] / 60000, 1)} for c in changes]
    return _spec(
        rows,
        height=max(60, 26 * len(rows)),
        mark={"type": "bar", "cornerRadiusEnd": 2},
        encoding={
            "y": {
                "field": "artist",
                "type": "nominal",
                "sort": "-x",
                "title": None,
                "axis": {"labelLimit": 260},
            },
            "x": {"field": "change", "type": "quantitative", "title": "change in minutes"},
            "color": {
                "condition": {"test": "datum.change < 0", "value": FALL},
                "value": ACCENT,
            },
        },
    )


def to_svg(spec: dict[str, Any]) -> str:
    """The chart as an SVG document (vl-convert; the first call starts its engine, ~0.5 s)."""
    import vl_convert  # lazy: heavy, and only the report draws

    return str(vl_convert.vegalite_to_svg(vl_spec=spec))
