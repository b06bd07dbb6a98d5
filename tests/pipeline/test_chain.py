"""The in-process chain's queue rules: what the CLI's drain does is what the queue trigger does.

A bad message fails alone and is reported in one line while the good ones load; a message that
keeps failing moves to the poison queue after MAX_DEQUEUE_COUNT tries, as host.json says.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from contracts.layout import LOAD_QUEUE, poison_queue
from contracts.load_message import CuratedFile
from load.errors import LoadError
from load.warehouse import open_warehouse
from pipeline.chain import MAX_DEQUEUE_COUNT, IngestSummary, drain_load_queue
from storage import open_lake, open_queue
from tests.load.curated_rows import message, three_overlapping_messages

ROOT = Path(__file__).resolve().parents[2]


def test_drain_loads_the_good_messages_and_reports_the_bad_one_in_one_line(folder_settings):
    queue = open_queue(folder_settings, LOAD_QUEUE)
    good = three_overlapping_messages(open_lake(folder_settings))
    missing = message(CuratedFile("streams", "streams/gone.parquet", 3), curated_from="raw/gone")
    for m in (good[0], missing, good[1]):
        queue.send(m.to_json())
    queue.send("{not json")
    queue.send(good[2].to_json())
    summary = IngestSummary()
    with pytest.raises(LoadError) as raised:
        drain_load_queue(folder_settings, summary)
    text = str(raised.value)
    assert "\n" not in text and "raw/gone" in text and "curated file missing" in text and "1 more" in text
    assert (summary.streams_accepted, summary.duplicates_skipped, summary.records_set_aside) == (4, 1, 1)
    assert summary.in_extended_history == 1  # the account row the export has
    assert sorted(m.body for m in queue.receive()) == sorted([missing.to_json(), "{not json"])
    with open_warehouse(folder_settings) as warehouse:
        assert warehouse.query("SELECT COUNT(*) FROM fact_stream") == [(4,)]


def test_a_message_that_keeps_failing_moves_to_the_poison_queue(folder_settings):
    queue = open_queue(folder_settings, LOAD_QUEUE)
    queue.send("{not json")
    for attempt in range(1, MAX_DEQUEUE_COUNT + 1):
        with pytest.raises(LoadError) as raised:
            drain_load_queue(folder_settings, IngestSummary())
        poisoned = attempt == MAX_DEQUEUE_COUNT
        assert ("moved to curated-loads-poison" in str(raised.value)) is poisoned
    assert queue.receive() == []
    assert [m.body for m in open_queue(folder_settings, poison_queue(LOAD_QUEUE)).receive()] == ["{not json"]
    drain_load_queue(folder_settings, IngestSummary())  # later drains: nothing fails


def test_the_poison_rule_is_the_hosts_max_dequeue_count():
    host = json.loads((ROOT / "host.json").read_text())
    assert host["extensions"]["queues"]["maxDequeueCount"] == MAX_DEQUEUE_COUNT


def _export(tmp_path: Path) -> Path:
    from tests.exports import small_export

    path = tmp_path / "my_spotify_data.zip"
    path.write_bytes(small_export())
    return path


def test_an_ingest_loads_what_an_earlier_run_left_queued_but_counts_only_its_own(folder_settings, tmp_path):
    from pipeline.chain import ingest
    from tests.exports import EXPECTED

    queue = open_queue(folder_settings, LOAD_QUEUE)
    leftover = three_overlapping_messages(open_lake(folder_settings))[0]  # curated, its load never ran
    queue.send(leftover.to_json())
    summary = ingest(folder_settings, _export(tmp_path), "me")
    assert summary.earlier_messages == 1
    assert (summary.streams_accepted, summary.duplicates_skipped) == (
        EXPECTED["streams_accepted"],
        EXPECTED["duplicates_skipped"],
    )
    assert queue.receive() == []
    with open_warehouse(folder_settings) as warehouse:  # the leftover's two streams loaded too
        assert warehouse.query("SELECT COUNT(*) FROM fact_stream") == [(EXPECTED["streams_accepted"] + 2,)]


def test_reingesting_a_finished_export_curates_nothing_again(folder_settings, tmp_path):
    from pipeline.chain import ingest

    export = _export(tmp_path)
    first = ingest(folder_settings, export, "me")
    curated = {p: p.stat().st_mtime_ns for p in (folder_settings.lake_dir / "curated").rglob("*.parquet")}
    again = ingest(folder_settings, export, "me")
    assert again.already_ingested and again.files_already_loaded == first.files == 3
    assert again.streams_accepted == 0
    assert {p: p.stat().st_mtime_ns for p in curated} == curated  # not rewritten

    # A file whose load did not finish (its load_file rows gone, as if the run died) is redone.
    with open_warehouse(folder_settings) as warehouse:
        (source,) = warehouse.query("SELECT MIN(source) FROM load_file")[0]
        warehouse.run(f"DELETE FROM load_file WHERE source = '{source}'")
    redo = ingest(folder_settings, export, "me")
    assert redo.files_already_loaded == 2 and redo.streams_accepted == 0


def test_an_ingest_names_the_upload_by_the_files_sha256_and_lands_it_under_that_id(folder_settings, tmp_path):
    import hashlib

    from pipeline.chain import ingest

    export = _export(tmp_path)
    digest = hashlib.sha256(export.read_bytes()).hexdigest()

    ingest(folder_settings, export, "me")

    lake = folder_settings.lake_dir
    assert [p.name for p in (lake / "upload" / "me").iterdir()] == [f"{digest[:8]}-{export.name}"]
    assert [p.name for p in (lake / "state" / "uploads" / "me").iterdir()] == [f"{digest[:16]}.json"]
    assert {p.parent.name for p in (lake / "raw" / "exports" / "me").glob("*/*")} == {digest[:16]}
