"""The analysis queue's message: one weekly run of the analyses, named by when it was asked for.

The run's id comes from `requested_at`, so a redelivered or re-queued request (one waiting for the
SQL pool) writes the same curated files and models again: the same run, never a second one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class AnalysisRequest:
    requested_at: datetime  # aware, UTC

    def to_json(self) -> str:
        return json.dumps({"requested_at": self.requested_at.astimezone(UTC).isoformat(timespec="seconds")})

    @classmethod
    def from_json(cls, body: str | bytes) -> AnalysisRequest:
        """ValueError (one line) for a body that is not a request."""
        try:
            when = datetime.fromisoformat(json.loads(body)["requested_at"])
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"malformed analysis request: {error}") from None
        if when.tzinfo is None:
            raise ValueError("malformed analysis request: requested_at has no time zone")
        return cls(when.astimezone(UTC))
