"""A period of local dates, as `--from/--to`, `--year` or `--month` give it, and the one before it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Period:
    """Inclusive local dates; None is open-ended. `unit` says what the previous period is."""

    first: date | None = None
    last: date | None = None
    unit: str = "days"  # days | month | year

    @classmethod
    def parse(
        cls,
        date_from: str | None = None,
        date_to: str | None = None,
        year: str | None = None,
        month: str | None = None,
    ) -> Period:
        """From `--from/--to` (YYYY-MM-DD), `--year YYYY` or `--month YYYY-MM`; ValueError (one line)."""
        given = [name for name, value in (("--year", year), ("--month", month)) if value]
        if (given and (date_from or date_to)) or len(given) > 1:
            raise ValueError("give either --from/--to, --year or --month")
        if year:
            if not re.fullmatch(r"\d{4}", year):
                raise ValueError(f"--year must be a year like 2025, not {year!r}")
            return cls(date(int(year), 1, 1), date(int(year), 12, 31), "year")
        if month:
            if not re.fullmatch(r"\d{4}-\d{2}", month) or not 1 <= int(month[5:]) <= 12:
                raise ValueError(f"--month must be a month like 2025-03, not {month!r}")
            return _month(int(month[:4]), int(month[5:]))
        period = cls(_day(date_from, "--from"), _day(date_to, "--to"))
        if period.first and period.last and period.first > period.last:
            raise ValueError(f"--from {period.first} is after --to {period.last}")
        return period

    def previous(self) -> Period | None:
        """The period just before: the previous year or month, else the same number of days before
        (None unless both bounds are given)."""
        if self.first is None or self.last is None:
            return None
        if self.unit == "year":
            return Period(date(self.first.year - 1, 1, 1), date(self.first.year - 1, 12, 31), "year")
        if self.unit == "month":
            before = self.first - timedelta(days=1)
            return _month(before.year, before.month)
        length = self.last - self.first
        last = self.first - timedelta(days=1)
        return Period(last - length, last)

    def overlaps(self, other: Period) -> bool:
        """Some day lies in both periods."""
        return (self.first is None or other.last is None or self.first <= other.last) and (
            self.last is None or other.first is None or other.first <= self.last
        )

    def contains(self, day: date) -> bool:
        return (self.first is None or day >= self.first) and (self.last is None or day <= self.last)


def _month(year: int, month: int) -> Period:
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return Period(first, following - timedelta(days=1), "month")


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError(f"{option} must be a date like 2024-01-31, not {value!r}")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{option} must be a date like 2024-01-31, not {value!r}") from None
