"""`python -m cli init`: the storage account gets the lake's containers and the load queue, once."""

from __future__ import annotations

import pytest
from azure.storage.blob import BlobServiceClient
from azure.storage.queue import QueueServiceClient

from cli.__main__ import main
from contracts.layout import CONTAINERS, LOAD_QUEUE
from settings import STORAGE_CONNECTION


@pytest.mark.azurite
def test_init_creates_the_containers_and_the_load_queue_and_can_run_again(
    azurite_settings, monkeypatch, capsys
):
    connection = str(azurite_settings.storage_connection_string)
    monkeypatch.setenv(STORAGE_CONNECTION, connection)
    blobs = BlobServiceClient.from_connection_string(connection)
    queues = QueueServiceClient.from_connection_string(connection)
    assert list(blobs.list_containers()) == []  # the emulator starts empty

    for _ in range(2):
        assert main(["init"]) == 0
        assert {c.name for c in blobs.list_containers()} == set(CONTAINERS)
        assert [q.name for q in queues.list_queues()] == [LOAD_QUEUE]
    out, err = capsys.readouterr()
    assert err == "" and out.count("ready: containers upload, raw, curated, quarantine, state") == 2


def test_init_without_a_storage_account_says_what_to_set(monkeypatch, tmp_path, capsys):
    monkeypatch.delenv(STORAGE_CONNECTION, raising=False)
    monkeypatch.delenv(f"{STORAGE_CONNECTION}__blobServiceUri", raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["init"]) == 2
    assert "set DataLake" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []  # no folder lake created by accident
