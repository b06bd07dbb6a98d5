"""Auth: the seeded refresh token works headless, invalid_grant stops cleanly, `cli auth` consents."""

from __future__ import annotations

import logging
import threading
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from azure.functions import TimerRequest

import function_app
from cli.__main__ import main
from extract.spotify.errors import AuthExpired, AuthNotConfigured
from pipeline.stages import run_extract
from storage import open_lake
from tests.fakes.spotify_api import CLIENT_ID, CLIENT_SECRET


class Timer(TimerRequest):
    past_due = False


def files_under(path) -> list:
    return sorted(p for p in path.rglob("*") if p.is_file())


def test_refresh_is_headless_once_per_run_and_writes_no_token_file(
    settings, fake, client_for, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)  # spotipy's default cache would write ./.cache here
    before = files_under(tmp_path)
    client = client_for(settings)
    for _ in range(3):
        client.get("me/top/artists")
    assert [t["grant_type"] for t in fake.token_requests] == ["refresh_token"]
    assert fake.requests["/v1/me/top/artists"] == 3
    assert files_under(tmp_path) == before


def test_invalid_grant_is_a_typed_error_asking_to_run_cli_auth(settings, fake, client_for):
    fake.revoke()
    client = client_for(settings)
    with pytest.raises(AuthExpired, match=r"python -m cli auth") as caught:
        client.get("me/top/artists")
    assert "invalid_grant" in str(caught.value)
    assert fake.requests["/v1/me/top/artists"] == 0


def test_missing_credentials_are_a_typed_error(folder_settings):
    with pytest.raises(AuthNotConfigured, match=r"SPOTIFY_CLIENT_ID.*SPOTIFY_REFRESH_TOKEN"):
        run_extract(folder_settings)


def test_the_timer_logs_an_expired_consent_at_error_and_returns(settings, fake, monkeypatch, caplog):
    fake.revoke()
    monkeypatch.setattr(function_app, "SETTINGS", settings)
    handler = function_app.extract_spotify.build().get_user_function()
    with caplog.at_level(logging.INFO):
        assert handler(timer=Timer()) is None  # no exception: the other functions are unaffected
    errors = [r for r in caplog.records if r.levelno == logging.ERROR and r.name == "function_app"]
    assert len(errors) == 1 and "python -m cli auth" in errors[0].getMessage()
    assert not list(open_lake(settings).list("raw"))


def _env(monkeypatch, settings):
    for name, value in {
        "SPOTIFY_CLIENT_ID": settings.spotify_client_id,
        "SPOTIFY_CLIENT_SECRET": settings.spotify_client_secret,
        "SPOTIFY_REFRESH_TOKEN": settings.spotify_refresh_token,
        "SPOTIFY_API_URL": settings.spotify_api_url,
        "SPOTIFY_ACCOUNTS_URL": settings.spotify_accounts_url,
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("DataLake", "LAKE_DIR", "WAREHOUSE", "USER_ID_KEY"):
        monkeypatch.delenv(name, raising=False)


def test_cli_extract_prints_one_line_and_exits_non_zero_on_invalid_grant(settings, fake, monkeypatch, capsys):
    fake.revoke()
    _env(monkeypatch, settings)
    assert main(["extract", "--lake", str(settings.lake_dir)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and "invalid_grant" in err and "python -m cli auth" in err


def _follow_redirect(fake, code: str, collected: list[str], ready: threading.Event):
    """What the browser does after consent: GET the loopback callback with the code and state."""

    def follow(url: str, redirect_uri: str) -> None:
        query = parse_qs(urlsplit(url).query)
        collected.extend([url, redirect_uri])

        def browser():
            params = {"code": code, "state": query["state"][0]}
            requests.get(redirect_uri, params=params, timeout=5)
            ready.set()

        threading.Thread(target=browser, daemon=True).start()

    return follow


def test_consent_gets_a_refresh_token_through_the_loopback_callback(settings, fake, tmp_path, monkeypatch):
    from cli.auth import consent

    monkeypatch.chdir(tmp_path)
    code, expected = fake.issue_code()
    seen: list[str] = []
    ready = threading.Event()
    token = consent(settings, 0, show=_follow_redirect(fake, code, seen, ready), timeout=10)
    assert token["refresh_token"] == expected
    url, redirect_uri = seen
    assert url.startswith(f"{fake.accounts_url}authorize?")
    query = parse_qs(urlsplit(url).query)
    assert query["client_id"] == [CLIENT_ID] and query["redirect_uri"] == [redirect_uri]
    assert set(query["scope"][0].split()) == {"user-read-recently-played", "user-top-read"}
    assert redirect_uri.startswith("http://127.0.0.1:") and redirect_uri.endswith("/callback")
    assert files_under(tmp_path) == []
    # The new token works for the daily job.
    from extract.spotify.client import SpotifyClient

    client = SpotifyClient.from_settings(replace(settings, spotify_refresh_token=expected))
    assert client.get("me/top/tracks")["items"] == []


def test_cli_auth_prints_the_url_then_the_token_and_how_to_store_it(settings, fake, monkeypatch, capsys):
    _env(monkeypatch, settings)
    code, expected = fake.issue_code()
    printed: list[str] = []

    def browser():
        # Read the authorize URL the command prints, then follow the redirect like a browser would.
        for _ in range(200):
            printed.append(capsys.readouterr().out)
            text = "".join(printed)
            if "state=" in text:
                url = next(w for w in text.split() if "state=" in w)
                query = parse_qs(urlsplit(url).query)
                requests.get(
                    query["redirect_uri"][0], params={"code": code, "state": query["state"][0]}, timeout=5
                )
                return
            threading.Event().wait(0.05)

    thread = threading.Thread(target=browser, daemon=True)
    thread.start()
    assert main(["auth", "--port", "0", "--timeout", "15"]) == 0
    thread.join(5)
    printed.append(capsys.readouterr().out)
    out = "".join(printed)
    assert expected in out
    assert f"azd env set SPOTIFY_REFRESH_TOKEN '{expected}'" in out
    assert "local.settings.json" in out
    assert CLIENT_SECRET not in out


def test_a_refused_code_is_one_clear_line(settings, fake):
    from cli.auth import consent
    from cli.common import UserError

    seen: list[str] = []
    with pytest.raises(UserError, match="refused the authorization code"):
        consent(settings, 0, show=_follow_redirect(fake, "not-a-code", seen, threading.Event()), timeout=10)
