"""The hit model: from a track's first week on a region's Top 200, its peak rank and days on chart.

Pure: chart runs in (analysis.chart_runs, one Arrow table), a trained model, its figures and its
predictions out. The rules:

- a run counts when the track entered during the data (not on the region's first chart day, when
  it may have been on the chart for long already) and its whole first week is in the data;
- complete runs (the whole horizon is in the data) are split by time: the latest TEST_SHARE of
  entry dates are the test set; training takes only runs whose horizon ended before the first
  test entry, so nothing the test period knows leaks into training;
- two RandomForests (scikit-learn), one per target, deterministic (random_state);
- the baselines a model must beat: for the peak rank, the rank on day 7 (or the last rank of the
  first week when it was off the chart on day 7); for days on chart, the training runs' mean
  days for the same day-7 rank band;
- R² and MSE of both on the test set, and whether the model beats the baseline (lower MSE);
- predictions for the open runs: on the latest chart, whole first week seen, horizon not over.
  A run is still climbing when its predicted peak is better than its best rank so far.
"""

from __future__ import annotations

import io
import platform
from dataclasses import dataclass
from datetime import date
from importlib.metadata import version
from typing import Any

import joblib
import numpy as np
import pyarrow as pa
from sklearn.ensemble import RandomForestRegressor
from sklearn.metrics import mean_squared_error, r2_score

from analysis.chart_runs import AUDIO_FEATURES, DAYS, FIRST_WEEK, HORIZON_DAYS, TOP

MODEL_NAME = "hit-model"
TEST_SHARE = 0.2
MIN_TRAIN_RUNS, MIN_TEST_RUNS = 50, 20
OFF_CHART = TOP + 1  # the rank a day off the chart counts as
# Each tree sees at most this many runs: the whole Kaggle file gives ~10^6 runs, and the forest
# stays a few megabytes and trains in minutes on 2 cores.
MAX_TREE_RUNS = 60_000
FOREST: dict[str, Any] = {
    "n_estimators": 80,
    "min_samples_leaf": 8,
    "max_features": 0.5,
    "n_jobs": 2,
    "random_state": 0,
}
RANK_BANDS = (10, 25, 50, 100, 150, 200)  # day-7 rank bands of the days baseline (upper bounds)
TARGETS = ("peak_rank", "days_on_chart")
BASELINE_RULES = {
    "peak_rank": "its rank on day 7",
    "days_on_chart": "the training runs' mean for its day-7 rank band",
}


class NotEnoughChartData(ValueError):
    """Too few runs to train and test on (one line: how much there is, how much is needed)."""


@dataclass(frozen=True)
class Split:
    train: np.ndarray  # row indexes
    test: np.ndarray
    open: np.ndarray


@dataclass(frozen=True)
class HitModel:
    models: dict[str, RandomForestRegressor]
    features: tuple[str, ...]
    metrics: dict[str, Any]
    predictions: pa.Table  # columns of contracts.datasets.CHART_PREDICTIONS without model/run_id

    def model_bytes(self, metrics: dict[str, Any] | None = None) -> bytes:
        """The trained forests, their feature names and metrics, as joblib writes them (compressed)."""
        buffer = io.BytesIO()
        saved = {"models": self.models, "features": self.features, "metrics": metrics or self.metrics}
        joblib.dump(saved, buffer, compress=3)
        return buffer.getvalue()


def _floats(runs: pa.Table, name: str) -> np.ndarray:
    return runs[name].cast(pa.float64()).to_numpy(zero_copy_only=False)  # nulls become NaN


def _days(runs: pa.Table, name: str) -> np.ndarray:
    """A date column as day numbers (days since 1970-01-01)."""
    return runs[name].cast(pa.date32()).cast(pa.int32()).to_numpy(zero_copy_only=False).astype(np.int64)


