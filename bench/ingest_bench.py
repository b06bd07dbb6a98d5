"""Benchmark: this project's ingest beside the field, on one generated extended export.

Every way runs in its own fresh process on the same zip, timed from spawn to exit (interpreter
start and imports included), with that child's CPU time and peak RSS from the kernel (os.wait4),
best of --repeat, the ways taking turns; each is shown as a ratio to the bare parse of the same
run (on a shared machine the ratios compare, the absolute times less so):

- bare parse: unzip + orjson.loads of every history file in the zip, nothing kept: the floor;
- this project: `python -m cli ingest ZIP --lake DIR`, zip → queryable DuckDB warehouse through the
  real chain (upload → raw → curated → queue → load); target ≤ 1.5x the bare parse;
- pandas: `pandas.read_json` per file, concat, clean, `to_parquet` (the way the source designs do it);
- DuckDB: the files unzipped, `read_json` of all of them, clean, `COPY ... TO` one Parquet file;
- polars: `read_json` per file, concat, clean, `write_parquet`, when it is installed (it is no
  requirement of this project: the row says "not installed" otherwise).

"clean" is the same for the three peers: drop the columns that identify a person (ip_addr, and
username / user_agent_decrypted where an export has them), `ts` parsed as a UTC timestamp, rows
without `ts` or with a negative `ms_played` dropped, exact duplicates dropped. The peers stop at
one Parquet file; the ingest also validates the upload, pseudonymises the user, sets bad records
aside and loads the warehouse, so it does more work than any of them.

Then the same export ingested again into the lake its load finished in (target ≤ 25 % of the
ingest), and the scaling: the bare parse and the ingest at each --streams size, time and peak RSS
(target for the ingest: ≤ 350 MB, flat up to 1M streams).

Last, exports of many tiny files (--many-files: 1 000 and 9 998 history files of two streams;
with its video file and ReadMe the last is the 10 000 entries a zip may hold): the bare parse, the
ingest, and the ingest's time a file, which stays flat when the ingest is linear in the number of
files (it bundles them: extract.export.bundles.plan_bundles).

Exports are generated once into bench/out/ (samples.generate.write_large_extended_zip, 25 000
streams a file, as `python -m samples.generate --large` writes them) and reused.
Usage: python bench/ingest_bench.py [--field 300000] [--streams 100000,300000,1000000]
       [--many-files 1000,9998] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: make the project's packages importable
OUT = ROOT / "bench" / "out"

# Each peer prints one JSON line: the rows it read (a check that it saw the whole export).
# Only history files are read, by name, as every peer of this kind does.
_HISTORY = "[i for i in archive.namelist() if i.endswith('.json')]"

BARE = f"""
import json, sys, zipfile, orjson
with zipfile.ZipFile(sys.argv[1]) as archive:
    rows = sum(len(orjson.loads(archive.read(name))) for name in {_HISTORY})
print(json.dumps({{"rows": rows}}))
"""

PANDAS = f"""
import io, json, sys, zipfile
import pandas as pd
with zipfile.ZipFile(sys.argv[1]) as archive:
    frames = [pd.read_json(io.BytesIO(archive.read(name))) for name in {_HISTORY}]
df = pd.concat(frames, ignore_index=True)
df = df.drop(columns=["ip_addr", "username", "user_agent_decrypted"], errors="ignore")
df["ts"] = pd.to_datetime(df["ts"], utc=True, errors="coerce")
df = df[df["ts"].notna() & (df["ms_played"] >= 0)].drop_duplicates()
df.to_parquet(sys.argv[2], index=False)
print(json.dumps({{"rows": len(df)}}))
"""

DUCKDB = f"""
import json, sys, tempfile, zipfile
import duckdb
with tempfile.TemporaryDirectory() as folder, zipfile.ZipFile(sys.argv[1]) as archive:
    files = [archive.extract(name, folder) for name in {_HISTORY}]
    con = duckdb.connect()
    listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
    kept = "lambda c: c NOT IN ('ip_addr', 'username', 'user_agent_decrypted', 'ts')"
    # One read_json, so the files are sniffed once; COLUMNS drops the identifying columns where present.
    con.execute(f'''COPY (SELECT DISTINCT COLUMNS({{kept}}), ts::TIMESTAMPTZ AS ts
                         FROM read_json([{{listed}}], format='array', union_by_name=1)
                         WHERE ts IS NOT NULL AND ms_played >= 0) TO '{{sys.argv[2]}}' (FORMAT parquet)''')
    rows = con.execute(f"SELECT count(*) FROM '{{sys.argv[2]}}'").fetchone()[0]
print(json.dumps({{"rows": rows}}))
"""

POLARS = f"""
import io, json, sys, zipfile
import polars as pl
with zipfile.ZipFile(sys.argv[1]) as archive:
    frames = [pl.read_json(io.BytesIO(archive.read(name)), infer_schema_length=None) for name in {_HISTORY}]
