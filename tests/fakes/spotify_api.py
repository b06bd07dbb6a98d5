"""A fake Spotify (Web API + accounts service) on loopback, for tests and the enrichment benchmark.

A real `ThreadingHTTPServer` on 127.0.0.1:<free port>. It serves a deterministic catalog and play
history, checks bearer tokens, counts requests per path, and validates every Web API JSON body it
serves against the public OpenAPI description (tests/fakes/openapi_check.py); problems are
collected in `validation_errors`. The accounts endpoint (`/api/token`) is not part of that spec.

Switchable failures: scripted one-off failures per path prefix (`fail_next`, `delay_next`; on the
token endpoint also with a raw body such as an HTML error page), a request quota after which every
matching request gets 429 with a huge Retry-After (`limit_quota`), 403 on the batch catalog endpoints
(`batch_forbidden`), revoked refresh tokens (`revoke`) and refresh-token rotation (`rotate_refresh`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import string
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.fakes.loopback import LoopbackServer
from tests.fakes.openapi_check import problems

CLIENT_ID = "fake-client-id"
CLIENT_SECRET = "fake-client-secret"
REFRESH_TOKEN = "fake-refresh-token-R1"
SCOPES = "user-read-recently-played user-top-read"
QUOTA_BODY = {"error": {"status": 429, "message": "Too many requests", "reason": "QUOTA_EXCEEDED"}}
BATCH_LIMITS = {"tracks": 50, "albums": 20, "artists": 50}
_B62 = string.digits + string.ascii_letters


def spotify_id(kind: str, n: int) -> str:
    """A deterministic 22-character base62 id, like Spotify's."""
    value = int.from_bytes(hashlib.sha1(f"{kind}:{n}".encode()).digest(), "big")
    chars = []
    for _ in range(22):
        value, rem = divmod(value, 62)
        chars.append(_B62[rem])
    return "".join(chars)


