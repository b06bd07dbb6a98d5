"""The time-zone reference rows agree with Python's zoneinfo for every zone, across DST, to the minute."""

from __future__ import annotations

import io
import itertools
import random
import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest

from load import time_zones
from load.time_zones import (
    FIRST_YEAR,
    LAST_YEAR,
    OPEN_END,
    OPEN_START,
    canonical_zone,
    country_zones,
    offset_at,
    table_zones,
    zone_country,
    zone_offsets,
)


def _zoneinfo(zone: str) -> zoneinfo.ZoneInfo:
    """The same tzdata file through the standard library (not the system's own tz files)."""
    return zoneinfo.ZoneInfo.from_file(io.BytesIO(time_zones._zone_bytes(zone)), key=zone)


def test_every_zone_gives_zoneinfos_offset_at_random_instants():
    rng = random.Random(20261201)
    low = int(datetime(FIRST_YEAR, 1, 1, tzinfo=UTC).timestamp())
    high = int(datetime(LAST_YEAR + 1, 1, 1, tzinfo=UTC).timestamp())
    wrong = []
    for zone in table_zones():
        reference = _zoneinfo(zone)
        for _ in range(60):
            instant = datetime.fromtimestamp(rng.randrange(low, high), UTC)
            expected = int(instant.astimezone(reference).utcoffset().total_seconds() // 60)
            if offset_at(zone, instant.replace(tzinfo=None)) != expected:
                wrong.append((zone, instant))
    assert wrong == []
    assert len(table_zones()) > 400


@pytest.mark.parametrize(
    ("zone", "moment", "offset"),
    [
        # Berlin springs forward at 01:00 UTC on 2024-03-31 (02:00 -> 03:00 local) ...
        ("Europe/Berlin", "2024-03-31T00:59:59", 60),
        ("Europe/Berlin", "2024-03-31T01:00:00", 120),
        # ... and falls back at 01:00 UTC on 2024-10-27: 02:00-03:00 local happens twice.
        ("Europe/Berlin", "2024-10-27T00:59:59", 120),
        ("Europe/Berlin", "2024-10-27T01:00:00", 60),
        # Sydney: the other hemisphere (DST ends in April), a rule the footer of the file states.
        ("Australia/Sydney", "2024-04-06T15:59:59", 660),
        ("Australia/Sydney", "2024-04-06T16:00:00", 600),
        # Nuuk: a rule with a negative transition time (M3.5.0/-1: 23:00 on the Saturday before).
        ("America/Nuuk", "2030-03-31T00:59:59", -120),
        ("America/Nuuk", "2030-03-31T01:00:00", -60),
        # Kathmandu: a quarter-hour offset; UTC: none ever.
        ("Asia/Kathmandu", "2025-06-01T00:00:00", 345),
        ("UTC", "2024-07-01T12:00:00", 0),
    ],
)
def test_offsets_change_at_the_exact_second_of_a_transition(zone, moment, offset):
    assert offset_at(zone, datetime.fromisoformat(moment)) == offset


def test_each_zones_rows_cover_all_time_without_gaps_or_overlaps():
    by_zone: dict[str, list] = {}
    for row in zone_offsets():
        by_zone.setdefault(row.zone, []).append(row)
    assert set(by_zone) == set(table_zones())
    for rows in by_zone.values():
        assert rows[0].valid_from == OPEN_START and rows[-1].valid_to == OPEN_END
        for before, after in itertools.pairwise(rows):
            assert before.valid_to == after.valid_from and before.offset_minutes != after.offset_minutes


def test_a_country_has_a_zone_of_its_own_only_when_zone_tab_lists_exactly_one():
    single = country_zones()
    assert (single["JP"], single["FR"], single["GB"]) == ("Asia/Tokyo", "Europe/Paris", "Europe/London")
    assert not {"US", "AU", "DE", "ES", "PT", "RU"} & set(single)  # several zones each
    assert set(single.values()) <= set(table_zones())


@pytest.mark.parametrize(
    ("name", "zone", "country"),
    [
        ("Europe/Berlin", "Europe/Berlin", "DE"),
        ("US/Eastern", "America/New_York", "US"),  # a link
        ("Europe/Kiev", "Europe/Kyiv", "UA"),  # renamed in 2022
        ("Europe/Amsterdam", "Europe/Amsterdam", "NL"),  # in zone.tab, though its file is Brussels's
        ("Asia/Calcutta", "Asia/Kolkata", "IN"),
        ("Etc/UTC", "UTC", None),
        ("UTC", "UTC", None),
    ],
)
def test_names_resolve_to_a_zone_of_the_table_and_its_country(name, zone, country):
    assert (canonical_zone(name), zone_country(name)) == (zone, country)


@pytest.mark.parametrize("name", ["Mars/Olympus", "CEST", "europe/berlin", ""])
def test_an_unknown_zone_is_one_line_that_shows_what_to_use(name):
    with pytest.raises(ValueError, match="unknown time zone") as raised:
        canonical_zone(name)
    assert "\n" not in str(raised.value) and "Europe/Berlin" in str(raised.value)


def test_the_hour_after_a_spring_forward_has_no_local_stream_and_autumns_repeats():
    """From UTC, nothing lands in spring's skipped hour; autumn's repeated hour gets two UTC instants."""
    spring = [datetime(2024, 3, 31, 0, 30) + timedelta(minutes=m) for m in range(0, 61, 15)]
    local = [t + timedelta(minutes=offset_at("Europe/Berlin", t)) for t in spring]
    assert all(not (2 <= t.hour < 3) for t in local)
    autumn = [datetime(2024, 10, 27, 0, 30), datetime(2024, 10, 27, 1, 30)]
    assert [(t + timedelta(minutes=offset_at("Europe/Berlin", t))).hour for t in autumn] == [2, 2]
