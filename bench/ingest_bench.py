"""Benchmark: ingest a generated extended export from zip to a queryable warehouse.

Prints, for the README:
- the wall time of `pipeline.chain.ingest` (upload → raw → curated → queue → load into DuckDB) on a
  300 000-stream export, against a bare orjson parse of the same zip's JSON measured in the same
  run (target: within 1.5x);
- peak RSS of the ingest for growing exports with the same file size (target: ≤ 400 MB, flat);
- the time to `import function_app` (target: < 0.5 s).
Each measurement runs in a fresh child process so timings and peak RSS are its own.
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

BASELINE = """
import json, resource, sys, time, zipfile, orjson
t = time.perf_counter()
with zipfile.ZipFile(sys.argv[1]) as archive:
    rows = sum(len(orjson.loads(archive.read(i))) for i in archive.infolist() if i.filename.endswith('.json'))
print(json.dumps({"seconds": time.perf_counter() - t, "rows": rows,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

INGEST = """
import json, resource, sys, time
from pathlib import Path
import pyarrow, duckdb  # loaded before the clock starts: the baseline's imports are not timed either
from pipeline.chain import ingest
from settings import Settings
settings = Settings(lake_dir=Path(sys.argv[2]))
t = time.perf_counter()
summary = ingest(settings, Path(sys.argv[1]), "me")
seconds = time.perf_counter() - t
con = duckdb.connect(str(Path(sys.argv[2]) / "warehouse.duckdb"), read_only=True)
rows = con.execute("select count(*) from fact_stream").fetchone()[0]
print(json.dumps({"seconds": seconds, "rows": rows, "accepted": summary.streams_accepted,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

IMPORT = """
import json, time
t = time.perf_counter()
import function_app
print(json.dumps({"seconds": time.perf_counter() - t}))
"""


def child(code: str, *args: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"benchmark child failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def export_zip(streams: int) -> Path:
    from samples.generate import write_large_extended_zip

    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"extended_{streams}.zip"
    if not path.exists():
        print(f"generating {path.name} ...", file=sys.stderr)
        write_large_extended_zip(path, streams)
    return path


def ingest_run(path: Path) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-lake-") as lake:
        return child(INGEST, str(path), lake)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=300_000)
    parser.add_argument("--sizes", default="100000,300000,600000", help="exports for the memory curve")
    parser.add_argument("--repeat", type=int, default=3, help="best of N for the timing comparison")
    args = parser.parse_args()

    path = export_zip(args.streams)
    size_mb = path.stat().st_size / 1e6
    baseline = min((child(BASELINE, str(path)) for _ in range(args.repeat)), key=lambda r: r["seconds"])
    ingest = min((ingest_run(path) for _ in range(args.repeat)), key=lambda r: r["seconds"])
    ratio = ingest["seconds"] / baseline["seconds"]
    print(f"export: {args.streams:,} streams, {size_mb:.1f} MB zip")
    print(f"bare orjson parse of the zip's JSON : {baseline['seconds']:.2f} s (best of {args.repeat})")
    print(
        f"ingest zip → queryable warehouse    : {ingest['seconds']:.2f} s (best of {args.repeat}), "
        f"{ingest['rows']:,} rows in fact_stream"
    )
    print(f"ratio                               : {ratio:.2f}x (target ≤ 1.5x)")

    print("\npeak RSS of ingest by export size (target ≤ 400 MB, flat):")
    for streams in (int(s) for s in args.sizes.split(",")):
        run = ingest_run(export_zip(streams))
        print(f"  {streams:>9,} streams: {run['rss_mb']:6.0f} MB   ({run['seconds']:.2f} s)")

    imports = min(child(IMPORT)["seconds"] for _ in range(5))
    print(f"\nimport function_app                 : {imports:.2f} s (best of 5; target < 0.5 s)")


if __name__ == "__main__":
    main()
