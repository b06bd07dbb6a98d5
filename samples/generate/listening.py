"""The listening simulation: day by day, session by session, one extended-history record per play."""

from __future__ import annotations

import math
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from samples.generate.clock import DAY_MS, _iso, _ms
from samples.generate.library import Artist, Library, Track, build_library
from samples.generate.names import _BOOKS, _SHOWS, _episode, spotify_id
from samples.generate.persona import _TRIP_COUNTRIES, Persona, _platform, _v4, _v6, make_persona
from samples.generate.vintages import NEW_FIELDS, OLD_FIELDS, Vintage

_OLD_FIRST_REASONS = ("clickrow", "playbtn", "appload", "trackdone", "uriopen", "clickside")
_FIRST_REASONS = ("clickrow", "playbtn", "appload", "trackdone", "remote")
SECONDS_OFFLINE_YEAR = 2023  # offline_timestamp is ms before this year, s from it

_WEEKDAY_HOURS = (
    0.3, 0.15, 0.05, 0.03, 0.03, 0.1, 0.6, 1.6, 1.8, 1.0, 0.9, 0.9,
    1.2, 1.0, 0.9, 0.9, 1.1, 1.6, 1.5, 1.3, 1.4, 1.3, 1.0, 0.6,
)  # fmt: skip
_WEEKEND_HOURS = (
    0.7, 0.5, 0.3, 0.1, 0.05, 0.05, 0.1, 0.3, 0.6, 1.0, 1.3, 1.4,
    1.4, 1.3, 1.2, 1.2, 1.2, 1.2, 1.2, 1.3, 1.4, 1.4, 1.2, 0.9,
)  # fmt: skip


@dataclass
class _Session:
    device: str
    platform: str
    agent: str | None
    country: str
    ip: str
    offline: bool
    incognito: bool
    year: int


