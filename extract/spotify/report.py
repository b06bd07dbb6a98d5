"""What one run of the Spotify job did: counts, mode and why it stopped, as one summary line."""

from __future__ import annotations

from dataclasses import dataclass, field

from extract.spotify.state import KINDS


@dataclass
class ExtractReport:
    """What one run did; `str()` is the one-line summary the timer logs and the CLI prints."""

    plays: int = 0
    pages: int = 0
    top_snapshots: int = 0
    fetched: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    not_found: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    left: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    catalog_requests: int = 0
    requests: int = 0
    mode: str = "batch"
    rate_limited: bool = False
    retry_after: int | None = None
    budget_spent: bool = False  # the run's catalog request budget ran out (pacing, not an error)
    catalog_budget: int | None = None
    landed: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        parts = [
            f"{self.plays} plays in {self.pages} pages",
            f"{self.top_snapshots} top-item snapshots",
            f"enriched {self.fetched['track']} tracks, {self.fetched['album']} albums, "
            f"{self.fetched['artist']} artists ({sum(self.not_found.values())} not found) "
            f"in {self.catalog_requests} catalog requests ({self.mode} mode)",
        ]
        line = "; ".join(parts)
        left = sum(self.left.values())
        ids_left = f" ({left} ids left)" if left else ""
        if self.rate_limited:
            wait = f"Retry-After {self.retry_after} s" if self.retry_after is not None else "no Retry-After"
            line += f"; rate-limited ({wait}), resumes next run" + ids_left
        elif self.budget_spent:
            line += f"; catalog budget of {self.catalog_budget} requests spent, resumes next run" + ids_left
        return line
