"""The one HTTP edge to Azure Resource Manager: a dedicated SQL pool's status, pause and resume.

The Synapse `sqlPools` REST operations, api-version 2021-06-01 (Azure/azure-rest-api-specs,
specification/synapse/.../stable/2021-06-01/sqlPool.json):

    GET  {pool}?api-version=...         200, `properties.status`: Online, Paused, Pausing, Resuming, ...
    POST {pool}/pause?api-version=...   200 or 202 Accepted (a long-running operation)
    POST {pool}/resume?api-version=...  200 or 202 Accepted

- Auth: a bearer token for `<ARM base URL>/.default` from the app's managed identity in Azure
  (azure-identity, which caches and refreshes it), DefaultAzureCredential elsewhere. The token
  is never logged, and nothing is cached on disk.
- Transport: finite connect/read timeouts; connection errors and 5xx are retried twice with
  backoff (every call here is safe to repeat: a second pause of a pausing pool is only a 409).
- Failures are typed and one line: 409 (a state change is already in progress) -> PoolBusy;
  429 -> ArmThrottled with the Retry-After it carried, never slept on here (the caller reschedules);
  anything else -> ArmError with the status, ARM's error code and what to do.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from contracts.text import one_line
from settings import Settings

if TYPE_CHECKING:
    import requests

logger = logging.getLogger(__name__)

API_VERSION = "2021-06-01"
TIMEOUT = (5.0, 20.0)  # seconds: connect, read
ATTEMPTS = 3
BACKOFF_SECONDS = 1.0  # 1 s, then 2 s between attempts
RETRY_STATUSES = frozenset({500, 502, 503, 504})
DEFAULT_RETRY_AFTER = 30.0  # a 429 without a usable Retry-After

# properties.status values this app acts on (the spec types it as a plain string; these are the
# values the SQL pool's status takes, as Microsoft.Sql's DatabaseStatus lists them).
ONLINE = "Online"
PAUSED = "Paused"
PAUSING = "Pausing"
RESUMING = "Resuming"

Token = Callable[[], str]


class ArmError(Exception):
    """Resource Manager refused or failed a request (one line: status, ARM's code, what to do)."""

    def __init__(self, message: str, status: int | None = None, code: str = ""):
        super().__init__(message)
        self.status = status
        self.code = code


class PoolBusy(ArmError):
    """409: the pool is in the middle of a state change (pausing, resuming, scaling)."""


class ArmThrottled(ArmError):
    """429: too many requests; `retry_after` seconds is when Resource Manager asks us to come back."""

    def __init__(self, message: str, retry_after: float):
        super().__init__(message, 429, "TooManyRequests")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Accepted:
    """A pause or resume Resource Manager took on: 202 (running) or 200 (done already)."""

    status_code: int
    retry_after: float | None  # when to look again, if it said


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """A Retry-After header as seconds from now: delta-seconds or an HTTP date (pure)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)


def token_scope(base_url: str) -> str:
    """The Entra scope for the Resource Manager at `base_url`: https://management.azure.com/.default."""
    parts = urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc}/.default"


def _error_detail(response: requests.Response) -> tuple[str, str]:
    """ARM's `{"error": {"code", "message"}}`, or the body's first line when it is not that."""
    try:
        body: Any = response.json()
    except ValueError:
        return "", one_line(response.text, 200)
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return str(error.get("code") or ""), one_line(str(error.get("message") or ""), 200)
    return "", one_line(response.text, 200)


HINTS = {
    401: "the app's identity has no valid token for Resource Manager",
    403: "grant the app's identity the pool's pause/resume role (infra/app/rbac.bicep, azd provision)",
    404: "check SYNAPSE_POOL_RESOURCE_ID (the SQL pool's resource id)",
}


