"""The function app as the host sees it: indexing, bindings, and the export chain end to end on
Azurite, through the real handlers called with real binding objects (no Functions host needed)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from azure.functions.queue import QueueMessage
from azure.storage.blob import BlobClient

import function_app
from storage import open_lake
from tests.exports import EXPECTED, small_export
from tests.handlers import Out, handler

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def indexed():
    # get_functions() may be called once per FunctionApp (a second call raises in 1.26).
    return {
        f.get_function_name(): json.loads(f.get_function_json()) for f in function_app.app.get_functions()
    }


def test_the_host_indexes_four_functions_with_their_bindings(indexed):
    assert set(indexed) == {"accept_upload", "curate_raw", "load_curated", "extract_spotify"}
    (upload,) = indexed["accept_upload"]["bindings"]
    assert (upload["type"], upload["path"], upload["connection"]) == (
        "blobTrigger",
        "upload/{name}",
        "DataLake",
    )
    assert upload["source"] == "EventGrid"  # the default: Flex Consumption needs Event Grid
    bindings = {b["type"]: b for b in indexed["curate_raw"]["bindings"]}
    assert bindings["blobTrigger"]["path"] == "raw/{name}"
    assert bindings["queue"]["queueName"] == "curated-loads" and bindings["queue"]["direction"] == "OUT"
    (queue,) = indexed["load_curated"]["bindings"]
    assert (queue["type"], queue["queueName"]) == ("queueTrigger", "curated-loads")
    (timer,) = indexed["extract_spotify"]["bindings"]
    assert timer["schedule"] == "0 0 6 * * *" and timer["runOnStartup"] is False


def test_settings_choose_the_blob_source_and_schedule_at_indexing():
    probe = (
        "import json, function_app as fa;"
        "f = {x.get_function_name(): json.loads(x.get_function_json()) for x in fa.app.get_functions()};"
        "print(f['accept_upload']['bindings'][0]['source'], f['extract_spotify']['bindings'][0]['schedule'])"
    )
    env = {"PATH": "", "BLOB_TRIGGER_SOURCE": "LogsAndContainerScan", "EXTRACT_SCHEDULE": "0 5 * * * *"}
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["LogsAndContainerScan", "0", "5", "*", "*", "*", "*"]


def test_importing_the_app_loads_no_heavy_library():
    heavy = "('pyarrow', 'duckdb', 'pyodbc', 'pandas', 'spotipy')"
    probe = f"import sys, function_app; print(sorted(m for m in {heavy} if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def run_chain_on_azurite(settings, monkeypatch, upload_name: str, content: bytes) -> list[str]:
    """Drop an export into upload/ and run each trigger's handler the way the host would."""
    monkeypatch.setattr(function_app, "SETTINGS", settings)
    conn = settings.storage_connection_string
    lake = open_lake(settings)
    lake.write_bytes("upload", upload_name, content)
    handler("accept_upload")(client=BlobClient.from_connection_string(conn, "upload", upload_name))
    messages = []
    for path in lake.list("raw"):
        out = Out()
        handler("curate_raw")(client=BlobClient.from_connection_string(conn, "raw", path), load=out)
        if out.value:
            messages.append(out.value)
    for number, body in enumerate(messages):
        handler("load_curated")(msg=QueueMessage(id=str(number), body=body.encode(), dequeue_count=1))
    return messages


def summary_for(settings, user="me"):
    from load.warehouse import open_warehouse
    from load.wrapped import wrapped
    from transform.pseudonym import user_id, user_id_key

    key = user_id_key(open_lake(settings), settings)
    with open_warehouse(settings) as warehouse:
        return wrapped(warehouse, user_id(user, key), None, None, 10)


def test_export_chain_end_to_end_on_azurite(azurite_settings, monkeypatch):
    messages = run_chain_on_azurite(azurite_settings, monkeypatch, "me/my_spotify_data.zip", small_export())
    assert len(messages) == 3  # one per landed history file; the video file is counted, not landed
    summary = summary_for(azurite_settings)
    assert (summary["streams"], summary["plays"], summary["minutes"]) == (
        EXPECTED["streams"],
        EXPECTED["plays"],
        EXPECTED["minutes"],
    )
    assert summary["top_artists"] == EXPECTED["top_artists"]
    lake = open_lake(azurite_settings)
    assert any(p.endswith(".parquet") for p in lake.list("curated", "streams/"))
    assert lake.exists("upload", "me/my_spotify_data.zip")  # the original upload is kept

    # Replayed events and messages (at-least-once delivery) double nothing.
    run_chain_on_azurite(azurite_settings, monkeypatch, "me/my_spotify_data.zip", small_export())
    for number, body in enumerate(messages):
        handler("load_curated")(msg=QueueMessage(id=f"again-{number}", body=body.encode(), dequeue_count=2))
    assert summary_for(azurite_settings) == summary


def test_a_bad_upload_is_quarantined_and_the_trigger_does_not_fail(azurite_settings, monkeypatch, caplog):
    run_chain_on_azurite(azurite_settings, monkeypatch, "me/good.zip", small_export())
    before = summary_for(azurite_settings)
    run_chain_on_azurite(azurite_settings, monkeypatch, "me/bad.zip", b"not a zip at all")
    assert "refused" in caplog.text
    lake = open_lake(azurite_settings)
    reasons = [p for p in lake.list("quarantine") if p.endswith("reason.json")]
    assert len(reasons) == 1
    assert "zip" in json.loads(lake.read_bytes("quarantine", reasons[0]))["reason"]
    assert summary_for(azurite_settings) == before


def test_a_malformed_load_message_fails_so_the_queue_retries_then_poisons(azurite_settings, monkeypatch):
    monkeypatch.setattr(function_app, "SETTINGS", azurite_settings)
    with pytest.raises(ValueError, match="malformed load message"):
        handler("load_curated")(msg=QueueMessage(id="x", body=b"{not json", dequeue_count=1))
