"""Catalog enrichment against the fake Spotify: the fewest requests, 404s once, 429s and budgets resume.

Two tests run the whole chain into the real DuckDB warehouse (batch and single-id mode). The
others hand enrichment a Ledger (tests/extract/spotify/ledger.py) as its `missing_ids`, so each
run asks only Spotify: the request counting is what they test. The pure parts (which ids, which
chunks) are table-driven.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import pytest

from cli.extract import load_chain
from extract.spotify import state
from extract.spotify.enrich import BATCH_LIMITS, BUNDLE_SIZE, chunks, ids_to_fetch
from extract.spotify.job import run_extract
from load.warehouse import open_warehouse
from pipeline.chain import IngestSummary
from pipeline.stages import missing_catalog_ids
from storage import open_lake
from tests.extract.spotify.ledger import Ledger
from tests.fakes.spotify_api import past_ms

NEW = "x" * 22


def requested_ids(fake, kind):
    """Every id the fake was asked about for `kind`, batch or single, in order."""
    ids = []
    for method, path, qs in fake.log:
        parts = path.strip("/").split("/")
        if method == "GET" and parts[:2] == ["v1", kind]:
            ids += parse_qs(qs)["ids"][0].split(",") if len(parts) == 2 else [parts[2]]
    return ids


def minimum_batch_requests(tracks, albums, artists):
    return math.ceil(tracks / 50) + math.ceil(albums / 20) + math.ceil(artists / 50)


@pytest.fixture
def artists(catalog):
    return {a for t in catalog.tracks.values() for a in t["artist_ids"]}


@pytest.fixture
def ledger():
    return Ledger()


@pytest.fixture
def run(settings, ledger, client_for):
    """One job run against the ledger; `loads=True` loads what lands in-process (as the CLI does)."""

    def run_once(loads=True, client=None, **kwargs):
        lake = open_lake(settings)
        kwargs.setdefault("pace", 0)
        return run_extract(
            lake,
            settings,
            missing_ids=ledger.missing_ids,
            client=client or client_for(settings),
            chain=(lambda paths: ledger.load(lake, paths)) if loads else None,
            **kwargs,
        )

    return run_once


def run_into_duckdb(settings, client_for):
    """One run as `python -m cli extract` makes it: landed files curated and loaded into DuckDB."""
    return run_extract(
        open_lake(settings),
        settings,
        missing_ids=missing_catalog_ids(settings),
        client=client_for(settings),
        chain=load_chain(settings, IngestSummary()),
        pace=0,
    )


def query(settings, sql):
    with open_warehouse(settings) as warehouse:
        return warehouse.query(sql)


# -- the whole chain, into the real warehouse --------------------------------------------------


def test_in_batch_mode_the_fewest_requests_fill_every_dimension_and_a_rerun_asks_nothing(
    settings, fake, played, catalog, artists, client_for
):
    report = run_into_duckdb(settings, client_for)
    assert fake.catalog_requests() == minimum_batch_requests(120, 24, len(artists)) == 6
    assert (report.fetched, report.mode, report.catalog_requests) == (
        {"track": 120, "album": 24, "artist": len(artists)},
        "batch",
        6,
    )
    for kind in ("tracks", "albums", "artists"):
        assert sorted(requested_ids(fake, kind)) == sorted(set(requested_ids(fake, kind)))  # each once
    assert query(settings, "SELECT count(*) FROM dim_track WHERE NOT not_found") == [(120,)]
    assert query(settings, "SELECT count(*) FROM dim_album") == [(24,)]
    assert query(settings, "SELECT count(*) FROM dim_artist") == [(len(artists),)]
    assert query(settings, "SELECT count(*) FROM bridge_artist_genre") == [
        (sum(1 for a in artists if catalog.artists[a]["genres"]),)
    ]
    # Removed-in-2026 fields are simply null.
    assert query(
        settings, "SELECT count(*) FROM dim_artist WHERE popularity IS NULL AND followers IS NULL"
    ) == [(len(artists),)]

    fake.reset_counts()
    report = run_into_duckdb(settings, client_for)
    assert fake.catalog_requests() == 0 and report.catalog_requests == 0


def test_in_single_id_mode_every_id_is_asked_once_and_a_404_is_a_not_found_row(
    settings, fake, played, client_for
):
    fake.batch_forbidden = True
    gone = played[7]
    fake.removed.add(gone)
    report = run_into_duckdb(settings, client_for)
    assert report.mode == "single" and report.not_found["track"] == 1
    assert requested_ids(fake, "tracks").count(gone) == 1
    assert query(settings, "SELECT count(*) FROM dim_track") == [(120,)]
    assert query(settings, f"SELECT not_found, name FROM dim_track WHERE track_id = '{gone}'") == [
        (True, None)
    ]
    fake.reset_counts()
    run_into_duckdb(settings, client_for)
    assert fake.catalog_requests() == 0


# -- request counting, against the ledger ------------------------------------------------------


def test_a_403_on_batch_switches_to_one_request_per_id_and_is_remembered(
    settings, fake, played, catalog, artists, run
):
    fake.batch_forbidden = True
    report = run()
    batch_probes = fake.requests["/v1/tracks"]
    assert batch_probes == 1  # one 403, then single-id calls for the rest of the run
    assert fake.catalog_requests() - batch_probes == 120 + 24 + len(artists)
    assert report.mode == "single" and state.read_enrichment(open_lake(settings)).mode == "single"

    # A later run with new ids goes straight to single-id calls.
    catalog.tracks[NEW] = dict(catalog.tracks[played[0]], name="New one")
    fake.reset_counts()
    fake.add_plays([NEW], past_ms(0.01))
    run()
    assert fake.requests["/v1/tracks"] == 0 and fake.requests["/v1/tracks/" + NEW] == 1
    assert fake.catalog_requests() == 1  # its album and artist are known already


@pytest.mark.parametrize("batch", [True, False], ids=["batch", "single"])
def test_an_unknown_id_is_recorded_not_found_and_never_asked_again(fake, played, ledger, run, batch):
    fake.batch_forbidden = not batch
    gone = played[7]
    fake.removed.add(gone)
    report = run()
    assert report.not_found["track"] == 1 and gone in ledger.known["track"]
    assert requested_ids(fake, "tracks").count(gone) == 1
    fake.reset_counts()
    run()
    assert fake.catalog_requests() == 0


def test_a_429_mid_enrichment_stops_keeps_progress_and_the_next_run_resumes(fake, played, ledger, run):
    fake.limit_quota("/v1/tracks", allowed=1)  # the second batch of tracks gets 429, Retry-After 74214
    report = run()
    assert report.rate_limited and report.retry_after == 74214
    assert "rate-limited" in str(report) and "resumes next run" in str(report)
    assert report.fetched["track"] == 50 and report.left["track"] == 70
    assert fake.requests["/v1/albums"] == fake.requests["/v1/artists"] == 0  # stopped right there
    assert len(ledger.known["track"]) == 50 and len(ledger.referenced["track"]) == 120  # the pull is kept

    answered = set(requested_ids(fake, "tracks")[:50])  # the first batch; the second got 429
    fake.limit_quota("/v1/tracks", None)
    fake.reset_counts()
    report = run()
    assert not report.rate_limited and report.fetched["track"] == 70
    resumed = requested_ids(fake, "tracks")
    assert len(resumed) == len(set(resumed)) == 70 and not answered & set(resumed)  # resumes right there
    assert len(ledger.known["track"]) == 120 and len(ledger.known["album"]) == 24


def test_a_429_inside_a_single_id_bundle_keeps_what_was_fetched(fake, played, ledger, run):
    fake.batch_forbidden = True
    fake.limit_quota("/v1/tracks/", allowed=30)
    report = run()
    assert report.rate_limited and report.fetched["track"] == 30 and report.left["track"] == 90
    assert report.not_found["track"] == 0  # a 429 never marks anything missing
    assert len(ledger.known["track"]) == 30

    fake.limit_quota("/v1/tracks/", None)
    fake.reset_counts()
    report = run()
    assert report.fetched["track"] == 90 and fake.requests["/v1/tracks"] == 0  # single mode remembered
    assert len(requested_ids(fake, "tracks")) == 90 and len(ledger.known["track"]) == 120


def test_ids_landed_but_not_loaded_are_not_fetched_again(settings, fake, played, catalog, ledger, run):
    """The timer's view: loads happen after the run (blob triggers), so runs can overlap them."""
    lake = open_lake(settings)
    run()  # streams and full catalog loaded
    catalog.tracks["y" * 22] = dict(catalog.tracks[played[0]], name="Another")
    fake.add_plays(["y" * 22], past_ms(0.01))
    ledger.load(lake, run(loads=False).landed)  # the play lands; the triggers load it
    fake.reset_counts()
    first = run(loads=False)  # fetches the new track; its load is pending
    assert first.fetched["track"] == 1 and fake.catalog_requests() == 1
    fake.reset_counts()
    second = run(loads=False)  # before the load: nothing fetched again
    assert fake.catalog_requests() == 0 and second.fetched["track"] == 0
    assert "y" * 22 in state.read_enrichment(lake).pending["track"]
    ledger.load(lake, first.landed)
    run(loads=False)
    assert state.read_enrichment(lake).pending["track"] == {}


