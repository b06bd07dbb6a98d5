"""The Spotify job's typed errors: what a run can stop on, each with a message a person can act on.

Kept free of spotipy/requests imports so function_app.py can catch them without loading either.
"""

from __future__ import annotations

REAUTH_HINT = "run `python -m cli auth` again and store the new SPOTIFY_REFRESH_TOKEN"


class SpotifyError(Exception):
    """Base class of every error the Spotify HTTP edge raises."""


class SpotifyAuthError(SpotifyError):
    """The job cannot authenticate; only a person can fix it (settings or a new consent)."""


class AuthExpired(SpotifyAuthError):
    """The refresh token expired (6 months after consent) or was revoked: `invalid_grant`."""

    def __init__(self, description: str | None = None):
        detail = f" ({description})" if description else ""
        super().__init__(f"Spotify refused the refresh token: invalid_grant{detail}; {REAUTH_HINT}")


class AuthNotConfigured(SpotifyAuthError):
    """SPOTIFY_CLIENT_ID, SPOTIFY_CLIENT_SECRET or SPOTIFY_REFRESH_TOKEN is not set."""

    def __init__(self, missing: list[str]):
        self.missing = missing
        hint = REAUTH_HINT if missing == ["SPOTIFY_REFRESH_TOKEN"] else "set them (see README)"
        super().__init__(f"Spotify is not configured: {', '.join(missing)} not set; {hint}")


class RateLimited(SpotifyError):
    """429: Spotify asked us to wait `retry_after` seconds (None when it did not say)."""

    def __init__(self, retry_after: int | None, reason: str | None = None):
        self.retry_after = retry_after
        self.reason = reason
        wait = f"Retry-After {retry_after} s" if retry_after is not None else "no Retry-After"
        super().__init__(f"rate-limited by Spotify ({wait}{', ' + reason if reason else ''})")


class SpotifyUnavailable(SpotifyError):
    """5xx or timeouts that outlasted the retries; the next run tries again."""


class NotFound(SpotifyError):
    """404 for one id: the id does not exist (any more); recorded so it is never asked again."""


class Forbidden(SpotifyError):
    """403: e.g. the batch catalog endpoints for apps created after 2026-02-11."""


class RequestFailed(SpotifyError):
    """Any other 4xx: a bug on our side or a change on Spotify's; not retried."""

    def __init__(self, status: int, message: str):
        self.status = status
        super().__init__(f"Spotify answered {status}: {message}")
