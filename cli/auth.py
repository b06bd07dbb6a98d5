"""`python -m cli auth`: the one-time Spotify consent that yields the daily job's refresh token.

Prints the authorize URL (and opens it with --open-browser), waits on a loopback server at
http://127.0.0.1:<port>/callback (Spotify refuses `localhost`; register this exact URI in the app's
dashboard), exchanges the code for tokens and prints the refresh token with how to store it. Spotify
expires refresh tokens 6 months after consent: when the job reports invalid_grant, run this again.
Nothing is written to disk.

When the browser runs on another machine (a server over SSH, a container), its redirect to
127.0.0.1 cannot reach this one: the page does not load, but its address holds the code. Paste that
address: with --paste (no loopback server at all), or at the prompt while the command waits on a
terminal. Its `state` must be this run's, as for the loopback redirect.
"""

from __future__ import annotations

import argparse
import os
import secrets
import select
import sys
import time
import webbrowser
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, TextIO
from urllib.parse import parse_qs, urlsplit

from cli.common import UserError, settings_from
from contracts.text import one_line

DEFAULT_PORT = 8888
PAGE = (
    b"<!doctype html><title>spotify-lake</title><p>Done: you can close this tab and go back to the terminal."
)


SETTINGS_HELP = """settings (environment variables):
  SPOTIFY_CLIENT_ID      your Spotify app's client id (developer.spotify.com/dashboard)
  SPOTIFY_CLIENT_SECRET  its client secret
  SPOTIFY_ACCOUNTS_URL   optional, default https://accounts.spotify.com/
The app must list http://127.0.0.1:<port>/callback (default port 8888) as a redirect URI.
The refresh token printed goes into SPOTIFY_REFRESH_TOKEN (see `python -m cli extract --help`)."""


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
        "auth",
        help="one-time Spotify consent: print the refresh token the daily job uses",
        description="The Authorization Code consent on a loopback redirect; prints the refresh token.\n"
        "With the browser on another machine, paste the address it was sent to (--paste).",
        epilog=SETTINGS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--port",
        type=port_number,
        default=DEFAULT_PORT,
        help=f"port of the redirect URI http://127.0.0.1:PORT/callback (default {DEFAULT_PORT})",
    )
    parser.add_argument("--open-browser", action="store_true", help="open the authorize URL in a browser")
    parser.add_argument(
        "--paste",
        action="store_true",
        help="the browser is on another machine: paste the address it was sent to instead of "
        "waiting for the redirect",
    )
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
    pasted: Callable[[], str] | None = None,
    stdin: TextIO | None = None,
) -> dict:
    """Run the Authorization Code flow; returns the token info (with `refresh_token`).

    `show(authorize_url, redirect_uri)` tells the user where to go (the CLI prints; tests follow it).
    The code comes from the loopback redirect, or, with `pasted`, from the address `pasted()`
    returns (no server then). With `stdin` (a terminal), a line typed there while waiting on the
    loopback server is taken as the pasted address too.
    """
    if pasted is not None:
        redirect_uri = f"http://127.0.0.1:{port}/callback"
        auth, state = _start(settings, redirect_uri, show, open_browser)
        return _finish(auth, parse_pasted(pasted(), redirect_uri), state)
    try:
        server = _CallbackServer(port)
    except OSError as error:
        raise UserError(
            f"cannot listen on 127.0.0.1:{port} ({error.strerror}); pick another --port, or use --paste"
        ) from None
    with server:
        redirect_uri = f"http://127.0.0.1:{server.server_address[1]}/callback"
        auth, state = _start(settings, redirect_uri, show, open_browser)
        query = _wait(server, timeout, stdin, redirect_uri)
    if query is None:
        raise UserError(
            f"no redirect to {redirect_uri} within {timeout:.0f} s; run `python -m cli auth` again "
            "(--paste when the browser is on another machine)"
        )
    return _finish(auth, query, state)


def _start(settings, redirect_uri: str, show: Callable[[str, str], None], open_browser: bool):
    """The auth manager and this run's state; shows (and opens) the authorize URL."""
    from extract.spotify.client import build_oauth  # lazy: spotipy only for this command
    from extract.spotify.errors import SpotifyAuthError

    try:
        auth = build_oauth(settings, redirect_uri=redirect_uri)
    except SpotifyAuthError as error:
        raise UserError(str(error)) from None
    state = secrets.token_urlsafe(16)
    url = auth.get_authorize_url(state=state)
    show(url, redirect_uri)
    if open_browser:
        webbrowser.open(url)
    return auth, state


def _wait(server: _CallbackServer, timeout: float, stdin: TextIO | None, redirect_uri: str) -> dict | None:
    """The loopback redirect's query, or the one of an address typed on `stdin`; None on timeout."""
    deadline = time.monotonic() + timeout
    server.timeout = 0.5
    # select() on a terminal works on POSIX only; elsewhere only the loopback redirect is awaited.
    watched: list[Any] = [server] + ([stdin] if stdin is not None and os.name == "posix" else [])
    while server.query is None and (left := deadline - time.monotonic()) > 0:
        readable, _, _ = select.select(watched, [], [], min(left, 0.5))
        if server in readable:
            server.handle_request()
        elif stdin is not None and stdin in readable:
            line = stdin.readline()
            if not line:  # end of input: keep waiting for the redirect alone
                watched.remove(stdin)
            elif line.strip():
                return parse_pasted(line, redirect_uri)
    return server.query


def parse_pasted(text: str, redirect_uri: str) -> dict[str, str]:
    """The query of the address the browser was sent to (`<redirect_uri>?code=...&state=...`)."""
    from spotipy.exceptions import SpotifyOauthError  # lazy: spotipy only for this command
    from spotipy.oauth2 import SpotifyOAuth

    address = text.strip()
    if not address:
        raise UserError("no address pasted; run `python -m cli auth --paste` again")
    query = {k: v[0] for k, v in parse_qs(urlsplit(address).query).items()}
    if "response_type" in query and "client_id" in query:
        raise UserError(
            "that is the authorize URL: open it, approve, then paste the address the browser was sent to"
        )
    try:
        state, code = SpotifyOAuth.parse_auth_response_url(address)  # spotipy's own parser
    except SpotifyOauthError as error:
        raise UserError(f"Spotify consent failed: {error.error}") from None
    if not code:
        raise UserError(
            "the pasted address carries no authorization code: paste the whole address, "
            f"{redirect_uri}?code=…"
        )
    return {"code": code, "state": state or ""}


def _finish(auth, query: dict, state: str) -> dict:
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
    if args.paste and args.port == 0:
        raise UserError("--paste needs the port of the redirect URI the app lists (default 8888), not 0")
    terminal = sys.stdin if sys.stdin is not None and sys.stdin.isatty() else None

    def show(url: str, redirect_uri: str) -> None:
        print(f"Open this URL and approve access (the app must list {redirect_uri} as a redirect URI):")
        print(f"  {url}", flush=True)
        if args.paste or terminal:
            lead = "Then" if args.paste else "If the browser is on another machine, the page will not load:"
            print(f"{lead} copy the address the browser was sent to ({redirect_uri}?code=…); paste it here.")
        if args.paste and terminal:
            print("address: ", end="", file=sys.stderr, flush=True)
        sys.stdout.flush()

    token = consent(
        settings,
        args.port,
        show=show,
        open_browser=args.open_browser,
        timeout=args.timeout,
        pasted=sys.stdin.readline if args.paste else None,
        stdin=terminal,
    )
    print(instructions(token["refresh_token"]))
    return 0
