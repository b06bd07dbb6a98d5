"""A fake Azure Resource Manager (one Synapse SQL pool) and managed-identity endpoint, on loopback.

A real `ThreadingHTTPServer` on 127.0.0.1:<free port>, answering as the Synapse `sqlPools` REST
operations of api-version 2021-06-01 do (Azure/azure-rest-api-specs sqlPool.json and its
examples):

    GET  <pool>?api-version=2021-06-01          200 {"id", "name", "type", "properties": {"status", ...}}
    POST <pool>/pause?api-version=2021-06-01    202 Accepted + Azure-AsyncOperation, Location, Retry-After
    POST <pool>/resume?api-version=2021-06-01   202 Accepted + the same headers

It checks what a real one would refuse: the exact resource path (404 otherwise), the api-version
(400), and a bearer token it issued itself (401). The token comes from its App Service-style
managed-identity endpoint (`/msi/token`, the protocol azure-identity's ManagedIdentityCredential
speaks when IDENTITY_ENDPOINT and IDENTITY_HEADER are set), so the app's real credential code runs.

The pool plays Online → Pausing → Paused → Resuming → Online: a pause or resume moves it into the
transition, where it stays for `transition_gets` status reads, then it settles. A pause or resume
during a transition is a 409 Conflict. `fail_next` scripts one-off answers (a 429 with
Retry-After, a 500). Pausing an already paused pool (or resuming an online one) is answered 200
with the pool as it is: a guess at what ARM does, which the app never relies on (it acts only on
the status it read).
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from tests.fakes.loopback import LoopbackServer

API_VERSION = "2021-06-01"
SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
POOL_ID = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-test/providers/Microsoft.Synapse"
    "/workspaces/synw-test/sqlPools/spotifydw"
)
IDENTITY_HEADER = "fake-identity-header-secret"
CLIENT_ID = "11111111-2222-3333-4444-555555555555"
TRANSITIONS = {"Pausing": "Paused", "Resuming": "Online"}
HOLD_LIMIT = 60.0  # seconds a held request waits at most for its release (hold_next)


@dataclass
class Hold:
    """A request held by FakeArm.hold_next: `arrived` once it is held, answered once `released`."""

    arrived: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)


@dataclass(frozen=True)
class Seen:
    method: str
    action: str  # "status", "pause", "resume", "token", "operation", or the unknown path
    status: int


class FakeArm(LoopbackServer):
    """`with FakeArm(status="Paused") as arm:`; `arm.settings_overrides()` points Settings at it."""

    def __init__(self, status: str = "Online", transition_gets: int = 1):
        self.status = status
        self.transition_gets = transition_gets
        self._gets_left = 0
        self.tokens: set[str] = set()
        self.token_resources: list[str] = []
        self.seen: list[Seen] = []
        self._scripted: list[dict] = []
        self._lock = threading.Lock()

    @property
    def identity_endpoint(self) -> str:
        return f"{self.base}/msi/token"

    def settings_overrides(self) -> dict:
        return {
            "synapse_pool_resource_id": POOL_ID,
            "azure_resource_manager_url": f"{self.base}/",
            "managed_identity_client_id": CLIENT_ID,
        }

    def identity_environment(self) -> dict[str, str]:
        """What the Functions host sets for a managed identity (App Service protocol)."""
        return {"IDENTITY_ENDPOINT": self.identity_endpoint, "IDENTITY_HEADER": IDENTITY_HEADER}

    # ---- scenario helpers ------------------------------------------------------------------
    def fail_next(
        self, method: str, action: str, status: int, times: int = 1, retry_after: str | None = None
    ):
        """The next `times` requests of `method` on `action` (status|pause|resume) get `status`."""
        self._scripted.append(
            {"method": method, "action": action, "status": status, "times": times, "retry_after": retry_after}
        )

    def delay_next(self, method: str, action: str, seconds: float) -> None:
        """The next `method` request on `action` stalls `seconds` before it is answered."""
        self._scripted.append({"method": method, "action": action, "delay": seconds, "times": 1})

    def hold_next(self, method: str, action: str) -> Hold:
        """The next `method` request on `action` is answered only once the returned hold is
        released (or after HOLD_LIMIT seconds, so a failing test never hangs): a request in flight
        for as long as a test needs, however slow the machine. `Hold.arrived` is set once that
        request is held, so a test knows which request it holds."""
        hold = Hold()
        self._scripted.append({"method": method, "action": action, "delay": hold, "times": 1})
        return hold

    def settle(self) -> None:
        """End a transition now (Pausing → Paused, Resuming → Online)."""
        with self._lock:
            self.status = TRANSITIONS.get(self.status, self.status)
            self._gets_left = 0

    def count(self, method: str, action: str, status: int | None = None) -> int:
        return sum(
            1 for s in self.seen if (s.method, s.action) == (method, action) and status in (None, s.status)
        )

    # ---- the service -----------------------------------------------------------------------
    def _pool_body(self) -> dict:
        return {
            "id": POOL_ID,
            "name": "spotifydw",
            "type": "Microsoft.Synapse/workspaces/sqlPools",
            "location": "westeurope",
            "sku": {"name": "DW100c"},
            "properties": {
                "status": self.status,
                "collation": "SQL_Latin1_General_CP1_CI_AS",
                "provisioningState": "Succeeded",
            },
        }

    def _scripted_answer(self, method: str, action: str, kind: str) -> dict | None:
        for script in self._scripted:
            wanted = (script["method"], script["action"]) == (method, action) and script["times"] > 0
            if wanted and ("delay" in script) == (kind == "delay"):
                script["times"] -= 1
                return script
        return None

    def stall(self, method: str, url: str) -> float | Hold:
        """Seconds to wait before answering (delay_next), or the event to wait for (hold_next),
        decided outside the lock."""
        with self._lock:
            script = self._scripted_answer(method, _action(urlsplit(url).path) or "", "delay")
        return script["delay"] if script else 0.0

    def handle(self, method: str, url: str, headers) -> tuple[int, dict[str, str], dict]:
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        with self._lock:
            if parts.path == "/msi/token":
                return self._token(query, headers)
            action = _action(parts.path)
            if action is None:
                return 404, {}, _error("ResourceNotFound", f"The Resource '{parts.path}' was not found.")
            if parts.path.startswith("/operations/"):
                return 200, {}, {"status": "InProgress" if self.status in TRANSITIONS else "Succeeded"}
            if query.get("api-version") != [API_VERSION]:
                return (
                    400,
                    {},
                    _error("InvalidApiVersionParameter", f"api-version {query.get('api-version')}"),
                )
            token = headers.get("Authorization", "").removeprefix("Bearer ")
            if token not in self.tokens:
                return 401, {}, _error("InvalidAuthenticationToken", "The access token is invalid.")
            if (method, action) not in (("GET", "status"), ("POST", "pause"), ("POST", "resume")):
                return 405, {}, _error("MethodNotAllowed", f"{method} {action}")
            if script := self._scripted_answer(method, action, "answer"):
                extra = {"Retry-After": script["retry_after"]} if script["retry_after"] else {}
                return script["status"], extra, _error("Scripted", f"scripted {script['status']}")
            if action == "status":
                if self.status in TRANSITIONS:
                    if self._gets_left == 0:
                        self.status = TRANSITIONS[self.status]
                    else:
                        self._gets_left -= 1
                return 200, {}, self._pool_body()
            return self._change(action)

    def _change(self, action: str) -> tuple[int, dict[str, str], dict]:
        wanted, moving, settled = (
            ("Online", "Pausing", "Paused") if action == "pause" else ("Paused", "Resuming", "Online")
        )
        if self.status in TRANSITIONS:
            return (
                409,
                {},
                _error("Conflict", f"A state change ({self.status}) is in progress for the SQL pool."),
            )
        if self.status == settled:
            return 200, {}, self._pool_body()
        if self.status != wanted:
            return 409, {}, _error("Conflict", f"The SQL pool is {self.status}.")
        self.status, self._gets_left = moving, self.transition_gets
        operation = f"{self.base}/operations/{secrets.token_hex(4)}?api-version={API_VERSION}"
        return 202, {"Azure-AsyncOperation": operation, "Location": operation, "Retry-After": "1"}, {}

    def _token(self, query: dict, headers) -> tuple[int, dict[str, str], dict]:
        if headers.get("X-IDENTITY-HEADER") != IDENTITY_HEADER:
            return 401, {}, {"error": "unauthorized", "error_description": "bad X-IDENTITY-HEADER"}
        resource = (query.get("resource") or [""])[0]
        self.token_resources.append(resource)
        if resource.rstrip("/") != self.base:  # the scope must name this Resource Manager
            return 400, {}, {"error": "invalid_resource", "error_description": resource}
        token = f"fake-arm-token-{secrets.token_hex(8)}"
        self.tokens.add(token)
        return (
            200,
            {},
            {
                "access_token": token,
                "expires_on": "4102444800",  # 2100-01-01
                "resource": resource,
                "token_type": "Bearer",
                "client_id": (query.get("client_id") or [""])[0],
            },
        )


def _action(path: str) -> str | None:
    if path.startswith("/operations/"):
        return "operation"
    if path == POOL_ID:
        return "status"
    for action in ("pause", "resume"):
        if path == f"{POOL_ID}/{action}":
            return action
    return None


def _error(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


class _Handler(BaseHTTPRequestHandler):
    fake: FakeArm

    def _answer(self) -> None:
        if length := int(self.headers.get("Content-Length") or 0):
            self.rfile.read(length)
        stall = self.fake.stall(self.command, self.path)
        if isinstance(stall, Hold):
            stall.arrived.set()
            stall.released.wait(HOLD_LIMIT)
        elif stall:
            time.sleep(stall)
        status, headers, body = self.fake.handle(self.command, self.path, self.headers)
        path = urlsplit(self.path).path
        action = "token" if path == "/msi/token" else (_action(path) or path)
        with self.fake._lock:
            self.fake.seen.append(Seen(self.command, action, status))
        data = json.dumps(body).encode() if body else b""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    do_GET = _answer
    do_POST = _answer

    def log_message(self, *args) -> None:  # quiet: the test output is the record
        pass


FakeArm.handler = _Handler
