"""Benchmark: `import function_app` in a fresh process, what every cold start pays before indexing.

For each Python given (--python, default the one running this), in fresh processes with the
app's settings (local.settings.sample.json's Values, as `func start` passes them), best of
--repeat, the runs interleaved so a noisy machine slows them alike:

- `import function_app`, from a bare interpreter: what the target (≤ 0.35 s) counts;
- `import azure.functions` alone: the worker imports it itself, before the app (the 3.13 library
  worker in its WorkerInitRequest), so no app can defer it;
- azure.functions and the blob SDK-type extension (azurefunctions.extensions.bindings.blob, which
  imports azure.storage.blob and azure.identity): indexing needs the extension as long as the blob
  triggers take `blob.BlobClient`, since the worker reads each trigger's annotation to bind it as
  an SDK type; it cannot wait for a function body.

Printed as the whole and its parts: the SDK, the blob extension, and the app's own modules (the
differences of those best times), each as wall time and as the child's CPU time: on a machine
shared with other work the wall time waits for a core, the CPU time much less so, and importing
from a warm page cache is CPU work, so on a quiet machine the two agree. --detail adds, from one
`-X importtime` run, the packages that cost the most (self time, summed per package).
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
start, cpu = time.perf_counter(), time.process_time()
{code}
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
heavy = sorted(m for m in {heavy!r} if m in sys.modules)
print(json.dumps({{"seconds": seconds, "cpu": cpu, "heavy": heavy, "version": sys.version.split()[0]}}))
"""

WAYS = {
    "app": "import function_app",
    "sdk": "import azure.functions",
    "sdk+blob": "import azure.functions, azurefunctions.extensions.bindings.blob",
}


def _env() -> dict[str, str]:
    values = json.loads((ROOT / "local.settings.sample.json").read_text())["Values"]
    return {**values, "PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/")}


def _timed(python: str, code: str) -> dict:
    script = TIMED.format(code=code, heavy=HEAVY)
    result = subprocess.run(
        [python, "-c", script], cwd=ROOT, env=_env(), capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"{python}: {code} failed:\n{result.stderr}")
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


def measure(python: str, repeat: int) -> dict[str, dict]:
    """Per way: the best wall time and, separately, the best CPU time of `repeat` runs."""
    runs: dict[str, list[dict]] = {way: [] for way in WAYS}
    for _ in range(repeat):
        for way, code in WAYS.items():
            runs[way].append(_timed(python, code))
    return {
        way: {**found[0], "seconds": min(r["seconds"] for r in found), "cpu": min(r["cpu"] for r in found)}
        for way, found in runs.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", action="append", help="interpreter(s) to measure (default: this one)")
    parser.add_argument("--repeat", type=int, default=5, help="best of N (default 5)")
    parser.add_argument("--detail", action="store_true", help="the costliest packages, from -X importtime")
    args = parser.parse_args()
    for python in args.python or [sys.executable]:
        best = measure(python, args.repeat)
        wall = [best[way]["seconds"] for way in ("sdk", "sdk+blob", "app")]
        cpu = [best[way]["cpu"] for way in ("sdk", "sdk+blob", "app")]
        version = best["app"]["version"]
        print(f"Python {version} ({python}), fresh process, best of {args.repeat}, wall / CPU:")
        print(f"  import function_app        {wall[2]:.3f} s / {cpu[2]:.3f} s   target ≤ 0.35 s")
        rows = (
            ("    azure.functions        ", 0, "the worker imports it before the app"),
            ("    + the blob extension   ", 1, "indexing needs it for blob.BlobClient"),
            ("    + the app's own modules", 2, ""),
        )
        for label, i, why in rows:
            parts = [(t[i] - t[i - 1]) if i else t[0] for t in (wall, cpu)]
            print(f"{label}  {parts[0]:.3f} s / {parts[1]:.3f} s   {why}".rstrip())
        heavy = best["app"]["heavy"]
        print(f"  heavy libraries loaded     {', '.join(heavy) if heavy else 'none'}")
        if args.detail:
            print("  costliest packages (self time, one -X importtime run, which adds its own overhead):")
            for package, seconds in _detail(python):
                print(f"    {seconds * 1000:6.1f} ms  {package}")


if __name__ == "__main__":
    main()
