"""The fictional catalogue one listener draws from: artists, albums, tracks and their weights."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

from samples.generate.names import _album_name, _artist_name, _track_name, _unique, spotify_id


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
