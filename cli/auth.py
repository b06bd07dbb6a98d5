"""`python -m cli auth`: the one-time Spotify consent that yields the daily job's refresh token.

Prints the authorize URL (and opens it with --open-browser), waits on a loopback server at
http://127.0.0.1:<port>/callback (Spotify refuses `localhost`; register this exact URI in the app's
dashboard), exchanges the code for tokens and prints the refresh token with how to store it. Spotify
expires refresh tokens 6 months after consent: when the job reports invalid_grant, run this again.
Nothing is written to disk.
"""

from __future__ import annotations

import argparse
import secrets
import time
import webbrowser
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit

from cli.common import UserError, settings_from
from contracts.text import one_line

DEFAULT_PORT = 8888
PAGE = (
    b"<!doctype html><title>spotify-lake</title><p>Done: you can close this tab and go back to the terminal."
)


def port_number(text: str) -> int:
    """--port: 0 to 65535 (0: any free port, for tests; Spotify accepts only the registered one)."""
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port number up to 65535, not {text!r}")
    return port


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "auth", help="one-time Spotify consent: print the refresh token the daily job uses"
    )
    parser.add_argument(
        "--port",
        type=port_number,
        default=DEFAULT_PORT,
        help=f"loopback callback port (default {DEFAULT_PORT})",
    )
    parser.add_argument("--open-browser", action="store_true", help="open the authorize URL in a browser")
    parser.add_argument(
        "--timeout", type=float, default=300, metavar="SECONDS", help="how long to wait for the redirect"
    )


class _CallbackServer(HTTPServer):
    def __init__(self, port: int):
        super().__init__(("127.0.0.1", port), _CallbackHandler)
        self.query: dict[str, str] | None = None


class _CallbackHandler(BaseHTTPRequestHandler):
    server: _CallbackServer

    def log_message(self, format, *args):  # silent: the request line holds the code
        pass

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path != "/callback":
            self.send_error(404)
            return
        self.server.query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)


def consent(
    settings,
    port: int = DEFAULT_PORT,
    *,
    show: Callable[[str, str], None],
    open_browser: bool = False,
    timeout: float = 300,
) -> dict:
    """Run the Authorization Code flow on loopback; returns the token info (with `refresh_token`).

    `show(authorize_url, redirect_uri)` tells the user where to go (the CLI prints; tests follow it).
    """
    from extract.spotify.client import build_oauth  # lazy: spotipy only for this command
    from extract.spotify.errors import SpotifyAuthError

    try:
        server = _CallbackServer(port)
    except OSError as error:
        raise UserError(
            f"cannot listen on 127.0.0.1:{port} ({error.strerror}); pick another --port"
        ) from None
    with server:
        redirect_uri = f"http://127.0.0.1:{server.server_address[1]}/callback"
        try:
            auth = build_oauth(settings, redirect_uri=redirect_uri)
        except SpotifyAuthError as error:
            raise UserError(str(error)) from None
        state = secrets.token_urlsafe(16)
        url = auth.get_authorize_url(state=state)
        show(url, redirect_uri)
        if open_browser:
            webbrowser.open(url)
        deadline = time.monotonic() + timeout
        server.timeout = 0.5
        while server.query is None and time.monotonic() < deadline:
            server.handle_request()
    query = server.query
    if query is None:
        raise UserError(
            f"no redirect to {redirect_uri} within {timeout:.0f} s; run `python -m cli auth` again"
        )
    if "error" in query:
        raise UserError(f"Spotify consent failed: {query['error']}")
    if query.get("state") != state:
        raise UserError("the redirect's state does not match this request; run `python -m cli auth` again")
    if not query.get("code"):
        raise UserError("the redirect carried no authorization code; run `python -m cli auth` again")
    return exchange_code(auth, query["code"])


def exchange_code(auth, code: str) -> dict:
    from spotipy.exceptions import SpotifyOauthError  # lazy: spotipy only for this command

    try:
        auth.get_access_token(code, as_dict=False, check_cache=False)
    except SpotifyOauthError as error:
        # One short line even when the answer was an HTML error page (spotipy puts its text in `error`).
        raise UserError(
            f"Spotify refused the authorization code ({one_line(error.error)}): "
            f"{one_line(error.error_description)}"
        ) from None
    token = auth.cache_handler.get_cached_token() or {}  # the in-memory cache: never a file
    if not token.get("refresh_token"):
        raise UserError("Spotify returned no refresh token; run `python -m cli auth` again")
    return token


def instructions(refresh_token: str) -> str:
    return "\n".join(
        [
            "Spotify refresh token (keep it secret; it expires 6 months after this consent):",
            f"  {refresh_token}",
            "Store it where the daily job reads SPOTIFY_REFRESH_TOKEN:",
            f"  Azure:  azd env set SPOTIFY_REFRESH_TOKEN '{refresh_token}' && azd provision",
            "          (azd writes it to Key Vault; the app setting is a Key Vault reference)",
            f'  Local:  "SPOTIFY_REFRESH_TOKEN": "{refresh_token}" under "Values" in local.settings.json,',
            f"          or export SPOTIFY_REFRESH_TOKEN='{refresh_token}' before `python -m cli extract`",
        ]
    )


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)

    def show(url: str, redirect_uri: str) -> None:
        print(f"Open this URL and approve access (the app must list {redirect_uri} as a redirect URI):")
        print(f"  {url}", flush=True)

    token = consent(settings, args.port, show=show, open_browser=args.open_browser, timeout=args.timeout)
    print(instructions(token["refresh_token"]))
    return 0
