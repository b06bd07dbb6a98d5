"""`cli auth` with the browser on another machine: paste the address it was sent to.

The real command runs in its own process against the fake Spotify accounts service on loopback
(tests/fakes/spotify_api.py); the test plays the person: it reads the authorize URL the command
prints, "approves" (the fake issues the code Spotify's redirect would carry) and pastes the
redirected address on stdin (--paste), or types it at the terminal while the loopback server waits.
"""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.cli.process import ROOT, clean_env, cli
from tests.fakes.spotify_api import CLIENT_ID, CLIENT_SECRET


def spotify_env(fake) -> dict[str, str]:
    return clean_env(
        SPOTIFY_CLIENT_ID=CLIENT_ID,
        SPOTIFY_CLIENT_SECRET=CLIENT_SECRET,
        SPOTIFY_ACCOUNTS_URL=fake.accounts_url,
        SPOTIFY_API_URL=fake.api_url,
    )


def start(fake, *argv, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "cli", "auth", *argv],
        cwd=ROOT,
        env=spotify_env(fake),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def authorize_url(stream) -> str:
    """Read the command's output until the authorize URL (the line with `state=`)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = stream.readline()
        if "state=" in line:
            return line.strip()
        assert line, "the command ended before printing the authorize URL"
    raise AssertionError("no authorize URL within 60 s")


def redirected(url: str, **params) -> str:
    """The address the browser is sent to after consent (what the person copies)."""
    query = parse_qs(urlsplit(url).query)
    return f"{query['redirect_uri'][0]}?{urlencode(params)}"


def state_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["state"][0]


def test_paste_finishes_the_consent_without_a_loopback_server(fake):
    code, token = fake.issue_code()
    proc = start(fake, "--paste", stdin=subprocess.PIPE)
    url = authorize_url(proc.stdout)
    assert url.startswith(f"{fake.accounts_url}authorize?")
    assert parse_qs(urlsplit(url).query)["redirect_uri"] == ["http://127.0.0.1:8888/callback"]
    instruction = proc.stdout.readline()  # printed before the command reads stdin
    assert "copy the address the browser was sent to" in instruction and "paste it here" in instruction
    out, err = proc.communicate(redirected(url, code=code, state=state_of(url)) + "\n", timeout=60)
    assert proc.returncode == 0, err
    assert token in out and f"azd env set SPOTIFY_REFRESH_TOKEN '{token}'" in out
    assert CLIENT_SECRET not in out + err
    assert [t["grant_type"] for t in fake.token_requests] == ["authorization_code"]


@pytest.mark.parametrize(
    ("what", "says"),
    [
        ("other-state", "state does not match"),
        ("error", "Spotify consent failed: access_denied"),
        ("no-code", "carries no authorization code"),
        ("authorize-url", "that is the authorize URL"),
        ("nothing", "no address pasted"),
    ],
)
def test_a_wrong_paste_is_one_line_and_exchanges_nothing(fake, what, says):
    code, _token = fake.issue_code()
    proc = start(fake, "--paste", stdin=subprocess.PIPE)
    url = authorize_url(proc.stdout)
    pasted = {
        "other-state": redirected(url, code=code, state="someone-elses"),
        "error": redirected(url, error="access_denied", state=state_of(url)),
        "no-code": redirected(url, state=state_of(url)),
        "authorize-url": url,
        "nothing": "",
    }[what]
    _out, err = proc.communicate(pasted + "\n" if pasted else "", timeout=60)
    assert proc.returncode == 2
    assert err.startswith("error: ") and len(err.splitlines()) == 1 and says in err, err
    assert fake.token_requests == []  # nothing was exchanged


def test_on_a_terminal_the_address_may_be_pasted_while_the_loopback_server_waits(fake):
    """No --paste: the server listens, and a line typed at the terminal is taken as the address."""
    code, token = fake.issue_code()
    leader, follower = pty.openpty()
    try:
        proc = start(fake, "--port", "0", "--timeout", "60", stdin=follower)
        url = authorize_url(proc.stdout)
        os.write(leader, (redirected(url, code=code, state=state_of(url)) + "\n").encode())
        out, err = proc.communicate(timeout=60)
    finally:
        os.close(follower)
        while select.select([leader], [], [], 0)[0]:  # drain the terminal's echo
            try:
                if not os.read(leader, 4096):
                    break
            except OSError:
                break
        os.close(leader)
    assert proc.returncode == 0, err
    assert token in out


def test_paste_needs_the_registered_port():
    result = cli("auth", "--paste", "--port", "0")
    assert result.returncode == 2 and "--paste needs the port" in result.stderr


@pytest.mark.parametrize(
    ("command", "settings"),
    [
        ("auth", ["SPOTIFY_CLIENT_ID", "SPOTIFY_CLIENT_SECRET", "127.0.0.1:<port>/callback"]),
        (
            "extract",
            [
                "SPOTIFY_CLIENT_ID",
                "SPOTIFY_CLIENT_SECRET",
                "SPOTIFY_REFRESH_TOKEN",
                "SPOTIFY_REQUEST_INTERVAL_MS",
                "SPOTIFY_CATALOG_BUDGET",
            ],
        ),
    ],
)
def test_help_names_the_settings_the_command_needs(command, settings):
    result = cli(command, "--help")
    assert result.returncode == 0
    for name in settings:
        assert name in result.stdout, name
