"""Fixtures for the Spotify tests: a fake Spotify on loopback and settings pointing at it."""

from __future__ import annotations

from dataclasses import replace

import pytest

from extract.spotify.client import SpotifyClient, WaitBudget
from tests.spotify.fake_spotify import Catalog, FakeSpotify

SERVED: list[int] = []  # Web API bodies served (and validated) across the session


@pytest.fixture
def catalog() -> Catalog:
    return Catalog.generate(120, tracks_per_album=5)  # 24 albums, 12 artists


@pytest.fixture
def fake(catalog):
    """The fake server; every Web API body it served must match the OpenAPI spec."""
    with FakeSpotify(catalog, history_limit=None) as server:
        yield server
    SERVED.append(server.validated)
    assert server.validation_errors == [], server.validation_errors[:5]


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
