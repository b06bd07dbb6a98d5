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
import tempfile
from pathlib import Path

import pytest

from settings import Settings
from tests.azurite import BINARY, running_azurite
from tests.fakes.arm_api import FakeArm
from tests.fakes.spotify_api import Catalog, FakeSpotify

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def azurite_connection_string():
    existing = os.environ.get("AZURITE_CONNECTION_STRING")
    if existing and not os.environ.get("PYTEST_XDIST_WORKER"):
        yield existing
        return
    if not BINARY.exists():
        pytest.fail("Azurite is not installed: run `make test` (it runs `npm ci`).")
    data = tempfile.mkdtemp(prefix="azurite-")
    try:
        with running_azurite(Path(data)) as connection:
            yield connection
    except RuntimeError as error:
        pytest.fail(str(error))
    finally:
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