@dataclass
class _Listener:
    """Simulates one person's listening; yields extended-history records in time order."""

    seed: int
    vintage: Vintage
    library: Library
    persona: Persona
    span: tuple[int, int]  # ms; the taste drifts over this span
    trips: list[tuple[int, int, str]] = field(default_factory=list)
    _taste: dict[tuple[int, int], tuple[list[Artist], list[float]]] = field(default_factory=dict)
    _book_progress: list[int] = field(default_factory=lambda: [0] * len(_BOOKS))

    def __post_init__(self) -> None:
        rng = random.Random(f"{self.seed}:trips")
        first, last = (time.gmtime(ms // 1000).tm_year for ms in self.span)
        for year in range(first, last + 2):
            for _ in range(rng.randint(1, 3)):
                start = _ms(datetime(year, 1, 1)) + rng.randint(0, 360) * DAY_MS
                self.trips.append((start, start + rng.randint(3, 12) * DAY_MS, rng.choice(_TRIP_COUNTRIES)))
        self.trips.sort()

    # -- taste ------------------------------------------------------------------------------
    def _artists_at(self, ms: int) -> tuple[list[Artist], list[float]]:
        moment = time.gmtime(ms // 1000)
        key = (moment.tm_year, moment.tm_mon)
        if key not in self._taste:
            start, end = self.span
            now = (ms - start) / max(end - start, 1)
            pairs = []
            for artist in self.library.artists:
                if now < artist.discovered:
                    continue
                factor = 1.0
                if artist.phase:
                    factor = 0.12 + 3.0 * math.exp(-(now - artist.discovered) / 0.07)
                pairs.append((artist, artist.weight * factor))
            cum, total = [], 0.0
            for _, weight in pairs:
                total += weight
                cum.append(total)
            self._taste[key] = ([a for a, _ in pairs], cum)
        return self._taste[key]

    def _pick_track(self, rng: random.Random, ms: int, artist: Artist | None = None) -> Track:
        if artist is None:
            artists, cum = self._artists_at(ms)
            artist = rng.choices(artists, cum_weights=cum)[0]
        return rng.choices(artist.tracks, cum_weights=artist.track_cum)[0]

    # -- context ----------------------------------------------------------------------------
    def _session(self, rng: random.Random, ms: int) -> _Session:
        moment = time.gmtime(ms // 1000)
        hour, weekday = moment.tm_hour, moment.tm_wday
        if weekday < 5 and 9 <= hour < 17:
            device = rng.choices(("desktop", "phone", "web"), (0.55, 0.35, 0.1))[0]
        elif 19 <= hour <= 23:
            device = rng.choices(("phone", "desktop", "speaker", "web"), (0.5, 0.25, 0.15, 0.1))[0]
        else:
            device = rng.choices(("phone", "desktop"), (0.85, 0.15))[0]
        platform, agent = _platform(device, self.persona, moment.tm_year, moment.tm_mon)
        country = self.persona.country
        for start, end, trip_country in self.trips:
            if start <= ms < end:
                country = trip_country
                break
        if country != self.persona.country:
            ip = _v4(rng, "192.0.2")
        elif device == "phone" and rng.random() < 0.45:
            ip = _v6(rng) if rng.random() < 0.5 else _v4(rng, "198.51.100")
        else:
            ip = f"203.0.113.{17 + (moment.tm_year * 7) % 200}"  # home broadband, new lease each year
        if rng.random() < 0.01:
            agent = None
        offline = device == "phone" and rng.random() < 0.08
        return _Session(device, platform, agent, country, ip, offline, rng.random() < 0.015, moment.tm_year)

    # -- records ----------------------------------------------------------------------------
    def _record(
        self,
        rng: random.Random,
        session: _Session,
        start_ms: int,
        end_ms: int,
        ms_played: int,
        content: tuple,
        reason_start: str | None,
        reason_end: str | None,
        shuffle: bool | None,
        skipped: bool | None,
    ) -> dict:
        year = session.year
        if year <= 2017 and rng.random() < 0.9:
            reason_end = None  # old rows lost their reason_end (piebro)
        if year < 2021 and rng.random() < 0.85:
            skipped = None
        if year < 2018 and rng.random() < 0.1:
            shuffle = None
        offline_ts: int | float | None = start_ms if year < SECONDS_OFFLINE_YEAR else start_ms // 1000
        roll = rng.random()
        if roll < 0.003:
            offline_ts = 0
        elif roll < 0.004:
            offline_ts = rng.randint(1, 99)
        elif self.vintage.new_fields and not session.offline and roll < 0.25:
            offline_ts = None
        elif year >= 2025 and roll < 0.5:
            offline_ts = float(start_ms // 1000)
        platform = session.platform if rng.random() > 0.001 else None
        track, artist, album, track_uri, episode, show, episode_uri, book, book_uri, chapter_uri, chapter = (
            content
        )
        values = {
            "ts": _iso(end_ms),
            "username": self.persona.username,
            "platform": platform,
            "ms_played": ms_played,
            "conn_country": session.country,
            "ip_addr": session.ip,
            "ip_addr_decrypted": session.ip,
            "user_agent_decrypted": session.agent,
            "master_metadata_track_name": track,
            "master_metadata_album_artist_name": artist,
            "master_metadata_album_album_name": album,
            "spotify_track_uri": track_uri,
            "episode_name": episode,
            "episode_show_name": show,
            "spotify_episode_uri": episode_uri,
            "audiobook_title": book,
            "audiobook_uri": book_uri,
            "audiobook_chapter_uri": chapter_uri,
            "audiobook_chapter_title": chapter,
            "reason_start": reason_start,
            "reason_end": reason_end,
            "shuffle": shuffle,
            "skipped": skipped,
            "offline": session.offline,
            "offline_timestamp": offline_ts,
            "incognito_mode": session.incognito,
        }
        return {key: values[key] for key in (NEW_FIELDS if self.vintage.new_fields else OLD_FIELDS)}

    # -- sessions ---------------------------------------------------------------------------
    def _first_reason(self, rng: random.Random, session: _Session) -> str:
        if session.device == "speaker":
            return "remote"
        if session.year < 2020:
            return rng.choices(_OLD_FIRST_REASONS, (45, 20, 18, 7, 5, 5))[0]
        return rng.choices(_FIRST_REASONS, (45, 22, 20, 8, 5))[0]

    def _music(self, rng: random.Random, session: _Session, start: int, size: int) -> Iterator[tuple]:
        mode = rng.choices(("album", "shuffle", "artist"), (0.25, 0.55, 0.2))[0]
        queue: list[Track] = []
        if mode == "album":
            artists, cum = self._artists_at(start)
            artist = rng.choices(artists, cum_weights=cum)[0]
            album = rng.choices(artist.albums, artist.album_weights)[0]
            first = 0 if rng.random() < 0.7 else rng.randrange(len(album))
            queue = album[first:]
            shuffle = rng.random() < 0.05
        else:
            shuffle = rng.random() < 0.85
        focus = None
        if mode == "artist":
            artists, cum = self._artists_at(start)
            focus = rng.choices(artists, cum_weights=cum)[0]
        played: list[Track] = []
        reason_start = self._first_reason(rng, session)
        now = start
        for i in range(size):
            if reason_start == "backbtn" and len(played) >= 2:
                track = played[-2]
            elif queue:
                track = queue.pop(0)
            else:
                track = self._pick_track(rng, now, focus)
            played.append(track)
            unknown = rng.random() < 0.004
            last = i == size - 1
            roll = rng.random()
            if last:
                reason_end = rng.choices(
                    ("endplay", "trackdone", "logout", "unexpected-exit", "unexpected-exit-while-paused"),
                    (45, 40, 5, 5, 5),
                )[0]
            elif roll < (0.78 if mode == "album" else 0.62):
                reason_end = "trackdone"
            elif roll < 0.93:
                reason_end = "fwdbtn"
            elif roll < 0.95:
                reason_end = "backbtn"
            elif roll < 0.953:
                reason_end = "trackerror"
            else:
                reason_end = "endplay"  # another row clicked mid-track
            duration = track.duration_ms
            if reason_end == "trackdone":
                ms = duration if rng.random() < 0.3 else duration - rng.randint(1, 1500)
            elif reason_end == "fwdbtn":
                kind = rng.random()
                if kind < 0.12:
                    ms = 0
                elif kind < 0.85:
                    ms = min(int(rng.expovariate(1 / 6500)) + 1, 29_999)
                else:
                    ms = rng.randint(30_000, max(30_001, int(duration * 0.8)))
            elif reason_end == "backbtn":
                ms = rng.randint(0, 15_000)
            elif reason_end == "trackerror":
                ms = 0
            else:
                ms = int(duration * rng.uniform(0.03, 0.97))
            wall = ms
            if ms > 30_000 and rng.random() < 0.04:
                wall += rng.randint(15_000, 25 * 60_000)  # paused, then resumed
            end = now + wall
            content = (
                (None,) * 11 if unknown else (track.name, track.artist, track.album, track.uri) + (None,) * 7
            )
            skipped = reason_end == "fwdbtn"
            yield (now, end, ms, content, reason_start, reason_end, shuffle, skipped)
            if reason_end == "trackdone":
                gap = rng.randint(0, 900)
            elif reason_end in ("fwdbtn", "backbtn"):
                gap = rng.randint(0, 400)
            else:
                gap = rng.randint(500, 5000)
            now = end + gap
            reason_start = {"endplay": "clickrow"}.get(reason_end, reason_end)

    def _podcast(self, rng: random.Random, session: _Session, start: int, size: int) -> Iterator[tuple]:
        now = start
        reason_start = rng.choices(("clickrow", "playbtn", "appload"), (5, 3, 2))[0]
        for _ in range(size):
            show_index = rng.choice(self.persona.shows)
            name, _publisher, minutes = _SHOWS[show_index]
            number = max(
                1, (now - _ms(datetime(2014, 1, 6))) // (7 * DAY_MS) - rng.choice((0, 0, 0, 1, 2, 5))
            )
            episode, uri, duration = _episode(name, number, minutes)
            full = rng.random() < 0.4
            ms = duration - rng.randint(0, 3000) if full else int(duration * rng.uniform(0.05, 0.9))
            reason_end = "trackdone" if full else rng.choices(("endplay", "logout", "fwdbtn"), (7, 2, 1))[0]
            end = now + ms + (rng.randint(60_000, 40 * 60_000) if rng.random() < 0.15 else 0)
            content = (None, None, None, None, episode, name, uri, None, None, None, None)
            yield (now, end, ms, content, reason_start, reason_end, False, reason_end == "fwdbtn")
            now = end + rng.randint(500, 3000)
            reason_start = "trackdone" if reason_end == "trackdone" else "clickrow"

    def _audiobook(self, rng: random.Random, session: _Session, start: int, size: int) -> Iterator[tuple]:
        book_index = min(range(len(_BOOKS)), key=lambda b: (self._book_progress[b] >= _BOOKS[b][1], b))
        title, chapters, minutes = _BOOKS[book_index]
        book_uri = "spotify:show:" + spotify_id(f"audiobook|{title}")
        now = start
        reason_start = rng.choice(("clickrow", "playbtn"))
        for _ in range(size):
            number = min(self._book_progress[book_index], chapters - 1) + 1
            chapter = f"Chapter {number}"
            chapter_uri = "spotify:episode:" + spotify_id(f"chapter|{title}|{number}")
            duration = int(minutes * 60_000 * (0.7 + 0.6 * ((number * 37) % 10) / 10))
            full = rng.random() < 0.55
            ms = duration - rng.randint(0, 2000) if full else int(duration * rng.uniform(0.1, 0.8))
            if full:
                self._book_progress[book_index] += 1
            reason_end = "trackdone" if full else rng.choice(("endplay", "logout"))
            end = now + ms
            content = (None,) * 7 + (title, book_uri, chapter_uri, chapter)
            yield (now, end, ms, content, reason_start, reason_end, False, False)
            now = end + rng.randint(500, 3000)
            reason_start = "trackdone" if full else "clickrow"
            if not full:
                break

    def plays(self, n: int, start_ms: int, end_ms: int, rng: random.Random) -> Iterator[dict]:
        """Exactly `n` plays between start_ms and about end_ms (the last session may run over)."""
        days = max(1, math.ceil((end_ms - start_ms) / DAY_MS))
        first_day = start_ms - start_ms % DAY_MS
        counts = _spread(n, _day_weights(rng, first_day, days))
        cursor = start_ms
        for day, count in enumerate(counts):
            if not count:
                continue
            day_ms = first_day + day * DAY_MS
            hours = _WEEKEND_HOURS if time.gmtime(day_ms // 1000).tm_wday >= 5 else _WEEKDAY_HOURS
            sizes = []
            while sum(sizes) < count:
                sizes.append(min(count - sum(sizes), 1 + int(rng.expovariate(1 / 7))))
            starts = sorted(
                day_ms + rng.choices(range(24), hours)[0] * 3_600_000 + rng.randrange(3_600_000)
                for _ in sizes
            )
            for planned, size in zip(starts, sizes, strict=True):
                begin = max(planned, cursor + rng.randint(30_000, 15 * 60_000))
                session = self._session(rng, begin)
                kind = rng.random()
                if kind < 0.05:
                    plays = self._podcast(rng, session, begin, min(size, 2))
                    rest = size - min(size, 2)
                elif kind < 0.07 and self.vintage.new_fields and begin >= _ms(datetime(2024, 1, 1)):
                    plays = self._audiobook(rng, session, begin, min(size, 3))
                    rest = None  # an audiobook session may stop early; music fills the remainder
                else:
                    plays = self._music(rng, session, begin, size)
                    rest = 0
                emitted = 0
                for now, end, ms, content, r_start, r_end, shuffle, skipped in plays:
                    yield self._record(rng, session, now, end, ms, content, r_start, r_end, shuffle, skipped)
                    cursor = max(cursor, end)
                    emitted += 1
                remaining = size - emitted if rest is None else rest
                if remaining:
                    for now, end, ms, content, r_start, r_end, shuffle, skipped in self._music(
                        rng, session, cursor + rng.randint(1000, 4000), remaining
                    ):
                        yield self._record(
                            rng, session, now, end, ms, content, r_start, r_end, shuffle, skipped
                        )
                        cursor = max(cursor, end)


def _day_weights(rng: random.Random, first_day: int, days: int) -> list[float]:
    phase = rng.uniform(0, 2 * math.pi)
    weights = []
    for day in range(days):
        weekday = time.gmtime((first_day + day * DAY_MS) // 1000).tm_wday
        if rng.random() < 0.06:
            weights.append(0.0)  # a day without music
            continue
        trend = 0.75 + 0.35 * math.sin(phase + day / 95)  # moods over months
        weights.append(
            (1.15 if weekday == 5 else 0.9 if weekday == 6 else 1.0) * trend * rng.gammavariate(3, 1 / 3)
        )
    return weights


def _spread(n: int, weights: Sequence[float]) -> list[int]:
    """n split in proportion to weights, exactly (largest remainder, ties by position)."""
    total = sum(weights) or 1.0
    raw = [n * w / total for w in weights]
    counts = [int(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - counts[i]), i))
    for i in order[: n - sum(counts)]:
        counts[i] += 1
    return counts


def _library_size(streams: int) -> int:
    return min(900, 60 + streams // 500)


def _span(vintage: Vintage, start: datetime | None) -> tuple[int, int]:
    end = _ms(vintage.exported) - 2 * DAY_MS  # the package is built a day or two after the last play
    return _ms(start or vintage.start), end


def _listener(seed: int, vintage: Vintage, streams: int, span: tuple[int, int]) -> _Listener:
    return _Listener(seed, vintage, build_library(seed, _library_size(streams)), make_persona(seed), span)
