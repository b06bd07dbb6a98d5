"""Two runs on one lake: the second waits for the first (saying so), then each reports its own export."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from tests.exports import LOW_TIDE, NIGHT_DRIVE, SKIP, small_export

ROOT = Path(__file__).resolve().parents[2]

HOLD = """
import sys
from pathlib import Path
from cli.lock import hold_lake
from settings import Settings
with hold_lake(Settings(lake_dir=Path(sys.argv[1])), exclusive=sys.argv[2] == "write"):
    print("held", flush=True)
    sys.stdin.readline()
"""


def cli(*argv, **kwargs) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DataLake__", "AzureWebJobs"))}
    return subprocess.Popen(
        [sys.executable, "-m", "cli", *map(str, argv)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def holder(lake: Path, mode: str) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(lake), mode],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "held"
    return process


def folder_export(root: Path, records: list[dict]) -> Path:
    (root / "MyData").mkdir(parents=True)
    (root / "MyData" / "endsong_0.json").write_text(json.dumps(records))
    return root


def test_ingest_waits_for_the_run_holding_the_lake_and_names_it(tmp_path):
    lake = tmp_path / "lake"
    lake.mkdir()
    export = tmp_path / "my_spotify_data.zip"
    export.write_bytes(small_export())
    first = holder(lake, "write")
    try:
        second = cli("ingest", export, "--lake", lake)
        assert second.stderr is not None
        line = second.stderr.readline()
        assert line.strip() == f"waiting for another run on this lake (PID {first.pid})…"
        time.sleep(0.5)
        assert second.poll() is None  # still waiting: nothing of it ran
        assert not (lake / "warehouse.duckdb").exists()
    finally:
        first.communicate("\n", timeout=30)
    out, err = second.communicate(timeout=120)
    assert second.returncode == 0, err
    assert "5 streams accepted" in out and err == ""


def test_wrapped_waits_while_an_ingest_writes_and_readers_share(tmp_path):
    lake = tmp_path / "lake"
    lake.mkdir()
    reader = holder(lake, "read")  # another `wrapped`: readers do not wait for each other
    try:
        export = tmp_path / "my_spotify_data.zip"
        export.write_bytes(small_export())
        ingest = cli("ingest", export, "--lake", lake)
        assert ingest.stderr is not None and ingest.stderr.readline().startswith("waiting for another run")
    finally:
        reader.communicate("\n", timeout=30)
    assert ingest.wait(timeout=120) == 0
    other_reader = holder(lake, "read")
    try:
        wrapped = cli("wrapped", "--json", "--lake", lake)
        out, err = wrapped.communicate(timeout=120)
        assert wrapped.returncode == 0 and err == ""  # no wait: the lock is shared
        assert json.loads(out)["streams"] == 4
    finally:
        other_reader.communicate("\n", timeout=30)


def test_two_ingests_at_once_both_succeed_and_each_counts_its_own_export(tmp_path):
    lake = tmp_path / "lake"
    one = folder_export(tmp_path / "one", [NIGHT_DRIVE, SKIP])
    two = folder_export(tmp_path / "two", [LOW_TIDE])
    runs = [cli("ingest", path, "--lake", lake) for path in (one, two)]
    results = [run.communicate(timeout=180) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], results
    lines = {out.split(":")[0]: out.strip() for out, _ in results}
    assert "2 streams accepted" in lines["one"] and "1 streams accepted" in lines["two"]
    waited = [err for _, err in results if err]
    assert len(waited) <= 1 and all(err.startswith("waiting for another run on this lake") for err in waited)
