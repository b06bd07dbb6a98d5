"""Benchmark: `import function_app` in a fresh process, what every cold start pays before indexing.

For each Python given (--python, default the one running this), in fresh processes with the
app's settings (local.settings.sample.json's Values, as `func start` passes them), best of
--repeat, each run in two processes so a noisy machine slows both alike:

- `import function_app` from a bare interpreter: what the target (≤ 0.35 s) counts;
- the same imports in the order function_app makes them, timed apart in one process:
  `azure.functions` (the worker imports it itself, before the app: the 3.13 library worker in its
  WorkerInitRequest, so no app can defer it); the blob SDK-type extension
  (azurefunctions.extensions.bindings.blob, which imports azure.storage.blob and azure.identity:
  indexing needs it as long as the blob triggers take `blob.BlobClient`, since the worker reads
  each trigger's annotation to bind it as an SDK type, so it cannot wait for a function body);
  then function_app itself, i.e. the app's own modules.

Each figure is wall time and the child's CPU time: on a machine shared with other work the wall
time also waits for a core, the CPU time much less so; importing from a warm page cache is CPU
work, so on a quiet machine the two agree. --detail adds, from one `-X importtime` run, the
packages that cost the most (self time, summed per package).
Usage: python bench/import_bench.py [--python PATH ...] [--repeat 5] [--detail]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("pyarrow", "duckdb", "pyodbc", "pandas", "spotipy", "sklearn", "numpy", "scipy", "vl_convert")

TIMED = """
import json, sys, time
steps = []
for code in {steps!r}:
    start, cpu = time.perf_counter(), time.process_time()
    exec(code)
    steps.append((time.perf_counter() - start, time.process_time() - cpu))
heavy = sorted(m for m in {heavy!r} if m in sys.modules)
print(json.dumps({{"steps": steps, "heavy": heavy, "version": sys.version.split()[0]}}))
"""

WHOLE = ("import function_app",)
PARTS = ("import azure.functions", "import azurefunctions.extensions.bindings.blob", "import function_app")


def _env() -> dict[str, str]:
    values = json.loads((ROOT / "local.settings.sample.json").read_text())["Values"]
    return {**values, "PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/")}


def _timed(python: str, steps: tuple[str, ...]) -> dict:
    script = TIMED.format(steps=steps, heavy=HEAVY)
    result = subprocess.run(
        [python, "-c", script], cwd=ROOT, env=_env(), capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"{python}: {steps} failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _detail(python: str, top: int = 12) -> list[tuple[str, float]]:
    """Self time per package (azure.* and azurefunctions.* per sub-package) from -X importtime."""
    result = subprocess.run(
        [python, "-X", "importtime", "-c", "import function_app"],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    spent: collections.Counter[str] = collections.Counter()
    for line in result.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _, name = (part.strip() for part in line.removeprefix("import time:").split("|"))
        parts = name.split(".")
        package = ".".join(parts[:2] if parts[0] in ("azure", "azurefunctions") else parts[:1])
        spent[package] += int(self_us)
    return [(package, us / 1e6) for package, us in spent.most_common(top)]


def _best(runs: list[list[list[float]]], step: int) -> tuple[float, float]:
    """The best wall time and, separately, the best CPU time of one step over the runs."""
    return min(r[step][0] for r in runs), min(r[step][1] for r in runs)


def measure(python: str, repeat: int) -> tuple[dict, tuple[float, float], list[tuple[float, float]]]:
    """One whole run (its version, heavy modules), the whole import's best, each part's best."""
    wholes, parts = [], []
    for _ in range(repeat):
        wholes.append(_timed(python, WHOLE))
        parts.append(_timed(python, PARTS))
    whole = _best([r["steps"] for r in wholes], 0)
    return wholes[0], whole, [_best([r["steps"] for r in parts], i) for i in range(len(PARTS))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", action="append", help="interpreter(s) to measure (default: this one)")
    parser.add_argument("--repeat", type=int, default=5, help="best of N (default 5)")
    parser.add_argument("--detail", action="store_true", help="the costliest packages, from -X importtime")
    args = parser.parse_args()
    for python in args.python or [sys.executable]:
        run, (wall, cpu), parts = measure(python, args.repeat)
        print(f"Python {run['version']} ({python}), fresh process, best of {args.repeat}, wall / CPU:")
        print(f"  import function_app        {wall:.3f} s / {cpu:.3f} s   target ≤ 0.35 s")
        labels = (
            ("    azure.functions        ", "the worker imports it before the app"),
            ("    + the blob extension   ", "indexing needs it for blob.BlobClient"),
            ("    + the app's own modules", ""),
        )
        for (label, why), (part_wall, part_cpu) in zip(labels, parts, strict=True):
            print(f"{label}  {part_wall:.3f} s / {part_cpu:.3f} s   {why}".rstrip())
        heavy = run["heavy"]
        print(f"  heavy libraries loaded     {', '.join(heavy) if heavy else 'none'}")
        if args.detail:
            print("  costliest packages (self time, one -X importtime run, which adds its own overhead):")
            for package, seconds in _detail(python):
                print(f"    {seconds * 1000:6.1f} ms  {package}")


if __name__ == "__main__":
    main()
