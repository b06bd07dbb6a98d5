"""The Lake and queue contract, run against both implementations: a folder and real Azurite."""

from __future__ import annotations

import pytest

from storage import open_lake, open_queue
from storage.lake import LakeError


@pytest.fixture(params=["folder", "azurite"])
def settings(request):
    return request.getfixturevalue(f"{request.param}_settings")


def test_what_is_written_reads_back_lists_sorted_and_deletes(settings, tmp_path):
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


def test_staged_blob_is_invisible_until_committed(settings):
    lake = open_lake(settings)
    with lake.stage("raw", "exports/me/u1/big.json") as staged:
        staged.write(b"[")
        staged.write(b"1,2")
        staged.flush()
        staged.write(b"]")
        assert not lake.exists("raw", "exports/me/u1/big.json")
        assert list(lake.list("raw")) == []
        staged.commit()
    assert lake.read_bytes("raw", "exports/me/u1/big.json") == b"[1,2]"
    assert list(lake.list("raw")) == ["exports/me/u1/big.json"]


def test_staged_blob_of_many_blocks_keeps_every_byte_in_order(settings, monkeypatch):
    from storage import blob

    monkeypatch.setattr(blob, "_BLOCK_BYTES", 1000)  # several blocks, some written in one piece
    lake = open_lake(settings)
    pieces = [bytes([i]) * size for i, size in enumerate((10, 999, 1, 2500, 0, 7))]
    with lake.stage("raw", "many.bin") as staged:
        for piece in pieces:
            staged.write(piece)
        staged.commit()
    assert lake.read_bytes("raw", "many.bin") == b"".join(pieces)


def test_aborted_staged_blob_leaves_nothing(settings):
    lake = open_lake(settings)
    staged = lake.stage("raw", "exports/me/u1/a.json")
    staged.write(b"[1]")
    staged.flush()
    staged.abort()
    staged.abort()  # twice is fine
    with lake.stage("raw", "exports/me/u1/b.json") as left:
        left.write(b"[2]")  # leaving the block without commit aborts
    with pytest.raises(RuntimeError), lake.stage("raw", "exports/me/u1/c.json") as failed:
        failed.write(b"[3]")
        raise RuntimeError("crash while writing")

    for name in ("a", "b", "c"):
        assert not lake.exists("raw", f"exports/me/u1/{name}.json")
    assert list(lake.list("raw")) == []
    with pytest.raises(LakeError, match="already committed or aborted"):
        staged.write(b"x")


def test_staged_blob_overwrites_only_on_commit(settings):
    lake = open_lake(settings)
    lake.write_bytes("raw", "x.json", b"[old]")
    with lake.stage("raw", "x.json") as staged:
        staged.write(b"[new]")
        assert lake.read_bytes("raw", "x.json") == b"[old]"
        staged.commit()
    assert lake.read_bytes("raw", "x.json") == b"[new]"
    with lake.stage("raw", "x.json") as aborted:
        aborted.write(b"[never]")
    assert lake.read_bytes("raw", "x.json") == b"[new]"
    assert list(lake.list("raw")) == ["x.json"]


def test_staged_blob_with_nothing_written_commits_an_empty_blob(settings):
    lake = open_lake(settings)
    with lake.stage("raw", "empty.json") as staged:
        staged.commit()
    assert lake.exists("raw", "empty.json")
    assert lake.read_bytes("raw", "empty.json") == b""


def test_create_writes_only_when_absent(settings):
    lake = open_lake(settings)
    assert lake.create("state", "secrets/k", b"first") is True
    assert lake.create("state", "secrets/k", b"second") is False
    assert lake.read_bytes("state", "secrets/k") == b"first"
    assert list(lake.list("state")) == ["secrets/k"]  # no temp file left behind


def test_concurrent_first_use_agrees_on_one_user_id_key(settings):
    from concurrent.futures import ThreadPoolExecutor

    from transform.pseudonym import user_id_key

    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _: user_id_key(open_lake(settings), settings), range(16)))
    assert len(keys) == 1


def test_a_delayed_message_is_counted_at_once_and_delivered_once_due(settings):
    import time

    queue = open_queue(settings, "curated-loads")
    assert queue.count() == 0
    queue.send("later", delay_seconds=1)
    queue.send("now")
    assert queue.count() == 2  # the delayed one is waiting too: it counts
    assert [m.body for m in queue.receive()] == ["now"]
    deadline = time.monotonic() + 10
    while not (due := queue.receive()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [(m.body, m.dequeue_count) for m in due] == [("later", 1)]  # a fresh message, never dequeued
    for message in due:
        queue.delete(message)
    assert queue.count() == 1  # "now" is received but not deleted: still counted
