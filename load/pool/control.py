"""Pause the SQL pool when idle; hold a load back, and wake the pool, until the pool is online.

Two shells around pure decisions (gather → decide → apply):

- `pause_if_idle` (the timer): the pool's status (Resource Manager), the lake's activity documents
  (activity.py) and the load queue's count → `decide_pause` → announce the pause, look again,
  POST pause.
- `run_gated_load` (each load message): announce the load, read any pause intent and the pool's
  status → `decide_load` → load now; or ask for a resume and re-queue the same message body with
  a delay, so waiting for the pool never spends the message's dequeue count (LoadDeferred).

Why a pause never lands under a running load, whichever instances they run on: a load writes its
marker before it reads the pause intent and the pool's status; the timer writes its intent before
it reads the markers a second time, and pauses only if that second read finds none. Blob Storage
is strongly consistent, so of the two writes, the later one's writer sees the earlier document:
either the timer finds the marker (no pause) or the load finds the intent (it waits). A load that
passes both checks can still find the pool paused by someone else (a person, the portal): the
loader's paused-pool error (load.errors.PoolPaused) takes the same way out.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, TypeVar

from load.errors import PoolPaused
from load.pool.activity import (
    PAUSE_INTENT_LIFETIME,
    PoolActivity,
    announce_pause,
    finish_load,
    forget_expired,
    pause_intent,
    read_activity,
    record_observed,
    start_load,
    withdraw_pause,
)
from storage.lake import Lake, LakeQueue

if TYPE_CHECKING:
    from load.pool.arm import SqlPoolArm

logger = logging.getLogger(__name__)

T = TypeVar("T")
Clock = Callable[[], datetime]

ONLINE, PAUSED = "Online", "Paused"  # as load.pool.arm names them (arm.py is imported only when used)
# States that end by themselves: a load waits them out. Any other status (an unexpected one) lets
# the load try, so its own error says what is wrong.
TRANSITIONS = frozenset({"Pausing", "Resuming", "Scaling", "OnlineChangingDwPerformanceTiers"})


def utc_now() -> datetime:
    return datetime.now(UTC)


class LoadDeferred(Exception):
    """The pool is not online: the message was re-queued with a delay (the original may finish)."""

    def __init__(self, reason: str, delay_seconds: int):
        super().__init__(f"{reason}; re-queued for {delay_seconds} s")
        self.reason = reason
        self.delay_seconds = delay_seconds


# -- decisions (pure) --------------------------------------------------------------------------


@dataclass(frozen=True)
class PauseDecision:
    pause: bool
    reason: str


def _minutes(span: timedelta) -> str:
    return f"{span.total_seconds() / 60:.0f}"


def decide_pause(
    status: str, activity: PoolActivity, queued: int, pause_after: timedelta, now: datetime
) -> PauseDecision:
    """Pause only an online pool with no load running, nothing queued, and idle for `pause_after`.

    Idle since the later of the last load's end and the moment the timer first saw the pool
    online (a pool resumed by hand gets the full grace period too).
    """
    if pause_after <= timedelta(0):
        return PauseDecision(False, "automatic pause is off (SYNAPSE_PAUSE_AFTER_MINUTES=0)")
    if status != ONLINE:
        return PauseDecision(False, f"the pool is {status}")
    if activity.running:
        return PauseDecision(False, f"{len(activity.running)} load(s) running")
    if queued:
        return PauseDecision(False, f"{queued} load message(s) waiting in the queue")
    online_since = (
        activity.observed.since if activity.observed and activity.observed.status == ONLINE else None
    )
    moments = [m for m in (activity.last_load, online_since) if m is not None]
    idle = now - max(moments) if moments else timedelta(0)
    if idle < pause_after:
        return PauseDecision(False, f"idle for {_minutes(idle)} of {_minutes(pause_after)} minutes")
    return PauseDecision(True, f"idle for {_minutes(idle)} minutes")


@dataclass(frozen=True)
class LoadGate:
    go: bool
    reason: str = ""
    resume: bool = False  # ask Resource Manager to resume the pool
    delay_seconds: int = 0  # when the re-queued message comes back


def decide_load(status: str, pausing_until: datetime | None, now: datetime, poll_seconds: int) -> LoadGate:
    """Whether a load may run now, and if not, whether to resume the pool and when to look again."""
    if pausing_until is not None:
        wait = max(poll_seconds, math.ceil((pausing_until - now).total_seconds()))
        return LoadGate(False, "the pool is about to be paused", delay_seconds=wait)
    if status == ONLINE:
        return LoadGate(True)
    if status == PAUSED:
        return LoadGate(False, "the pool is paused: resuming it", resume=True, delay_seconds=poll_seconds)
    if status in TRANSITIONS:
        return LoadGate(False, f"the pool is {status}", delay_seconds=poll_seconds)
    return LoadGate(True, f"the pool is {status}: loading anyway")


# -- the shells --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PauseReport:
    paused: bool
    reason: str
    status: str = ""

    def __str__(self) -> str:
        if self.paused:
            return f"pausing the SQL pool ({self.reason})"
        return f"left the SQL pool {self.status or 'alone'}: {self.reason}"


def pause_if_idle(
    lake: Lake,
    queue: LakeQueue,
    pool: SqlPoolArm,
    pause_after_minutes: int,
    clock: Clock = utc_now,
) -> PauseReport:
    """The timer: pause the pool once no load ran for `pause_after_minutes` (0: never).

    A replayed or overlapping tick changes nothing: it finds the pool Pausing or Paused.
    """
    from load.pool.arm import ArmError, ArmThrottled, PoolBusy  # lazy: requests only when used

    pause_after = timedelta(minutes=pause_after_minutes)
    now = clock()
    if pause_after <= timedelta(0):
        return PauseReport(False, decide_pause("", PoolActivity(), 0, pause_after, now).reason)
    try:
        status = pool.status()
    except ArmThrottled as throttled:
        return PauseReport(False, f"Resource Manager asks to wait {throttled.retry_after:.0f} s; next tick")
    activity = read_activity(lake, now)
    activity = replace(activity, observed=record_observed(lake, activity.observed, status, now))
    if activity.expired:
        logger.warning(
            "pool: %d load marker(s) outlived their load (a crash?); removed", len(activity.expired)
        )
        forget_expired(lake, activity.expired)
    decision = decide_pause(status, activity, queue.count(), pause_after, now)
    if not decision.pause:
        return PauseReport(False, decision.reason, status)

    announce_pause(lake, now)
    # Look again now that the intent is visible: a load that started since the first look has
    # written its marker (or will see the intent and wait).
    again = replace(read_activity(lake, clock()), observed=activity.observed)
    second = decide_pause(status, again, queue.count(), pause_after, now)
    if not second.pause:
        withdraw_pause(lake)
        return PauseReport(False, f"not pausing after all: {second.reason}", status)
    if clock() - now > PAUSE_INTENT_LIFETIME / 2:
        withdraw_pause(lake)  # the intent could lapse before Resource Manager acts: try next tick
        return PauseReport(False, "the second look took too long; next tick", status)
    try:
        pool.pause()
    except PoolBusy:
        withdraw_pause(lake)
        return PauseReport(False, "a state change is already in progress; next tick", status)
    except ArmThrottled as throttled:
        withdraw_pause(lake)
        return PauseReport(
            False, f"Resource Manager asks to wait {throttled.retry_after:.0f} s; next tick", status
        )
    except ArmError:
        withdraw_pause(lake)
        raise
    # The intent stays until it lapses: loads arriving meanwhile wait, then find the pool Pausing.
    return PauseReport(True, decision.reason, status)


def _gate(pool: SqlPoolArm, pausing_until: datetime | None, now: datetime, poll_seconds: int) -> LoadGate:
    """Gather the pool's status (unless a pause is announced) and decide."""
    from load.pool.arm import ArmThrottled  # lazy: requests only when used

    if pausing_until is not None:
        return decide_load(ONLINE, pausing_until, now, poll_seconds)
    try:
        status = pool.status()
    except ArmThrottled as throttled:
        wait = max(poll_seconds, math.ceil(throttled.retry_after))
        return LoadGate(False, "Resource Manager is throttling status checks", delay_seconds=wait)
    return decide_load(status, None, now, poll_seconds)