@dataclass
class Catalog:
    tracks: dict[str, dict] = field(default_factory=dict)  # id -> {name, album_id, artist_ids, ...}
    albums: dict[str, dict] = field(default_factory=dict)
    artists: dict[str, dict] = field(default_factory=dict)

    @classmethod
    def generate(cls, n_tracks: int, tracks_per_album: int = 5, n_artists: int | None = None) -> Catalog:
        """n tracks, ⌈n/tracks_per_album⌉ albums; each track has a primary artist and every 4th a feature."""
        catalog = cls()
        n_albums = -(-n_tracks // tracks_per_album)
        n_artists = n_artists or max(1, n_albums // 2)
        for a in range(n_artists):
            genres = ["indie pop"] if a % 3 == 0 else []
            catalog.artists[spotify_id("artist", a)] = {"name": f"Artist {a}", "genres": genres}
        artist_ids = list(catalog.artists)
        for b in range(n_albums):
            catalog.albums[spotify_id("album", b)] = {
                "name": f"Album {b}",
                "artist_id": artist_ids[b % n_artists],
                "release_date": f"{2000 + b % 25}-0{1 + b % 9}-1{b % 10}",
                "album_type": "single" if b % 7 == 0 else "album",
                "total_tracks": tracks_per_album,
            }
        album_ids = list(catalog.albums)
        for t in range(n_tracks):
            album_id = album_ids[t // tracks_per_album]
            primary = catalog.albums[album_id]["artist_id"]
            artists = [primary]
            if t % 4 == 3:
                feature = artist_ids[(artist_ids.index(primary) + 1) % n_artists]
                if feature != primary:
                    artists.append(feature)
            catalog.tracks[spotify_id("track", t)] = {
                "name": f"Track {t}",
                "album_id": album_id,
                "artist_ids": artists,
                "duration_ms": 150_000 + (t * 7919) % 120_000,
                "explicit": t % 5 == 0,
                "disc_number": 1,
                "track_number": 1 + t % tracks_per_album,
                "isrc": f"QZ{t:010d}",
            }
        return catalog


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


class FakeSpotify(LoopbackServer):
    """Start with `with FakeSpotify(...) as fake:`; `fake.settings_overrides()` points Settings at it."""

    def __init__(
        self, catalog: Catalog | None = None, *, page_size: int = 50, history_limit: int | None = 50
    ):
        self.catalog = catalog or Catalog()
        self.page_size = page_size  # the server caps pages at this size, like a real limit
        self.history_limit = history_limit  # Spotify keeps only the 50 most recent plays
        self.plays: list[tuple[int, str]] = []  # (played_at ms, track id), any order
        self.top: dict[tuple[str, str], list[str]] = {}  # (tracks|artists, time_range) -> ids
        self.refresh_tokens = {REFRESH_TOKEN}
        self.codes: dict[str, str] = {}  # authorization code -> refresh token it yields
        self.access_tokens: set[str] = set()
        self.batch_forbidden = False
        self.rotate_refresh = False  # a refresh answers with a new refresh_token (Spotify may do so)
        self.echo_refresh = False  # a refresh answers with the same refresh_token it was sent
        self.removed: set[str] = set()  # ids still in play history but gone from the catalog (404)
        self.quota: dict[str, int] = {}  # path prefix -> requests still allowed before 429
        self.retry_after = 74214
        self._scripted: list[dict] = []
        self.requests: Counter[str] = Counter()
        self.log: list[tuple[str, str, str]] = []  # (method, path, query)
        self.log_times: list[float] = []  # time.monotonic() of each request in `log`, in order
        self.validated = 0
        self.validation_errors: list[str] = []
        self.token_requests: list[dict] = []  # form bodies posted to /api/token (grant types)
        self._lock = threading.Lock()

    @property
    def api_url(self) -> str:
        return f"{self.base}/v1/"

    @property
    def accounts_url(self) -> str:
        return f"{self.base}/"

    def settings_overrides(self) -> dict:
        return {
            "spotify_client_id": CLIENT_ID,
            "spotify_client_secret": CLIENT_SECRET,
            "spotify_refresh_token": REFRESH_TOKEN,
            "spotify_api_url": self.api_url,
            "spotify_accounts_url": self.accounts_url,
        }

    # ---- scenario helpers ------------------------------------------------------------------
    def add_plays(self, track_ids: list[str], start_ms: int, gap_ms: int = 240_000) -> list[int]:
        stamps = [start_ms + i * gap_ms for i in range(len(track_ids))]
        self.plays.extend(zip(stamps, track_ids, strict=True))
        return stamps

    def fail_next(
        self,
        prefix: str,
        status: int,
        times: int = 1,
        retry_after: float | None = None,
        body: bytes | None = None,
    ) -> None:
        """The next `times` requests whose path starts with `prefix` get `status` (and `body`, raw)."""
        self._scripted.append(
            {"prefix": prefix, "status": status, "times": times, "retry_after": retry_after, "body": body}
        )

    def delay_next(self, prefix: str, seconds: float, times: int = 1) -> None:
        """The next `times` matching requests stall `seconds` before answering (client timeouts)."""
        self._scripted.append({"prefix": prefix, "delay": seconds, "times": times})

    def limit_quota(self, prefix: str, allowed: int | None, retry_after: int = 74214) -> None:
        """After `allowed` more requests under `prefix`, answer 429 QUOTA_EXCEEDED; None lifts it."""
        self.retry_after = retry_after
        if allowed is None:
            self.quota.pop(prefix, None)
        else:
            self.quota[prefix] = allowed

    def revoke(self, refresh_token: str = REFRESH_TOKEN) -> None:
        self.refresh_tokens.discard(refresh_token)

    def issue_code(self) -> tuple[str, str]:
        """An authorization code the consent screen would redirect with, and the refresh token it yields."""
        code, token = f"code-{secrets.token_hex(4)}", f"fake-refresh-{secrets.token_hex(8)}"
        self.codes[code] = token
        return code, token

    def catalog_requests(self) -> int:
        return sum(n for path, n in self.requests.items() if path.split("/")[2] in BATCH_LIMITS)

    def reset_counts(self) -> None:
        with self._lock:
            self.requests.clear()
            self.log.clear()
            self.log_times.clear()

    # ---- objects (shapes per the OpenAPI spec; fields Spotify removed in 2026 left out where allowed)
    def _simple_artist(self, artist_id: str) -> dict:
        return {
            "external_urls": {"spotify": f"https://open.spotify.com/artist/{artist_id}"},
            "href": f"{self.api_url}artists/{artist_id}",
            "id": artist_id,
            "name": self.catalog.artists[artist_id]["name"],
            "type": "artist",
            "uri": f"spotify:artist:{artist_id}",
        }

    def artist_object(self, artist_id: str) -> dict:
        body = {**self._simple_artist(artist_id), "images": []}
        genres = self.catalog.artists[artist_id]["genres"]
        if genres:  # deprecated: some artists still carry it, most not
            body["genres"] = list(genres)
        return body

    def _album_base(self, album_id: str) -> dict:
        album = self.catalog.albums[album_id]
        return {
            "album_type": album["album_type"],
            "total_tracks": album["total_tracks"],
            "available_markets": [],  # removed in 2026 but still required by the spec
            "external_urls": {"spotify": f"https://open.spotify.com/album/{album_id}"},
            "href": f"{self.api_url}albums/{album_id}",
            "id": album_id,
            "images": [{"url": f"https://i.scdn.co/image/{album_id}", "height": 640, "width": 640}],
            "name": album["name"],
            "release_date": album["release_date"],
            "release_date_precision": "day",
            "type": "album",
            "uri": f"spotify:album:{album_id}",
            "artists": [self._simple_artist(album["artist_id"])],
        }

    def album_object(self, album_id: str) -> dict:
        tracks = [t for t, v in self.catalog.tracks.items() if v["album_id"] == album_id]
        return {
            **self._album_base(album_id),
            "tracks": {
                "href": f"{self.api_url}albums/{album_id}/tracks",
                "items": [self._simple_track(t) for t in tracks],
                "limit": 50,
                "next": None,
                "offset": 0,
                "previous": None,
                "total": len(tracks),
            },
            "copyrights": [{"text": "(P) Fake Records", "type": "P"}],
            "external_ids": {"upc": f"{int(hashlib.md5(album_id.encode()).hexdigest(), 16) % 10**12:012d}"},
            # Required by the spec although deprecated/removed: empty, as Spotify now sends them.
            "genres": [],
            "label": "",
            "popularity": 0,
        }

    def _simple_track(self, track_id: str) -> dict:
        track = self.catalog.tracks[track_id]
        return {
            "artists": [self._simple_artist(a) for a in track["artist_ids"]],
            "disc_number": track["disc_number"],
            "duration_ms": track["duration_ms"],
            "explicit": track["explicit"],
            "external_urls": {"spotify": f"https://open.spotify.com/track/{track_id}"},
            "href": f"{self.api_url}tracks/{track_id}",
            "id": track_id,
            "is_local": False,
            "name": track["name"],
            "track_number": track["track_number"],
            "type": "track",
            "uri": f"spotify:track:{track_id}",
        }

    def track_object(self, track_id: str) -> dict:
        track = self.catalog.tracks[track_id]
        return {
            **self._simple_track(track_id),
            "album": self._album_base(track["album_id"]),
            "external_ids": {"isrc": track["isrc"]},
        }

    # ---- endpoints -------------------------------------------------------------------------
    def recently_played(self, query: dict) -> dict:
        limit = min(int(query.get("limit", 20)), 50, self.page_size)
        plays = sorted(self.plays)
        if self.history_limit is not None:
            plays = plays[-self.history_limit :]
        if "before" in query:
            chosen = [p for p in plays if p[0] < int(query["before"])][-limit:]
            more = False
        else:
            newer = [p for p in plays if p[0] > int(query.get("after", 0))]
            chosen, more = newer[:limit], len(newer) > limit
        href = f"{self.api_url}me/player/recently-played?{urlencode(query)}"
        body: dict = {"href": href, "limit": limit, "items": []}
        for ms, track_id in reversed(chosen):  # newest first, as Spotify lists them
            body["items"].append(
                {
                    "track": self.track_object(track_id),
                    "played_at": _iso(ms),
                    "context": {
                        "type": "album",
                        "href": f"{self.api_url}albums/{self.catalog.tracks[track_id]['album_id']}",
                        "external_urls": {"spotify": "https://open.spotify.com/"},
                        "uri": f"spotify:album:{self.catalog.tracks[track_id]['album_id']}",
                    },
                }
            )
        if chosen:
            body["cursors"] = {"after": str(chosen[-1][0]), "before": str(chosen[0][0])}
        if more:
            after = urlencode({"after": chosen[-1][0], "limit": query.get("limit", 20)})
            body["next"] = f"{self.api_url}me/player/recently-played?{after}"
        # The spec types `next`/`cursors` as non-nullable: they are left out when there are none.
        return body

    def top_items(self, kind: str, query: dict) -> dict:
        time_range = query.get("time_range", "medium_term")
        limit, offset = int(query.get("limit", 20)), int(query.get("offset", 0))
        ids = self.top.get((kind, time_range), [])
        page = ids[offset : offset + limit]
        make = self.track_object if kind == "tracks" else self.artist_object
        return {
            "href": f"{self.api_url}me/top/{kind}?{urlencode(query)}",
            "items": [make(i) for i in page],
            "limit": limit,
            "next": None,
            "offset": offset,
            "previous": None,
            "total": len(ids),
        }


class _Handler(BaseHTTPRequestHandler):
    fake: FakeSpotify
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall

    def log_message(self, format, *args):  # keep test output clean
        pass

    def _send(self, status: int, body, spec_path: str | None = None, headers: dict | None = None) -> None:
        fake = self.fake
        if spec_path is not None:
            found = problems(spec_path, status, body)
            with fake._lock:
                fake.validated += 1
                fake.validation_errors.extend(found)
        raw = isinstance(body, bytes)  # a scripted non-JSON answer (an HTML error page)
        data = body if raw else json.dumps(body).encode()
        self.send_response(status)
        self.send_header(
            "Content-Type", "text/html; charset=utf-8" if raw else "application/json; charset=utf-8"
        )
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _scripted(self, path: str) -> dict | None:
        fake = self.fake
        with fake._lock:
            for rule in fake._scripted:
                if path.startswith(rule["prefix"]) and rule["times"] > 0:
                    rule["times"] -= 1
                    return dict(rule)
        return None

    def do_POST(self) -> None:
        fake = self.fake
        path = urlsplit(self.path).path
        length = int(self.headers.get("Content-Length", 0))
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        with fake._lock:
            fake.requests[path] += 1
            fake.log.append(("POST", path, ""))
            fake.log_times.append(time.monotonic())
            fake.token_requests.append({"grant_type": form.get("grant_type")})
        if path != "/api/token":
            return self._send(404, {"error": "not_found"})
        rule = self._scripted(path)
        if rule and "status" in rule:
            headers = {"Retry-After": str(rule["retry_after"])} if rule.get("retry_after") is not None else {}
            return self._send(rule["status"], rule.get("body") or {"error": "server_error"}, headers=headers)
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if self.headers.get("Authorization") != f"Basic {expected}":
            return self._send(400, {"error": "invalid_client", "error_description": "Invalid client"})
        grant = form.get("grant_type")
        if grant == "refresh_token":
            if form.get("refresh_token") not in fake.refresh_tokens:
                return self._send(
                    400, {"error": "invalid_grant", "error_description": "Refresh token revoked"}
                )
            refresh = None
            if fake.rotate_refresh:
                refresh = f"fake-refresh-rotated-{secrets.token_hex(8)}"
                fake.refresh_tokens.add(refresh)
            elif fake.echo_refresh:
                refresh = form["refresh_token"]
        elif grant == "authorization_code":
            refresh = fake.codes.pop(form.get("code", ""), None)
            if refresh is None or not form.get("redirect_uri", "").startswith("http://127.0.0.1:"):
                return self._send(
                    400, {"error": "invalid_grant", "error_description": "Invalid authorization code"}
                )
            fake.refresh_tokens.add(refresh)
        else:
            return self._send(400, {"error": "unsupported_grant_type"})
        access = f"fake-access-{secrets.token_hex(8)}"
        with fake._lock:
            fake.access_tokens.add(access)
        body = {"access_token": access, "token_type": "Bearer", "expires_in": 3600, "scope": SCOPES}
        if refresh:
            body["refresh_token"] = refresh
        return self._send(200, body)

    def do_GET(self) -> None:
        fake = self.fake
        parts = urlsplit(self.path)
        path = parts.path
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        with fake._lock:
            fake.requests[path] += 1
            fake.log.append(("GET", path, parts.query))
            fake.log_times.append(time.monotonic())
        spec_path = _spec_path(path)
        if spec_path is None:
            return self._send(404, {"error": {"status": 404, "message": "Service not found"}})
        rule = self._scripted(path)
        if rule and "delay" in rule:
            time.sleep(rule["delay"])
        if rule and "status" in rule:
            status = rule["status"]
            headers = {"Retry-After": str(rule["retry_after"])} if rule.get("retry_after") is not None else {}
            body = QUOTA_BODY if status == 429 else {"error": {"status": status, "message": "Oops"}}
            return self._send(status, body, spec_path, headers)
        token = self.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in fake.access_tokens:
            body = {"error": {"status": 401, "message": "Invalid access token"}}
            return self._send(401, body, spec_path)
        with fake._lock:
            for prefix, allowed in fake.quota.items():
                if path.startswith(prefix):
                    if allowed <= 0:
                        limited = True
                        break
                    fake.quota[prefix] = allowed - 1
            else:
                limited = False
        if limited:
            return self._send(429, QUOTA_BODY, spec_path, {"Retry-After": str(fake.retry_after)})
        status, body = _answer(fake, path, spec_path, query)
        return self._send(status, body, spec_path)


def _spec_path(path: str) -> str | None:
    parts = path.strip("/").split("/")
    if parts[0] != "v1":
        return None
    rest = parts[1:]
    if rest == ["me", "player", "recently-played"]:
        return "/me/player/recently-played"
    if len(rest) == 3 and rest[:2] == ["me", "top"] and rest[2] in ("tracks", "artists"):
        return f"/me/top/{rest[2]}"
    if len(rest) == 1 and rest[0] in BATCH_LIMITS:
        return f"/{rest[0]}"
    if len(rest) == 2 and rest[0] in BATCH_LIMITS:
        return f"/{rest[0]}/{{id}}"
    return None


def _answer(fake: FakeSpotify, path: str, spec_path: str, query: dict) -> tuple[int, dict]:
    if spec_path == "/me/player/recently-played":
        return 200, fake.recently_played(query)
    if spec_path.startswith("/me/top/"):
        return 200, fake.top_items(spec_path.rsplit("/", 1)[1], query)
    kind = spec_path.split("/")[1]
    store = getattr(fake.catalog, kind)
    make = {"tracks": fake.track_object, "albums": fake.album_object, "artists": fake.artist_object}[kind]

    def known(item_id: str) -> bool:
        return item_id in store and item_id not in fake.removed

    if spec_path.endswith("{id}"):
        item_id = path.rsplit("/", 1)[1]
        if not known(item_id):
            return 404, {"error": {"status": 404, "message": "Resource not found"}}
        return 200, make(item_id)
    if fake.batch_forbidden:
        return 403, {"error": {"status": 403, "message": "Forbidden"}}
    ids = [i for i in query.get("ids", "").split(",") if i]
    if not ids or len(ids) > BATCH_LIMITS[kind]:
        return 400, {"error": {"status": 400, "message": "Invalid ids"}}
    # Spotify answers null for an unknown id; the spec types the items as objects, so the fake
    # leaves unknown ids out and the client must treat "not returned" as not found.
    return 200, {kind: [make(i) for i in ids if known(i)]}


def past_ms(days: float) -> int:
    return int((datetime.now(UTC) - timedelta(days=days)).timestamp() * 1000)


FakeSpotify.handler = _Handler
