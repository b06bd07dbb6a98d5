"""Draining the folder queue is linear: the folder is listed a few times per drain, not once per batch."""

from __future__ import annotations

import os
import sys

from storage import open_queue

_SCANNED: list[str] | None = None  # while a test records: the folders os.scandir was asked for


def _record_scans(event: str, args: tuple) -> None:
    if _SCANNED is not None and event == "os.scandir":
        _SCANNED.append(os.fsdecode(args[0]))


sys.addaudithook(_record_scans)  # audit hooks stay for the process: this one only reads a list


def test_draining_many_messages_lists_the_folder_a_few_times_not_once_per_batch(folder_settings):
    global _SCANNED
    queue = open_queue(folder_settings, "loads")
    for n in range(2000):
        queue.send(str(n))
    _SCANNED = []
    try:
        received = []
        while batch := queue.receive():
            received += [m.body for m in batch]
            for message in batch:
                queue.delete(message)
        scans = [path for path in _SCANNED if os.path.samefile(path, queue.folder)]
    finally:
        _SCANNED = None

    assert received == [str(n) for n in range(2000)]  # every message once, in order
    assert len(scans) <= 3  # a look per batch of 32 was 63 looks of up to 2000 files: quadratic


def test_a_message_sent_while_draining_is_received_after_those_listed_before_it(folder_settings):
    queue = open_queue(folder_settings, "loads")
    for n in range(40):
        queue.send(f"early {n}")
    first = queue.receive()
    open_queue(folder_settings, "loads").send("late")  # another queue object, as curation's is

    rest = []
    while batch := queue.receive():
        rest += batch

    assert [m.body for m in first] == [f"early {n}" for n in range(32)]
    assert [m.body for m in rest] == [f"early {n}" for n in range(32, 40)] + ["late"]
