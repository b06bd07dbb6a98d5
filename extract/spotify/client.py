"""The one HTTP edge to Spotify: builds the spotipy client and turns every failure into a typed error.

- Auth: the Authorization Code flow's refresh token (SPOTIFY_REFRESH_TOKEN, a Key Vault reference in
  Azure), seeded into an in-memory cache so spotipy refreshes without ever prompting and never
  writes a `.cache` file (the deployment is read-only, and a token on disk is a leak).
- Transport: one `requests.Session` whose urllib3 `Retry` retries 5xx, connection errors and
  read timeouts with backoff, and NEVER sleeps on `Retry-After`: a 429 surfaces at once as
  `RateLimited(retry_after)`. Spotify has sent Retry-After values of 20 000+ s; only short waits
  within a small budget (per wait, per call and per run) are slept here, anything longer is the
  caller's decision. A Retry-After of 0 (or 0.4, which is 0 whole seconds) counts as 1 s.
- Token endpoint: its failures are told apart by HTTP status (429 -> RateLimited, 5xx -> SpotifyUnavailable)
  before the OAuth error code (invalid_grant -> AuthExpired, invalid_client -> the credentials), and
  every message is one short line, even when the answer was a whole HTML page.
- A refresh that returns a different refresh token (Spotify may rotate it) is logged at WARNING,
  without the token, since the in-memory cache forgets it when the run ends.
- Logging: spotipy logs request headers (the bearer token) at DEBUG and urllib3 logs URLs; both are
  kept at WARNING. Nothing here logs a token, a header or a payload.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urljoin

import requests
import spotipy
from requests.adapters import HTTPAdapter
from spotipy.cache_handler import CacheHandler, MemoryCacheHandler
from spotipy.exceptions import SpotifyException, SpotifyOauthError
from urllib3.util.retry import Retry

from contracts.text import one_line
from extract.spotify.errors import (
    AuthExpired,
    AuthNotConfigured,
    Forbidden,
    NotFound,
    RateLimited,
    RequestFailed,
    SpotifyAuthError,
    SpotifyUnavailable,
)

logger = logging.getLogger(__name__)

SCOPES = "user-read-recently-played user-top-read"
DEFAULT_TIMEOUT = 10.0  # seconds per request; spotipy's own default (5 s) is tight for batch lookups
DEFAULT_RETRIES = 3
DEFAULT_BACKOFF = 0.5  # urllib3: 0 s, 1 s, 2 s between the retries
RETRY_STATUSES = (500, 502, 503, 504)
# A redirect URI is required by spotipy's constructor but unused when refreshing a token.
DEFAULT_REDIRECT_URI = "http://127.0.0.1:8888/callback"
MIN_RETRY_AFTER = 1  # seconds: Retry-After 0 (or 0.4) would otherwise be a busy loop
MAX_MESSAGE = 200  # characters of a server's error text kept in a message (never a whole HTML page)
ROTATED_HINT = (
    "Spotify rotated the refresh token (the new one lives only for this run and is never logged): "
    "run `python -m cli auth` and store the new SPOTIFY_REFRESH_TOKEN"
)


@dataclass(frozen=True)
class WaitBudget:
    """How long a run may sleep on short Retry-After values: per wait, in total, and how often per call."""

    max_wait: float = 5.0
    max_total: float = 30.0
    max_waits_per_call: int = 3  # a server that keeps saying "wait 1 s" is a rate limit, not a blip


def quiet_http_loggers() -> None:
    """spotipy logs request headers (bearer tokens) at DEBUG: never let it or urllib3 go below WARNING."""
    for name in ("spotipy", "urllib3"):
        log = logging.getLogger(name)
        if log.getEffectiveLevel() < logging.WARNING:
            log.setLevel(logging.WARNING)
    # spotipy.client also logs every HTTP error at ERROR with the request's ids - including the
    # expected 403 of the batch probe and each 404. This edge turns every one of them into a typed
    # error that the job handles or logs itself, so those lines would only be noise in App Insights.
    logging.getLogger("spotipy.client").setLevel(logging.CRITICAL)


def build_session(
    retries: int = DEFAULT_RETRIES, backoff_factor: float = DEFAULT_BACKOFF
) -> requests.Session:
    """A session that retries 5xx/timeouts with backoff and lets 429 through at once with its headers."""
    retry = Retry(
        total=retries,
        connect=retries,
        read=retries,  # every call we make is a GET or the idempotent token refresh: safe to repeat
        status=retries,
        other=0,
        status_forcelist=RETRY_STATUSES,
        backoff_factor=backoff_factor,
        respect_retry_after_header=False,  # never sleep Spotify's Retry-After (seen: 74 214 s)
        allowed_methods=frozenset({"GET", "POST"}),
        raise_on_status=False,  # after the last retry, hand back the real 5xx, not a fake "429"
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def seed_token(refresh_token: str) -> dict:
    """The cache entry that makes spotipy refresh at once and never fall into the interactive flow.

    spotipy only refreshes a cached token that names its scope (else it starts the browser/input()
    consent flow, which ends in EOFError on a server); `expires_at: 0` forces the refresh.
    """
    return {
        "access_token": "",
        "refresh_token": refresh_token,
        "expires_at": 0,
        "scope": SCOPES,
        "token_type": "Bearer",
    }


class RotationAwareCache(MemoryCacheHandler):
    """spotipy's in-memory token cache that warns when a refresh returns a different refresh token.

    spotipy keeps the old refresh token when the answer carries none, so a different one here is a
    real rotation: the configured SPOTIFY_REFRESH_TOKEN may stop working, and only a person can store
    a new one. The token itself never reaches the log.
    """

    def __init__(self, refresh_token: str):
        super().__init__(seed_token(refresh_token))
        self.known_refresh_token = refresh_token

    def save_token_to_cache(self, token_info: dict) -> None:
        new = (token_info or {}).get("refresh_token")
        if new and new != self.known_refresh_token:
            self.known_refresh_token = new
            logger.warning("spotify: %s", ROTATED_HINT)
        super().save_token_to_cache(token_info)


def _missing_app_credentials(settings) -> list[str]:
    """The names of the app credential settings that are not set."""
    pairs = (
        ("SPOTIFY_CLIENT_ID", settings.spotify_client_id),
        ("SPOTIFY_CLIENT_SECRET", settings.spotify_client_secret),
    )
    return [name for name, value in pairs if not value]


def build_oauth(
    settings,
    *,
    session: requests.Session | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    cache_handler: CacheHandler | None = None,
    redirect_uri: str = DEFAULT_REDIRECT_URI,
) -> spotipy.SpotifyOAuth:
    """The Authorization Code auth manager, pointed at SPOTIFY_ACCOUNTS_URL, with no file cache."""
    if missing := _missing_app_credentials(settings):
        raise AuthNotConfigured(missing)
    auth = spotipy.SpotifyOAuth(
        client_id=settings.spotify_client_id,
        client_secret=settings.spotify_client_secret,
        redirect_uri=redirect_uri,
        scope=SCOPES,
        cache_handler=cache_handler or MemoryCacheHandler(),
        open_browser=False,
        requests_session=session or build_session(),
        requests_timeout=timeout,
    )
    accounts = settings.spotify_accounts_url.rstrip("/") + "/"
    # Class attributes in spotipy; instance attributes shadow them (how tests reach the fake server).
    auth.OAUTH_TOKEN_URL = urljoin(accounts, "api/token")
    auth.OAUTH_AUTHORIZE_URL = urljoin(accounts, "authorize")
    return auth


def _oauth_response(error: SpotifyOauthError):
    """The token endpoint's HTTP response behind a SpotifyOauthError (spotipy raises it while handling
    the requests.HTTPError, so the response is on the chained exception), or None."""
    cause = error.__cause__ or error.__context__
    return getattr(cause, "response", None)


def _translate_oauth(error: SpotifyOauthError) -> Exception:
    """Token endpoint failures by HTTP status first: spotipy wraps 429, 5xx and HTML pages alike."""
    response = _oauth_response(error)
    status = getattr(response, "status_code", None)
    code = one_line(error.error, MAX_MESSAGE) or "no error code"
    if status == 429:
        return RateLimited(_retry_after(response.headers), "token endpoint")
    if status is not None and status >= 500:
        return SpotifyUnavailable(f"Spotify's token endpoint answered {status} after retries")
    if error.error == "invalid_grant":
        return AuthExpired(one_line(error.error_description, MAX_MESSAGE) or None)
    if error.error == "invalid_client":
        return SpotifyAuthError(
            "Spotify's token endpoint refused the credentials (invalid_client): "
            "check SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET"
        )
    answered = f"answered {status}" if status is not None else "failed"
    return SpotifyAuthError(f"Spotify's token endpoint {answered} ({code})")


def _translate(error: Exception) -> Exception:
    """spotipy/requests failures -> this job's typed errors (no headers or tokens in the message)."""
    if isinstance(error, SpotifyOauthError):
        return _translate_oauth(error)
    if isinstance(error, SpotifyException):
        status = error.http_status
        message = one_line((error.msg or "").rsplit("\n", 1)[-1], MAX_MESSAGE)
        if status == 429:
            return RateLimited(_retry_after(error.headers), error.reason)
        if status == 404:
            return NotFound(message)
        if status == 403:
            return Forbidden(message)
        if status == 401:
            return SpotifyAuthError(f"Spotify refused the access token (401: {message})")
        if status >= 500:
            return SpotifyUnavailable(f"Spotify answered {status} after retries")
        return RequestFailed(status, message)
    if isinstance(error, requests.exceptions.RequestException):
        # Connection errors and read timeouts that outlasted the adapter's retries.
        return SpotifyUnavailable(f"Spotify did not answer ({type(error).__name__})")
    return error


