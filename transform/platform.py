"""Coarse device families for the export's free-text `platform`, which can name a device model.

Raw values over the years (../shared/notes/spotify.md §1.3): `"Android OS 4.2.2 API 17 (samsung,
GT-I9195)"`, `"Windows 10 (10.0.17134; x64)"`, `"web_player windows 10;chrome 95...;desktop"`,
`"iOS 14.4 (iPhone12,1)"`, `"OS X 10.15.7 [x86 8]"`, `"Partner sonos_..."`, and since 2023 short
values such as `"ios"`, `"android"`, `"windows"`, `"osx"`. Curated data keeps only the family:
android, ios, windows, osx, linux, web, cast, speaker, tv, car, console, or other.
"""

from __future__ import annotations

import re

# Each pattern runs on the value lower-cased, with every run of other characters turned into one
# space and a space at both ends, so ` word ` matches a whole word and ` word` a word's start.
# First match wins: the specific families (a web player on Windows, an Android TV, a Sonos
# speaker running Linux) come before the operating systems they mention.
_FAMILIES: tuple[tuple[str, re.Pattern], ...] = tuple(
    (family, re.compile("|".join(patterns)))
    for family, patterns in (
        ("web", [" web ", " web player ", " webplayer ", " browser ", " websocket "]),
        ("cast", [" cast ", " chromecast", " google cast", " cast video", " cast audio"]),
        ("console", [" playstation", " ps3 ", " ps4 ", " ps5 ", " xbox", " nintendo"]),
        ("car", [" car ", " carplay ", " automotive ", " auto ", " tesla ", " superbird "]),
        (
            "tv",
            [
                " tv ",
                " tvos",
                " smart ?tv",
                " tizen",
                " webos",
                " roku",
                " fire ?tv",
                " bravia",
                " vizio",
                " androidtv",
                " appletv",
            ],
        ),
        (
            "speaker",
            [
                " sonos",
                " bose",
                " echo",
                " alexa",
                " google home",
                " nest ",
                " homepod",
                " speaker",
                " denon",
                " yamaha",
                " harman",
                " jbl ",
                " bang olufsen",
                " libratone",
                " marantz",
                " bluesound",
                " heos ",
                " audio pro ",
            ],
        ),
        ("android", [" android"]),
        ("ios", [" ios", " iphone", " ipad", " ipod"]),
        ("windows", [" windows", " win32 ", " win64 ", " uwp "]),
        ("osx", [" os x ", " osx", " macos", " mac os", " macintosh", " mac "]),
        ("linux", [" linux", " ubuntu", " debian", " fedora"]),
    )
)
_SEPARATORS = re.compile(r"[^0-9a-z]+")


def platform_family(raw: str | None) -> str | None:
    """The coarse family of a raw `platform` value; None (and a blank value) gives None."""
    if raw is None:
        return None
    words = _SEPARATORS.sub(" ", raw.lower()).strip()
    if not words:
        return None
    text = f" {words} "
    for family, pattern in _FAMILIES:
        if pattern.search(text):
            return family
    return "other"
