"""Indexing by the real worker: the functions and bindings it reports to the host, and a bad app.

The worker imports function_app.py and answers FunctionsMetadataRequest with each function's raw
bindings; the host registers exactly those. They must be what infra/ and scripts/ wire: the Event
Grid subscriptions (postdeploy.sh) for the blob triggers, the queue Bicep declares, the schedule
main.bicep passes as EXTRACT_SCHEDULE, the app settings naming the DataLake connection.
"""

from __future__ import annotations

import json
import re
import shutil

import pytest

from tests.infra.bicep_tree import INFRA, app_settings, param_default, resource_names
from tests.worker.host import ROOT

MAIN = INFRA / "main.bicep"
pytestmark = pytest.mark.azurite  # the worker fixtures start on Azurite (tests/worker/conftest.py)


def _bindings(functions) -> dict[str, list[dict]]:
    return {name: [json.loads(raw) for raw in f.raw_bindings] for name, f in functions.items()}


def _subscriptions() -> dict[str, str]:
    """postdeploy.sh's function -> container pairs: the Event Grid subscriptions Azure gets."""
    script = (ROOT / "scripts" / "postdeploy.sh").read_text()
    pairs = re.search(r'^SUBSCRIPTIONS="([^"]+)"', script, re.MULTILINE)
    assert pairs
    return dict(pair.split(":") for pair in pairs.group(1).split())


def test_the_worker_indexes_exactly_what_infra_wires(start_worker):
    azure = app_settings()
    schedule = param_default(MAIN, "extractSchedule")
    weekly, pause = param_default(MAIN, "analysisSchedule"), param_default(MAIN, "synapsePauseSchedule")
    worker = start_worker(
        BLOB_TRIGGER_SOURCE=azure["BLOB_TRIGGER_SOURCE"],
        EXTRACT_SCHEDULE=schedule,
        ANALYSIS_SCHEDULE=weekly,
        SYNAPSE_PAUSE_SCHEDULE=pause,
    )
    bindings = _bindings(worker.functions)
    queue, analyses = sorted(
        resource_names("Microsoft.Storage/storageAccounts/queueServices/queues"),
        key=lambda q: q != "curated-loads",
    )

    def key(binding: dict) -> tuple[str, str, str]:
        target = binding.get("path") or binding.get("queueName") or binding.get("schedule")
        return binding["type"], binding["direction"], target or binding.get("route") or binding["name"]

    reported = {(name, *key(b)) for name, found in bindings.items() for b in found}
    expected = {(function, "blobTrigger", "IN", f"{c}/{{name}}") for function, c in _subscriptions().items()}
    expected |= {("curate_raw", "queue", "OUT", queue), ("load_curated", "queueTrigger", "IN", queue)}
    expected |= {
        ("extract_spotify", "timerTrigger", "IN", schedule),
        ("pause_idle_pool", "timerTrigger", "IN", pause),
    }
    expected |= {
        ("request_analyses", "timerTrigger", "IN", weekly),
        ("request_analyses", "queue", "OUT", analyses),
    }
    expected |= {("run_analyses", "queueTrigger", "IN", analyses)}
    for route in ("wrapped", "report"):  # the README's GET /api/<route>?code=<function key>
        expected |= {(route, "httpTrigger", "IN", route), (route, "http", "OUT", "$return")}
    assert reported == expected

    storage = [b for found in bindings.values() for b in found if b["type"].startswith(("blob", "queue"))]
    # One connection, identity-based in Azure: its blob and queue endpoints are app settings.
    assert {b["connection"] for b in storage} == {"DataLake"}
    assert {"DataLake__blobServiceUri", "DataLake__queueServiceUri"} <= set(azure)
    blob_triggers = [b for b in storage if b["type"] == "blobTrigger"]
    assert {b["source"] for b in blob_triggers} == {"EventGrid"}  # Flex: no polling
    # The SDK-type binding is on: the host sends the blob's name, the worker builds a BlobClient.
    assert all(b["properties"]["SupportsDeferredBinding"] for b in blob_triggers)
    http = [b for found in bindings.values() for b in found if b["type"] == "httpTrigger"]
    assert all((b["methods"], b["authLevel"]) == (["GET"], "FUNCTION") for b in http)
    (timer,) = bindings["extract_spotify"]
    assert timer["runOnStartup"] is False  # would fire on every scale-out
    assert all(f.properties["worker_indexed"] == "True" for f in worker.functions.values())
    assert len({f.function_id for f in worker.functions.values()}) == len(worker.functions)


def test_the_worker_is_the_version_requirements_txt_pins_on_python_3_13(start_worker):
    pins = re.findall(r"^azure-functions-runtime==([\w.]+)", (ROOT / "requirements.txt").read_text(), re.M)
    assert len(pins) == 1, "requirements.txt pins the library worker Azure runs, exactly once"
    metadata = start_worker().init_response.worker_metadata
    assert (metadata.worker_version, metadata.runtime_version) == (pins[0], "3.13")


def test_the_local_sample_settings_index_the_polling_trigger_and_their_schedule(start_worker):
    # local.settings.sample.json, as `func start` would pass it, with another schedule.
    worker = start_worker(BLOB_TRIGGER_SOURCE="LogsAndContainerScan", EXTRACT_SCHEDULE="0 5 * * * *")
    bindings = _bindings(worker.functions)
    assert {b["source"] for b in bindings["accept_upload"] + bindings["curate_raw"] if "source" in b} == {
        "LogsAndContainerScan"
    }
    assert bindings["extract_spotify"][0]["schedule"] == "0 5 * * * *"


@pytest.fixture
def app_with_a_wrong_annotation(tmp_path):
    """The app with the queue trigger's message annotated as a BlobClient."""
    source = (ROOT / "function_app.py").read_text()
    wrong = source.replace(
        "def load_curated(msg: func.QueueMessage)", "def load_curated(msg: blob.BlobClient)"
    )
    assert wrong != source
    (tmp_path / "function_app.py").write_text(wrong)
    shutil.copy(ROOT / "host.json", tmp_path)
    return tmp_path


def test_a_wrong_binding_annotation_fails_indexing(start_worker, app_with_a_wrong_annotation):
    # The app's own packages come from the project folder; function_app.py from the broken app.
    worker = start_worker(app_dir=app_with_a_wrong_annotation, extra_path=(ROOT,), load=False)
    init = worker.start()
    assert init.result.status == init.result.Failure
    message = init.result.exception.message
    assert "load_curated" in message and "queueTrigger" in message and "BlobClient" in message
