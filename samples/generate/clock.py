"""Time helpers: epoch milliseconds, ISO timestamps as Spotify writes them."""

from __future__ import annotations

import time
from datetime import UTC, datetime

DAY_MS = 86_400_000


def _iso(ms: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ms // 1000))


def _ms(moment: datetime) -> int:
    return int(moment.replace(tzinfo=UTC).timestamp() * 1000)
