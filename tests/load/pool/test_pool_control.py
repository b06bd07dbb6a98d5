"""Pausing an idle pool and holding loads back: the pure decisions, then the shells against the
fake Resource Manager and the lake's state documents on Azurite (and a folder lake)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from contracts.layout import LOAD_QUEUE, POOL_OBSERVED, STATE_CONTAINER
from load.pool import LoadDeferred, pause_if_idle, run_gated_load
from load.pool.activity import (
    LOAD_MARKER_LIFETIME,
    Observed,
    PoolActivity,
    announce_pause,
    finish_load,
    read_activity,
    start_load,
)
from load.pool.arm import open_pool
from load.pool.control import decide_load, decide_pause
from storage import open_lake, open_queue

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
HALF_HOUR = timedelta(minutes=30)


# -- decisions ---------------------------------------------------------------------------------


def activity(**kwargs) -> PoolActivity:
    return PoolActivity(**{"observed": Observed("Online", NOW - timedelta(hours=5)), **kwargs})


@pytest.mark.parametrize(
    ("status", "state", "queued", "pause", "reason"),
    [
        ("Online", activity(last_load=NOW - timedelta(minutes=31)), 0, True, "idle for 31 minutes"),
        ("Online", activity(last_load=NOW - timedelta(minutes=29)), 0, False, "idle for 29 of 30 minutes"),
        (
            "Online",
            activity(last_load=NOW - timedelta(hours=3), running=("m",)),
            0,
            False,
            "1 load(s) running",
        ),
        (
            "Online",
            activity(last_load=NOW - timedelta(hours=3)),
            2,
            False,
            "2 load message(s) waiting in the queue",
        ),
        ("Paused", activity(), 0, False, "the pool is Paused"),
        ("Pausing", activity(), 0, False, "the pool is Pausing"),
        ("Resuming", activity(), 3, False, "the pool is Resuming"),
        # Resumed by hand 10 minutes ago, after a load long ago: the grace period counts from then.
        (
            "Online",
            activity(
                last_load=NOW - timedelta(days=2), observed=Observed("Online", NOW - timedelta(minutes=10))
            ),
            0,
            False,
            "idle for 10 of 30 minutes",
        ),
        ("Online", PoolActivity(), 0, False, "idle for 0 of 30 minutes"),  # nothing known yet: wait
    ],
)
def test_decide_pause(status, state, queued, pause, reason):
    decision = decide_pause(status, state, queued, HALF_HOUR, NOW)
    assert (decision.pause, decision.reason) == (pause, reason)


def test_zero_minutes_turns_the_pause_off():
    decision = decide_pause("Online", activity(last_load=NOW - timedelta(days=9)), 0, timedelta(0), NOW)
    assert not decision.pause and "SYNAPSE_PAUSE_AFTER_MINUTES=0" in decision.reason


@pytest.mark.parametrize(
    ("status", "pausing_until", "go", "resume", "delay"),
    [
        ("Online", None, True, False, 0),
        ("Paused", None, False, True, 60),
        ("Pausing", None, False, False, 60),
        ("Resuming", None, False, False, 60),
        ("Scaling", None, False, False, 60),
        ("Online", NOW + timedelta(seconds=100), False, False, 100),  # a pause is being decided
        ("Online", NOW + timedelta(seconds=5), False, False, 60),
        ("Creating", None, True, False, 0),  # unknown: the load tries, and its error says why
    ],
)
def test_decide_load(status, pausing_until, go, resume, delay):
    gate = decide_load(status, pausing_until, NOW, 60)
    assert (gate.go, gate.resume, gate.delay_seconds) == (go, resume, delay)


# -- the timer against the fake Resource Manager and the lake -----------------------------------


@pytest.fixture(params=["folder", "azurite"])
def lake_settings(request, arm):
    base = request.getfixturevalue(f"{request.param}_settings")
    return replace(base, **arm.settings_overrides())


def tick(settings, now):
    return pause_if_idle(
        open_lake(settings), open_queue(settings, LOAD_QUEUE), open_pool(settings), 30, clock=lambda: now
    )


def test_idle_pool_is_paused_once_and_replayed_ticks_change_nothing(arm, lake_settings):
    lake = open_lake(lake_settings)
    finish_load(lake, start_load(lake, NOW - timedelta(hours=2)), NOW - timedelta(minutes=40), loaded=True)
    # The timer's first sight of the pool online starts the grace period, whatever came before.
    first = tick(lake_settings, NOW - timedelta(minutes=35))
    assert not first.paused and first.reason == "idle for 0 of 30 minutes"
    observed = lake.read_bytes(STATE_CONTAINER, POOL_OBSERVED)

    report = tick(lake_settings, NOW)
    assert report.paused and str(report) == "pausing the SQL pool (idle for 35 minutes)"
    assert arm.count("POST", "pause") == 1 and arm.status == "Pausing"
    for _ in range(3):  # the host replays a tick, or ticks overlap: nothing more happens
        assert not tick(lake_settings, NOW).paused
    assert arm.count("POST", "pause") == 1 and arm.status == "Paused"
    assert tick(lake_settings, NOW).reason == "the pool is Paused"
    # Replays write nothing but a status change (Online → Pausing → Paused): the first document
    # is rewritten only because the status moved.
    assert json.loads(observed)["status"] == "Online"
    assert json.loads(lake.read_bytes(STATE_CONTAINER, POOL_OBSERVED))["status"] == "Paused"


def test_a_running_load_or_a_waiting_message_keeps_the_pool_online(arm, lake_settings):
    lake = open_lake(lake_settings)
    tick(lake_settings, NOW - timedelta(hours=3))
    marker = start_load(lake, NOW - timedelta(minutes=20))  # a load in flight since 20 minutes
    report = tick(lake_settings, NOW)
    assert not report.paused and report.reason == "1 load(s) running"
    finish_load(lake, marker, NOW, loaded=True)
    assert tick(lake_settings, NOW + timedelta(minutes=29)).reason == "idle for 29 of 30 minutes"
    open_queue(lake_settings, LOAD_QUEUE).send('{"waiting": true}', delay_seconds=300)
    report = tick(lake_settings, NOW + timedelta(hours=1))
    assert not report.paused and report.reason == "1 load message(s) waiting in the queue"
    assert arm.count("POST", "pause") == 0


def test_a_crashed_loads_marker_stops_counting_after_its_lifetime(arm, lake_settings):
    lake = open_lake(lake_settings)
    tick(lake_settings, NOW - timedelta(hours=3))
    start_load(lake, NOW - LOAD_MARKER_LIFETIME - timedelta(minutes=1))  # never finished
    report = tick(lake_settings, NOW)
    assert report.paused, report
    assert read_activity(lake, NOW) == replace(read_activity(lake, NOW), running=(), expired=())


def test_throttling_and_a_conflict_skip_the_tick(arm, lake_settings):
    tick(lake_settings, NOW - timedelta(hours=3))
    arm.fail_next("GET", "status", 429, retry_after="12")
    assert tick(lake_settings, NOW).reason == "Resource Manager asks to wait 12 s; next tick"
    arm.fail_next("POST", "pause", 409)
    assert tick(lake_settings, NOW).reason == "a state change is already in progress; next tick"
    assert read_activity(open_lake(lake_settings), NOW).pausing_until is None  # intent withdrawn
    assert tick(lake_settings, NOW).paused and arm.count("POST", "pause", 202) == 1


# -- the gate before a load --------------------------------------------------------------------


class Loads:
    """What a load message's stage would run: counts its calls."""

    def __init__(self, outcome=None):
        self.calls, self.outcome = 0, outcome

    def __call__(self):
        self.calls += 1
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return "loaded"


