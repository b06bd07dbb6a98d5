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
import contextlib
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: make the project's packages importable

from tests.fakes.spotify_api import Catalog, FakeSpotify, past_ms  # noqa: E402
from tests.worker import payloads  # noqa: E402
from tests.worker.host import WorkerHost  # noqa: E402
from tests.worker.rpc import compile_protos  # noqa: E402

SAMPLE = ROOT / "samples" / "my_spotify_data.zip"
UPLOAD = "me/my_spotify_data.zip"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


@contextlib.contextmanager
def azurite(data: Path) -> Iterator[str]:
    """A fresh Azurite from ./node_modules (make install-dev); yields its connection string."""
    ports = []
    for _ in range(2):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            ports.append(probe.getsockname()[1])
    blob, queue = ports
    args = ["--silent", "--skipApiVersionCheck", "--disableTelemetry", "--loose", "--location", str(data)]
    args += ["--blobHost", "127.0.0.1", "--blobPort", str(blob), "--queueHost", "127.0.0.1"]
    args += ["--queuePort", str(queue), "--tableHost", "127.0.0.1", "--tablePort", "0"]
    process = subprocess.Popen([str(ROOT / "node_modules/.bin/azurite"), *args], stdout=subprocess.DEVNULL)
    try:
        for _ in range(200):
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", blob), timeout=0.2).close()
                socket.create_connection(("127.0.0.1", queue), timeout=0.2).close()
                break
            time.sleep(0.1)
        yield (
            f"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AZURITE_KEY};"
            f"BlobEndpoint=http://127.0.0.1:{blob}/devstoreaccount1;"
            f"QueueEndpoint=http://127.0.0.1:{queue}/devstoreaccount1;"
        )
    finally:
        process.terminate()
        process.wait(timeout=10)


def one_round(rpc, rpc_path: Path, work: Path, fake: FakeSpotify) -> dict[str, float]:
    from settings import Settings
    from storage import open_lake

    timings: dict[str, float] = {}
    with azurite(work / "azurite") as connection:
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
