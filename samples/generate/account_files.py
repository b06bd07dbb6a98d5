"""The other account-data files: Userdata, Identity, YourLibrary, Playlist1, SearchQueries."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from samples.generate.library import Library
from samples.generate.names import _SHOWS, spotify_id
from samples.generate.persona import Persona


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