class SqlPoolArm:
    """One SQL pool, through Resource Manager. `token` returns a bearer token (cached by its source)."""

    def __init__(
        self,
        base_url: str,
        resource_id: str,
        token: Token,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        import requests  # lazy: only the pool's timer and gated loads need HTTP

        self.url = base_url.rstrip("/") + "/" + resource_id.strip("/")
        self.resource_id = resource_id
        self._token = token
        self._session = session or requests.Session()
        self._sleep = sleep
        self._requests = requests

    def status(self) -> str:
        """The pool's `properties.status` now (Online, Paused, Pausing, Resuming, Scaling, ...)."""
        body = self._call("GET", "").json()
        try:
            return str(body["properties"]["status"])
        except (KeyError, TypeError):
            raise ArmError("Resource Manager answered the SQL pool without properties.status") from None

    def pause(self) -> Accepted:
        return self._accepted(self._call("POST", "/pause"))

    def resume(self) -> Accepted:
        return self._accepted(self._call("POST", "/resume"))

    @staticmethod
    def _accepted(response: requests.Response) -> Accepted:
        return Accepted(response.status_code, retry_after_seconds(response.headers.get("Retry-After")))

    def _call(self, method: str, action: str) -> requests.Response:
        url = f"{self.url}{action}"
        doing = f"{method} {action.lstrip('/') or 'status'} of the SQL pool"
        for attempt in range(1, ATTEMPTS + 1):
            try:
                response = self._session.request(
                    method,
                    url,
                    params={"api-version": API_VERSION},
                    headers={"Authorization": f"Bearer {self._token()}", "Accept": "application/json"},
                    timeout=TIMEOUT,
                )
            except (self._requests.ConnectionError, self._requests.Timeout) as error:
                if attempt == ATTEMPTS:
                    raise ArmError(
                        f"Resource Manager unreachable ({doing}): {one_line(error, 200)}"
                    ) from None
                failure = type(error).__name__
            else:
                if response.status_code < 400:
                    return response
                if response.status_code not in RETRY_STATUSES or attempt == ATTEMPTS:
                    raise self._failure(response, doing)
                failure = f"HTTP {response.status_code}"
            delay = BACKOFF_SECONDS * 2 ** (attempt - 1)
            logger.warning("Resource Manager: %s failed (%s), retrying in %.0f s", doing, failure, delay)
            self._sleep(delay)
        raise AssertionError("unreachable")  # the loop returns or raises

    @staticmethod
    def _failure(response: requests.Response, doing: str) -> ArmError:
        code, message = _error_detail(response)
        status = response.status_code
        line = f"Resource Manager refused {doing}: {status} {code or response.reason}".rstrip()
        if message:
            line = f"{line}: {message}"
        if status == 409:
            return PoolBusy(line, status, code)
        if status == 429:
            wait = retry_after_seconds(response.headers.get("Retry-After"))
            return ArmThrottled(line, DEFAULT_RETRY_AFTER if wait is None else wait)
        hint = HINTS.get(status)
        return ArmError(f"{line} ({hint})" if hint else line, status, code)


@functools.lru_cache(maxsize=4)
def managed_identity_token(settings: Settings) -> Token:
    """Bearer tokens for Resource Manager from the app's identity (azure-identity caches them).

    One credential per process (Settings is frozen, so equal settings share it), not one per
    invocation: its token cache lives as long as the instance."""
    from azure.identity import DefaultAzureCredential, ManagedIdentityCredential  # optional: Azure only

    credential = (
        ManagedIdentityCredential(client_id=settings.managed_identity_client_id)
        if settings.managed_identity_client_id
        else DefaultAzureCredential()
    )
    scope = token_scope(settings.azure_resource_manager_url)

    def token() -> str:
        from azure.core.exceptions import ClientAuthenticationError  # optional: Azure only

        try:
            return credential.get_token(scope).token
        except ClientAuthenticationError:
            # The credential chain's own message is pages long; the fix is one line.
            raise ArmError(
                "no Entra credential for Resource Manager: the app's managed identity (DataLake__clientId) "
                "in Azure, or `az login` locally"
            ) from None

    return token


def open_pool(settings: Settings, token: Token | None = None) -> SqlPoolArm:
    """The SQL pool the settings name (SYNAPSE_POOL_RESOURCE_ID), at AZURE_RESOURCE_MANAGER_URL."""
    if not settings.synapse_pool_resource_id:
        raise ArmError("SYNAPSE_POOL_RESOURCE_ID is not set: the app cannot pause or resume the pool")
    return SqlPoolArm(
        settings.azure_resource_manager_url,
        settings.synapse_pool_resource_id,
        token or managed_identity_token(settings),
    )