df = pl.concat(frames, how="diagonal_relaxed")
df = df.drop(["ip_addr", "username", "user_agent_decrypted"], strict=False)
df = df.with_columns(pl.col("ts").str.to_datetime(time_zone="UTC", strict=False))
df = df.filter(pl.col("ts").is_not_null() & (pl.col("ms_played") >= 0)).unique()
df.write_parquet(sys.argv[2])
print(json.dumps({{"rows": df.height}}))
"""


@dataclass(frozen=True)
class Run:
    seconds: float  # spawn to exit
    cpu: float  # the child's user + system CPU time (more than `seconds` when it uses both cores)
    rss_mb: float  # the child's peak resident set, MB
    rows: int


@dataclass(frozen=True)
class Child:
    seconds: float
    cpu: float
    rss_mb: float
    stdout: str


def _child(label: str, argv: list[str]) -> Child:
    """Run argv in a fresh process and reap it with its own rusage. Raises on failure."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(argv, cwd=ROOT, stdout=out, stderr=err)
        # wait4, not wait: the rusage of this child alone (RUSAGE_CHILDREN would be the max of all).
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0), err.seek(0)
        if process.returncode != 0:
            raise SystemExit(f"benchmark child failed ({label}):\n{err.read().decode()}")
        cpu = usage.ru_utime + usage.ru_stime
        return Child(seconds, cpu, usage.ru_maxrss / 1024, out.read().decode())  # maxrss: KiB on Linux


Way = Callable[[Path], Run]


def _script(label: str, code: str) -> Way:
    def run(export: Path) -> Run:
        with tempfile.TemporaryDirectory(prefix="bench-peer-") as work:
            child = _child(label, [sys.executable, "-c", code, str(export), f"{work}/out.parquet"])
        rows = json.loads(child.stdout.strip().splitlines()[-1])["rows"]
        return Run(child.seconds, child.cpu, child.rss_mb, rows)

    return run


def _ingest(export: Path) -> Run:
    import duckdb  # the parent's, to count what the child loaded; the child is timed, not this

    with tempfile.TemporaryDirectory(prefix="bench-lake-") as lake:
        child = _child("cli ingest", [sys.executable, "-m", "cli", "ingest", str(export), "--lake", lake])
        with duckdb.connect(f"{lake}/warehouse.duckdb", read_only=True) as con:
            (rows,) = con.execute("SELECT count(*) FROM fact_stream").fetchone() or (0,)
    return Run(child.seconds, child.cpu, child.rss_mb, rows)


def _installed(module: str) -> str | None:
    """The module's version in the benchmark's Python, or None when it is not installed."""
    probe = f"import importlib.metadata as m; print(m.version({module!r}))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False)
    return result.stdout.strip() if result.returncode == 0 else None


def export_zip(streams: int, per_file: int = 25_000) -> Path:
    from samples.generate import write_large_extended_zip

    OUT.mkdir(parents=True, exist_ok=True)
    name = f"extended_{streams}.zip" if per_file == 25_000 else f"extended_{streams}_by_{per_file}.zip"
    path = OUT / name
    if not path.exists():
        print(f"generating {path.name} ...", file=sys.stderr, flush=True)
        partial = path.with_suffix(".partial")  # an interrupted run leaves no half-written export
        write_large_extended_zip(partial, streams, per_file)
        partial.rename(path)
    return path


MANY_PER_FILE = 2  # streams in each file of a many-file export


def many_files(counts: list[int], repeat: int) -> None:
    """Exports of `counts` files of MANY_PER_FILE streams: bare parse and ingest, and time a file."""
    print(f"\nmany tiny files, {MANY_PER_FILE} streams each, best of {repeat} (target: seconds, linear):")
    print(f"  {'files':>9} {'bare':>9} {'ingest':>9} {'CPU':>9} {'RSS':>7} {'ratio':>6} {'a file':>9}")
    for files in counts:
        ways: dict[str, Way] = {BARE_LABEL: _script("bare parse", BARE), INGEST_LABEL: _ingest}
        runs = best_of(ways, export_zip(files * MANY_PER_FILE, MANY_PER_FILE), repeat)
        bare, ingest = runs[BARE_LABEL], runs[INGEST_LABEL]
        if ingest.rows != files * MANY_PER_FILE:
            raise SystemExit(f"the ingest of {files:,} files loaded {ingest.rows:,} streams")
        print(
            f"  {files:>9,} {bare.seconds:7.2f} s {ingest.seconds:7.2f} s {ingest.cpu:7.2f} s "
            f"{ingest.rss_mb:4.0f} MB {ingest.seconds / bare.seconds:5.2f}x "
            f"{ingest.seconds / files * 1000:6.2f} ms",
            flush=True,
        )


def best_of(ways: dict[str, Way], export: Path, repeat: int) -> dict[str, Run]:
    """Each way's fastest of `repeat` runs, with the highest peak RSS of them (memory is a ceiling).

    The ways take turns, round after round, so a busy spell on the machine slows them alike
    rather than one way's every run.
    """
    runs: dict[str, list[Run]] = {name: [] for name in ways}
    for _ in range(repeat):
        for name, way in ways.items():
            runs[name].append(way(export))
    fastest = {name: min(found, key=lambda r: r.seconds) for name, found in runs.items()}
    return {
        name: Run(run.seconds, min(r.cpu for r in runs[name]), max(r.rss_mb for r in runs[name]), run.rows)
        for name, run in fastest.items()
    }


