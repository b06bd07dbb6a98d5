"""The HTTP edge against the fake Spotify: 429 surfaces at once, 5xx and timeouts are retried."""

from __future__ import annotations

import logging

import pytest

from extract.spotify.errors import Forbidden, NotFound, RateLimited, SpotifyUnavailable
from tests.spotify.fake_spotify import REFRESH_TOKEN

TRACKS = "/v1/me/top/tracks"


def test_a_429_surfaces_at_once_with_its_retry_after(settings, fake, client_for):
    client = client_for(settings)
    fake.fail_next(TRACKS, 429, retry_after=74214)
    with pytest.raises(RateLimited) as caught:
        client.get("me/top/tracks", time_range="short_term")
    assert caught.value.retry_after == 74214
    assert caught.value.reason == "QUOTA_EXCEEDED"
    assert fake.requests[TRACKS] == 1  # not retried, and nothing slept
    assert client.slept_for == []


def test_a_short_retry_after_is_slept_within_the_budget_then_retried(settings, fake, client_for):
    client = client_for(settings)
    fake.fail_next(TRACKS, 429, times=2, retry_after=2)
    assert client.get("me/top/tracks")["items"] == []
    assert client.slept_for == [2, 2]
    assert fake.requests[TRACKS] == 3


def test_short_waits_stop_when_the_run_budget_is_spent(settings, fake, client_for):
    client = client_for(settings)
    fake.fail_next(TRACKS, 429, times=20, retry_after=5)
    with pytest.raises(RateLimited):
        client.get("me/top/tracks")
    assert sum(client.slept_for) == 30  # 6 waits of 5 s, then it gives up
    assert fake.requests[TRACKS] == 7


def test_5xx_is_retried_with_backoff_then_succeeds(settings, fake, client_for):
    client = client_for(settings)
    fake.fail_next(TRACKS, 503, times=2)
    assert client.get("me/top/tracks")["total"] == 0
    assert fake.requests[TRACKS] == 3


def test_5xx_outlasting_the_retries_is_a_typed_error(settings, fake, client_for):
    client = client_for(settings, retries=2)
    fake.fail_next(TRACKS, 502, times=10)
    with pytest.raises(SpotifyUnavailable, match="502"):
        client.get("me/top/tracks")
    assert fake.requests[TRACKS] == 3


def test_a_read_timeout_is_retried(settings, fake, client_for):
    client = client_for(settings, timeout=0.3)
    fake.delay_next(TRACKS, 1.0)
    assert client.get("me/top/tracks")["items"] == []
    assert fake.requests[TRACKS] == 2


def test_timeouts_outlasting_the_retries_are_a_typed_error(settings, fake, client_for):
    client = client_for(settings, timeout=0.2, retries=1)
    fake.delay_next(TRACKS, 0.6, times=2)
    with pytest.raises(SpotifyUnavailable, match="did not answer"):
        client.get("me/top/tracks")


def test_404_and_403_are_typed(settings, fake, client_for):
    client = client_for(settings)
    with pytest.raises(NotFound):
        client.get("tracks/0000000000000000000000")
    fake.batch_forbidden = True
    with pytest.raises(Forbidden):
        client.get("tracks", ids="0000000000000000000000")


def test_raw_bytes_are_the_response_body_exactly(settings, fake, client_for, catalog):
    client = client_for(settings)
    fake.top[("tracks", "short_term")] = list(catalog.tracks)[:3]
    body, parsed = client.get_raw("me/top/tracks", time_range="short_term", limit=50)
    import json

    expected = fake.top_items("tracks", {"time_range": "short_term", "limit": "50"})
    assert body == json.dumps(expected).encode()
    assert parsed == expected


def test_no_token_or_header_reaches_the_logs(settings, fake, client_for, caplog):
    caplog.set_level(logging.DEBUG)
    client = client_for(settings)
    client.get("me/top/tracks")
    fake.fail_next(TRACKS, 429, retry_after=74214)
    with pytest.raises(RateLimited):
        client.get("me/top/tracks")
    (access,) = fake.access_tokens
    assert access not in caplog.text and REFRESH_TOKEN not in caplog.text
    assert "Bearer" not in caplog.text and "Authorization" not in caplog.text
    assert logging.getLogger("spotipy").getEffectiveLevel() >= logging.WARNING
    assert logging.getLogger("urllib3").getEffectiveLevel() >= logging.WARNING
