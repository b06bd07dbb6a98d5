"""The hit model: a time-based split, baselines it must beat, and its results through the chain."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, timedelta

import joblib
import numpy as np
import pyarrow as pa
import pytest

from analysis.chart_runs import AUDIO_FEATURES, DAYS
from analysis.hit_model import NotEnoughChartData, day7_rank, features, split, train
from load.warehouse import open_warehouse
from pipeline.analyses import hit_model
from pipeline.chain import IngestSummary, drain_load_queue, ingest
from samples.generate.charts import write_charts
from settings import Settings
from storage import open_lake

HORIZON = 30
BASE = date(2019, 1, 1)


def synthetic_runs(n: int = 400, seed: int = 1, on_latest: bool = True) -> pa.Table:
    """Runs whose peak is exactly the day-7 rank and whose days on chart are all 30: nothing to learn
    beyond the baselines, which are exact here."""
    rng = np.random.default_rng(seed)
    rank7 = rng.integers(1, 201, n)
    columns: dict[str, list] = {
        "track_id": [f"t{i}" for i in range(n)],
        "region": ["Sweden"] * n,
        "country": ["SE"] * n,
        "first_date": [BASE + timedelta(days=int(i)) for i in range(n)],
        "region_first": [BASE - timedelta(days=1)] * n,
        "region_last": [BASE + timedelta(days=n + HORIZON)] * n,
        "title": [f"T{i}" for i in range(n)],
        "artist": ["A"] * n,
        "moves_up": [3] * n,
        "regions_by_d7": [1] * n,
        "peak_rank": rank7.tolist(),
        "days_on_chart": [30] * n,
        "current_rank": [5 if on_latest else None] * n,
    }
    for d in DAYS:
        columns[f"rank_d{d}"] = np.minimum(200, rank7 + (7 - d) * 3).tolist()
        columns[f"streams_d{d}"] = (100_000 // rank7).tolist()
    for name in AUDIO_FEATURES:
        columns[name] = [None] * n
    schema = {name: pa.float64() for name in AUDIO_FEATURES}
    return pa.table({k: pa.array(v, schema.get(k)) for k, v in columns.items()})


def test_training_takes_only_runs_whose_horizon_ended_before_the_first_test_entry():
    runs = synthetic_runs()
    parts = split(runs, HORIZON)
    first = np.array([(d - BASE).days for d in runs["first_date"].to_pylist()])
    assert len(parts.test) == 80 and len(parts.train) > 0
    assert (first[parts.train] + HORIZON - 1).max() < first[parts.test].min()
    assert len(parts.open) == 0  # every run's horizon is in the data


def test_open_runs_are_inside_their_horizon_and_on_the_latest_chart():
    runs = synthetic_runs(40)
    last = BASE + timedelta(days=20)
    runs = runs.set_column(runs.schema.get_field_index("region_last"), "region_last", pa.array([last] * 40))
    parts = split(runs, HORIZON)
    first = [(d - BASE).days for d in runs["first_date"].to_pylist()]
    # A whole first week seen (entered by day 14), not 30 days: open; entered later: not yet.
    assert sorted(first[i] for i in parts.open) == list(range(0, 15))
    off = split(
        synthetic_runs(40, on_latest=False).set_column(2 + 2, "region_first", runs["region_first"]), HORIZON
    )
    assert len(off.open) == 0


def test_a_model_that_cannot_beat_the_baseline_says_so():
    model = train(synthetic_runs(), HORIZON)
    for target in ("peak_rank", "days_on_chart"):
        figures = model.metrics["targets"][target]
        assert figures["baseline"]["mse"] == 0.0  # the baselines are exact on this data
        assert figures["beats_baseline"] is False


def test_the_day_7_baseline_falls_back_to_the_last_rank_of_the_week():
    runs = synthetic_runs(3)
    ranks = runs["rank_d7"].to_pylist()
    runs = runs.set_column(
        runs.schema.get_field_index("rank_d7"), "rank_d7", pa.array([None, *ranks[1:]], pa.int64())
    )
    assert day7_rank(runs).tolist() == [runs["rank_d6"][0].as_py(), *ranks[1:]]
    matrix, names = features(runs)
    assert matrix[0, names.index("rank_d7")] == 201  # off the chart that day


def test_too_little_chart_data_is_one_clear_line():
    with pytest.raises(
        NotEnoughChartData, match=r"needs at least 50 training and 20 test runs.*found 0 and 0"
    ):
        train(synthetic_runs(20).slice(0, 20), 400)
    with pytest.raises(NotEnoughChartData, match="no Top 200 chart entries are loaded"):
        train(synthetic_runs(1).slice(0, 0), HORIZON)


# -- on a generated chart file, through the chain -----------------------------------------------------


@pytest.fixture(scope="module")
def charted(tmp_path_factory) -> Settings:
    """Five regions, 130 days of the wide chart file (with audio features), ingested."""
    folder = tmp_path_factory.mktemp("charts")
    path = folder / "charts.csv"
    write_charts(path, 5 * 250 * 130, seed=7, features=True, regions=5)
    settings = Settings(lake_dir=folder / "lake")
    ingest(settings, path, "me")
    return settings


@pytest.fixture(scope="module")
def trained(charted):
    result = hit_model(charted, datetime(2026, 12, 1, 4, tzinfo=UTC), HORIZON)
    drain_load_queue(charted, IngestSummary())
    return result


def test_on_charts_with_signal_the_model_beats_both_baselines(trained):
    for target in ("peak_rank", "days_on_chart"):
        figures = trained.metrics["targets"][target]
        assert figures["beats_baseline"] is True, figures
        assert figures["model"]["r2"] > figures["baseline"]["r2"]
    assert trained.metrics["audio_features"] is True and "danceability" in trained.metrics["features"]


def test_the_model_and_its_figures_are_in_the_lake_and_load_back(charted, trained):
    lake = open_lake(charted)
    metrics = json.loads(lake.read_bytes("models", trained.metrics_path))
    assert trained.metrics_path == "hit-model/20261201T040000Z/metrics.json"
    assert metrics["chart_data"] == {"from": "2017-01-01", "to": "2017-05-10", "regions": 5}
    assert metrics["train_entries"]["to"] < metrics["test_entries"]["from"]
    assert {"python", "scikit-learn", "numpy"} <= set(metrics["versions"])
    saved = joblib.load(io.BytesIO(lake.read_bytes("models", trained.model_path)))
    assert saved["features"] == trained.model.features and saved["metrics"] == metrics
    assert set(saved["models"]) == {"peak_rank", "days_on_chart"}


def test_predictions_reach_the_warehouse_for_the_open_runs(charted, trained):
    predictions = trained.model.predictions
    assert predictions.num_rows == trained.metrics["runs"]["open"] > 0
    with open_warehouse(charted) as warehouse:
        rows = warehouse.query(
            "SELECT run_id, COUNT(*), MIN(predicted_peak_rank), MAX(predicted_peak_rank),"
            " SUM(CASE WHEN still_climbing THEN 1 ELSE 0 END),"
            " SUM(CASE WHEN still_climbing AND predicted_peak_rank >= best_rank THEN 1 ELSE 0 END),"
            " SUM(CASE WHEN predicted_days_on_chart < days_seen THEN 1 ELSE 0 END)"
            " FROM fact_chart_prediction GROUP BY run_id"
        )
    (run, count, low, high, climbing, wrong, impossible) = rows[0]
    assert len(rows) == 1 and run == "20261201T040000Z" and count == predictions.num_rows
    assert 1 <= low <= high <= 200 and climbing > 0 and wrong == 0 and impossible == 0


def test_a_later_run_replaces_the_predictions_and_a_late_older_one_changes_nothing(charted, trained):
    later = hit_model(charted, datetime(2026, 12, 8, 4, tzinfo=UTC), HORIZON)
    drain_load_queue(charted, IngestSummary())
    # The same data: the same model, figures and predictions (only the run differs).
    assert later.model.predictions.equals(trained.model.predictions)
    assert {k: v for k, v in later.metrics.items() if k not in ("run_id", "trained_at")} == {
        k: v for k, v in trained.metrics.items() if k not in ("run_id", "trained_at")
    }
    from storage import open_queue

    open_queue(charted, "curated-loads").send(trained.message.to_json())  # the older run, late
    drain_load_queue(charted, IngestSummary())
    with open_warehouse(charted) as warehouse:
        assert warehouse.query("SELECT DISTINCT run_id FROM fact_chart_prediction") == [("20261208T040000Z",)]
