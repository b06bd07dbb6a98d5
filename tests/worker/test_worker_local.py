"""`func start` as the README runs it, on Azurite, and the CLI reading the lake it filled.

The README's steps: `python -m cli init` (the emulator starts empty), `func start` with
local.settings.json copied from the sample (so LAKE_DIR=.lake, relative to the app folder, where
the host starts the worker), an upload into the `upload` container; then `python -m cli wrapped`
in the same folder with DataLake set. The CLI must find the same pseudonymisation key (in the
lake's state container) and the same DuckDB warehouse (<app>/.lake/warehouse.duckdb).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from azure.storage.blob import BlobServiceClient

from tests.exports import EXPECTED, small_export
from tests.worker import payloads
from tests.worker.conftest import local_app_settings
from tests.worker.host import ROOT

pytestmark = pytest.mark.azurite


@pytest.fixture
def app_folder(tmp_path):
    """The function app folder the host runs (only what it reads; the packages come from ROOT)."""
    folder = tmp_path / "app"
    folder.mkdir()
    for name in ("function_app.py", "host.json"):
        shutil.copy(ROOT / name, folder)
    return folder


def cli(folder, connection, *argv) -> subprocess.CompletedProcess:
    """`python -m cli ...` in the app folder, the venv's Python, DataLake pointing at Azurite."""
    env = {"PATH": os.environ["PATH"], "DataLake": connection, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "cli", *argv]
    return subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, check=False)


def test_the_cli_reads_what_the_local_host_loaded(rpc, start_worker, azurite_settings, app_folder):
    connection = str(azurite_settings.storage_connection_string)
    ready = cli(app_folder, connection, "init")
    assert ready.returncode == 0, ready.stderr

    local = {**local_app_settings(), "DataLake": connection, "AzureWebJobsStorage": connection}
    assert local["LAKE_DIR"] == ".lake" and local["USER_ID_KEY"] == ""  # the sample, unchanged
    worker = start_worker(app_dir=app_folder, extra_path=(ROOT,), **local)
    # The upload a user makes (az storage blob upload): a container that init created.
    storage = BlobServiceClient.from_connection_string(connection)
    storage.get_blob_client("upload", "me/export.zip").upload_blob(small_export())
    assert worker.invoke("accept_upload", *payloads.blob(rpc, "upload", "me/export.zip")).succeeded
    for path in sorted(storage.get_container_client("raw").list_blob_names()):
        curated = worker.invoke("curate_raw", *payloads.blob(rpc, "raw", path))
        loaded = worker.invoke("load_curated", *payloads.queue_message(rpc, curated.output("load").string))
        assert loaded.succeeded, loaded.error
    assert (app_folder / ".lake" / "warehouse.duckdb").is_file()

    wrapped = cli(app_folder, connection, "wrapped", "--json", "--tz", "Asia/Tokyo")
    assert wrapped.returncode == 0, wrapped.stderr
    summary = json.loads(wrapped.stdout)
    # The same key: `me` is the same pseudonymous user; the same warehouse: the streams loaded.
    assert (summary["streams"], summary["plays"]) == (EXPECTED["streams"], EXPECTED["plays"])