def _row(label: str, run: Run, streams: int, bare: Run) -> str:
    return (
        f"  {label:<38} {run.seconds:7.2f} s {run.cpu:7.2f} s {streams / run.seconds:>10,.0f}/s "
        f"{run.rss_mb:6.0f} MB {run.seconds / bare.seconds:6.2f}x   ({run.rows:,} rows)"
    )


BARE_LABEL = "bare parse (unzip + orjson)"
INGEST_LABEL = "this project: cli ingest → warehouse"
PEERS = (
    ("pandas", "pandas read_json → to_parquet", PANDAS),
    ("duckdb", "DuckDB read_json → Parquet", DUCKDB),
    ("polars", "polars read_json → write_parquet", POLARS),
)


def field(streams: int, repeat: int) -> tuple[Run, Run]:
    """Every way on one export; returns the bare parse and the ingest (the scaling reuses them)."""
    export = export_zip(streams)
    ways: dict[str, Way] = {BARE_LABEL: _script("bare parse", BARE), INGEST_LABEL: _ingest}
    missing = []
    for module, label, code in PEERS:
        version = _installed(module)
        if version is None:
            missing.append(label)
        else:
            ways[f"{label} {version}"] = _script(module, code)
    runs = best_of(ways, export, repeat)
    bare = runs[BARE_LABEL]
    print(f"the field: {streams:,} streams, {export.stat().st_size / 1e6:.1f} MB zip, best of {repeat}")
    print(f"  {'':<38} {'time':>9} {'CPU':>9} {'streams/s':>12} {'peak RSS':>9} {'ratio':>7}")
    for label, run in runs.items():
        print(_row(label, run, streams, bare) + ("  target ≤ 1.5x" if label == INGEST_LABEL else ""))
    for label in missing:
        print(f"  {label:<38} not installed")
    return bare, runs[INGEST_LABEL]


def reingest(streams: int, repeat: int, first: Run) -> None:
    """The same export again into the lake its load finished in: best of `repeat` (target ≤ 25 %)."""
    export = export_zip(streams)
    argv = [sys.executable, "-m", "cli", "ingest", str(export), "--lake"]
    with tempfile.TemporaryDirectory(prefix="bench-lake-") as lake:
        _child("cli ingest", [*argv, lake])
        again = min(
            (_child("cli ingest again", [*argv, lake]) for _ in range(repeat)), key=lambda c: c.seconds
        )
    print(
        f"  {'the same export again (load finished)':<38} {again.seconds:7.2f} s {again.cpu:7.2f} s "
        f"{'':>12} {again.rss_mb:6.0f} MB   {again.seconds / first.seconds:.0%} of the ingest  target ≤ 25%"
    )


def scaling(sizes: list[int], repeat: int, measured: dict[int, tuple[Run, Run]]) -> None:
    print(f"\nscaling, bare parse and ingest, best of {repeat} (target: ingest peak RSS ≤ 350 MB, flat):")
    print(f"  {'streams':>9} {'bare':>9} {'RSS':>7} {'ingest':>9} {'CPU':>9} {'RSS':>7} {'ratio':>6}")
    for streams in sizes:
        if streams in measured:  # the field's own runs, not measured twice
            bare, ingest = measured[streams]
        else:
            ways: dict[str, Way] = {BARE_LABEL: _script("bare parse", BARE), INGEST_LABEL: _ingest}
            runs = best_of(ways, export_zip(streams), repeat)
            bare, ingest = runs[BARE_LABEL], runs[INGEST_LABEL]
        print(
            f"  {streams:>9,} {bare.seconds:7.2f} s {bare.rss_mb:4.0f} MB {ingest.seconds:7.2f} s "
            f"{ingest.cpu:7.2f} s {ingest.rss_mb:4.0f} MB {ingest.seconds / bare.seconds:5.2f}x",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--field", type=int, default=300_000, help="streams in the field's export (0: skip)")
    parser.add_argument(
        "--streams", default="100000,300000,1000000", help="export sizes for the scaling ('': skip)"
    )
    parser.add_argument(
        "--many-files", default="1000,9998", help="file counts of the many-tiny-files exports ('': skip)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="best of N for every figure")
    args = parser.parse_args()
    sizes = [int(s) for s in args.streams.split(",") if s.strip()]
    many = [int(s) for s in args.many_files.split(",") if s.strip()]
    for streams in ([args.field] if args.field else []) + sizes:
        export_zip(streams)  # generated before any clock starts
    for files in many:
        export_zip(files * MANY_PER_FILE, MANY_PER_FILE)
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} cores, {time.strftime('%Y-%m-%d')}")
    measured = {args.field: field(args.field, args.repeat)} if args.field else {}
    if args.field:
        reingest(args.field, args.repeat, measured[args.field][1])
    if sizes:
        scaling(sizes, args.repeat, measured)
    if many:
        many_files(many, args.repeat)


if __name__ == "__main__":
    main()
