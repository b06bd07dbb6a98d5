"""Deterministic generator of synthetic but realistic Spotify privacy exports (sample, tests, benchmarks).

Everything here is invented: artists, tracks, shows, people. IP addresses come only from the
documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32) and e-mail
addresses from example.com. The shapes follow ../shared/notes/spotify.md §1:

- vintage `modern` (extended export since ~Nov 2024): `Spotify Extended Streaming History/
  Streaming_History_Audio_<years>_<n>.json` with `ip_addr` and `audiobook_*`, no `username`;
- vintage `2023`: same folder and names, the older fields (`username`, `ip_addr_decrypted`,
  `user_agent_decrypted`, no `audiobook_*`); account data in `MyData/`;
- vintage `legacy`: `MyData/endsong_<n>.json`, `MyData/endvideo.json`, `MyData/StreamingHistory<n>.json`;
- vintage `account`: only the account-data package (`Spotify Account Data/StreamingHistory_music_<n>.json`
  and the other account files).

Listening is simulated session by session: a taste that drifts (favourites, phases), albums
played in order, shuffled playlists with skips (< 30 s, some 0 ms), podcasts, audiobook chapters
(modern only), a few rows with no metadata, and Spotify's oddities (rows sharing a `ts`, exact
duplicate rows repeated across two files, `offline_timestamp` in ms before 2023 and in s from 2023,
a few junk 0/tiny values). Account-data rows are the extended rows of the last year at minute
precision (some dropped), plus plays from the days between the two packages.

A fixed seed gives byte-identical zips (fixed entry timestamps and attributes).

    python samples/generate.py                                  # the bundled sample
    python samples/generate.py --out /tmp/x.zip --streams 20000 --vintage legacy --files 4
    python samples/generate.py --out /tmp/big.zip --streams 300000 --large
"""

from __future__ import annotations

import argparse
import hashlib
import ipaddress
import itertools
import json
import math
import random
import time
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

SAMPLE_PATH = Path(__file__).resolve().parent / "my_spotify_data.zip"
SAMPLE_SEED = 20250106
SAMPLE_STREAMS = 6000
SAMPLE_FILES = 3

# The history kinds of extract/export/formats.py (kept as strings: this script runs stand-alone).
EXTENDED, VIDEO = "extended", "video"
ACCOUNT_MUSIC, ACCOUNT_PODCAST, ACCOUNT_LEGACY = "account_music", "account_podcast", "account_legacy"

EXTENDED_DIR = "Spotify Extended Streaming History"
ACCOUNT_DIR = "Spotify Account Data"
MYDATA_DIR = "MyData"

ACCOUNT_ROWS_PER_FILE = 10_000
DAY_MS = 86_400_000
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class Vintage:
    """One export vintage: when it was made, its default history span, field set and layout."""

    name: str
    exported: datetime  # when Spotify built the (extended) package; zip entry times
    start: datetime  # default first day of the generated history
    new_fields: bool  # ip_addr + audiobook_* (Nov 2024+) instead of username/ip_addr_decrypted/user_agent
    extended_dir: str | None  # None: no extended history in this package
    account_dir: str
    legacy_names: bool  # endsong_<n>/endvideo; and account history as StreamingHistory<n>.json


VINTAGES = {
    "modern": Vintage(
        "modern",
        datetime(2025, 1, 6, 9, 14, 52),
        datetime(2022, 10, 1),
        True,
        EXTENDED_DIR,
        ACCOUNT_DIR,
        False,
    ),
    "2023": Vintage(
        "2023",
        datetime(2024, 3, 18, 16, 2, 10),
        datetime(2021, 4, 1),
        False,
        EXTENDED_DIR,
        MYDATA_DIR,
        False,
    ),
    "legacy": Vintage(
        "legacy",
        datetime(2022, 4, 20, 7, 41, 33),
        datetime(2019, 3, 1),
        False,
        MYDATA_DIR,
        MYDATA_DIR,
        True,
    ),
    "account": Vintage(
        "account",
        datetime(2025, 2, 10, 11, 20, 5),
        datetime(2024, 2, 10),
        True,
        None,
        ACCOUNT_DIR,
        False,
    ),
}

NEW_FIELDS = (
    "ts",
    "platform",
    "ms_played",
    "conn_country",
    "ip_addr",
    "master_metadata_track_name",
    "master_metadata_album_artist_name",
    "master_metadata_album_album_name",
    "spotify_track_uri",
    "episode_name",
    "episode_show_name",
    "spotify_episode_uri",
    "audiobook_title",
    "audiobook_uri",
    "audiobook_chapter_uri",
    "audiobook_chapter_title",
    "reason_start",
    "reason_end",
    "shuffle",
    "skipped",
    "offline",
    "offline_timestamp",
    "incognito_mode",
)
OLD_FIELDS = (
    "ts",
    "username",
    "platform",
    "ms_played",
    "conn_country",
    "ip_addr_decrypted",
    "user_agent_decrypted",
    "master_metadata_track_name",
    "master_metadata_album_artist_name",
    "master_metadata_album_album_name",
    "spotify_track_uri",
    "episode_name",
    "episode_show_name",
    "spotify_episode_uri",
    "reason_start",
    "reason_end",
    "shuffle",
    "skipped",
    "offline",
    "offline_timestamp",
    "incognito_mode",
)

# ----------------------------------------------------------------------------------------------
# Names: a fictional catalogue.


def _words(text: str, sep: str | None = None) -> tuple[str, ...]:
    return tuple(word.strip() for word in text.split(sep))