def test_a_pending_id_whose_load_never_came_is_fetched_again_after_some_days(
    settings, fake, played, catalog, ledger, run
):
    """A landed answer whose load was poisoned must not block that id forever."""
    lake = open_lake(settings)
    start = datetime(2026, 9, 1, 6, tzinfo=UTC)
    run(now=start)  # everything loaded
    catalog.tracks["z" * 22] = dict(catalog.tracks[played[0]], name="Poisoned")
    fake.add_plays(["z" * 22], past_ms(0.01))
    ledger.load(lake, run(loads=False, now=start).landed)
    fake.reset_counts()
    run(loads=False, now=start)  # fetched and landed; its load never happens
    assert requested_ids(fake, "tracks") == ["z" * 22]
    for days in (1, 2.9):  # still waiting for the load: not fetched again
        fake.reset_counts()
        run(loads=False, now=start + timedelta(days=days))
        assert fake.catalog_requests() == 0
    fake.reset_counts()
    later = start + timedelta(days=3, hours=1)
    report = run(now=later)  # the load is taken for lost: fetched again
    assert requested_ids(fake, "tracks") == ["z" * 22] and report.fetched["track"] == 1
    assert "z" * 22 in ledger.known["track"]
    fake.reset_counts()
    run(now=later + timedelta(days=5))  # loaded now: done for good
    assert fake.catalog_requests() == 0
    assert state.read_enrichment(lake).pending["track"] == {}


