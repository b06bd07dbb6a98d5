"""The HTTP edge against the fake Spotify: 429 surfaces at once, 5xx and timeouts are retried."""

from __future__ import annotations

import logging
import socket
from dataclasses import replace

import pytest

from extract.spotify.errors import (
    AuthExpired,
    Forbidden,
    NotFound,
    RateLimited,
    SpotifyAuthError,
    SpotifyUnavailable,
)
from tests.fakes.spotify_api import REFRESH_TOKEN

TRACKS = "/v1/me/top/tracks"


@pytest.fixture
def unused_port() -> int:
    """A loopback port nothing listens on (bound, read, released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
    for _ in range(2):  # each call: 3 waits of 5 s (the per-call cap), then RateLimited
        with pytest.raises(RateLimited):
            client.get("me/top/tracks")
    assert client.slept_for == [5] * 6 and fake.requests[TRACKS] == 8
    with pytest.raises(RateLimited):  # the run's 30 s are spent: no more waiting at all
        client.get("me/top/tracks")
    assert sum(client.slept_for) == 30 and fake.requests[TRACKS] == 9


@pytest.mark.parametrize("retry_after", [0, 0.4])
def test_a_zero_retry_after_waits_one_second_and_a_few_times_only(settings, fake, client_for, retry_after):
    """Retry-After 0 (or 0.4 -> 0 whole seconds) must not become a busy loop of requests."""
    client = client_for(settings)
    fake.fail_next(TRACKS, 429, times=50, retry_after=retry_after)
    with pytest.raises(RateLimited) as caught:
        client.get("me/top/tracks")
    assert caught.value.retry_after == 1
    assert client.slept_for == [1, 1, 1]  # at most 3 short waits per call
    assert fake.requests[TRACKS] == 4


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


TOKEN = "/api/token"
HTML_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>Upstream error</title></head>\n<body>"
    + b"<p>"
    + b"x" * 5000
    + b"</p>\n</body></html>\n"
)


def _assert_one_short_line(error: Exception) -> None:
    message = str(error)
    assert "\n" not in message and len(message) <= 300, message
    assert "SPOTIFY_CLIENT_ID" not in message  # not blamed on the credentials


def test_a_429_from_the_token_endpoint_is_a_rate_limit_with_its_retry_after(settings, fake, client_for):
    client = client_for(settings)
    fake.fail_next(TOKEN, 429, retry_after=3600, body=b'{"error":"too_many_requests"}')
    with pytest.raises(RateLimited) as caught:
        client.get("me/top/tracks")
    assert caught.value.retry_after == 3600
    _assert_one_short_line(caught.value)
    assert fake.requests[TRACKS] == 0


def test_5xx_html_from_the_token_endpoint_is_an_outage_in_one_line(settings, fake, client_for):
    client = client_for(settings, retries=1)
    fake.fail_next(TOKEN, 503, times=5, body=HTML_PAGE)
    with pytest.raises(SpotifyUnavailable, match="503") as caught:
        client.get("me/top/tracks")
    _assert_one_short_line(caught.value)
    assert fake.requests[TOKEN] == 2  # retried by the session, then given up


def test_an_html_4xx_from_the_token_endpoint_stays_one_short_line(settings, fake, client_for):
    client = client_for(settings)
    fake.fail_next(TOKEN, 400, body=HTML_PAGE)
    with pytest.raises(SpotifyAuthError, match="400") as caught:
        client.get("me/top/tracks")
    _assert_one_short_line(caught.value)
    assert not isinstance(caught.value, AuthExpired)


def test_an_unreachable_token_endpoint_is_an_outage(settings, client_for, unused_port):
    client = client_for(replace(settings, spotify_accounts_url=f"http://127.0.0.1:{unused_port}/"), retries=0)
    with pytest.raises(SpotifyUnavailable, match="did not answer"):
        client.get("me/top/tracks")


def test_wrong_app_credentials_name_the_settings(settings, fake, client_for):
    client = client_for(replace(settings, spotify_client_secret="wrong"))
    with pytest.raises(SpotifyAuthError, match=r"invalid_client.*SPOTIFY_CLIENT_SECRET") as caught:
        client.get("me/top/tracks")
    assert "\n" not in str(caught.value)


def test_a_rotated_refresh_token_is_warned_about_without_the_token(settings, fake, client_for, caplog):
    caplog.set_level(logging.INFO)
    fake.rotate_refresh = True
    client = client_for(settings)
    client.get("me/top/tracks")
    (new,) = fake.refresh_tokens - {REFRESH_TOKEN}
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "rotated" in r.getMessage()]
    assert len(warnings) == 1 and "python -m cli auth" in warnings[0].getMessage()
    assert new not in caplog.text and REFRESH_TOKEN not in caplog.text


def test_the_same_refresh_token_returned_is_not_a_rotation(settings, fake, client_for, caplog):
    caplog.set_level(logging.INFO)
    fake.echo_refresh = True
    client_for(settings).get("me/top/tracks")
    assert "rotated" not in caplog.text