_ADJ = _words(
    "Amber Hollow Velvet Paper Neon Silver Quiet Electric Golden Wandering Crimson Lunar Northern "
    "Static Glass Wild Midnight Distant Copper Pale Restless Tidal Sleepy Violet Borrowed Feral "
    "Gentle Winter Hidden Burning Cobalt Faded Little Broken Radiant Hazy Secret Lucky Lost"
)
_PLURAL = _words(
    "Harbors Lanterns Satellites Foxes Cathedrals Orchards Tides Signals Pines Rivers Echoes Comets "
    "Gardens Engines Meadows Parades Ghosts Canyons Kites Swallows Lighthouses Avenues Islands "
    "Machines Owls Bells Moths Houses Wolves Mirrors Oceans Rooms Summers Strangers Sparrows"
)
_NOUN = _words(
    "Heart Summer Ocean Letter Window Highway Fever Ember Gravity Horizon Dream Shadow Wave Mirror "
    "Season Rain Light Fire Skyline Morning Paradise Thunder Harbour Sunset Afterglow Static Signal "
    "Compass Velvet Daylight Island Orbit Neon Lullaby River Weather Garden Motel Satellite Tide"
)
_VERB = _words(
    "Chasing|Holding|Falling for|Running from|Dancing with|Waiting for|Burning|Finding|Losing|Calling|"
    "Leaving|Dreaming of|Counting|Painting|Saving|Crossing",
    "|",
)
_FIRST = _words(
    "Mira Jonas Ada Theo Lena Oskar Nadia Felix Ines Ruben Yara Emil Sol Maya Kai Noor Zoë Aurélie "
    "Björn Luca Hana Tomas Elif Arlo Juno Cleo Idris Saoirse Matteo Linnea"
)
_LAST = _words(
    "Okafor Lindqvist Moreau Haddad Petrov Castell Nakamura Øster Brennan Ferreira Kowalski Adeyemi "
    "Varga Sørensen Delacroix Marlowe Quinlan Albescu Takeda Rourke Vidal Halloran Mbeki Strand"
)

_SHOWS = (
    ("The Slow Science Hour", "Fictional Audio Co.", 55),
    ("Data & Donuts", "Example Media", 38),
    ("Morning Brief (Sample)", "Nowhere Radio", 22),
    ("Deep Cuts Club", "Made-Up Podcasts Ltd", 70),
    ("Tiny Histories", "Placeholder Pods", 31),
)
_EPISODE_TOPICS = (
    "Why Bridges Hum",
    "The Economics of Queues",
    "A Short History of Salt",
    "How Maps Lie",
    "Inside the Seed Vault",
    "The Sound of Cities",
    "What Octopuses Know",
    "Rewilding the Suburbs",
    "Tiny Computers, Big Weather",
    "The Last Lighthouse Keeper",
    "Fermentation, Explained",
    "Who Owns the Moon?",
    "The Quiet Power of Lists",
    "Night Trains Are Back",
    "Glaciers on Tape",
    "The Art of the Cover Song",
)
_VIDEO_SHOWS = (("Studio Session Live (Sample)", 26), ("Kitchen Table Tech", 41))
_BOOKS = (
    ("The Lighthouse Ledger", 24, 21),
    ("A Field Guide to Imaginary Birds", 18, 17),
    ("Notes from the Night Ferry", 30, 24),
)

_HOME_COUNTRIES = ("GB", "DE", "NL", "SE", "IE", "DK")
_TRIP_COUNTRIES = ("ES", "FR", "IT", "PT", "US", "NO", "GR", "JP", "CA", "AT", "PL")


def spotify_id(key: str) -> str:
    """A stable fake 22-character base62 Spotify id derived from `key`."""
    number = int.from_bytes(hashlib.sha256(key.encode()).digest(), "big")
    chars = []
    for _ in range(22):
        number, digit = divmod(number, 62)
        chars.append(_BASE62[digit])
    return "".join(chars)


@dataclass(frozen=True)
class Track:
    """One fictional track on one album."""

    uri: str
    name: str
    artist: str
    album: str
    duration_ms: int


@dataclass
class Artist:
    """A fictional artist, its albums, and where it sits in the listener's taste."""

    name: str
    albums: list[list[Track]]
    album_weights: list[float]
    track_cum: list[float]  # cumulative weights over `tracks` (hits are played more)
    tracks: list[Track]
    weight: float  # base taste weight (Zipf over favourites)
    discovered: float  # fraction of the history when the listener found it
    phase: bool  # a phase: heavy rotation after discovery, then fading


@dataclass
class Library:
    """The fictional catalogue one listener draws from."""

    artists: list[Artist]

    def all_tracks(self) -> Iterator[Track]:
        for artist in self.artists:
            yield from artist.tracks


def _unique(rng: random.Random, make, taken: set[str]) -> str:
    for attempt in range(1000):
        name = make()
        if name not in taken:
            taken.add(name)
            return name
        if attempt > 50:
            name = f"{name} {rng.randint(2, 99)}"
            if name not in taken:
                taken.add(name)
                return name
    raise RuntimeError("name space exhausted")  # cannot happen with these word lists


def _artist_name(rng: random.Random) -> str:
    pattern = rng.random()
    if pattern < 0.25:
        return f"The {rng.choice(_ADJ)} {rng.choice(_PLURAL)}"
    if pattern < 0.55:
        return f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
    if pattern < 0.7:
        return f"{rng.choice(_ADJ)} {rng.choice(_PLURAL)}"
    if pattern < 0.8:
        return f"{rng.choice(_FIRST)} & the {rng.choice(_PLURAL)}"
    if pattern < 0.9:
        return rng.choice(_FIRST).upper() if rng.random() < 0.5 else f"{rng.choice(_NOUN)}{rng.choice(_NOUN)}"
    return f"{rng.choice(_ADJ)} {rng.choice(_NOUN)}"