def features(runs: pa.Table) -> tuple[np.ndarray, tuple[str, ...]]:
    """The model's inputs, one row per run: first-week ranks, streams, moves, reach, audio."""
    ranks = np.column_stack([_floats(runs, f"rank_d{n}") for n in DAYS])
    on_chart = ~np.isnan(ranks)
    ranks = np.where(on_chart, ranks, OFF_CHART)
    streams = np.column_stack([_floats(runs, f"streams_d{n}") for n in DAYS])
    streams = np.log1p(np.nan_to_num(streams, nan=0.0))
    columns = {
        **{f"rank_d{n}": ranks[:, i] for i, n in enumerate(DAYS)},
        "best_rank_week": ranks.min(axis=1),
        "rank_change_week": ranks[:, -1] - ranks[:, 0],
        "days_on_chart_week": on_chart.sum(axis=1).astype(float),
        **{f"log_streams_d{n}": streams[:, i] for i, n in enumerate(DAYS)},
        "moves_up_week": _floats(runs, "moves_up"),
        "regions_by_d7": _floats(runs, "regions_by_d7"),
    }
    for name in AUDIO_FEATURES:  # only when the chart file had them
        values = _floats(runs, name)
        if not np.isnan(values).all():
            columns[name] = np.where(np.isnan(values), np.nanmean(values), values)
    names = tuple(columns)
    return np.column_stack([columns[n] for n in names]), names


def day7_rank(runs: pa.Table) -> np.ndarray:
    """The peak baseline: the rank on day 7, or the last rank of the first week seen before it."""
    result = np.full(runs.num_rows, float(OFF_CHART))
    for n in DAYS:  # later days overwrite earlier ones
        rank = _floats(runs, f"rank_d{n}")
        result = np.where(np.isnan(rank), result, rank)
    return result


def split(runs: pa.Table, horizon: int = HORIZON_DAYS) -> Split:
    """Train / test / open run indexes, by time (see the module docstring)."""
    first, region_first, region_last = (_days(runs, c) for c in ("first_date", "region_first", "region_last"))
    entered = (first > region_first) & (first + FIRST_WEEK - 1 <= region_last)
    complete = entered & (first + horizon - 1 <= region_last)
    on_latest = ~np.isnan(_floats(runs, "current_rank"))
    open_runs = np.nonzero(entered & ~complete & on_latest)[0]
    if not complete.any():
        return Split(np.array([], int), np.array([], int), open_runs)
    cutoff = np.quantile(first[complete], 1 - TEST_SHARE, method="higher")
    train = np.nonzero(complete & (first + horizon - 1 < cutoff))[0]
    test = np.nonzero(complete & (first >= cutoff))[0]
    return Split(train, test, open_runs)


def _band(ranks: np.ndarray) -> np.ndarray:
    return np.searchsorted(np.array(RANK_BANDS), ranks, side="left")  # OFF_CHART: past the last band


def _days_baseline(train_days: np.ndarray, train_rank: np.ndarray, rank: np.ndarray) -> np.ndarray:
    bands = _band(train_rank)
    overall = float(train_days.mean())
    means = {b: float(train_days[bands == b].mean()) for b in np.unique(bands)}
    return np.array([means.get(b, overall) for b in _band(rank)])


