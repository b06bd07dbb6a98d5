"""Names: a fictional catalogue (word lists, shows, books) and stable fake Spotify ids."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


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


def spotify_id(key: str) -> str:
    """A stable fake 22-character base62 Spotify id derived from `key`."""
    number = int.from_bytes(hashlib.sha256(key.encode()).digest(), "big")
    chars = []
    for _ in range(22):
        number, digit = divmod(number, 62)
        chars.append(_BASE62[digit])
    return "".join(chars)


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


def _episode(show: str, number: int, minutes: int) -> tuple[str, str, int]:
    rng = random.Random(f"episode|{show}|{number}")
    name = f"#{number}: {rng.choice(_EPISODE_TOPICS)}"
    uri = "spotify:episode:" + spotify_id(f"episode|{show}|{number}")
    return name, uri, int(minutes * 60_000 * rng.uniform(0.7, 1.3))
