"""The function app as the host sees it: indexing and bindings, then one smoke test per trigger on
Azurite, each handler called with the real binding objects the host would pass.

The exact figures of an export are the CLI tests' job (tests/cli/test_ingest.py); here each trigger
shows its effect in the lake or warehouse, and that a replayed event or message doubles nothing.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import azure.functions as func
import pytest
from azure.functions import TimerRequest
from azure.functions.queue import QueueMessage
from azure.storage.blob import BlobClient

import function_app
from load.warehouse import open_warehouse
from pipeline import stages
from storage import open_lake
from tests.exports import EXPECTED, small_export
from tests.fakes.spotify_api import past_ms
from tests.handlers import Out, handler

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def indexed():
    # get_functions() may be called once per FunctionApp (a second call raises in 1.26).
    return {
        f.get_function_name(): json.loads(f.get_function_json()) for f in function_app.app.get_functions()
    }


def test_the_host_indexes_nine_functions_with_their_bindings(indexed):
    assert set(indexed) == {
        "accept_upload",
        "curate_raw",
        "load_curated",
        "extract_spotify",
        "request_analyses",
        "run_analyses",
        "pause_idle_pool",
        "wrapped",
        "report",
    }
    for name in ("wrapped", "report"):
        trigger = next(b for b in indexed[name]["bindings"] if b["type"] == "httpTrigger")
        assert (trigger["route"], trigger["methods"], trigger["authLevel"]) == (name, ["GET"], "FUNCTION")
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
    request, weekly = indexed["request_analyses"]["bindings"]
    assert weekly["schedule"] == "0 0 4 * * 1" and weekly["runOnStartup"] is False
    assert (request["type"], request["queueName"]) == ("queue", "analysis-requests")
    (analyses,) = indexed["run_analyses"]["bindings"]
    assert (analyses["type"], analyses["queueName"]) == ("queueTrigger", "analysis-requests")
    (pause,) = indexed["pause_idle_pool"]["bindings"]
    assert pause["type"] == "timerTrigger" and pause["schedule"] == "0 */5 * * * *"
    assert pause["runOnStartup"] is False


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
    heavy = "('pyarrow', 'duckdb', 'pyodbc', 'pandas', 'spotipy', 'sklearn', 'numpy', 'scipy')"
    probe = f"import sys, function_app; print(sorted(m for m in {heavy} if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


class Timer(TimerRequest):
    past_due = False


def blob(settings, container: str, path: str) -> BlobClient:
    """The SDK-typed binding the host hands a blob trigger: a real BlobClient for that blob."""
    return BlobClient.from_connection_string(settings.storage_connection_string, container, path)


def upload(settings, name: str, content: bytes) -> None:
    open_lake(settings).write_bytes("upload", name, content)
    handler("accept_upload")(client=blob(settings, "upload", name))


def curate_every_raw_file(settings, paths=None) -> list[str]:
    """What the host does for each new raw blob; returns the load messages the trigger queued."""
    messages = []
    for path in paths if paths is not None else open_lake(settings).list("raw"):
        out = Out()
        handler("curate_raw")(client=blob(settings, "raw", path), load=out)
        if out.value:
            messages.append(out.value)
    return messages


def deliver(messages: list[str], dequeue_count: int = 1) -> None:
    for number, body in enumerate(messages):
        handler("load_curated")(
            msg=QueueMessage(id=f"m{number}", body=body.encode(), dequeue_count=dequeue_count)
        )


def counts(settings, tables=("fact_stream", "stream_reject")) -> dict[str, int]:
    with open_warehouse(settings) as warehouse:
        return {table: warehouse.query(f"SELECT count(*) FROM {table}")[0][0] for table in tables}


@pytest.fixture
def app_settings(azurite_settings, monkeypatch):
    monkeypatch.setattr(function_app, "SETTINGS", azurite_settings)
    return azurite_settings


@pytest.mark.azurite
def test_the_upload_trigger_lands_history_files_and_quarantines_a_bad_upload_without_failing(
    app_settings, caplog
):
    upload(app_settings, "me/my_spotify_data.zip", small_export())
    lake = open_lake(app_settings)
    landed = list(lake.list("raw"))
    assert len(landed) == EXPECTED["files"] and all(p.startswith("exports/me/") for p in landed)
    assert lake.exists("upload", "me/my_spotify_data.zip")  # the original upload is kept

    upload(app_settings, "me/bad.zip", b"not a zip at all")  # returns: no retry of a user mistake
    assert "refused" in caplog.text
    (reason,) = [p for p in lake.list("quarantine") if p.endswith("reason.json")]
    assert "zip" in json.loads(lake.read_bytes("quarantine", reason))["reason"]
    assert list(lake.list("raw")) == landed


@pytest.mark.azurite
def test_the_raw_trigger_curates_a_file_and_queues_exactly_its_curated_files(app_settings):
    upload(app_settings, "me/my_spotify_data.zip", small_export())
    messages = curate_every_raw_file(app_settings)
    assert len(messages) == EXPECTED["files"]  # one per landed history file
    lake = open_lake(app_settings)
    named = {f["path"] for body in messages for f in json.loads(body)["files"]}
    assert named == set(lake.list("curated")) and all(p.endswith(".parquet") for p in named)
    assert curate_every_raw_file(app_settings) == messages  # a replayed blob event: the same files


@pytest.mark.azurite
def test_the_queue_trigger_loads_a_message_once_and_a_replay_doubles_nothing(app_settings):
    upload(app_settings, "me/my_spotify_data.zip", small_export())
    messages = curate_every_raw_file(app_settings)
    deliver(messages)
    loaded = counts(app_settings)
    assert loaded == {"fact_stream": EXPECTED["streams_accepted"], "stream_reject": 1}
    deliver(messages, dequeue_count=2)  # at-least-once delivery
    assert counts(app_settings) == loaded
    with pytest.raises(ValueError, match="malformed load message"):  # raises: retried, then poisoned
        handler("load_curated")(msg=QueueMessage(id="x", body=b"{not json", dequeue_count=1))


@pytest.mark.azurite
def test_the_timer_pulls_into_raw_and_later_runs_enrich_what_the_triggers_loaded(
    azurite_settings, fake, catalog, monkeypatch, caplog
):
    settings = replace(azurite_settings, **fake.settings_overrides())
    monkeypatch.setattr(function_app, "SETTINGS", settings)
    tracks = list(catalog.tracks)[:10]  # 2 albums
    fake.add_plays(tracks, past_ms(1))
    fake.top[("tracks", "short_term")] = tracks[:5]
    lake = open_lake(settings)
    seen: set[str] = set()
    caplog.set_level("INFO", logger="function_app")
    tables = ("fact_stream", "dim_track", "dim_album", "dim_artist", "bridge_track_artist", "fact_top_item")

    def fire_triggers() -> None:
        new = [p for p in lake.list("raw") if p not in seen]
        seen.update(new)
        deliver(curate_every_raw_file(settings, new))

    # Run 1: the pull lands raw; the triggers curate and load it (enrichment has nothing loaded yet).
    handler("extract_spotify")(timer=Timer())
    assert "extract: 10 plays in 1 pages; 6 top-item snapshots" in caplog.text
    fire_triggers()
    first = counts(settings, tables)
    assert (first["fact_stream"], first["dim_track"], first["fact_top_item"]) == (10, 0, 5)

    # Run 2: the streamed tracks are enriched; run 3: their albums and artists (ids known once loaded).
    for _ in range(2):
        fake.reset_counts()
        handler("extract_spotify")(timer=Timer())
        fire_triggers()
    after = counts(settings, tables)
    artists = {a for t in tracks for a in catalog.tracks[t]["artist_ids"]}
    assert after == {
        "fact_stream": 10,
        "dim_track": 10,
        "dim_album": 2,
        "dim_artist": len(artists),
        "bridge_track_artist": sum(len(catalog.tracks[t]["artist_ids"]) for t in tracks),
        "fact_top_item": 5,
    }
    assert fake.requests["/v1/albums"] == 1 and fake.requests["/v1/artists"] == 1

    # Run 4 with nothing new: no catalog request, nothing doubled (the top snapshot is replaced).
    fake.reset_counts()
    handler("extract_spotify")(timer=Timer())
    seen.clear()  # even replaying every raw event
    fire_triggers()
    assert fake.catalog_requests() == 0
    assert counts(settings, tables) == after


@pytest.fixture
def sample_app(folder_settings, monkeypatch):
    """The app on a folder lake holding the hand-computable export, home zone Europe/Berlin."""
    from pipeline.chain import ingest

    settings = replace(folder_settings, user_time_zone="Europe/Berlin")
    export = folder_settings.lake_dir.parent / "export.zip"
    export.write_bytes(small_export())
    ingest(settings, export, "me")
    monkeypatch.setattr(function_app, "SETTINGS", settings)
    return settings


def get(route: str, **params) -> func.HttpResponse:
    request = func.HttpRequest(method="GET", url=f"/api/{route}", params=params, body=b"")
    return handler(route)(req=request)


def test_the_wrapped_endpoint_answers_the_summary_as_json_in_the_apps_zone(sample_app):
    answer = get("wrapped", **{"from": "2024-01-01", "to": "2024-01-02"})
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    summary = json.loads(answer.get_body())
    # 2023-12-31 23:59 UTC (an account-data row: no country, so the home zone) is 00:59 on New Year's
    # Day in Berlin: three streams, where UTC dates give two.
    assert (summary["time_zone"], summary["streams"], summary["plays"]) == ("Europe/Berlin", 3, 2)
    tokyo = json.loads(get("wrapped", tz="Asia/Tokyo").get_body())
    assert tokyo["time_zone"] == "Asia/Tokyo" and tokyo["streams"] == EXPECTED["streams"]


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"from": "2024-1-5"}, "--from must be a date"),
        ({"tz": "Mars/Olympus"}, "unknown time zone"),
        ({"user": "../x"}, "user must be"),
        ({"top": "0"}, "top must be"),
    ],
)
def test_a_bad_query_is_a_400_with_one_line(sample_app, params, reason):
    answer = get("wrapped", **params)
    assert answer.status_code == 400
    error = json.loads(answer.get_body())["error"]
    assert reason in error and "\n" not in error


def test_the_report_endpoint_serves_the_self_contained_page(sample_app):
    answer = get("report", year="2024")
    assert answer.status_code == 200 and answer.mimetype == "text/html"
    page = answer.get_body().decode("utf-8")
    assert page.startswith("<!doctype html>") and 'data-figure="streams">4<' in page and "<svg" in page
    assert get("report", month="2024-13").status_code == 400


def test_an_unreachable_warehouse_is_a_503_not_a_crash(sample_app, monkeypatch):
    monkeypatch.setattr(function_app, "SETTINGS", replace(sample_app, warehouse="synapse"))
    answer = get("wrapped")
    assert answer.status_code == 503 and "SYNAPSE_SERVER is not set" in json.loads(answer.get_body())["error"]


# -- the SQL pool: paused when idle, woken for loads (fake Resource Manager, Azurite, DuckDB) ----


class Host:
    """The queue trigger's host loop over the real Azurite queue: receive, call the function,
    delete the message when it returns (an exception leaves it for a retry, as the host does)."""

    def __init__(self, settings):
        from storage import open_queue

        self.queue = open_queue(settings, "curated-loads")
        self.dequeue_counts: list[int] = []

    def deliver_due(self) -> int:
        delivered = 0
        for queued in self.queue.receive():
            self.dequeue_counts.append(queued.dequeue_count)
            message = QueueMessage(
                id=queued.id, body=queued.body.encode(), dequeue_count=queued.dequeue_count
            )
            handler("load_curated")(msg=message)  # raises: the host would retry it (not here)
            self.queue.delete(queued)
            delivered += 1
        return delivered


@pytest.fixture
def pool_app(azurite_settings, arm, monkeypatch):
    settings = replace(azurite_settings, synapse_resume_poll_seconds=1, **arm.settings_overrides())
    monkeypatch.setattr(function_app, "SETTINGS", settings)
    return settings


@pytest.mark.azurite
def test_a_paused_pool_is_resumed_and_every_message_loads_exactly_once(pool_app, arm, caplog):

    arm.status = "Paused"
    caplog.set_level("INFO")
    upload(pool_app, "me/my_spotify_data.zip", small_export())
    host = Host(pool_app)
    for body in curate_every_raw_file(pool_app):
        host.queue.send(body)  # what curate_raw's output binding does
    queued = host.queue.count()
    assert queued == EXPECTED["files"]
    arm.transition_gets = queued + 2  # the resume outlasts the first round of deliveries

    assert host.deliver_due() == queued  # each delivery finishes: the pool is paused, it waits
    assert counts(pool_app)["fact_stream"] == 0
    assert arm.count("POST", "resume") == 1 and arm.status == "Resuming"  # one resume, not one each
    assert host.queue.count() == queued  # every message kept, re-queued with a delay
    assert "re-queued for 1 s" in caplog.text

    deadline = time.monotonic() + 30
    while host.queue.count() and time.monotonic() < deadline:
        host.deliver_due()
        time.sleep(0.2)
    assert host.queue.count() == 0
    assert counts(pool_app) == {"fact_stream": EXPECTED["streams_accepted"], "stream_reject": 1}
    loads = [r for r in caplog.records if r.name == "load.loader" and r.getMessage().startswith("loaded ")]
    assert len(loads) == queued  # each message loaded once: no second load of any message
    assert set(host.dequeue_counts) == {1}  # waiting never spent a delivery: nothing heads to poison
    assert arm.count("POST", "resume") == 1


@pytest.mark.azurite
def test_the_timer_pauses_an_idle_pool_never_under_a_load_and_replays_change_nothing(pool_app, arm, caplog):
    import threading
    from datetime import UTC, datetime, timedelta

    from contracts.layout import POOL_LOADS_PREFIX, STATE_CONTAINER

    caplog.set_level("INFO", logger="function_app")
    upload(pool_app, "me/my_spotify_data.zip", small_export())
    (body, *_) = curate_every_raw_file(pool_app)
    handler("pause_idle_pool")(timer=Timer())  # first sight of the pool online
    assert "pool: left the SQL pool Online: idle for 0 of 30 minutes" in caplog.text

    # A load in flight: its status check is held in Resource Manager while the timer ticks, half
    # an hour after everything else; the load's marker keeps the pool online.
    hold = arm.hold_next("GET", "status")
    load = threading.Thread(
        target=handler("load_curated"), kwargs={"msg": QueueMessage(id="a", body=body.encode())}
    )
    load.start()
    assert hold.arrived.wait(30)  # the load's own status check is the one held
    assert list(open_lake(pool_app).list(STATE_CONTAINER, POOL_LOADS_PREFIX))  # its marker is written
    later = datetime.now(UTC) + timedelta(minutes=31)
    try:
        assert (
            str(stages.pause_idle_pool(pool_app, now=later)) == "left the SQL pool Online: 1 load(s) running"
        )
    finally:
        hold.released.set()  # the load's status check is answered: it loads and finishes
    load.join(timeout=30)
    assert not load.is_alive()
    assert counts(pool_app)["fact_stream"] > 0 and arm.count("POST", "pause") == 0

    # Idle for 31 minutes after that load: paused, once, however often the tick is replayed.
    later = datetime.now(UTC) + timedelta(minutes=31)
    assert stages.pause_idle_pool(pool_app, now=later).paused
    for _ in range(3):
        assert not stages.pause_idle_pool(pool_app, now=later).paused
        handler("pause_idle_pool")(timer=Timer())
    assert arm.count("POST", "pause") == 1 and arm.status == "Paused"


def test_the_pause_timer_does_nothing_without_a_pool_id(app_settings_folder, caplog):
    caplog.set_level("INFO", logger="function_app")
    handler("pause_idle_pool")(timer=Timer())
    assert "pool: left the SQL pool alone: SYNAPSE_POOL_RESOURCE_ID is not set" in caplog.text


@pytest.fixture
def app_settings_folder(folder_settings, monkeypatch):
    monkeypatch.setattr(function_app, "SETTINGS", folder_settings)
    return folder_settings