def _scores(truth: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    return {
        "r2": round(float(r2_score(truth, predicted)), 4),
        "mse": round(float(mean_squared_error(truth, predicted)), 2),
    }


def _date_range(days: np.ndarray) -> dict[str, str | None]:
    if not len(days):
        return {"from": None, "to": None}
    return {"from": _iso(int(days.min())), "to": _iso(int(days.max()))}


def _iso(day_number: int) -> str:
    return date.fromordinal(date(1970, 1, 1).toordinal() + day_number).isoformat()


def versions() -> dict[str, str]:
    """The package versions a model was trained with (it loads reliably only with the same)."""
    return {
        "python": platform.python_version(),
        **{name: version(name) for name in ("scikit-learn", "numpy", "scipy", "joblib", "pyarrow")},
    }


def train(runs: pa.Table, horizon: int = HORIZON_DAYS) -> HitModel:
    """Train, test against the baselines, and predict the open runs. NotEnoughChartData when the
    data is too short (the horizon plus a test period is needed)."""
    if not runs.num_rows:
        raise NotEnoughChartData(
            "no Top 200 chart entries are loaded:"
            " ingest Spotify's charts first (python -m cli ingest charts.csv)"
        )
    x, names = features(runs)
    parts = split(runs, horizon)
    if len(parts.train) < MIN_TRAIN_RUNS or len(parts.test) < MIN_TEST_RUNS:
        span = _date_range(_days(runs, "first_date")) if runs.num_rows else {"from": None, "to": None}
        raise NotEnoughChartData(
            f"the hit model needs at least {MIN_TRAIN_RUNS} training and {MIN_TEST_RUNS} test runs whose"
            f" {horizon} days are in the chart data; found {len(parts.train)} and {len(parts.test)}"
            f" (tracks entering {span['from'] or '-'} to {span['to'] or '-'}): load more days of charts"
        )
    targets = {t: _floats(runs, t) for t in TARGETS}
    rank7 = day7_rank(runs)
    baselines = {
        "peak_rank": rank7,
        "days_on_chart": _days_baseline(targets["days_on_chart"][parts.train], rank7[parts.train], rank7),
    }
    share = min(1.0, MAX_TREE_RUNS / len(parts.train))
    models: dict[str, RandomForestRegressor] = {}
    scores: dict[str, Any] = {}
    for target in TARGETS:
        forest = RandomForestRegressor(**FOREST, max_samples=share if share < 1 else None)
        forest.fit(x[parts.train], targets[target][parts.train])
        models[target] = forest
        truth = targets[target][parts.test]
        model, baseline = (
            _scores(truth, forest.predict(x[parts.test])),
            _scores(truth, baselines[target][parts.test]),
        )
        importance = sorted(zip(names, forest.feature_importances_, strict=True), key=lambda p: -p[1])
        scores[target] = {
            "model": model,
            "baseline": baseline,
            "baseline_rule": BASELINE_RULES[target],
            "beats_baseline": model["mse"] < baseline["mse"],
            "top_features": [{"feature": n, "importance": round(float(v), 4)} for n, v in importance[:5]],
        }
    first = _days(runs, "first_date")
    metrics = {
        "model": MODEL_NAME,
        "horizon_days": horizon,
        "first_days": FIRST_WEEK,
        "chart_data": {
            "from": _iso(int(_days(runs, "region_first").min())),
            "to": _iso(int(_days(runs, "region_last").max())),
            "regions": len(set(runs["region"].to_pylist())),
        },
        "runs": {"train": len(parts.train), "test": len(parts.test), "open": len(parts.open)},
        "train_entries": _date_range(first[parts.train]),
        "test_entries": _date_range(first[parts.test]),
        "features": list(names),
        "audio_features": any(n in AUDIO_FEATURES for n in names),
        "forest": {k: v for k, v in FOREST.items() if k != "n_jobs"} | {"max_samples": round(share, 4)},
        "targets": scores,
        "versions": versions(),
    }
    return HitModel(models, names, metrics, _predictions(runs, x, parts.open, models, horizon))


def _predictions(
    runs: pa.Table, x: np.ndarray, rows: np.ndarray, models: dict[str, RandomForestRegressor], horizon: int
) -> pa.Table:
    """What the model expects of the open runs (rank clipped to 1..200, days to what is possible)."""
    taken = runs.take(pa.array(rows, pa.int64()))
    days_seen = _floats(taken, "days_on_chart")
    best = _floats(taken, "peak_rank")
    if len(rows):
        peak = np.clip(models["peak_rank"].predict(x[rows]), 1, TOP)
        days = np.clip(models["days_on_chart"].predict(x[rows]), days_seen, horizon)
    else:
        peak = days = np.array([], float)
    return pa.table(
        {
            "region": taken["region"],
            "country": taken["country"],
            "track_id": taken["track_id"],
            "title": taken["title"],
            "artist": taken["artist"],
            "first_date": taken["first_date"].cast(pa.date32()),
            "days_seen": pa.array(days_seen.astype(np.int32)),
            "current_rank": taken["current_rank"].cast(pa.int32()),
            "best_rank": pa.array(best.astype(np.int32)),
            "predicted_peak_rank": pa.array(np.round(peak, 2)),
            "predicted_days_on_chart": pa.array(np.round(days, 2)),
            "still_climbing": pa.array(peak < best - 0.5),
        }
    )
