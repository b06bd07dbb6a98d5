"""`python -m cli charts model`: train the hit model on the loaded Spotify charts, print how it did."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import Any

from cli.common import UserError, add_lake_options, require_lake, settings_from

# What the run does to a local lake (cli.lock): writes.
LAKE_ACCESS = "write"


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "charts",
        help="analyses of Spotify's public charts (ingest charts.csv first)",
        description="Spotify's daily Top 200 per region, once ingested (python -m cli ingest charts.csv).",
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    model = actions.add_parser(
        "model",
        help="train the hit model: peak rank and days on chart from a track's first week",
        description="A RandomForest per target, trained on earlier chart entries and tested on later "
        "ones, next to a naive baseline; the model and its figures go to models/, predictions for "
        "tracks still on the chart to fact_chart_prediction.",
    )
    model.add_argument(
        "--horizon",
        type=int,
        default=None,
        metavar="DAYS",
        help="predict peak rank and days on chart within this many days of entering (default 90)",
    )
    add_lake_options(model)


def _score(figures: dict[str, Any]) -> str:
    return f"R² {figures['r2']:.3f}  MSE {figures['mse']:,.1f}"


def describe(result) -> list[str]:
    """What a trained model's figures say, in a few lines."""
    m = result.metrics
    train, test = m["train_entries"], m["test_entries"]
    lines = [
        f"hit model {m['run_id']}: chart data {m['chart_data']['from']} to {m['chart_data']['to']},"
        f" {m['chart_data']['regions']} regions; first {m['first_days']} days -> the next"
        f" {m['horizon_days']} days",
        f"  trained on {m['runs']['train']:,} runs entering {train['from']} to {train['to']},"
        f" tested on {m['runs']['test']:,} entering {test['from']} to {test['to']}",
    ]
    for target, title in (("peak_rank", "peak rank"), ("days_on_chart", "days on chart")):
        t = m["targets"][target]
        verdict = "beats the baseline" if t["beats_baseline"] else "does NOT beat the baseline"
        lines.append(
            f"  {title:<14} model {_score(t['model'])}   baseline ({t['baseline_rule']}) "
            f"{_score(t['baseline'])}   {verdict}"
        )
    predictions = result.model.predictions
    climbing = sum(1 for x in predictions["still_climbing"].to_pylist() if x)
    lines.append(
        f"  predictions: {predictions.num_rows:,} tracks still inside their {m['horizon_days']} days,"
        f" {climbing:,} still climbing -> fact_chart_prediction"
    )
    lines.append(
        f"  model: models/{result.model_path} ({result.model_bytes / 1e6:.1f} MB),"
        f" figures: models/{result.metrics_path}"
    )
    return lines


def run(args: argparse.Namespace) -> int:
    from analysis.chart_runs import FIRST_WEEK, HORIZON_DAYS  # lazy: scikit-learn only for this command
    from analysis.runs import NotEnoughChartData
    from load.errors import LoadError, WarehouseUnavailable
    from pipeline.analyses import hit_model
    from pipeline.chain import IngestSummary, drain_load_queue

    horizon = HORIZON_DAYS if args.horizon is None else args.horizon
    if horizon < FIRST_WEEK:
        raise UserError(
            f"--horizon must be at least {FIRST_WEEK} days (the first week is what the model sees)"
        )
    settings = settings_from(args)
    require_lake(settings, writes=True)
    try:
        result = hit_model(settings, datetime.now(UTC), horizon)
        drain_load_queue(settings, IngestSummary())
    except (NotEnoughChartData, WarehouseUnavailable, LoadError) as error:
        raise UserError(str(error)) from None
    print("\n".join(describe(result)))
    if not all(t["beats_baseline"] for t in result.metrics["targets"].values()):
        print(
            "note: a model that does not beat its baseline adds nothing over it on this data", file=sys.stderr
        )
    return 0