def gated(settings, loads, body='{"m": 1}'):
    return run_gated_load(
        open_lake(settings), open_queue(settings, LOAD_QUEUE), open_pool(settings), body, loads, 1
    )


def test_a_paused_pool_is_resumed_and_the_message_requeued_not_loaded(arm, lake_settings):
    arm.status = "Paused"
    loads = Loads()
    with pytest.raises(LoadDeferred, match="the pool is paused: resuming it; re-queued for 1 s"):
        gated(lake_settings, loads)
    assert loads.calls == 0 and arm.count("POST", "resume") == 1 and arm.status == "Resuming"
    with pytest.raises(LoadDeferred, match="the pool is Resuming"):  # the next delivery waits again
        gated(lake_settings, loads)
    assert arm.count("POST", "resume") == 1  # one resume asked for, not one per delivery
    assert gated(lake_settings, loads) == "loaded" and loads.calls == 1
    queue = open_queue(lake_settings, LOAD_QUEUE)
    assert queue.count() == 2  # the two re-queued copies (the caller finished each original)
    lake = open_lake(lake_settings)
    assert read_activity(lake, datetime.now(UTC)).running == ()  # every marker taken away
    assert read_activity(lake, datetime.now(UTC)).last_load is not None  # only the load counts


def test_an_announced_pause_makes_a_starting_load_wait_without_asking_the_pool(arm, lake_settings):
    announce_pause(open_lake(lake_settings), datetime.now(UTC))
    with pytest.raises(LoadDeferred, match="the pool is about to be paused") as deferred:
        gated(lake_settings, Loads())
    assert deferred.value.delay_seconds >= 110  # until the intent lapses (2 minutes)
    assert arm.count("GET", "status") == 0


def test_the_loaders_paused_pool_error_requeues_the_message(arm, lake_settings):
    """The pool said Online, then the Synapse driver says paused (42108): the real SynapseWarehouse
    turns the driver's error into PoolPaused (a stand-in for the ODBC connection; no server here),
    and the gate resumes the pool and re-queues instead of failing the delivery."""
    from tests.load.warehouse.test_synapse import RefusingConnection, odbc_error, unconnected_synapse

    paused = odbc_error("42000", "[SQL Server]Cannot connect to database when it is paused. (42108)")
    warehouse = unconnected_synapse(RefusingConnection(paused))

    def load():
        warehouse.ensure_schema()  # what open_warehouse does first
        return "loaded"

    arm.fail_next("POST", "resume", 409)  # Resource Manager still shows it Online: a pause in progress
    with pytest.raises(LoadDeferred, match="the pool is changing state already"):
        gated(lake_settings, load)
    assert arm.count("POST", "resume") == 1
    assert open_queue(lake_settings, LOAD_QUEUE).count() == 1
