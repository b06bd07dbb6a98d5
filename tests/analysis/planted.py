"""Listening histories with planted modes: sessions drawn from known kinds, to see K-means find them.

One session a day (so no two touch), its kind chosen at random:
- "commute": around 07:30, ~8 short tracks by different artists, half of them skipped, on
  shuffle, on an iPhone;
- "album": around 23:00, ~25 tracks of one of two bands' albums in order, none skipped, on Windows;
- "podcast": around 14:00, one or two 25-minute episodes of a show, on Android.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np

from tests.load.curated_rows import USER, stream

KINDS = ("commute", "album", "podcast")
START = date(2024, 1, 1)


def _at(day: date, hour: float) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(hours=hour)


def history(days: int = 150, seed: int = 3, user: str = USER, kinds: tuple[str, ...] = KINDS):
    """(stream rows, {local date of a session: its kind})."""
    rng = np.random.default_rng(seed)
    rows, planted = [], {}
    for n in range(days):
        day = START + timedelta(days=n)
        kind = kinds[int(rng.integers(len(kinds)))]
        planted[day] = kind
        if kind == "commute":
            clock = _at(day, 7.5 + rng.normal(0, 0.3))
            for i in range(int(rng.integers(7, 10))):
                ms = 10_000 if rng.random() < 0.5 else 150_000
                clock += timedelta(milliseconds=ms)
                artist = f"Artist {int(rng.integers(0, 400))}"
                rows.append(
                    stream(
                        clock.isoformat()[:23],
                        ms,
                        artist,
                        f"Song {n}-{i}",
                        track_id=f"c{n:04d}{i:02d}",
                        user=user,
                        shuffle=True,
                        platform="ios",
                    )
                )
        elif kind == "album":
            clock = _at(day, 23 + rng.normal(0, 0.4))
            artist = f"Band {int(rng.integers(0, 2))}"
            for i in range(int(rng.integers(20, 30))):
                clock += timedelta(milliseconds=240_000)
                rows.append(
                    stream(
                        clock.isoformat()[:23],
                        240_000,
                        artist,
                        f"Album track {i}",
                        track_id=f"a{n:04d}{i:02d}",
                        user=user,
                        shuffle=False,
                        platform="windows",
                    )
                )
        else:
            clock = _at(day, 14 + rng.normal(0, 0.4))
            for i in range(int(rng.integers(1, 3))):
                clock += timedelta(minutes=25)
                rows.append(
                    stream(
                        clock.isoformat()[:23],
                        1_500_000,
                        None,
                        None,
                        track_id=None,
                        content_type="podcast",
                        show_name="The Show",
                        episode_name=f"Episode {n}-{i}",
                        user=user,
                        shuffle=False,
                        platform="android",
                    )
                )
    return rows, planted
