"""The analyses end to end: gather from the warehouse, decide (pure), apply to the lake.

Each run reads with one SQL query (rendered for the warehouse's dialect), computes, writes its
results as curated Parquet named by the run (contracts.layout.AnalysisRun) and returns the load
message that names them: whoever runs it queues that message, and the loader brings the results
into the warehouse like any other curated file (fact_chart_prediction, fact_session,
dim_listening_mode, dim_listener_segment; per key, only the latest run's rows). The hit model
itself and its figures go to models/. Writing the same run again writes the same files.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
import pyarrow as pa

from analysis.chart_runs import HORIZON_DAYS, runs_sql
from analysis.hit_model import MODEL_NAME, HitModel, NotEnoughChartData, train
from analysis.modes import Modes, NotEnoughSessions, Segments, find_modes, segment_users, session_vectors
from analysis.sessions import session_artists_sql, sessions_sql, users_sql
from contracts.datasets import CHART_PREDICTIONS, LISTENER_SEGMENTS, LISTENING_MODES, SESSIONS, UTC_MS
from contracts.layout import MODELS_CONTAINER, AnalysisRun, run_id
from contracts.load_message import CuratedFile, LoadMessage
from load.local_time import HomeZone
from load.warehouse import Warehouse
from storage.lake import Lake
from storage.parquet import write_parquet

__all__ = [
    "AnalysesReport",
    "HitModelRun",
    "ModesRun",
    "NotEnoughChartData",
    "NotEnoughSessions",
    "SegmentsRun",
    "run_all",
    "run_hit_model",
    "run_modes",
    "run_segments",
]

logger = logging.getLogger(__name__)
TOP_ARTISTS = 5
SEGMENT_SCOPE = "all"


def _write(lake: Lake, run: AnalysisRun, dataset: str, table: pa.Table) -> CuratedFile:
    path = run.curated_path(dataset)
    write_parquet(lake, path, table)
    return CuratedFile(dataset, path, table.num_rows)


def _message(run: AnalysisRun, files: list[CuratedFile]) -> LoadMessage:
    who = f"{run.user_id}/" if run.user_id else ""
    return LoadMessage(curated_from=f"analysis:{who}{run.analysis}/{run.run_id}", files=tuple(files))


def _constant(value: str | None, rows: int) -> pa.Array:
    return pa.array([value] * rows, pa.string())


# -- the hit model ------------------------------------------------------------------------------


@dataclass(frozen=True)
class HitModelRun:
    run: AnalysisRun
    model: HitModel
    metrics: dict[str, Any]  # as written to models/<...>/metrics.json
    model_path: str  # inside models/
    metrics_path: str
    model_bytes: int
    message: LoadMessage


def run_hit_model(
    warehouse: Warehouse, lake: Lake, now: datetime, horizon: int = HORIZON_DAYS
) -> HitModelRun:
    """Train on fact_chart_entry; the model and metrics to models/, predictions to curated/.

    Raises NotEnoughChartData (one line) when the chart data is too short to train and test on.
    """
    runs = warehouse.query_table(runs_sql(warehouse.dialect, horizon))
    logger.info("hit model: %d chart runs", runs.num_rows)
    model = train(runs, horizon)
    run = AnalysisRun(MODEL_NAME, run_id(now))
    metrics = {"run_id": run.run_id, "trained_at": now.isoformat(timespec="seconds"), **model.metrics}
    model_path, metrics_path = run.model_paths()
    blob = model.model_bytes(metrics)
    lake.write_bytes(MODELS_CONTAINER, model_path, blob)
    lake.write_bytes(MODELS_CONTAINER, metrics_path, json.dumps(metrics, indent=2).encode() + b"\n")
    rows = model.predictions.num_rows
    predictions = pa.table(
        {"model": _constant(MODEL_NAME, rows), "run_id": _constant(run.run_id, rows)}
        | {name: model.predictions[name] for name in model.predictions.column_names}
    ).cast(CHART_PREDICTIONS)
    files = [_write(lake, run, "chart_predictions", predictions)]
    return HitModelRun(run, model, metrics, model_path, metrics_path, len(blob), _message(run, files))


# -- listening modes ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ModesRun:
    run: AnalysisRun
    modes: Modes
    top_artists: dict[int, list[str]]  # mode_id -> artists, most minutes first
    minutes_share: dict[int, float]
    message: LoadMessage


def _top_artists(artists: pa.Table, mode_of: dict[Any, int]) -> dict[int, list[str]]:
    ms: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for start, artist, played in zip(
        artists["session_start"].to_pylist(),
        artists["artist_name"].to_pylist(),
        artists["ms_played"].to_pylist(),
        strict=True,
    ):
        mode = mode_of.get(start)
        if mode is not None:
            ms[mode][artist] += int(played)
    return {
        mode: [a for a, _ in sorted(by_artist.items(), key=lambda p: (-p[1], p[0]))[:TOP_ARTISTS]]
        for mode, by_artist in ms.items()
    }


def run_modes(
    warehouse: Warehouse,
    lake: Lake,
    user_id: str,
    home: HomeZone,
    now: datetime,
    first: date | None = None,
    last: date | None = None,
) -> ModesRun:
    """Cluster one user's sessions (starting in the period); sessions and modes to curated/.

    Raises NotEnoughSessions (one line) below the minimum number of sessions.
    """
    d = warehouse.dialect
    sessions = warehouse.query_table(sessions_sql(d, user_id, home, first, last))
    logger.info("modes: %d sessions", sessions.num_rows)
    modes = find_modes(sessions)
    starts = sessions["session_start"].to_pylist()
    mode_of = dict(zip(starts, modes.assignment.tolist(), strict=True))
    top = _top_artists(warehouse.query_table(session_artists_sql(d, user_id, home, first, last)), mode_of)
    total_ms = max(sum(m.ms_played for m in modes.modes), 1)
    shares = {m.mode_id: round(m.ms_played / total_ms, 4) for m in modes.modes}
    run = AnalysisRun("modes", run_id(now), user_id)
    files = [
        _write(lake, run, "sessions", _session_rows(sessions, modes, run)),
        _write(lake, run, "listening_modes", _mode_rows(modes, top, shares, run, first, last)),
    ]
    return ModesRun(run, modes, top, shares, _message(run, files))


def _session_rows(sessions: pa.Table, modes: Modes, run: AnalysisRun) -> pa.Table:
    v = session_vectors(sessions)  # the same vectors the modes were found from
    n = sessions.num_rows
    known = sessions["shuffle_known"].to_numpy(zero_copy_only=False)
    shuffled = sessions["shuffled"].cast(pa.float64()).to_numpy(zero_copy_only=False)
    shuffle = [round(float(s / k), 4) if k else None for s, k in zip(shuffled, known, strict=True)]
    device = np.where(
        v["phone_share"] > np.maximum(v["computer_share"], 1 - v["phone_share"] - v["computer_share"]),
        "phone",
        np.where(v["computer_share"] > 1 - v["phone_share"] - v["computer_share"], "computer", "other"),
    )
    local = sessions["local_start"]
    return pa.table(
        {
            "user_id": _constant(run.user_id, n),
            "run_id": _constant(run.run_id, n),
            "session_start": sessions["session_start"].cast(UTC_MS, safe=False),
            "session_end": sessions["session_end"].cast(UTC_MS, safe=False),
            "local_date": local.cast(pa.date32(), safe=False),
            "local_hour": pa.array(v["hour"].astype(np.int32)),
            "streams": sessions["streams"].cast(pa.int32()),
            "ms_played": sessions["ms_played"].cast(pa.int64()),
            "seconds": sessions["seconds"].cast(pa.int64()),
            "skip_rate": pa.array(v["skip_rate"].round(4)),
            "shuffle_share": pa.array(shuffle, pa.float64()),
            "artists_per_hour": pa.array(v["artists_per_hour"].round(2)),
            "podcast_share": pa.array(v["podcast_share"].round(4)),
            "new_artist_share": pa.array(v["new_artist_share"].round(4)),
            "device": pa.array(device.tolist()),
            "mode_id": pa.array(modes.assignment, pa.int32()),
        }
    ).cast(SESSIONS)


def _mode_rows(
    modes: Modes,
    top: dict[int, list[str]],
    shares: dict[int, float],
    run: AnalysisRun,
    first: date | None,
    last: date | None,
) -> pa.Table:
    total = max(sum(m.sessions for m in modes.modes), 1)
    rows = [
        {
            "user_id": run.user_id,
            "run_id": run.run_id,
            "mode_id": m.mode_id,
            "label": m.label,
            "sessions": m.sessions,
            "session_share": round(m.sessions / total, 4),
            "ms_played": m.ms_played,
            "minutes_share": shares[m.mode_id],
            "top_artists": "; ".join(top.get(m.mode_id, [])) or None,
            "typical_hour": m.profile.hour,
            "typical_minutes": m.profile.minutes,
            "skip_rate": m.profile.skip_rate,
            "shuffle_share": m.profile.shuffle_share,
            "artists_per_hour": m.profile.artists_per_hour,
            "podcast_share": m.profile.podcast_share,
            "new_artist_share": m.profile.new_artist_share,
            "device": m.profile.device,
            "period_first": first,
            "period_last": last,
            "silhouette": modes.silhouette,
        }
        for m in modes.modes
    ]
    return pa.Table.from_pylist(rows, schema=LISTENING_MODES)


# -- listener segments --------------------------------------------------------------------------


@dataclass(frozen=True)
class SegmentsRun:
    run: AnalysisRun
    segments: Segments
    message: LoadMessage


def run_segments(warehouse: Warehouse, lake: Lake, home: HomeZone, now: datetime) -> SegmentsRun:
    """Group every listener in the warehouse by their sessions (NotEnoughSessions below 5 users)."""
    sessions = warehouse.query_table(sessions_sql(warehouse.dialect, None, home))
    segments = segment_users(sessions)
    run = AnalysisRun("segments", run_id(now))
    sizes = {m.mode_id: m.sessions for m in segments.modes}
    labels = {m.mode_id: m.label for m in segments.modes}
    rows = [
        {
            "user_id": user,
            "run_id": run.run_id,
            "scope": SEGMENT_SCOPE,
            "segment_id": int(segment),
            "label": labels[int(segment)],
            "users": sizes[int(segment)],
        }
        for user, segment in zip(segments.users, segments.assignment, strict=True)
    ]
    table = pa.Table.from_pylist(rows, schema=LISTENER_SEGMENTS)
    return SegmentsRun(run, segments, _message(run, [_write(lake, run, "listener_segments", table)]))


# -- all of them (the weekly timer) -------------------------------------------------------------


@dataclass
class AnalysesReport:
    messages: list[LoadMessage] = field(default_factory=list)
    done: list[str] = field(default_factory=list)  # one line per analysis that ran
    skipped: list[str] = field(default_factory=list)  # one line per analysis that could not

    def __str__(self) -> str:
        return "; ".join(self.done + [f"skipped: {s}" for s in self.skipped]) or "nothing to analyse"


def run_all(
    warehouse: Warehouse, lake: Lake, home: HomeZone, now: datetime, say: Callable[[str], None] | None = None
) -> AnalysesReport:
    """Every analysis the data allows: the hit model when charts are loaded, every user's modes,
    and the listener segments with at least 5 users. One that cannot run says why and the
    others still run."""
    say = say or (lambda _line: None)
    report = AnalysesReport()
    charts = int(warehouse.query(f"SELECT COUNT(*) FROM {warehouse.dialect.table('fact_chart_entry')}")[0][0])
    if charts:
        try:
            hit = run_hit_model(warehouse, lake, now)
        except NotEnoughChartData as error:
            report.skipped.append(f"hit model: {error}")
        else:
            report.messages.append(hit.message)
            report.done.append(f"hit model {hit.run.run_id}: {hit.model.predictions.num_rows} predictions")
    else:
        report.skipped.append("hit model: no chart data loaded")
    users = [row[0] for row in warehouse.query(users_sql(warehouse.dialect))]
    for number, user in enumerate(users, 1):
        try:
            modes = run_modes(warehouse, lake, user, home, now)
        except NotEnoughSessions as error:
            report.skipped.append(f"modes of user {number}: {error}")
            continue
        report.messages.append(modes.message)
        report.done.append(f"modes of user {number}: {len(modes.modes.modes)}")
    say(f"listening modes of {len(users)} users")
    try:
        segments = run_segments(warehouse, lake, home, now)
    except NotEnoughSessions as error:
        report.skipped.append(f"segments: {error}")
    else:
        report.messages.append(segments.message)
        report.done.append(f"segments: {len(segments.segments.modes)} of {len(users)} users")
    return report
