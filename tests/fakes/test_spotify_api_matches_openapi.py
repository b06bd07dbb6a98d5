"""The fake Spotify's bodies are checked against the public OpenAPI description; so is the checker."""

from __future__ import annotations

from tests.fakes.openapi_check import problems
from tests.fakes.spotify_api import QUOTA_BODY, Catalog, FakeSpotify


def test_the_checker_rejects_bodies_that_break_the_spec():
    assert problems("/tracks/{id}", 200, {"id": 5}) == ["/tracks/{id} 200: id: 5 is not of type 'string'"]
    bad_album = {"id": "x", "album": {"id": "y"}}
    assert any("album_type" in p for p in problems("/tracks/{id}", 200, bad_album))
    assert problems("/me/player/recently-played", 200, {"items": [{"played_at": "yesterday"}]})
    assert problems("/me/top/tracks", 429, {"error": {"status": 429}})  # message is required


def test_the_checker_allows_what_spotify_adds_beyond_the_spec():
    assert problems("/me/top/tracks", 429, QUOTA_BODY) == []  # error.reason is not modelled
    assert problems("/tracks/{id}", 404, {"error": {"status": 404, "message": "Resource not found"}}) == []


def test_every_kind_of_object_the_fake_builds_matches_the_spec():
    catalog = Catalog.generate(10, tracks_per_album=3)
    with FakeSpotify(catalog) as fake:
        track, album, artist = (
            next(iter(catalog.tracks)),
            next(iter(catalog.albums)),
            next(iter(catalog.artists)),
        )
        assert problems("/tracks/{id}", 200, fake.track_object(track)) == []
        assert problems("/albums/{id}", 200, fake.album_object(album)) == []
        assert problems("/artists/{id}", 200, fake.artist_object(artist)) == []
        assert problems("/tracks", 200, {"tracks": [fake.track_object(t) for t in catalog.tracks]}) == []
        fake.add_plays(list(catalog.tracks), 1_700_000_000_000)
        assert problems("/me/player/recently-played", 200, fake.recently_played({"limit": "5"})) == []
        fake.top[("artists", "long_term")] = list(catalog.artists)
        body = fake.top_items("artists", {"time_range": "long_term"})
        assert problems("/me/top/artists", 200, body) == []
        # Removed-in-2026 fields are left out wherever the spec allows it.
        assert "popularity" not in fake.track_object(track)
        assert not {"popularity", "followers"} & set(fake.artist_object(artist))
