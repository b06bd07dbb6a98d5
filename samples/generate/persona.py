"""The listener: the fictional account holder, their devices and platform strings, their IP addresses."""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Sequence
from dataclasses import dataclass

from samples.generate.names import _FIRST, _SHOWS

_HOME_COUNTRIES = ("GB", "DE", "NL", "SE", "IE", "DK")
_TRIP_COUNTRIES = ("ES", "FR", "IT", "PT", "US", "NO", "GR", "JP", "CA", "AT", "PL")


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
SHORT_PLATFORM_YEAR = 2023  # from here on, platform is a short family name ("ios", "windows", ...)


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
