"""Benchmark: Spotify's public charts (the Kaggle charts.csv shape) through the whole chain.

Prints, for the README, per generated file (1M rows by default; `--full` adds the real file's
26M rows): the wall time of `pipeline.chain.ingest` (upload → raw parts → curated Parquet → load
into DuckDB), rows per second, the ingest's peak RSS, and a bare streaming `pyarrow.csv` read of
the same file measured in the same run. Targets (issue 14): peak RSS ≤ 1 GB for the 26M rows,
time within 3× the bare read; the scaling line says how time and memory grow from 1M rows up.
Each measurement runs in a fresh child process, so timings and peak RSS are its own. Also the
hit model's training time, figures and peak RSS on the loaded charts (`--model`; it needs more
than 90 days of charts, about 1.6M rows of the full 70-region shape).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: make the project's packages importable
OUT = ROOT / "bench" / "out"
FULL_ROWS = 26_000_000

BARE = """
import json, resource, sys, time
import pyarrow.csv as csv
t = time.perf_counter()
rows = 0
reader = csv.open_csv(sys.argv[1], read_options=csv.ReadOptions(block_size=64 << 20))
for batch in reader:
    rows += batch.num_rows
print(json.dumps({"seconds": time.perf_counter() - t, "rows": rows,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

INGEST = """
import json, resource, sys, time
from pathlib import Path
import pyarrow, duckdb  # loaded before the clock starts, as the bare read's pyarrow is
from pipeline.chain import ingest
from settings import Settings
settings = Settings(lake_dir=Path(sys.argv[2]))
t = time.perf_counter()
summary = ingest(settings, Path(sys.argv[1]), "me")
seconds = time.perf_counter() - t
result = {"seconds": seconds, "accepted": summary.chart_entries_accepted, "parts": summary.chart_parts,
          "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
if len(sys.argv) > 3:
    from datetime import UTC, datetime
    from analysis.runs import NotEnoughChartData
    from pipeline.analyses import hit_model
    t = time.perf_counter()
    try:
        run = hit_model(settings, datetime.now(UTC))
    except NotEnoughChartData as error:  # under 90 days of charts: say so, the ingest figures stand
        result["model_skipped"] = str(error)
    else:
        result["model_seconds"] = time.perf_counter() - t
        result["model"] = {k: run.metrics["targets"][k]["model"] for k in run.metrics["targets"]}
        result["baseline"] = {k: run.metrics["targets"][k]["baseline"] for k in run.metrics["targets"]}
        result["runs"] = run.metrics["runs"]
        result["model_mb"] = run.model_bytes / 1e6
        result["model_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(result))
"""


def child(code: str, *args: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"benchmark child failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def chart_file(rows: int) -> Path:
    from samples.generate.charts import write_charts

    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"charts_{rows}.csv"
    if not path.exists():
        print(f"generating {path.name} ...", file=sys.stderr)
        write_charts(path, rows)
    return path


def measure(rows: int, model: bool) -> dict:
    path = chart_file(rows)
    bare = child(BARE, str(path))
    with tempfile.TemporaryDirectory(prefix="bench-charts-", dir=OUT) as lake:
        ingest = child(INGEST, str(path), lake, *(["model"] if model else []))
    return {"rows": bare["rows"], "mb": path.stat().st_size / 1e6, "bare": bare, "ingest": ingest}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="1000000", help="comma-separated file sizes (rows), default 1M")
    parser.add_argument("--full", action="store_true", help=f"add the real file's {FULL_ROWS:,} rows")
    parser.add_argument("--model", action="store_true", help="also train the hit model on each")
    args = parser.parse_args()
    sizes = [int(r) for r in args.rows.split(",")] + ([FULL_ROWS] if args.full else [])

    results = [measure(rows, args.model) for rows in sizes]
    print(
        f"{'rows':>12} {'MB':>7} {'bare read':>10} {'ingest':>9} {'ratio':>6} {'rows/s':>10} {'peak RSS':>9}"
    )
    for r in results:
        ingest, bare = r["ingest"], r["bare"]
        print(
            f"{r['rows']:>12,} {r['mb']:>7,.0f} {bare['seconds']:>9.1f}s {ingest['seconds']:>8.1f}s"
            f" {ingest['seconds'] / bare['seconds']:>5.1f}x {r['rows'] / ingest['seconds']:>10,.0f}"
            f" {ingest['rss_mb']:>6,.0f} MB"
        )
        if ingest["accepted"] != r["rows"]:
            print(f"  !! {ingest['accepted']:,} entries loaded of {r['rows']:,} rows")
        if "model_seconds" in ingest:
            print(
                f"  hit model: {ingest['model_seconds']:.1f} s on {ingest['runs']} runs,"
                f" {ingest['model_mb']:.1f} MB, peak RSS {ingest['model_rss_mb']:,.0f} MB;"
                f" model {ingest['model']}, baseline {ingest['baseline']}"
            )
        if "model_skipped" in ingest:
            print(f"  hit model skipped: {ingest['model_skipped']}")
    if len(results) > 1:
        first, last = results[0], results[-1]
        grow = last["rows"] / first["rows"]
        time_grow = last["ingest"]["seconds"] / first["ingest"]["seconds"]
        rss_grow = last["ingest"]["rss_mb"] / first["ingest"]["rss_mb"]
        print(
            f"scaling {first['rows']:,} -> {last['rows']:,} rows ({grow:.0f}x): time {time_grow:.1f}x,"
            f" peak RSS {rss_grow:.2f}x"
        )
    print("targets: peak RSS <= 1 GB at 26M rows; ingest within 3x the bare pyarrow.csv read")


if __name__ == "__main__":
    main()
