"""Time-zone reference data, read from the tz database files of the `tzdata` package.

Both warehouses turn a UTC end time into local time with one table, ref_zone_offset (zone,
valid_from, valid_to, offset_minutes), filled from here: DuckDB's ICU and Synapse's AT TIME ZONE
(Windows zone names, the server's rules) would otherwise be two name systems and two rule
sources. One rule source gives the same hour in both (../shared/notes/insights.md).

- Offsets come from each zone's TZif file: its explicit transitions, then its POSIX TZ footer
  rule (`CET-1CEST,M3.5.0,M10.5.0/3`) for the years after them. Rows cover FIRST_YEAR to
  LAST_YEAR; the first and last rows are open-ended, so any instant has exactly one offset.
- The table holds every zone zone.tab lists (Europe/Amsterdam, though its file is
  Europe/Brussels's since 2022) and the other distinct zones (UTC, Etc/GMT+5). Any other name
  is a link (US/Eastern, Europe/Kiev) and stands for the zone with the identical file,
  preferring the one zone1970.tab lists (Europe/London, not Europe/Guernsey).
- `ref_country_zone` maps a country to its zone when zone.tab lists exactly one zone for it
  (JP, FR, GB ... but not US, AU, DE).
Pure: no clock, no I/O beyond reading the package's own files.
"""

from __future__ import annotations

import calendar
import functools
import hashlib
import importlib.resources
import re
import struct
from dataclasses import dataclass
from datetime import UTC, datetime

import tzdata

FIRST_YEAR, LAST_YEAR = 2000, 2040  # transitions outside are not listed; the edge rows extend
OPEN_START = datetime(1900, 1, 1)  # valid_from of a zone's first row
OPEN_END = datetime(9999, 12, 31)  # valid_to of a zone's last row
TZDATA_VERSION = tzdata.IANA_VERSION
UTC_NAME = "UTC"


@dataclass(frozen=True)
class ZoneOffset:
    zone: str
    valid_from: datetime  # UTC, inclusive (naive: the warehouse's timestamps are naive UTC)
    valid_to: datetime  # UTC, exclusive
    offset_minutes: int  # local time = UTC + this


def _files():
    return importlib.resources.files("tzdata")


def _zone_bytes(name: str) -> bytes:
    return _files().joinpath("zoneinfo", *name.split("/")).read_bytes()


@functools.cache
def zone_names() -> tuple[str, ...]:
    """Every zone name tzdata knows, links included."""
    return tuple((_files() / "zones").read_text().split())


@functools.cache
def zone_tab() -> dict[str, str]:
    """zone -> country code, as zone.tab lists them (one country per zone)."""
    table = {}
    for line in (_files() / "zoneinfo" / "zone.tab").read_text().splitlines():
        if line and not line.startswith("#"):
            country, _coordinates, zone = line.split("\t")[:3]
            table[zone] = country
    return table


def _zone1970() -> set[str]:
    """The zones zone1970.tab lists: one per region whose clocks agreed since 1970."""
    lines = (_files() / "zoneinfo" / "zone1970.tab").read_text().splitlines()
    return {line.split("\t")[2] for line in lines if line and not line.startswith("#")}


@functools.cache
def _groups() -> dict[str, str]:
    """zone name -> its canonical name (names with identical files are one zone)."""
    by_content: dict[bytes, list[str]] = {}
    for name in zone_names():
        by_content.setdefault(hashlib.sha256(_zone_bytes(name)).digest(), []).append(name)
    primary, listed = _zone1970(), zone_tab()
    canonical = {}
    for names in by_content.values():
        preferred = (
            sorted(n for n in names if n in primary)
            or sorted(n for n in names if n in listed)
            or ([UTC_NAME] if UTC_NAME in names else sorted(names))
        )
        for name in names:
            canonical[name] = preferred[0]
    return canonical


def canonical_zone(name: str) -> str:
    """The zone (of ref_zone_offset) a time-zone name stands for; ValueError (one line) if unknown."""
    if name in zone_tab():
        return name
    try:
        return _groups()[name]
    except KeyError:
        raise ValueError(
            f"unknown time zone {name!r}: use an IANA name such as Europe/Berlin or America/New_York"
        ) from None


def zone_country(name: str) -> str | None:
    """The country a zone name belongs to in zone.tab (the name itself, else its canonical zone)."""
    listed = zone_tab()
    return listed.get(name) or listed.get(canonical_zone(name))


@functools.cache
def country_zones() -> dict[str, str]:
    """country -> canonical zone, for the countries zone.tab lists exactly one zone for."""
    zones: dict[str, list[str]] = {}
    for zone, country in zone_tab().items():
        zones.setdefault(country, []).append(zone)
    return {country: z[0] for country, z in sorted(zones.items()) if len(z) == 1}


# -- TZif files (RFC 8536) ----------------------------------------------------------------------


def _read_tzif(data: bytes) -> tuple[list[int], list[int], int, str]:
    """(transition times, UTC offset after each, offset before the first, footer TZ string).

    Reads the version 2+ block (64-bit times); tzdata ships nothing older.
    """
    if data[:4] != b"TZif" or data[4:5] < b"2":
        raise ValueError("not a version 2+ TZif file")
    header = struct.Struct(">4s c 15x 6l")

    def counts(offset: int) -> tuple[int, ...]:
        return header.unpack_from(data, offset)[2:]

    isutc, isstd, leap, times, types, chars = counts(0)
    start = header.size + times * 5 + types * 6 + chars + leap * 8 + isstd + isutc  # skip the v1 block
    isutc, isstd, leap, times, types, chars = counts(start)
    at = start + header.size
    transitions = list(struct.unpack_from(f">{times}q", data, at))
    at += times * 8
    indexes = list(data[at : at + times])
    at += times
    offsets = [struct.unpack_from(">lBB", data, at + 6 * i)[0] for i in range(types)]
    at += types * 6 + chars + leap * 12 + isstd + isutc
    footer = data[at:].strip(b"\n").decode("ascii")
    return transitions, [offsets[i] for i in indexes], offsets[0], footer


