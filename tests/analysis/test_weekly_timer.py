"""The weekly analyses trigger on Azurite: results go to curated/ and the load queue, then load."""

from __future__ import annotations

import logging

import pytest
from azure.functions import TimerRequest
from azure.functions.queue import QueueMessage

import function_app
from load.loader import load_message
from load.warehouse import open_warehouse
from storage import open_lake, open_queue
from tests.analysis.planted import history
from tests.handlers import handler
from tests.load.curated_rows import USER, message, put


class Timer(TimerRequest):
    past_due = False


@pytest.mark.azurite
def test_the_timer_queues_each_users_modes_and_the_queue_trigger_loads_them(
    azurite_settings, monkeypatch, caplog
):
    monkeypatch.setattr(function_app, "SETTINGS", azurite_settings)
    lake = open_lake(azurite_settings)
    rows, kinds = history(90)
    with open_warehouse(azurite_settings) as warehouse:
        load_message(warehouse, lake, message(put(lake, "streams", "planted", rows)))
    with caplog.at_level(logging.INFO, logger="function_app"):
        handler("run_analyses")(timer=Timer())
    (line,) = [r.getMessage() for r in caplog.records if r.name == "function_app"]
    assert "modes of user 1: 3" in line and "skipped: hit model: no chart data loaded" in line
    assert "segments: segmenting listeners needs at least 5 listeners" in line

    queue = open_queue(azurite_settings, "curated-loads")
    received = queue.receive()
    assert len(received) == 1  # the one user's modes (sessions + modes, one group)
    body = received[0].body
    assert '"sessions"' in body and '"listening_modes"' in body
    handler("load_curated")(msg=QueueMessage(id="m1", body=body.encode(), dequeue_count=1))
    with open_warehouse(azurite_settings) as warehouse:
        assert warehouse.query("SELECT COUNT(*) FROM fact_session WHERE user_id = ?", [USER]) == [
            (len(kinds),)
        ]
        assert warehouse.query("SELECT COUNT(*) FROM dim_listening_mode") == [(3,)]
