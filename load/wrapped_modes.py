"""The Wrapped figures of the listening-mode analysis (analysis/), read back from the warehouse.

The modes are what the last `modes` run found (dim_listening_mode); a period's figures count
that run's sessions (fact_session) starting in the period, so any period shows how it split
between the same modes. Absent when no run is loaded for the user. With at least five listeners,
the segment the listener fell into (dim_listener_segment) is shown too.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from load.dialect import Dialect
from load.local_time import minutes_from_ms
from load.period import Period

Run = Callable[[str], list[tuple]]
SEPARATOR = "; "  # between the top artists of a mode, as analysis.runs stores them


def _in(d: Dialect, period: Period, column: str) -> str:
    parts = []
    if period.first is not None:
        parts.append(f"{column} >= {d.date_lit(period.first)}")
    if period.last is not None:
        parts.append(f"{column} <= {d.date_lit(period.last)}")
    return " AND ".join(parts) or "1 = 1"


def mode_queries(d: Dialect, user_id: str, period: Period) -> dict[str, str]:
    user = d.lit(user_id)
    return {
        "modes": (
            "SELECT m.mode_id, m.label, m.top_artists, m.run_id, m.period_first, m.period_last"
            f" FROM {d.table('dim_listening_mode')} AS m WHERE m.user_id = {user} ORDER BY m.mode_id"
        ),
        "mode_sessions": (
            "SELECT s.mode_id, COUNT(*), SUM(s.ms_played)"
            f" FROM {d.table('fact_session')} AS s WHERE s.user_id = {user}"
            f" AND {_in(d, period, 's.local_date')} GROUP BY s.mode_id"
        ),
        "segment": (
            "SELECT g.segment_id, g.label, g.users"
            f" FROM {d.table('dim_listener_segment')} AS g WHERE g.user_id = {user}"
        ),
    }


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def mode_figures(run: Run, d: Dialect, user_id: str, period: Period) -> dict[str, Any]:
    """{"listening_modes": ..., "listener_segment": ...}, each only when an analysis stored it."""
    q = mode_queries(d, user_id, period)
    figures: dict[str, Any] = {}
    modes = run(q["modes"])
    if modes:
        counts = {int(mode): (int(n), int(ms or 0)) for mode, n, ms in run(q["mode_sessions"])}
        sessions = sum(n for n, _ in counts.values())
        total_ms = sum(ms for _, ms in counts.values())
        first: date | None = modes[0][4]
        last: date | None = modes[0][5]
        figures["listening_modes"] = {
            "run_id": modes[0][3],
            "clustered": {"from": first, "to": last},
            "sessions": sessions,
            "modes": [
                {
                    "mode_id": int(mode_id),
                    "label": label,
                    "sessions": counts.get(int(mode_id), (0, 0))[0],
                    "session_share": _share(counts.get(int(mode_id), (0, 0))[0], sessions),
                    "minutes": minutes_from_ms(counts.get(int(mode_id), (0, 0))[1]),
                    "minutes_share": _share(counts.get(int(mode_id), (0, 0))[1], total_ms),
                    "top_artists": top.split(SEPARATOR) if top else [],
                }
                for mode_id, label, top, *_ in modes
            ],
        }
    segment = run(q["segment"])
    if segment:
        segment_id, label, users = segment[0]
        figures["listener_segment"] = {"segment_id": int(segment_id), "label": label, "users": int(users)}
    return figures