def _retry_after(headers: Mapping[str, str] | None) -> int | None:
    """Retry-After in whole seconds, at least MIN_RETRY_AFTER; None when absent or not a number."""
    value = (headers or {}).get("Retry-After")
    try:
        seconds = int(float(value)) if value is not None else None
    except (ValueError, OverflowError):  # not a number, or inf: the caller treats it as "long"
        return None
    if seconds is None:
        return None
    return max(seconds, MIN_RETRY_AFTER)


class SpotifyClient:
    """GETs against the Web API through spotipy; counts requests; sleeps only on short Retry-After."""

    def __init__(
        self,
        sp: spotipy.Spotify,
        *,
        budget: WaitBudget = WaitBudget(),
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.sp = sp
        self.budget = budget
        self.sleep = sleep
        self.requests = 0
        self.slept = 0.0
        self._last_body: bytes | None = None
        # Keep the exact bytes of each API answer, so raw/ holds responses exactly as returned.
        sp._session.hooks["response"].append(self._remember_body)

    def _remember_body(self, response, *args, **kwargs):
        if response.request.method == "GET":  # never the token endpoint's POST (it holds tokens)
            self._last_body = response.content
        return response

    @classmethod
    def from_settings(
        cls,
        settings,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        retries: int = DEFAULT_RETRIES,
        backoff_factor: float = DEFAULT_BACKOFF,
        budget: WaitBudget = WaitBudget(),
        sleep: Callable[[float], None] = time.sleep,
    ) -> SpotifyClient:
        """The client the settings describe; raises AuthNotConfigured when a credential is missing."""
        if not settings.spotify_refresh_token:
            raise AuthNotConfigured([*_missing_app_credentials(settings), "SPOTIFY_REFRESH_TOKEN"])
        quiet_http_loggers()
        session = build_session(retries, backoff_factor)
        auth = build_oauth(
            settings,
            session=session,
            timeout=timeout,
            cache_handler=RotationAwareCache(settings.spotify_refresh_token),
        )
        sp = spotipy.Spotify(auth_manager=auth, requests_session=session, requests_timeout=timeout)
        sp.prefix = settings.spotify_api_url.rstrip("/") + "/"
        return cls(sp, budget=budget, sleep=sleep)

    def get(self, path_or_url: str, **params) -> dict:
        """GET a path under SPOTIFY_API_URL (or an absolute `next` URL); typed errors only."""
        return self.get_raw(path_or_url, **params)[1]

    def get_raw(self, path_or_url: str, **params) -> tuple[bytes, dict]:
        """Like `get`, also returning the response body's exact bytes (what lands in raw/)."""
        waits = 0
        while True:
            self.requests += 1
            self._last_body = None
            try:
                body = self.sp._get(path_or_url, **params)
                return self._last_body or b"", body
            except (SpotifyException, SpotifyOauthError, requests.exceptions.RequestException) as error:
                typed = _translate(error)
            if (
                isinstance(typed, RateLimited)
                and typed.retry_after
                and self._may_wait(typed.retry_after, waits)
            ):
                logger.info("Spotify asked to wait %s s; waiting", typed.retry_after)
                self.sleep(typed.retry_after)
                self.slept += typed.retry_after
                waits += 1
                continue
            raise typed

    def _may_wait(self, retry_after: int | None, waits: int) -> bool:
        return (
            retry_after is not None
            and 0 < retry_after <= self.budget.max_wait
            and waits < self.budget.max_waits_per_call
            and self.slept + retry_after <= self.budget.max_total
        )