# -- POSIX TZ strings (the footer rule for the years after the last transition) -----------------

_NAME = r"(?:<[^>]*>|[A-Za-z]+)"
_OFFSET = r"[+-]?\d{1,3}(?::\d{1,2}){0,2}"
_TZ = re.compile(
    rf"^{_NAME}(?P<std>{_OFFSET})(?:{_NAME}(?P<dst>{_OFFSET})?,M(?P<start>[\d.]+)(?:/(?P<st>{_OFFSET}))?"
    rf",M(?P<end>[\d.]+)(?:/(?P<et>{_OFFSET}))?)?$"
)


def _seconds(text: str | None, default: int) -> int:
    """`[+-]hh[:mm[:ss]]` as seconds."""
    if text is None:
        return default
    sign = -1 if text.startswith("-") else 1
    parts = [int(p) for p in text.lstrip("+-").split(":")] + [0, 0]
    return sign * (parts[0] * 3600 + parts[1] * 60 + parts[2])


def _rule_day(year: int, rule: str) -> int:
    """`m.w.d` (month, week 1-5 with 5 the last, weekday 0 = Sunday) as a Unix day number."""
    month, week, weekday = (int(p) for p in rule.split("."))
    first = (calendar.weekday(year, month, 1) + 1) % 7  # 0 = Sunday
    day = 1 + (weekday - first) % 7 + 7 * (week - 1)
    while day > calendar.monthrange(year, month)[1]:
        day -= 7
    return (datetime(year, month, day) - datetime(1970, 1, 1)).days


def _footer_transitions(footer: str, after: int, until_year: int) -> list[tuple[int, int]]:
    """(UTC time, offset from then on) of the footer rule's changes after `after`, to `until_year`."""
    match = _TZ.match(footer)
    if match is None:
        raise ValueError(f"unsupported TZ rule {footer!r}")
    std = -_seconds(match["std"], 0)  # POSIX offsets are positive west of Greenwich
    if not match["start"]:
        return [(after, std)]
    dst = -_seconds(match["dst"], -(std + 3600))
    changes = []
    for year in range(datetime.fromtimestamp(after, UTC).year, until_year + 1):
        # The start is given in standard time, the end in daylight time (local wall clocks).
        begin = _rule_day(year, match["start"]) * 86400 + _seconds(match["st"], 7200) - std
        end = _rule_day(year, match["end"]) * 86400 + _seconds(match["et"], 7200) - dst
        changes += [(begin, dst), (end, std)]
    return sorted(c for c in changes if c[0] > after)


@functools.cache
def _zone_rows(zone: str) -> tuple[ZoneOffset, ...]:
    transitions, offsets, before, footer = _read_tzif(_zone_bytes(zone))
    changes = list(zip(transitions, offsets, strict=True))
    last = transitions[-1] if transitions else int(datetime(FIRST_YEAR, 1, 1, tzinfo=UTC).timestamp())
    if footer:
        changes += _footer_transitions(footer, last, LAST_YEAR)
    low = datetime(FIRST_YEAR, 1, 1, tzinfo=UTC).timestamp()
    high = datetime(LAST_YEAR + 1, 1, 1, tzinfo=UTC).timestamp()
    current, points = before, []  # (from, offset): the offset in force from each change on
    for when, offset in changes:
        if when <= low:
            current = offset
        elif when < high:
            points.append((when, offset))
    rows: list[tuple[int | None, int | None, int]] = []
    start: int | None = None
    offset = current
    for when, new in points:
        if new != offset:
            rows.append((start, when, offset))
            start, offset = when, new
    rows.append((start, None, offset))
    return tuple(
        ZoneOffset(
            zone,
            OPEN_START if begin is None else datetime.fromtimestamp(begin, UTC).replace(tzinfo=None),
            OPEN_END if finish is None else datetime.fromtimestamp(finish, UTC).replace(tzinfo=None),
            _minutes(zone, value),
        )
        for begin, finish, value in rows
    )


def _minutes(zone: str, seconds: int) -> int:
    if seconds % 60:
        raise ValueError(
            f"{zone}: offset {seconds} s is not whole minutes between {FIRST_YEAR} and {LAST_YEAR}"
        )
    return seconds // 60


@functools.cache
def table_zones() -> tuple[str, ...]:
    """The zones ref_zone_offset holds: zone.tab's, and one name for each other distinct zone."""
    return tuple(sorted(set(zone_tab()) | set(_groups().values())))


@functools.cache
def zone_offsets() -> tuple[ZoneOffset, ...]:
    """Every table zone's offsets, FIRST_YEAR to LAST_YEAR, in zone and time order."""
    return tuple(row for zone in table_zones() for row in _zone_rows(zone))


def offset_at(zone: str, when: datetime) -> int:
    """The offset (minutes) the table gives a canonical zone at a naive UTC instant."""
    for row in _zone_rows(zone):
        if row.valid_from <= when < row.valid_to:
            return row.offset_minutes
    raise AssertionError("the rows of a zone cover every instant")