def _resume(pool: SqlPoolArm, gate: LoadGate) -> LoadGate:
    """Ask for the resume the gate wants; a resume already under way is as good as ours."""
    from load.pool.arm import ArmThrottled, PoolBusy  # lazy: requests only when used

    try:
        accepted = pool.resume()
    except PoolBusy:
        return replace(gate, reason="the pool is changing state already")
    except ArmThrottled as throttled:
        return replace(gate, delay_seconds=max(gate.delay_seconds, math.ceil(throttled.retry_after)))
    logger.info("pool: resume requested (HTTP %d)", accepted.status_code)
    if accepted.retry_after:
        return replace(gate, delay_seconds=max(gate.delay_seconds, math.ceil(accepted.retry_after)))
    return gate


def run_gated_load(
    lake: Lake,
    queue: LakeQueue,
    pool: SqlPoolArm,
    body: str,
    load: Callable[[], T],
    poll_seconds: int,
    clock: Clock = utc_now,
) -> T:
    """Run `load` (one message's load) while the pool is online and no pause can start under it.

    Otherwise resume the pool if it is paused, send `body` again with a delay and raise
    LoadDeferred: the caller finishes the original message, so its dequeue count is never spent
    on waiting. Sending before finishing means a crash in between leaves two copies, never none;
    the second load of the same files changes nothing.
    """
    marker = start_load(lake, clock())
    loaded = False
    try:
        now = clock()
        gate = _gate(pool, pause_intent(lake, now), now, poll_seconds)
        if gate.go:
            if gate.reason:
                logger.warning("pool: %s", gate.reason)
            try:
                result = load()
            except PoolPaused:
                # Paused after the check (by hand, or by another tool): the same way out.
                gate = LoadGate(False, "the pool was paused when the load connected", True, poll_seconds)
            else:
                loaded = True
                return result
        if gate.resume:
            gate = _resume(pool, gate)
        queue.send(body, delay_seconds=gate.delay_seconds)
        raise LoadDeferred(gate.reason, gate.delay_seconds)
    finally:
        finish_load(lake, marker, clock(), loaded)