def _track_name(rng: random.Random, artist_names: Sequence[str], own: str) -> str:
    pattern = rng.random()
    if pattern < 0.3:
        name = f"{rng.choice(_ADJ)} {rng.choice(_NOUN)}"
    elif pattern < 0.5:
        name = rng.choice(_NOUN)
    elif pattern < 0.68:
        name = f"{rng.choice(_VERB)} the {rng.choice(_NOUN)}"
    elif pattern < 0.78:
        name = f"{rng.choice(_NOUN)} of {rng.choice(_PLURAL)}"
    elif pattern < 0.86:
        name = f"{rng.choice(_NOUN)} {rng.choice(['Pt. II', 'No. 2', '(Interlude)', '(Reprise)'])}"
    else:
        name = f"{rng.choice(_ADJ)} {rng.choice(_NOUN)}"
    extra = rng.random()
    if extra < 0.05:
        guest = rng.choice([a for a in artist_names if a != own] or [own])
        name = f"{name} (feat. {guest})"
    elif extra < 0.08:
        name = f"{name} - Remastered {rng.randint(2009, 2021)}"
    elif extra < 0.1:
        name = f"{name} (Acoustic)"
    return name


def _album_name(rng: random.Random, artist: str, index: int) -> str:
    pattern = rng.random()
    if index == 0 and pattern < 0.12:
        return artist  # self-titled debut
    if pattern < 0.4:
        return f"{rng.choice(_ADJ)} {rng.choice(_PLURAL)}"
    if pattern < 0.6:
        return rng.choice(_NOUN)
    if pattern < 0.72:
        return f"{rng.choice(_NOUN)} - EP"
    if pattern < 0.8:
        return f"Live at the {rng.choice(_NOUN)} Hall"
    if pattern < 0.88:
        return f"{rng.choice(_ADJ)} {rng.choice(_NOUN)} (Deluxe Edition)"
    return f"{rng.choice(_VERB)} {rng.choice(_PLURAL)}"


def build_library(seed: int, artists: int = 80) -> Library:
    """A fictional catalogue of `artists` artists with 1–4 albums each; same seed, same catalogue."""
    rng = random.Random(f"{seed}:library")
    taken: set[str] = set()
    names = [_unique(rng, lambda: _artist_name(rng), taken) for _ in range(artists)]
    result = []
    for rank, name in enumerate(names):
        albums: list[list[Track]] = []
        album_names: set[str] = set()
        for a in range(rng.choices((1, 2, 3, 4), (3, 4, 2, 1))[0]):
            album = _unique(rng, lambda a=a, name=name: _album_name(rng, name, a), album_names)
            ep = album.endswith(" - EP")
            count = rng.randint(3, 6) if ep else rng.randint(7, 14)
            titles: set[str] = set()
            tracks = []
            for _ in range(count):
                title = _unique(rng, lambda name=name: _track_name(rng, names, name), titles)
                duration = int(min(max(rng.gauss(218_000, 48_000), 96_000), 420_000))
                if rng.random() < 0.03:
                    duration = rng.randint(420_000, 640_000)  # the long closer
                uri = "spotify:track:" + spotify_id(f"track|{name}|{album}|{title}")
                tracks.append(Track(uri, title, name, album, duration))
            albums.append(tracks)
        flat = [t for album in albums for t in album]
        track_weights = [1.0 / (1 + i) ** 0.8 for i in range(len(flat))]
        rng.shuffle(track_weights)  # the hits are anywhere on the albums
        cum, total = [], 0.0
        for w in track_weights:
            total += w
            cum.append(total)
        favourite = rank < 6
        result.append(
            Artist(
                name=name,
                albums=albums,
                album_weights=[1.0 / (1 + i) for i in range(len(albums))],
                track_cum=cum,
                tracks=flat,
                weight=1.0 / (1 + rank) ** 0.7,
                discovered=0.0 if favourite or rng.random() < 0.45 else rng.uniform(0.0, 0.92),
                phase=not favourite and rng.random() < 0.25,
            )
        )
    return Library(result)


# ----------------------------------------------------------------------------------------------
# The listener: persona, devices, places.


@dataclass(frozen=True)
class Persona:
    """The fictional account holder."""

    first: str
    last: str
    username: str
    email: str
    country: str
    birthdate: str
    gender: str
    created: str
    phone_first: str  # "android" or "ios"; the phone family switches in mid-2023
    desktop: str  # "windows" or "osx"
    shows: tuple[int, ...]  # indexes into _SHOWS the listener follows


def make_persona(seed: int) -> Persona:
    """The fictional account holder for a seed."""
    rng = random.Random(f"{seed}:persona")
    first, last = rng.choice(_FIRST), rng.choice(("Example", "Sample", "Placeholder", "Doe", "Testwood"))
    plain = first.lower().replace("ë", "e").replace("é", "e").replace("ö", "o").replace("ø", "o")
    return Persona(
        first=first,
        last=last,
        username=f"{plain}{last.lower()}{rng.randint(10, 99)}",
        email=f"{plain}.{last.lower()}@example.com",
        country=rng.choice(_HOME_COUNTRIES),
        birthdate=f"{rng.randint(1975, 2002)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        gender=rng.choice(("female", "male", "nonbinary")),
        created=f"{rng.randint(2012, 2016)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        phone_first=rng.choice(("android", "ios")),
        desktop=rng.choices(("windows", "osx"), (3, 1))[0],
        shows=tuple(sorted(rng.sample(range(len(_SHOWS)), 3))),
    )


def _by_year(table: Sequence[tuple[int, str]], year: int) -> str:
    chosen = table[0][1]
    for since, value in table:
        if year >= since:
            chosen = value
    return chosen