@pytest.mark.parametrize("batch", [True, False], ids=["batch", "single"])
def test_a_spent_catalog_budget_stops_and_the_next_runs_continue_at_the_minimum(
    fake, played, artists, ledger, run, batch
):
    fake.batch_forbidden = not batch
    minimum = minimum_batch_requests(120, 24, len(artists)) if batch else 1 + 120 + 24 + len(artists)
    budget = 2 if batch else 70
    total, runs = 0, 0
    while True:
        fake.reset_counts()
        report = run(catalog_budget=budget)
        runs += 1
        total += fake.catalog_requests()
        assert fake.catalog_requests() <= budget and not report.rate_limited
        if not report.budget_spent:
            break
        assert "catalog budget of" in str(report) and "resumes next run" in str(report)
        assert sum(report.left.values()) > 0
    assert total == minimum and runs == math.ceil(minimum / budget)
    assert {kind: len(ids) for kind, ids in ledger.known.items()} == {
        "track": 120,
        "album": 24,
        "artist": len(artists),
    }
    fake.reset_counts()
    run(catalog_budget=budget)
    assert fake.catalog_requests() == 0


def test_catalog_requests_are_paced_with_the_clients_sleep(settings, fake, played, run, client_for):
    client = client_for(settings)
    run(client=client, pace=1.5)
    assert fake.catalog_requests() == 6
    assert client.slept_for == [1.5] * 5  # between catalog requests only: not before the first


def test_tracks_are_asked_first_then_albums_and_artists_of_the_tracks_loaded_in_between(played, ledger, run):
    run()
    assert ledger.asked == 2  # once before tracks, once after their load for albums and artists
    run(loads=False)
    assert ledger.asked == 4


# -- the pure parts, table-driven ----------------------------------------------------------------

NOW = datetime(2026, 9, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("wanted", "pending", "fetch", "kept"),
    [
        (["a", "b"], {}, ["a", "b"], {}),  # nothing pending: fetch everything
        (["a", "b"], {"a": NOW - timedelta(days=1)}, ["b"], {"a": NOW - timedelta(days=1)}),  # waits for a
        (["a"], {"a": NOW - timedelta(days=3)}, ["a"], {}),  # pending too long: its load is lost
        (["a"], {"b": NOW}, ["a"], {}),  # b is loaded now (no longer wanted): dropped
        (["a", "c"], {"a": None}, ["c"], {"a": NOW}),  # an older state file's plain id: landed now
        ([], {"a": NOW}, [], {}),
    ],
)
def test_ids_to_fetch_waits_for_pending_loads_and_gives_up_on_lost_ones(wanted, pending, fetch, kept):
    assert ids_to_fetch(wanted, pending, NOW) == (fetch, kept)


@pytest.mark.parametrize(
    ("count", "size", "lengths"),
    [
        (0, 50, []),
        (1, 50, [1]),
        (50, 50, [50]),
        (51, 50, [50, 1]),
        (120, 50, [50, 50, 20]),
        (41, 20, [20, 20, 1]),
    ],
)
def test_ids_are_asked_in_chunks_of_at_most_the_endpoint_limit(count, size, lengths):
    ids = [f"{i:022d}" for i in range(count)]
    parts = chunks(ids, size)
    assert [len(p) for p in parts] == lengths and [i for p in parts for i in p] == ids


def test_the_chunk_sizes_are_spotifys_batch_limits_and_one_bundle_per_50_answers():
    assert BATCH_LIMITS == {"track": 50, "album": 20, "artist": 50} and BUNDLE_SIZE == 50
