"""Shared fixtures: a folder lake, Blob/Queue Storage on the real Azurite emulator, the fake Spotify,
the fake Resource Manager (one SQL pool) with its managed-identity endpoint.

Each test process starts its own Azurite from ./node_modules (`make test` runs the suite on
two workers, and the fixtures empty the emulator between tests, so workers never share one).
AZURITE_CONNECTION_STRING points a single-process run at an emulator you started yourself.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from settings import Settings
from tests.fakes.arm_api import FakeArm
from tests.fakes.spotify_api import Catalog, FakeSpotify

ROOT = Path(__file__).resolve().parent.parent
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def _free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


@pytest.fixture(scope="session")
def azurite_connection_string():
    existing = os.environ.get("AZURITE_CONNECTION_STRING")
    if existing and not os.environ.get("PYTEST_XDIST_WORKER"):
        yield existing
        return
    binary = ROOT / "node_modules" / ".bin" / "azurite"
    if not binary.exists():
        pytest.fail("Azurite is not installed: run `make test` (it runs `npm ci`).")
    blob, queue, table = _free_ports(3)
    data = tempfile.mkdtemp(prefix="azurite-")
    args = ["--silent", "--skipApiVersionCheck", "--disableTelemetry", "--loose", "--location", data]
    for service, port in (("blob", blob), ("queue", queue), ("table", table)):
        args += [f"--{service}Host", "127.0.0.1", f"--{service}Port", str(port)]
    proc = subprocess.Popen([str(binary), *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", queue), timeout=0.2).close()
                socket.create_connection(("127.0.0.1", blob), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail("Azurite did not start")
                time.sleep(0.1)
        yield (
            f"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AZURITE_KEY};"
            f"BlobEndpoint=http://127.0.0.1:{blob}/devstoreaccount1;"
            f"QueueEndpoint=http://127.0.0.1:{queue}/devstoreaccount1;"
        )
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(data, ignore_errors=True)


@pytest.fixture
def folder_settings(tmp_path) -> Settings:
    """Settings for the embedded default: a folder lake and DuckDB warehouse under tmp_path."""
    return Settings(lake_dir=tmp_path / "lake")


@pytest.fixture
def azurite_settings(azurite_connection_string, tmp_path) -> Settings:
    """Settings for Blob/Queue Storage on Azurite, emptied first so each test starts clean.

    The DuckDB warehouse file still lives under tmp_path (`lake_dir`), as with `func start`.
    """
    from azure.core.exceptions import ResourceNotFoundError
    from azure.storage.blob import BlobServiceClient
    from azure.storage.queue import QueueServiceClient

    blobs = BlobServiceClient.from_connection_string(azurite_connection_string)
    for container in blobs.list_containers():
        with contextlib.suppress(ResourceNotFoundError):
            blobs.delete_container(container.name)
    queues = QueueServiceClient.from_connection_string(azurite_connection_string)
    for queue in queues.list_queues():
        with contextlib.suppress(ResourceNotFoundError):
            queues.delete_queue(queue.name)
    return Settings(storage_connection_string=azurite_connection_string, lake_dir=tmp_path / "lake")


@pytest.fixture
def catalog() -> Catalog:
    """A made-up Spotify catalog: 120 tracks on 24 albums by 12 artists."""
    return Catalog.generate(120, tracks_per_album=5)


@pytest.fixture
def fake(catalog):
    """The fake Spotify Web API on loopback; every body it served must match the OpenAPI spec."""
    with FakeSpotify(catalog, history_limit=None) as server:
        yield server
    assert server.validation_errors == [], server.validation_errors[:5]


@pytest.fixture
def arm(monkeypatch):
    """The fake Resource Manager on loopback, and the managed-identity environment the Functions host
    sets (read by azure-identity itself), so the app's real credential asks the fake for tokens."""
    with FakeArm() as server:
        for name, value in server.identity_environment().items():
            monkeypatch.setenv(name, value)
        yield server
