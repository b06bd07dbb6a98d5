"""The analyses as the chain runs them: compute from the warehouse, queue the results for loading.

The weekly timer (stages.run_analyses) and the CLI (`charts model`, `modes`) run these; each
queues the load messages of what it wrote, and the load queue brings the results into the
warehouse as it does every curated file (the CLI drains it at once, see pipeline.chain).
This module imports scikit-learn (through analysis/): stages import it only when they run.
"""

from __future__ import annotations

from datetime import date, datetime

from analysis.chart_runs import HORIZON_DAYS
from analysis.runs import (
    AnalysesReport,
    HitModelRun,
    ModesRun,
    NotEnoughSessions,
    SegmentsRun,
    run_all,
    run_hit_model,
    run_modes,
    run_segments,
)
from contracts.layout import LOAD_QUEUE
from contracts.load_message import LoadMessage
from load.local_time import HomeZone
from load.warehouse import open_warehouse
from settings import Settings
from storage import open_lake, open_queue
from transform.pseudonym import user_id, user_id_key


def _queue(settings: Settings, messages: list[LoadMessage]) -> None:
    queue = open_queue(settings, LOAD_QUEUE)
    for message in messages:
        queue.send(message.to_json())


def hit_model(settings: Settings, now: datetime, horizon: int = HORIZON_DAYS) -> HitModelRun:
    """Train the hit model on the loaded charts; its predictions queued (NotEnoughChartData)."""
    lake = open_lake(settings)
    with open_warehouse(settings) as warehouse:
        result = run_hit_model(warehouse, lake, now, horizon)
    _queue(settings, [result.message])
    return result


def listening_modes(
    settings: Settings,
    user: str,
    home: HomeZone,
    now: datetime,
    first: date | None = None,
    last: date | None = None,
) -> tuple[ModesRun, SegmentsRun | str]:
    """One user's modes in a period and, with at least 5 listeners, every listener's segment (else
    why not); the results queued. NotEnoughSessions when the user has too few sessions."""
    lake = open_lake(settings)
    uid = user_id(user, user_id_key(lake, settings))
    with open_warehouse(settings) as warehouse:
        modes = run_modes(warehouse, lake, uid, home, now, first, last)
        try:
            segments: SegmentsRun | str = run_segments(warehouse, lake, home, now)
        except NotEnoughSessions as error:
            segments = str(error)
    _queue(settings, [modes.message] + ([segments.message] if isinstance(segments, SegmentsRun) else []))
    return modes, segments


def analyse_all(settings: Settings, now: datetime) -> AnalysesReport:
    """Every analysis the data allows (the weekly timer); the results queued."""
    lake = open_lake(settings)
    with open_warehouse(settings) as warehouse:
        report = run_all(warehouse, lake, HomeZone.of(settings.user_time_zone), now)
    _queue(settings, report.messages)
    return report
