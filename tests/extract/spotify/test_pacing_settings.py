"""Catalog pacing is two app settings, SPOTIFY_REQUEST_INTERVAL_MS and SPOTIFY_CATALOG_BUDGET, and the
enrichment honours them: against the fake Spotify Web API, in-process and through `cli extract`."""

from __future__ import annotations

import itertools
import subprocess
import sys
from dataclasses import replace

import pytest

from extract.spotify.job import run_extract
from settings import Settings
from storage import open_lake
from tests.cli.process import ROOT, clean_env
from tests.extract.spotify.ledger import Ledger
from tests.fakes.spotify_api import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN


def catalog_times(fake) -> list[float]:
    """When each catalog request (tracks, albums, artists; batch or single) reached the fake."""
    return [
        at
        for (method, path, _), at in zip(fake.log, fake.log_times, strict=True)
        if method == "GET" and path.strip("/").split("/")[1] in ("tracks", "albums", "artists")
    ]


def test_the_settings_and_their_defaults():
    assert (Settings().spotify_request_interval_ms, Settings().spotify_catalog_budget) == (1000, 500)
    env = {"SPOTIFY_REQUEST_INTERVAL_MS": "250", "SPOTIFY_CATALOG_BUDGET": "2000"}
    settings = Settings.from_env(env)
    assert (settings.spotify_request_interval_ms, settings.spotify_catalog_budget) == (250, 2000)
    assert Settings.from_env({}).spotify_request_interval_ms == 1000
    for name in env:
        with pytest.raises(ValueError, match=f"{name} must be a whole number"):
            Settings.from_env({name: "fast"})


def run_job(settings, client_for):
    """One run as the timer makes it: no pace or budget passed, so the settings decide."""
    client = client_for(settings)
    ledger = Ledger()
    lake = open_lake(settings)
    report = run_extract(
        lake, settings, missing_ids=ledger.missing_ids, client=client, chain=lambda p: ledger.load(lake, p)
    )
    return report, client


def test_the_job_spends_at_most_the_budget_and_waits_the_interval_between_requests(
    settings, fake, played, client_for
):
    fake.batch_forbidden = True  # one request per id: 120 tracks want 120 catalog requests
    settings = replace(settings, spotify_request_interval_ms=250, spotify_catalog_budget=7)
    report, client = run_job(settings, client_for)
    assert fake.catalog_requests() == 7 and report.catalog_requests == 7
    assert report.budget_spent and "catalog budget of 7 requests spent" in str(report)
    assert client.slept_for == [0.25] * 6  # between catalog requests: not before the first


def test_the_defaults_are_one_second_apart_and_500_a_run(settings, fake, played, client_for):
    fake.batch_forbidden = True
    report, client = run_job(settings, client_for)  # the sleeps are recorded, not slept
    assert fake.catalog_requests() == min(500, 1 + 120 + 24 + 12) == report.catalog_requests
    assert set(client.slept_for) == {1.0}


def test_cli_extract_honours_both_settings_against_the_fake_api(fake, played, tmp_path):
    """The real command in its own process, with real sleeps: 4 requests, at least 0.3 s apart."""
    fake.batch_forbidden = True
    env = clean_env(
        SPOTIFY_CLIENT_ID=CLIENT_ID,
        SPOTIFY_CLIENT_SECRET=CLIENT_SECRET,
        SPOTIFY_REFRESH_TOKEN=REFRESH_TOKEN,
        SPOTIFY_API_URL=fake.api_url,
        SPOTIFY_ACCOUNTS_URL=fake.accounts_url,
        SPOTIFY_REQUEST_INTERVAL_MS="300",
        SPOTIFY_CATALOG_BUDGET="4",
    )
    result = subprocess.run(
        [sys.executable, "-m", "cli", "extract", "--lake", str(tmp_path / "lake")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "catalog budget of 4 requests spent, resumes next run" in result.stdout
    times = catalog_times(fake)
    assert len(times) == 4 == fake.catalog_requests()
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert min(gaps) >= 0.29, gaps
