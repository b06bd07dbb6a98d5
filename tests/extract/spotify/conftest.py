"""Fixtures for the Spotify tests: settings pointing at the fake Spotify (tests/conftest.py), a client."""

from __future__ import annotations

from dataclasses import replace

import pytest

from extract.spotify.client import SpotifyClient, WaitBudget
from tests.fakes.spotify_api import past_ms


@pytest.fixture
def settings(folder_settings, fake):
    return replace(folder_settings, **fake.settings_overrides())


@pytest.fixture
def client_for():
    """Build the real client for some settings, with fast backoff and a recorded (not real) sleep."""

    def build(settings, **kwargs):
        slept: list[float] = []
        kwargs.setdefault("backoff_factor", 0.01)
        kwargs.setdefault("budget", WaitBudget(max_wait=5, max_total=30))
        client = SpotifyClient.from_settings(settings, sleep=slept.append, **kwargs)
        client.slept_for = slept
        return client

    return build


@pytest.fixture
def played(fake, catalog):
    """120 distinct tracks played over the last days (recently-played serves 20 per page)."""
    fake.page_size = 20
    ids = list(catalog.tracks)
    fake.add_plays(ids, past_ms(3), gap_ms=60_000)
    return ids
