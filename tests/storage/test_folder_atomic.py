"""The folder lake and queue write atomically: a kill mid-write leaves the old file or the new one, and
what an older version's kill left behind (an empty delivery counter) breaks nothing later."""

from __future__ import annotations

from storage import open_lake, open_queue


def _counter(queue, message):
    return queue.folder / f"{message.receipt}.count"


def test_an_empty_delivery_counter_left_by_a_kill_counts_from_one_again(folder_settings):
    queue = open_queue(folder_settings, "loads")
    queue.send('{"n": 1}')
    (message,) = queue.receive()
    _counter(queue, message).write_bytes(b"")  # killed between truncating the counter and writing it

    (again,) = open_queue(folder_settings, "loads").receive()  # the next run, as `cli load` would

    assert (again.body, again.dequeue_count) == ('{"n": 1}', 1)
    assert _counter(queue, again).read_bytes() == b"1"
    queue.delete(again)
    assert queue.count() == 0


def test_a_delivery_counter_is_replaced_whole_never_rewritten_in_place(folder_settings):
    queue = open_queue(folder_settings, "loads")
    queue.send("body")
    (first,) = queue.receive()
    counter = _counter(queue, first)
    with counter.open("rb") as before:  # a reader holding the counter as it was
        (second,) = open_queue(folder_settings, "loads").receive()
        # An in-place write would have truncated the file this handle reads; a rename leaves it whole.
        assert before.read() == b"1"
    assert second.dequeue_count == 2 and counter.read_bytes() == b"2"


def test_temp_files_a_kill_left_behind_are_never_read_as_messages_or_blobs(folder_settings):
    queue = open_queue(folder_settings, "loads")
    queue.send("real")
    # What a kill between writing a temp file and renaming it leaves, for a message and a counter.
    (queue.folder / ".00000000000000000001-deadbeef.msg.0123abcd.tmp").write_bytes(b"half a mess")
    (queue.folder / ".00000000000000000001-deadbeef.msg.count.0123abcd.tmp").write_bytes(b"")
    lake = open_lake(folder_settings)
    lake.write_bytes("state", "a/b.json", b"{}")
    (folder_settings.lake_dir / "state" / "a" / ".b.json.0123abcd.tmp").write_bytes(b"{")

    assert queue.count() == 1
    assert [m.body for m in queue.receive()] == ["real"]
    assert list(lake.list("state")) == ["a/b.json"]
    assert lake.read_bytes("state", "a/b.json") == b"{}"
