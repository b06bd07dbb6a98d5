"""Fixtures for the worker tests: the compiled protocol, and the real worker started on the app.

`start_worker(**settings)` starts the pinned library worker on function_app.py through the test
host (tests/worker/host.py), with the app settings a new user copies for `func start`
(local.settings.sample.json), the lake on this test's Azurite and the DuckDB warehouse under
tmp_path, and `settings` on top (app setting names). Each test gets fresh workers: nothing the
worker caches (clients, created containers) outlives the emulator's reset between tests.
"""

from __future__ import annotations

import importlib
import json
import sys

import pytest

from tests.worker.host import ROOT, WorkerHost
from tests.worker.rpc import compile_protos


@pytest.fixture(scope="session")
def rpc_path(tmp_path_factory):
    path = compile_protos(tmp_path_factory.mktemp("rpc"))
    sys.path.insert(0, str(path))
    return path


@pytest.fixture(scope="session")
def rpc(rpc_path):
    return importlib.import_module("functions_rpc")


def local_app_settings() -> dict[str, str]:
    return json.loads((ROOT / "local.settings.sample.json").read_text())["Values"]


@pytest.fixture
def worker_settings(azurite_settings) -> dict[str, str]:
    """The app settings of a worker on this test's Azurite (and the settings object they make)."""
    values = local_app_settings()
    connection = str(azurite_settings.storage_connection_string)
    values.update(
        {
            "AzureWebJobsStorage": connection,
            "DataLake": connection,
            "LAKE_DIR": str(azurite_settings.lake_dir),
            "BLOB_TRIGGER_SOURCE": "EventGrid",  # as in Azure (the worker itself does not poll)
        }
    )
    return values


@pytest.fixture
def start_worker(rpc, rpc_path, worker_settings):
    started: list[WorkerHost] = []

    def start(app_dir=ROOT, extra_path=(), load=True, **overrides: str) -> WorkerHost:
        host = WorkerHost(rpc, app_dir, {**worker_settings, **overrides}, rpc_path, extra_path=extra_path)
        started.append(host)
        return host.start_and_load() if load else host

    yield start
    for host in started:
        host.close()