_ANDROID = (
    (0, "Android OS 4.4.2 API 19 (samsung, GT-I9505)"),
    (2016, "Android OS 7.0 API 24 (samsung, SM-G930F)"),
    (2018, "Android OS 9 API 28 (samsung, SM-G960F)"),
    (2020, "Android OS 10 API 29 (samsung, SM-G960F)"),
    (2021, "Android OS 11 API 30 (Google, Pixel 4a)"),
    (2022, "Android OS 13 API 33 (Google, Pixel 6)"),
)
_IOS = (
    (0, "iOS 9.3.2 (iPhone7,2)"),
    (2017, "iOS 11.4 (iPhone9,3)"),
    (2019, "iOS 13.4 (iPhone11,8)"),
    (2021, "iOS 14.8.1 (iPhone12,1)"),
    (2022, "iOS 16.1.2 (iPhone14,5)"),
)
_WINDOWS = (
    (0, "Windows 7 (6.1.7601; x64; SP1; S)"),
    (2017, "Windows 10 (10.0.17134; x64)"),
    (2019, "Windows 10 (10.0.18362; x64)"),
    (2020, "Windows 10 (10.0.19041; x64)"),
    (2021, "Windows 10 (10.0.19043; x64)"),
    (2022, "Windows 10 (10.0.19045; x64)"),
)
_OSX = ((0, "OS X 10.11.6 [x86 8]"), (2018, "OS X 10.13.6 [x86 8]"), (2020, "OS X 10.15.7 [x86 8]"))
_CHROME = (
    (0, "58.0.3029.110"),
    (2018, "70.0.3538.110"),
    (2019, "78.0.3904.108"),
    (2020, "87.0.4280.88"),
    (2021, "95.0.4638.69"),
    (2022, "108.0.0.0"),
)
_SPEAKER = "Partner sonos_imx6 Sonos;One;;;tpapi"
_OLD_FIRST_REASONS = ("clickrow", "playbtn", "appload", "trackdone", "uriopen", "clickside")
_FIRST_REASONS = ("clickrow", "playbtn", "appload", "trackdone", "remote")
SHORT_PLATFORM_YEAR = 2023  # from here on, platform is a short family name ("ios", "windows", ...)
SECONDS_OFFLINE_YEAR = 2023  # offline_timestamp is ms before this year, s from it


def _platform(device: str, persona: Persona, year: int, month: int) -> tuple[str, str]:
    """(platform string of the era, user agent) for a device kind at a time."""
    phone = persona.phone_first
    if (year, month) >= (2023, 6):
        phone = "ios" if phone == "android" else "android"
    if device == "speaker" and year >= SHORT_PLATFORM_YEAR:
        device = "desktop"
    if year >= SHORT_PLATFORM_YEAR:
        short = {"phone": phone, "desktop": persona.desktop, "web": "web_player"}[device]
        return short, "unknown"
    if device == "phone":
        return _by_year(_ANDROID if phone == "android" else _IOS, year), "unknown"
    if device == "desktop":
        return _by_year(_WINDOWS if persona.desktop == "windows" else _OSX, year), "unknown"
    if device == "web":
        chrome = _by_year(_CHROME, year)
        agent = (
            "Mozilla%2F5.0%20(Windows%20NT%2010.0%3B%20Win64%3B%20x64)%20AppleWebKit%2F537.36%20"
            f"(KHTML%2C%20like%20Gecko)%20Chrome%2F{chrome}%20Safari%2F537.36"
        )
        return f"web_player windows 10;chrome {chrome};desktop", agent
    return _SPEAKER, "unknown"


def _v4(rng: random.Random, net: str) -> str:
    return f"{net}.{rng.randint(1, 254)}"


def _v6(rng: random.Random) -> str:
    groups = [rng.randint(0, 0xFFFF) for _ in range(6)]
    return str(ipaddress.IPv6Address("2001:db8:" + ":".join(f"{g:x}" for g in groups)))


_WEEKDAY_HOURS = (
    0.3, 0.15, 0.05, 0.03, 0.03, 0.1, 0.6, 1.6, 1.8, 1.0, 0.9, 0.9,
    1.2, 1.0, 0.9, 0.9, 1.1, 1.6, 1.5, 1.3, 1.4, 1.3, 1.0, 0.6,
)  # fmt: skip
_WEEKEND_HOURS = (
    0.7, 0.5, 0.3, 0.1, 0.05, 0.05, 0.1, 0.3, 0.6, 1.0, 1.3, 1.4,
    1.4, 1.3, 1.2, 1.2, 1.2, 1.2, 1.2, 1.3, 1.4, 1.4, 1.2, 0.9,
)  # fmt: skip


