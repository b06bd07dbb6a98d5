"""Benchmark: the real Functions worker on this app, start to indexed, and each invocation.

Through the test host (tests/worker/host.py: the pinned azure_functions_runtime behind the
proxy_worker stand-in, over gRPC on loopback) with the lake on a fresh Azurite and the DuckDB
warehouse in a temporary folder, each round starts a new worker and times, as the host sees them:

- worker start -> indexed: process start to WorkerInitResponse (the library imports
  function_app.py and indexes it during init), then FunctionsMetadataRequest and the six loads;
- each invocation, request sent to response received, in the order the event chain runs them on
  the bundled sample export: accept_upload, curate_raw per landed file (the first one in a worker
  pays the lazy imports of pyarrow and duckdb), load_curated per message, GET /api/wrapped and
  /api/report twice (cold, warm); first of all the timer, against the fake Spotify (10 plays, and
  nothing loaded yet for enrichment to fetch: it waits 1 s between catalog requests by design).

Prints the median over the rounds (and the range) for the README.
Usage: python bench/worker_bench.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: make the project's packages importable

from tests.azurite import running_azurite  # noqa: E402
from tests.fakes.spotify_api import Catalog, FakeSpotify, past_ms  # noqa: E402
from tests.worker import payloads  # noqa: E402
from tests.worker.host import WorkerHost  # noqa: E402
from tests.worker.rpc import compile_protos  # noqa: E402

SAMPLE = ROOT / "samples" / "my_spotify_data.zip"
UPLOAD = "me/my_spotify_data.zip"


def one_round(rpc, rpc_path: Path, work: Path, fake: FakeSpotify) -> dict[str, float]:
    from settings import Settings
    from storage import open_lake

    timings: dict[str, float] = {}
    with running_azurite(work / "azurite") as connection:
        values = json.loads((ROOT / "local.settings.sample.json").read_text())["Values"]
        values.update(AzureWebJobsStorage=connection, DataLake=connection, LAKE_DIR=str(work / "lake"))
        values.update({name.upper(): value for name, value in fake.settings_overrides().items()})
        lake = open_lake(Settings.from_env(values))
        lake.write_bytes("upload", UPLOAD, SAMPLE.read_bytes())

        host = WorkerHost(rpc, ROOT, values, rpc_path)
        try:
            started = time.perf_counter()
            init = host.start()
            timings["worker start → indexed (WorkerInitResponse)"] = time.perf_counter() - started
            assert init.result.status == init.result.Success, init.result.exception.message
            host.index()
            host.load_all()
            timings["worker start → six functions loaded"] = time.perf_counter() - started

            def timed(label: str, function: str, event: tuple[dict, dict]):
                began = time.perf_counter()
                invocation = host.invoke(function, *event)
                timings[label] = time.perf_counter() - began
                assert invocation.succeeded, invocation.error
                return invocation

            # Before anything is loaded, so enrichment has nothing to fetch (it waits 1 s per request).
            timed("extract_spotify (timer: pulls 10 plays)", "extract_spotify", payloads.timer(rpc))
            timed("accept_upload (the sample export)", "accept_upload", payloads.blob(rpc, "upload", UPLOAD))
            messages = []
            for number, path in enumerate(sorted(p for p in lake.list("raw") if p.startswith("exports/"))):
                label = "curate_raw, first in the worker" if number == 0 else f"curate_raw, file {number + 1}"
                messages.append(
                    timed(label, "curate_raw", payloads.blob(rpc, "raw", path)).output("load").string
                )
            for number, body in enumerate(messages):
                label = (
                    "load_curated, first in the worker"
                    if number == 0
                    else f"load_curated, message {number + 1}"
                )
                timed(label, "load_curated", payloads.queue_message(rpc, body))
            for route in ("wrapped", "report"):
                timed(f"GET /api/{route}, first", route, payloads.http_get(rpc, route, {"year": "2024"}))
                timed(f"GET /api/{route}, again", route, payloads.http_get(rpc, route, {"year": "2024"}))
        finally:
            host.close()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="worker-bench-") as temp:
        rpc_path = compile_protos(Path(temp) / "rpc")
        sys.path.insert(0, str(rpc_path))
        import functions_rpc as rpc  # compiled just above

        catalog = Catalog.generate(40, tracks_per_album=5)
        rounds = []
        for number in range(args.rounds):
            with FakeSpotify(catalog, history_limit=None) as fake:
                fake.add_plays(list(catalog.tracks)[:10], past_ms(1))
                work = Path(temp) / f"round-{number}"
                work.mkdir()
                rounds.append(one_round(rpc, rpc_path, work, fake))
    import azure_functions_runtime  # the pinned worker's version, for the table

    version = azure_functions_runtime.version.VERSION
    print(f"azure-functions-runtime {version}, Python {sys.version.split()[0]}, {args.rounds} rounds")
    print(f"{'':56} {'median':>8} {'range':>17}")
    for label in rounds[0]:
        values = [r[label] for r in rounds if label in r]
        print(f"{label:56} {statistics.median(values):7.2f}s {min(values):7.2f}–{max(values):.2f} s")


if __name__ == "__main__":
    main()
