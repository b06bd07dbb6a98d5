"""The Lake and queue contract, run against both implementations: a folder and real Azurite."""

from __future__ import annotations

import pytest

from storage import open_lake, open_queue
from storage.lake import LakeError, split_blob_name


@pytest.fixture(params=["folder", "azurite"])
def settings(request):
    return request.getfixturevalue(f"{request.param}_settings")


def test_write_read_list_delete(settings, tmp_path):
    lake = open_lake(settings)
    lake.write_bytes("raw", "exports/me/a b/x.json", b"[1]")
    source = tmp_path / "src.bin"
    source.write_bytes(b"\x00" * 1000)
    lake.write_file("raw", "exports/me/a b/y.bin", source)
    lake.write_bytes("curated", "streams/z.parquet", b"p")

    assert lake.exists("raw", "exports/me/a b/x.json")
    assert not lake.exists("raw", "exports/me/missing.json")
    assert lake.read_bytes("raw", "exports/me/a b/y.bin") == b"\x00" * 1000
    assert list(lake.list("raw", "exports/me/")) == ["exports/me/a b/x.json", "exports/me/a b/y.bin"]
    assert list(lake.list("raw", "nothing/")) == []
    assert list(lake.list("quarantine")) == []

    with lake.open_read("raw", "exports/me/a b/x.json") as stream:
        stream.seek(1)
        assert stream.read() == b"1]"
    with lake.local_path("raw", "exports/me/a b/x.json") as path:
        assert path.read_bytes() == b"[1]"

    lake.write_bytes("raw", "exports/me/a b/x.json", b"[2]")  # overwrite
    assert lake.read_bytes("raw", "exports/me/a b/x.json") == b"[2]"
    lake.delete("raw", "exports/me/a b/x.json")
    lake.delete("raw", "exports/me/a b/x.json")  # deleting twice is fine
    assert not lake.exists("raw", "exports/me/a b/x.json")


def test_missing_blob_is_a_lake_error(settings):
    lake = open_lake(settings)
    with pytest.raises(LakeError, match="no such blob"):
        lake.read_bytes("raw", "nope.json")
    with pytest.raises(LakeError), lake.open_read("raw", "nope.json"):
        pass


def test_queue_is_fifo_and_delete_removes(settings):
    queue = open_queue(settings, "curated-loads")
    for body in ("one", "two", "three"):
        queue.send(body)
    messages = queue.receive()
    assert [m.body for m in messages] == ["one", "two", "three"]
    for message in messages:
        queue.delete(message)
    assert queue.receive() == []


def test_folder_lake_refuses_escaping_paths(folder_settings):
    lake = open_lake(folder_settings)
    for bad in ("../x", "a/../../x", "/abs", "a//b", "a\\b"):
        with pytest.raises(LakeError):
            lake.write_bytes("raw", bad, b"x")
    assert not (folder_settings.lake_dir.parent / "x").exists()


def test_blob_queue_messages_are_base64_as_the_functions_host_expects(azurite_settings):
    from azure.storage.queue import QueueClient

    open_queue(azurite_settings, "curated-loads").send('{"a": 1}')
    raw = QueueClient.from_connection_string(azurite_settings.storage_connection_string, "curated-loads")
    (message,) = raw.receive_messages()
    assert message.content == "eyJhIjogMX0="  # base64 of {"a": 1}, what a queue trigger decodes


def test_blob_url_uses_the_dfs_endpoint_for_copy_into():
    from azure.storage.blob import BlobServiceClient

    from storage.blob import BlobLake

    lake = BlobLake(BlobServiceClient("https://acct.blob.core.windows.net"))
    assert (
        lake.url("curated", "streams/a.parquet")
        == "https://acct.dfs.core.windows.net/curated/streams/a.parquet"
    )


def test_split_blob_name():
    assert split_blob_name("raw/exports/a.json") == ("raw", "exports/a.json")
    with pytest.raises(ValueError):
        split_blob_name("raw")