def _iso(ms: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ms // 1000))


def _ms(moment: datetime) -> int:
    return int(moment.replace(tzinfo=UTC).timestamp() * 1000)


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


def _episode(show: str, number: int, minutes: int) -> tuple[str, str, int]:
    rng = random.Random(f"episode|{show}|{number}")
    name = f"#{number}: {rng.choice(_EPISODE_TOPICS)}"
    uri = "spotify:episode:" + spotify_id(f"episode|{show}|{number}")
    return name, uri, int(minutes * 60_000 * rng.uniform(0.7, 1.3))


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


# ----------------------------------------------------------------------------------------------
# Public record generators.


def _vintage(name: str) -> Vintage:
    if name not in VINTAGES:
        raise ValueError(f"unknown vintage {name!r}; choose one of {', '.join(VINTAGES)}")
    return VINTAGES[name]


def _library_size(streams: int) -> int:
    return min(900, 60 + streams // 500)


def _span(vintage: Vintage, start: datetime | None) -> tuple[int, int]:
    end = _ms(vintage.exported) - 2 * DAY_MS  # the package is built a day or two after the last play
    return _ms(start or vintage.start), end


def _listener(seed: int, vintage: Vintage, streams: int, span: tuple[int, int]) -> _Listener:
    return _Listener(seed, vintage, build_library(seed, _library_size(streams)), make_persona(seed), span)


def extended_records(
    n: int, seed: int = SAMPLE_SEED, vintage: str = "modern", *, start: datetime | None = None
) -> list[dict]:
    """`n` distinct extended-history plays (no duplicates), oldest first, in the vintage's field set."""
    v = _vintage(vintage)
    span = _span(v, start)
    listener = _listener(seed, v, n, span)
    return list(listener.plays(n, *span, random.Random(f"{seed}:extended")))


def video_records(n: int, seed: int = SAMPLE_SEED, vintage: str = "modern") -> list[dict]:
    """`n` video-podcast plays over the vintage's span (Streaming_History_Video / endvideo)."""
    v = _vintage(vintage)
    start, end = _span(v, None)
    rng = random.Random(f"{seed}:video")
    listener = _listener(seed, v, 0, (start, end))
    records = []
    for moment in sorted(rng.randint(start, end) for _ in range(n)):
        name, minutes = rng.choice(_VIDEO_SHOWS)
        number = 1 + (moment - start) // (14 * DAY_MS)
        episode, uri, duration = _episode(name, number, minutes)
        ms = int(duration * rng.uniform(0.05, 1.0))
        session = listener._session(rng, moment)
        content = (None, None, None, None, episode, name, uri, None, None, None, None)
        reason_end = "trackdone" if ms > duration * 0.95 else "endplay"
        records.append(
            listener._record(
                rng, session, moment, moment + ms, ms, content, "clickrow", reason_end, False, False
            )
        )
    return records


def _account_music(record: dict) -> dict:
    return {
        "endTime": record["ts"][:10] + " " + record["ts"][11:16],
        "artistName": record["master_metadata_album_artist_name"],
        "trackName": record["master_metadata_track_name"],
        "msPlayed": record["ms_played"],
    }


def _account_podcast(record: dict) -> dict:
    return {
        "endTime": record["ts"][:10] + " " + record["ts"][11:16],
        "podcastName": record["episode_show_name"],
        "episodeName": record["episode_name"],
        "msPlayed": record["ms_played"],
    }


def account_records(
    extended: Iterable[dict],
    seed: int = SAMPLE_SEED,
    *,
    since: str | None = None,
    extra: Iterable[dict] = (),
    keep: float = 0.93,
) -> dict[str, list[dict]]:
    """Account-data history (`music`, `podcast`) seen from extended records.

    Keeps a `keep` share of the extended music and podcast rows whose `ts` ≥ `since`
    (ISO prefix), at minute precision; every row of `extra` (plays the extended package does not
    have, e.g. from the days between the two packages) is added. Audiobooks and rows with no
    metadata are not in these files. Sorted by endTime, as Spotify writes them.
    """
    rng = random.Random(f"{seed}:account")
    music, podcast = [], []
    chosen = [r for r in extended if (since is None or r["ts"] >= since) and rng.random() < keep]
    for record in [*chosen, *extra]:
        if record["master_metadata_track_name"] is not None:
            music.append(_account_music(record))
        elif record["episode_name"] is not None:
            podcast.append(_account_podcast(record))
    music.sort(key=lambda r: r["endTime"])
    podcast.sort(key=lambda r: r["endTime"])
    return {"music": music, "podcast": podcast}


# ----------------------------------------------------------------------------------------------
# The other account-data files.


def _userdata(persona: Persona) -> dict:
    return {
        "username": persona.username,
        "email": persona.email,
        "country": persona.country,
        "createdFromFacebook": False,
        "facebookUid": None,
        "birthdate": persona.birthdate,
        "gender": persona.gender,
        "postalCode": None,
        "mobileNumber": None,
        "mobileOperator": None,
        "mobileBrand": None,
        "creationTime": persona.created,
    }


def _identity(persona: Persona) -> dict:
    return {
        "displayName": f"{persona.first} {persona.last}",
        "firstName": persona.first,
        "lastName": persona.last,
        "imageUrl": "",
        "largeImageUrl": "",
        "tasteMaker": False,
        "verified": False,
    }


def _favourites(records: Iterable[dict]) -> list[tuple[str, str, str, str]]:
    """(artist, album, track, uri) by play count (≥ 30 s), most played first."""
    counts = Counter(
        (
            r["master_metadata_album_artist_name"],
            r["master_metadata_album_album_name"],
            r["master_metadata_track_name"],
            r["spotify_track_uri"],
        )
        for r in records
        if r["spotify_track_uri"] and r["ms_played"] >= 30_000
    )
    return [key for key, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def _your_library(favourites: Sequence[tuple[str, str, str, str]], persona: Persona) -> dict:
    albums = list(dict.fromkeys((artist, album) for artist, album, _, _ in favourites))[:15]
    artists = list(dict.fromkeys(artist for artist, _, _, _ in favourites))[:20]
    return {
        "tracks": [{"artist": a, "album": al, "track": t, "uri": u} for a, al, t, u in favourites[:120]],
        "albums": [
            {"artist": a, "album": al, "uri": "spotify:album:" + spotify_id(f"album|{a}|{al}")}
            for a, al in albums
        ],
        "shows": [
            {"name": name, "publisher": publisher, "uri": "spotify:show:" + spotify_id(f"show|{name}")}
            for name, publisher, _ in (_SHOWS[i] for i in persona.shows)
        ],
        "episodes": [],
        "bannedTracks": [],
        "artists": [{"name": a, "uri": "spotify:artist:" + spotify_id(f"artist|{a}")} for a in artists],
    }


def _playlists(rng: random.Random, favourites: Sequence[tuple], library: Library, modified: datetime) -> dict:
    pool = list(favourites[:200]) or [(t.artist, t.album, t.name, t.uri) for t in library.all_tracks()]
    playlists = []
    for name, size in (("Running 🏃", 28), ("sunday morning", 17), ("Deep Focus", 35), ("road trip ’23", 22)):
        picked = rng.sample(pool, min(size, len(pool)))
        added = modified - timedelta(days=rng.randint(30, 700))
        items = []
        for artist, album, track, uri in picked:
            added += timedelta(days=rng.randint(0, 9))
            items.append(
                {
                    "track": {"trackName": track, "artistName": artist, "albumName": album, "trackUri": uri},
                    "addedDate": min(added, modified).strftime("%Y-%m-%d"),
                }
            )
        playlists.append(
            {
                "name": name,
                "lastModifiedDate": (modified - timedelta(days=rng.randint(1, 60))).strftime("%Y-%m-%d"),
                "description": None,
                "numberOfFollowers": rng.choice((0, 0, 0, 1, 2)),
                "collaborators": [],
                "items": items,
            }
        )
    return {"playlists": playlists}


def _search_queries(rng: random.Random, library: Library, since: datetime, until: datetime) -> list[dict]:
    queries = []
    seconds = int((until - since).total_seconds())
    for offset in sorted(rng.randrange(seconds) for _ in range(40)):
        artist = rng.choice(library.artists[:40])
        track = rng.choice(artist.tracks)
        text = (artist.name if rng.random() < 0.6 else track.name).lower()
        typed = text[: rng.randint(min(3, len(text)), len(text))]
        moment = since + timedelta(seconds=offset, milliseconds=rng.randrange(1000))
        queries.append(
            {
                "platform": rng.choice(("ANDROID", "IPHONE", "DESKTOP")),
                "searchTime": moment.strftime("%Y-%m-%dT%H:%M:%S.")
                + f"{moment.microsecond // 1000:03d}Z[UTC]",
                "searchQuery": typed,
                "searchInteractionURIs": [track.uri] if rng.random() < 0.6 else [],
            }
        )
    return queries


def tiny_pdf(title: str) -> bytes:
    """A one-page PDF that readers open (stands in for Spotify's ReadMe PDFs)."""
    text = f"BT /F1 14 Tf 60 780 Td ({title}) Tj 0 -24 Td (Synthetic sample - not a Spotify document.) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(text)} >>\nstream\n{text}\nendstream".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


# ----------------------------------------------------------------------------------------------
# Writing the zip.

_ENCODE = json.JSONEncoder(ensure_ascii=False).encode
EXTENDED_KV = ": "
ACCOUNT_KV = " : "  # account-data files are Jackson-pretty-printed: "endTime" : "2024-05-06 18:43"


def json_array(records: Iterable[dict], kv: str = EXTENDED_KV) -> str:
    """A list of flat objects as Spotify pretty-prints it; equals json.dumps(indent=2, ensure_ascii=False)."""
    keys: dict[str, str] = {}
    parts = []
    for record in records:
        lines = []
        for key, value in record.items():
            prefix = keys.get(key)
            if prefix is None:
                prefix = keys[key] = "    " + _ENCODE(key) + kv
            lines.append(prefix + _ENCODE(value))
        parts.append("  {\n" + ",\n".join(lines) + "\n  }" if lines else "  {}")
    return "[\n" + ",\n".join(parts) + "\n]" if parts else "[]"


def _json_doc(document, kv: str) -> bytes:
    return json.dumps(document, indent=2, ensure_ascii=False, separators=(",", kv)).encode()


@dataclass
class ExportStats:
    """What a generated export holds."""

    path: str
    vintage: str
    streams: int = 0  # distinct extended audio plays
    extended_rows: int = 0  # rows in the audio files: streams + duplicate_rows + bad_rows
    duplicate_rows: int = 0  # exact copies repeated across two files
    bad_rows: int = 0  # deliberately invalid rows (bad_rows option)
    video_rows: int = 0
    account_music_rows: int = 0
    account_podcast_rows: int = 0
    account_extra_rows: int = 0  # account rows with no extended counterpart
    entries: dict[str, str | None] = field(default_factory=dict)  # zip entry → history kind (None: other)
    rows: dict[str, int] = field(default_factory=dict)  # history entry → rows
    first_ts: str | None = None
    last_ts: str | None = None
    size_bytes: int = 0


class _ZipWriter:
    def __init__(self, path: Path, compress: bool):
        self._zip = zipfile.ZipFile(path, "w")
        self._method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED

    def info(self, name: str, when: datetime) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=when.timetuple()[:6])
        info.compress_type = self._method
        info.create_system = 3  # fixed, so the bytes do not depend on the OS that generated them
        info.external_attr = 0o100644 << 16
        return info

    def add(self, name: str, data: bytes, when: datetime) -> None:
        self._zip.writestr(self.info(name, when), data, compresslevel=6 if self._method else None)

    def add_text_chunks(self, name: str, chunks: Iterable[str], when: datetime) -> None:
        info = self.info(name, when)
        info._compresslevel = 6  # zipfile.open takes no compresslevel
        with self._zip.open(info, "w", force_zip64=True) as out:
            for chunk in chunks:
                out.write(chunk.encode())

    def close(self) -> None:
        self._zip.close()


def _years(records: Sequence[dict]) -> str:
    years = sorted({r["ts"][:4] for r in records if isinstance(r.get("ts"), str) and r["ts"][:4].isdigit()})
    if not years:
        return "0000"
    return years[0] if years[0] == years[-1] else f"{years[0]}-{years[-1]}"


def _audio_name(v: Vintage, index: int, records: Sequence[dict]) -> str:
    if v.legacy_names:
        return f"{v.extended_dir}/endsong_{index}.json"
    return f"{v.extended_dir}/Streaming_History_Audio_{_years(records)}_{index}.json"


def _video_name(v: Vintage, records: Sequence[dict]) -> str:
    if v.legacy_names:
        return f"{v.extended_dir}/endvideo.json"
    return f"{v.extended_dir}/Streaming_History_Video_{_years(records)}.json"


def _readme_name(v: Vintage) -> str:
    if v.legacy_names:
        return f"{v.extended_dir}/Read_Me_First.pdf"
    return f"{v.extended_dir}/ReadMeFirst_ExtendedStreamingHistory.pdf"


def _overlap(rng: random.Random) -> int:
    return rng.randint(2, 4)


def _split(records: list[dict], files: int, rng: random.Random) -> tuple[list[list[dict]], int]:
    """Chronological chunks; each chunk after the first starts with the previous one's last rows."""
    files = max(1, min(files, len(records)))
    bounds = [round(i * len(records) / files) for i in range(files + 1)]
    plain = [records[bounds[i] : bounds[i + 1]] for i in range(files)]
    chunks, duplicates = [plain[0]], 0
    for previous, chunk in itertools.pairwise(plain):
        tail = previous[-min(_overlap(rng), len(previous)) :]
        chunks.append(tail + chunk)
        duplicates += len(tail)
    return chunks, duplicates


def _bad_row(record: dict, index: int) -> dict:
    bad = dict(record)
    variant = index % 5
    if variant == 0:
        bad["ts"] = "2021-02-30T25:61:00Z"
    elif variant == 1:
        bad["ms_played"] = -1200
    elif variant == 2:
        bad["ms_played"] = str(bad["ms_played"])
    elif variant == 3:
        del bad["ts"]
    else:
        bad["ms_played"] = True
    return bad


def _default_files(streams: int) -> int:
    return 1 if streams < 300 else max(SAMPLE_FILES, math.ceil(streams / 15_000))


def write_export_zip(
    path: str | Path = SAMPLE_PATH,
    streams: int = SAMPLE_STREAMS,
    *,
    seed: int = SAMPLE_SEED,
    vintage: str = "modern",
    files: int | None = None,
    include_account_data: bool = True,
    compress: bool = True,
    bad_rows: int = 0,
    start: datetime | None = None,
) -> ExportStats:
    """Write one synthetic export zip (held in memory while built; use for ≤ ~100 000 streams).

    `streams` distinct plays go to `files` audio files (vintage `account`: the plays behind the
    account-data history). With `include_account_data`, the account-data package of the last
    year is added (for extended vintages: built 4 days after the extended one). `bad_rows`
    invalid rows are mixed into the first audio file.
    """
    v = _vintage(vintage)
    path = Path(path)
    stats = ExportStats(str(path), v.name)
    span = _span(v, start)
    listener = _listener(seed, v, streams, span)
    records = list(listener.plays(streams, *span, random.Random(f"{seed}:extended")))
    stats.streams = len(records)
    if records:
        stats.first_ts, stats.last_ts = records[0]["ts"], records[-1]["ts"]
    writer = _ZipWriter(path, compress)
    try:
        if v.extended_dir is not None:
            _write_extended(writer, stats, v, seed, records, files or _default_files(streams), bad_rows)
        if include_account_data or v.extended_dir is None:
            _write_account(writer, stats, v, seed, listener, records)
    finally:
        writer.close()
    stats.size_bytes = path.stat().st_size
    return stats


def _write_extended(
    writer: _ZipWriter,
    stats: ExportStats,
    v: Vintage,
    seed: int,
    records: list[dict],
    files: int,
    bad_rows: int,
) -> None:
    rng = random.Random(f"{seed}:files")
    chunks, stats.duplicate_rows = _split(records, files, rng) if records else ([[]], 0)
    if bad_rows:
        head = chunks[0]
        for i in range(bad_rows):
            position = (i + 1) * len(head) // (bad_rows + 1)
            head.insert(position, _bad_row(head[min(position, len(head) - 1)] if head else {}, i))
        stats.bad_rows = bad_rows
    for index, chunk in enumerate(chunks):
        name = _audio_name(v, index, chunk)
        writer.add(name, json_array(chunk).encode(), v.exported)
        stats.entries[name], stats.rows[name] = EXTENDED, len(chunk)
        stats.extended_rows += len(chunk)
    video = video_records(max(3, stats.streams // 400), seed, v.name)
    name = _video_name(v, video)
    writer.add(name, json_array(video).encode(), v.exported)
    stats.entries[name], stats.rows[name], stats.video_rows = VIDEO, len(video), len(video)
    name = _readme_name(v)
    writer.add(name, tiny_pdf("Extended streaming history - read me first"), v.exported)
    stats.entries[name] = None


def _write_account(
    writer: _ZipWriter, stats: ExportStats, v: Vintage, seed: int, listener: _Listener, records: list[dict]
) -> None:
    if v.extended_dir is None:  # an account-only package: its history is all of the plays
        exported = v.exported
        history = account_records(records, seed, keep=1.0)
        extra = 0
    else:
        exported = v.exported + timedelta(days=4)
        last = _ms(v.exported) - 2 * DAY_MS
        per_day = len(records) / max(1, (last - listener.span[0]) / DAY_MS)
        later = list(
            listener.plays(
                max(3, round(per_day * 3)), last, _ms(exported) - DAY_MS, random.Random(f"{seed}:later")
            )
        )
        since = (exported - timedelta(days=365)).strftime("%Y-%m-%dT%H:%M:%SZ")
        history = account_records(records, seed, since=since, extra=later)
        extra = sum(1 for r in later if r["master_metadata_track_name"] or r["episode_name"])
    folder = v.account_dir
    stats.account_extra_rows = extra
    stats.account_music_rows = len(history["music"])
    stats.account_podcast_rows = len(history["podcast"])
    if v.legacy_names or folder == MYDATA_DIR:
        mixed = history["music"] + [
            {
                "endTime": p["endTime"],
                "artistName": p["podcastName"],
                "trackName": p["episodeName"],
                "msPlayed": p["msPlayed"],
            }
            for p in history["podcast"]
        ]
        mixed.sort(key=lambda r: r["endTime"])
        parts = [("StreamingHistory{}.json", ACCOUNT_LEGACY, mixed)]
    else:
        parts = [
            ("StreamingHistory_music_{}.json", ACCOUNT_MUSIC, history["music"]),
            ("StreamingHistory_podcast_{}.json", ACCOUNT_PODCAST, history["podcast"]),
        ]
    for pattern, kind, rows in parts:
        for index in range(max(1, math.ceil(len(rows) / ACCOUNT_ROWS_PER_FILE))):
            chunk = rows[index * ACCOUNT_ROWS_PER_FILE : (index + 1) * ACCOUNT_ROWS_PER_FILE]
            name = f"{folder}/{pattern.format(index)}"
            writer.add(name, json_array(chunk, ACCOUNT_KV).encode(), exported)
            stats.entries[name], stats.rows[name] = kind, len(chunk)
    rng = random.Random(f"{seed}:account-files")
    favourites = _favourites(r for r in records if r["ts"] >= (exported - timedelta(days=730)).isoformat())
    others: list[tuple[str, bytes]] = [("Userdata.json", _json_doc(_userdata(listener.persona), ACCOUNT_KV))]
    if folder == ACCOUNT_DIR:
        others.append(("Identity.json", _json_doc(_identity(listener.persona), ACCOUNT_KV)))
    others += [
        ("Playlist1.json", _json_doc(_playlists(rng, favourites, listener.library, exported), ACCOUNT_KV)),
        ("YourLibrary.json", _json_doc(_your_library(favourites, listener.persona), ACCOUNT_KV)),
        (
            "SearchQueries.json",
            _json_doc(
                _search_queries(rng, listener.library, exported - timedelta(days=365), exported), ACCOUNT_KV
            ),
        ),
        ("Read_Me_First.pdf", tiny_pdf("Account data - read me first")),
    ]
    for name, data in others:
        entry = f"{folder}/{name}"
        if entry not in stats.entries:  # legacy: MyData/Read_Me_First.pdf serves both packages
            writer.add(entry, data, exported)
            stats.entries[entry] = None


def write_large_extended_zip(
    path: str | Path,
    streams: int,
    per_file: int = 25_000,
    *,
    seed: int = SAMPLE_SEED,
    vintage: str = "modern",
    compress: bool = True,
    start: datetime | None = None,
) -> ExportStats:
    """An extended-history-only export of `streams` plays, written file by file (benchmarks).

    Holds at most one file's records in memory, so memory stays flat for any size. The history
    spans 2 to 12 years ending at the vintage's export date (about 60 plays a day).
    """
    v = _vintage(vintage)
    if v.extended_dir is None:
        raise ValueError("vintage 'account' has no extended history")
    path = Path(path)
    end = _ms(v.exported) - 2 * DAY_MS
    days = min(max(streams / 60, 730), 4380)
    span = (_ms(start) if start else end - int(days) * DAY_MS, end)
    listener = _listener(seed, v, streams, span)
    stats = ExportStats(str(path), v.name)
    rng = random.Random(f"{seed}:files")
    writer = _ZipWriter(path, compress)

    def flush(rows: list[dict], index: int) -> None:
        name = _audio_name(v, index, rows)
        step = 2000  # encode and compress in slices, not one ~20 MB string per file
        pieces = (
            ("[\n" if i == 0 else ",\n") + json_array(rows[i : i + step])[2:-2]
            for i in range(0, len(rows), step)
        )
        writer.add_text_chunks(name, itertools.chain(pieces, ["\n]"]) if rows else ["[]"], v.exported)
        stats.entries[name], stats.rows[name] = EXTENDED, len(rows)
        stats.extended_rows += len(rows)

    try:
        chunk: list[dict] = []
        tail: list[dict] = []
        index = 0
        for record in listener.plays(streams, *span, random.Random(f"{seed}:extended")):
            if stats.first_ts is None:
                stats.first_ts = record["ts"]
            stats.last_ts = record["ts"]
            chunk.append(record)
            if len(chunk) == per_file:
                flush(tail + chunk, index)
                stats.duplicate_rows += len(tail)
                tail, chunk, index = chunk[-_overlap(rng) :], [], index + 1
        if chunk:
            flush(tail + chunk, index)
            stats.duplicate_rows += len(tail)
        stats.streams = streams
        video = video_records(max(3, streams // 400), seed, v.name)
        name = _video_name(v, video)
        writer.add(name, json_array(video).encode(), v.exported)
        stats.entries[name], stats.rows[name], stats.video_rows = VIDEO, len(video), len(video)
        name = _readme_name(v)
        writer.add(name, tiny_pdf("Extended streaming history - read me first"), v.exported)
        stats.entries[name] = None
    finally:
        writer.close()
    stats.size_bytes = path.stat().st_size
    return stats


def write_sample(path: str | Path = SAMPLE_PATH) -> ExportStats:
    """The bundled sample: one upload holding a modern extended export and the account data."""
    return write_export_zip(path, SAMPLE_STREAMS, seed=SAMPLE_SEED, vintage="modern", files=SAMPLE_FILES)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=SAMPLE_PATH, help="zip to write (default: the bundled sample)"
    )
    parser.add_argument("--streams", type=int, default=SAMPLE_STREAMS)
    parser.add_argument("--seed", type=int, default=SAMPLE_SEED)
    parser.add_argument("--vintage", choices=sorted(VINTAGES), default="modern")
    parser.add_argument("--files", type=int, default=None, help="number of extended audio files")
    parser.add_argument("--bad-rows", type=int, default=0, help="invalid rows to mix into the first file")
    parser.add_argument("--no-account", action="store_true", help="extended history only")
    parser.add_argument("--large", action="store_true", help="write file by file (300 000+ streams)")
    parser.add_argument("--per-file", type=int, default=25_000, help="rows per file with --large")
    args = parser.parse_args(argv)
    if args.streams < 0 or (args.files is not None and args.files < 1):
        parser.error("--streams must be ≥ 0 and --files ≥ 1")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if args.large:
        stats = write_large_extended_zip(
            args.out, args.streams, args.per_file, seed=args.seed, vintage=args.vintage
        )
    else:
        stats = write_export_zip(
            args.out,
            args.streams,
            seed=args.seed,
            vintage=args.vintage,
            files=args.files,
            include_account_data=not args.no_account,
            bad_rows=args.bad_rows,
        )
    print(
        f"{stats.path}: {stats.streams} streams {stats.first_ts} .. {stats.last_ts}, "
        f"{stats.extended_rows} extended rows ({stats.duplicate_rows} duplicates, {stats.bad_rows} bad), "
        f"{stats.video_rows} video, {stats.account_music_rows} account music + "
        f"{stats.account_podcast_rows} podcast rows ({stats.account_extra_rows} without extended twin), "
        f"{len(stats.entries)} entries, {stats.size_bytes / 1e6:.2f} MB"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
