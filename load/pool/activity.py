"""What the lake's state/ container says about the SQL pool's use, across every instance of the app.

Written only with the lake's atomic writes (each document appears whole or not at all), and read
back by the pause timer:

    pool/loads/<id>.json  one per running load: {"started_at", "expires_at"}. Written before the
                          load asks for the pool's status, deleted when it ends. A load that
                          crashes leaves it behind; past `expires_at` (the host's function
                          timeout and a margin) it counts as ended.
    pool/last-load.json   {"finished_at"}: when a load last finished.
    pool/pausing.json     {"at", "expires_at"}: the timer is about to pause. A load that sees it
                          waits instead of starting; the timer checks the load markers again after
                          writing it (so a load and a pause can never both go ahead, see control.py).
    pool/observed.json    {"status", "since"}: what the timer saw last, so a pool someone resumed by
                          hand counts as active from the moment it came online.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from contracts.layout import (
    POOL_LAST_LOAD,
    POOL_LOADS_PREFIX,
    POOL_OBSERVED,
    POOL_PAUSING,
    STATE_CONTAINER,
    pool_load_marker,
)
from storage.lake import Lake, LakeError

logger = logging.getLogger(__name__)

# A load marker outlives any load: host.json functionTimeout is 30 minutes, after which the host
# ends the invocation (tests/infra checks the two agree).
LOAD_MARKER_LIFETIME = timedelta(minutes=35)
# A pause's intent outlives the timer's re-check and its one pause request (each with finite
# timeouts, see arm.py); the timer gives up on pausing when that takes more than half of it.
PAUSE_INTENT_LIFETIME = timedelta(minutes=2)


@dataclass(frozen=True)
class Observed:
    status: str
    since: datetime


@dataclass(frozen=True)
class PoolActivity:
    """The state documents at one moment (gathered; decisions are in control.py)."""

    running: tuple[str, ...] = ()  # markers of loads still running
    expired: tuple[str, ...] = ()  # markers left by loads that cannot still be running
    last_load: datetime | None = None
    pausing_until: datetime | None = None  # a pause intent still in force
    observed: Observed | None = None


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _moment(value: object) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _read(lake: Lake, path: str) -> dict[str, object] | None:
    try:
        data = json.loads(lake.read_bytes(STATE_CONTAINER, path))
    except LakeError:  # not there (never written, or deleted between listing and reading)
        return None
    except ValueError:  # not JSON: ignored, and overwritten by the next writer
        logger.warning("pool state %s is not JSON; ignoring it", path)
        return None
    return data if isinstance(data, dict) else None


def _write(lake: Lake, path: str, document: dict[str, str]) -> None:
    lake.write_bytes(STATE_CONTAINER, path, json.dumps(document, sort_keys=True).encode())


def read_activity(lake: Lake, now: datetime) -> PoolActivity:
    """Every state document, judged at `now`: which markers are live, whether a pause is announced."""
    running: list[str] = []
    expired: list[str] = []
    for path in lake.list(STATE_CONTAINER, POOL_LOADS_PREFIX):
        marker = _read(lake, path)
        if marker is None:
            continue
        expires = _moment(marker.get("expires_at"))
        (running if expires is not None and expires > now else expired).append(path)
    last = _read(lake, POOL_LAST_LOAD) or {}
    observed = _read(lake, POOL_OBSERVED) or {}
    since = _moment(observed.get("since"))
    return PoolActivity(
        running=tuple(running),
        expired=tuple(expired),
        last_load=_moment(last.get("finished_at")),
        pausing_until=pause_intent(lake, now),
        observed=Observed(str(observed.get("status")), since) if since is not None else None,
    )


def pause_intent(lake: Lake, now: datetime) -> datetime | None:
    """When an announced pause lapses, if one is in force at `now` (what a starting load checks)."""
    until = _moment((_read(lake, POOL_PAUSING) or {}).get("expires_at"))
    return until if until is not None and until > now else None


def start_load(lake: Lake, now: datetime) -> str:
    """Announce a load (before it looks at the pool); returns its marker's path."""
    path = pool_load_marker(uuid.uuid4().hex)
    _write(lake, path, {"started_at": _stamp(now), "expires_at": _stamp(now + LOAD_MARKER_LIFETIME)})
    return path


def finish_load(lake: Lake, marker: str, now: datetime, loaded: bool) -> None:
    """The load ended: record when (if it loaded), then take its marker away, in that order, so
    the timer always sees one or the other."""
    if loaded:
        _write(lake, POOL_LAST_LOAD, {"finished_at": _stamp(now)})
    lake.delete(STATE_CONTAINER, marker)


def announce_pause(lake: Lake, now: datetime) -> datetime:
    """The timer is about to pause: loads starting from now on wait. Returns when the intent lapses."""
    until = now + PAUSE_INTENT_LIFETIME
    _write(lake, POOL_PAUSING, {"at": _stamp(now), "expires_at": _stamp(until)})
    return until


def withdraw_pause(lake: Lake) -> None:
    lake.delete(STATE_CONTAINER, POOL_PAUSING)


def record_observed(lake: Lake, previous: Observed | None, status: str, now: datetime) -> Observed:
    """What the timer saw, written only when the status changed (a replayed tick writes nothing)."""
    if previous is not None and previous.status == status:
        return previous
    _write(lake, POOL_OBSERVED, {"status": status, "since": _stamp(now)})
    return Observed(status, now)


def forget_expired(lake: Lake, markers: tuple[str, ...]) -> None:
    """Remove markers left by loads that crashed (they no longer count, see read_activity)."""
    for marker in markers:
        lake.delete(STATE_CONTAINER, marker)
