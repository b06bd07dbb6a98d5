"""The weekly analyses in the function app on Azurite: the timer asks, the analysis queue's trigger
runs them (waiting for a paused SQL pool as loads do), the load queue brings the results in."""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from azure.functions import TimerRequest
from azure.functions.queue import QueueMessage

import function_app
from contracts.analysis_request import AnalysisRequest
from load.loader import load_message
from load.warehouse import open_warehouse
from storage import open_lake, open_queue
from tests.analysis.planted import history
from tests.handlers import Out, handler
from tests.load.curated_rows import USER, message, put


class Timer(TimerRequest):
    past_due = False


def test_a_request_names_its_run_by_when_it_was_asked_for():
    when = datetime(2026, 12, 7, 4, 0, 1, tzinfo=UTC)
    assert AnalysisRequest.from_json(AnalysisRequest(when).to_json()).requested_at == when
    for body in ("{}", "[]", "not json", '{"requested_at": "2026-12-07T04:00:00"}'):
        with pytest.raises(ValueError, match="malformed analysis request"):
            AnalysisRequest.from_json(body)


def planted_app(settings, monkeypatch):
    monkeypatch.setattr(function_app, "SETTINGS", settings)
    lake = open_lake(settings)
    rows, kinds = history(90)
    with open_warehouse(settings) as warehouse:
        load_message(warehouse, lake, message(put(lake, "streams", "planted", rows)))
    out = Out()
    handler("request_analyses")(timer=Timer(), request=out)
    return kinds, out.value


def deliver(settings, queue_name: str, trigger: str) -> int:
    queue = open_queue(settings, queue_name)
    delivered = 0
    for queued in queue.receive():
        body = queued.body.encode()
        handler(trigger)(msg=QueueMessage(id=queued.id, body=body, dequeue_count=queued.dequeue_count))
        queue.delete(queued)
        delivered += 1
    return delivered


@pytest.mark.azurite
def test_the_timer_asks_and_the_trigger_runs_every_analysis_the_data_allows(
    azurite_settings, monkeypatch, caplog
):
    kinds, request = planted_app(azurite_settings, monkeypatch)
    with caplog.at_level(logging.INFO, logger="function_app"):
        handler("run_analyses")(msg=QueueMessage(id="r1", body=request.encode(), dequeue_count=1))
    (line,) = [r.getMessage() for r in caplog.records if r.name == "function_app"]
    assert "modes of user 1: 3" in line and "skipped: hit model: no chart data loaded" in line
    assert "segments: segmenting listeners needs at least 5 listeners" in line
    assert deliver(azurite_settings, "curated-loads", "load_curated") == 1  # the user's sessions + modes
    # The same request again (a redelivery) is the same run: the same files, nothing doubled.
    handler("run_analyses")(msg=QueueMessage(id="r1", body=request.encode(), dequeue_count=2))
    assert deliver(azurite_settings, "curated-loads", "load_curated") == 1
    with open_warehouse(azurite_settings) as warehouse:
        assert warehouse.query("SELECT COUNT(*) FROM fact_session WHERE user_id = ?", [USER]) == [
            (len(kinds),)
        ]
        assert warehouse.query("SELECT COUNT(*), COUNT(DISTINCT run_id) FROM dim_listening_mode") == [(3, 1)]


@pytest.mark.azurite
def test_with_the_pool_paused_the_run_resumes_it_and_waits_without_spending_a_delivery(
    azurite_settings, arm, monkeypatch, caplog
):
    settings = replace(azurite_settings, synapse_resume_poll_seconds=1, **arm.settings_overrides())
    arm.status = "Paused"
    _, request = planted_app(settings, monkeypatch)
    analyses = open_queue(settings, "analysis-requests")
    analyses.send(request)  # what the timer's output binding does
    caplog.set_level("INFO", logger="function_app")
    assert deliver(settings, "analysis-requests", "run_analyses") == 1  # finishes: re-queued instead
    assert arm.count("POST", "resume") == 1 and "re-queued for 1 s" in caplog.text
    assert open_queue(settings, "curated-loads").count() == 0  # nothing ran yet
    arm.status = "Online"
    deadline = time.monotonic() + 20
    while not deliver(settings, "analysis-requests", "run_analyses") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert open_queue(settings, "curated-loads").count() == 1 and analyses.count() == 0
