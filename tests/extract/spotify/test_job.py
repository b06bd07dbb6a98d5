"""The daily job against the fake Spotify, a folder lake and the real DuckDB warehouse.

Paging and cursor, idempotent top-item snapshots, and enrichment: request counts in batch and
single-id mode, 404s recorded once, 429 stops and resumes, and a run with nothing new asks nothing.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import pytest

from cli.extract import load_chain
from extract.spotify import state
from extract.spotify.enrich import ids_to_fetch
from extract.spotify.job import run_extract
from load.warehouse import open_warehouse
from pipeline.chain import IngestSummary
from pipeline.stages import missing_catalog_ids
from storage import open_lake
from storage.folder import FolderLake
from storage.lake import LakeError
from tests.fakes.spotify_api import past_ms

RP = "/v1/me/player/recently-played"


def extract(settings, client_for, chain=True, lake=None, client=None, **kwargs):
    chain_fn = load_chain(settings, IngestSummary()) if chain else None
    kwargs.setdefault("pace", 0)
    client = client or client_for(settings)
    return run_extract(
        lake or open_lake(settings),
        settings,
        missing_ids=missing_catalog_ids(settings),
        client=client,
        chain=chain_fn,
        **kwargs,
    )


def query(settings, sql):
    with open_warehouse(settings) as warehouse:
        return warehouse.query(sql)


def raw_files(settings, endpoint):
    return [p.split("/", 2)[2] for p in open_lake(settings).list("raw", f"spotify-api/{endpoint}/")]


def requested_ids(fake, kind):
    """Every id the fake was asked about for `kind`, batch or single, in order."""
    ids = []
    for method, path, qs in fake.log:
        parts = path.strip("/").split("/")
        if method == "GET" and parts[:2] == ["v1", kind]:
            ids += parse_qs(qs)["ids"][0].split(",") if len(parts) == 2 else [parts[2]]
    return ids


@pytest.fixture
def played(fake, catalog):
    """120 distinct tracks played over the last days (recently-played serves 20 per page)."""
    fake.page_size = 20
    ids = list(catalog.tracks)
    fake.add_plays(ids, past_ms(3), gap_ms=60_000)
    return ids


def test_recently_played_follows_next_links_and_lands_each_page_as_returned(
    settings, fake, played, client_for
):
    fake.page_size = 50
    report = extract(settings, client_for, chain=False)
    pages = raw_files(settings, "recently-played")
    assert len(pages) == 3 and report.pages == 3 and report.plays == 120
    assert pages[0].endswith("/after-0.json")
    newest = max(ms for ms, _ in fake.plays)
    assert state.read_cursor(open_lake(settings)) == newest
    # Each landed page is byte-for-byte the server's answer for the URL the job followed.
    lake = open_lake(settings)
    first = lake.read_bytes("raw", "spotify-api/recently-played/" + pages[0])
    assert first == json.dumps(fake.recently_played({"limit": "50", "after": "0"})).encode()
    assert next(q for _, p, q in fake.log if p == RP) == "limit=50&after=0"

    # Nothing new: one request, nothing landed, cursor unchanged. New plays: only those land.
    fake.reset_counts()
    extract(settings, client_for, chain=False)
    assert fake.requests[RP] == 1 and len(raw_files(settings, "recently-played")) == 3
    fake.add_plays(played[:5], newest + 60_000)
    report = extract(settings, client_for, chain=False)
    assert report.plays == 5
    assert raw_files(settings, "recently-played")[-1].endswith(f"after-{newest}.json")


class FailingRawLake(FolderLake):
    """A real folder lake whose raw writes fail after `allowed` successes (a storage outage)."""

    def __init__(self, root, allowed):
        super().__init__(root)
        self.allowed = allowed

    def write_bytes(self, container, path, data):
        if container == "raw":
            if self.allowed <= 0:
                raise LakeError(f"cannot write {container}/{path}")
            self.allowed -= 1
        super().write_bytes(container, path, data)


def test_the_cursor_moves_only_after_its_page_landed(settings, fake, played, client_for):
    with pytest.raises(LakeError):
        extract(settings, client_for, chain=False, lake=FailingRawLake(settings.lake_dir, allowed=0))
    assert not open_lake(settings).exists("state", state.RECENTLY_PLAYED_STATE)

    with pytest.raises(LakeError):
        extract(settings, client_for, chain=False, lake=FailingRawLake(settings.lake_dir, allowed=1))
    first_page_newest = sorted(ms for ms, _ in fake.plays)[19]
    assert state.read_cursor(open_lake(settings)) == first_page_newest

    # The next run resumes exactly after the landed page: every play lands once, none is skipped.
    extract(settings, client_for, chain=False)
    pages = raw_files(settings, "recently-played")
    load_chain(settings, IngestSummary())([f"spotify-api/recently-played/{p}" for p in pages])
    assert query(settings, "SELECT count(*), count(DISTINCT track_id) FROM fact_stream") == [(120, 120)]
    landed = []
    for path in raw_files(settings, "recently-played"):
        body = open_lake(settings).read_bytes("raw", f"spotify-api/recently-played/{path}")
        landed += [i["played_at"] for i in json.loads(body)["items"]]
    assert len(landed) == len(set(landed)) == 120


def test_top_items_are_dated_snapshots_and_a_same_day_rerun_overwrites_them(
    settings, fake, catalog, client_for
):
    tracks, artists = list(catalog.tracks), list(catalog.artists)
    for i, time_range in enumerate(("short_term", "medium_term", "long_term")):
        fake.top[("tracks", time_range)] = tracks[i : i + 10]
        fake.top[("artists", time_range)] = artists[i : i + 4]
    report = extract(settings, client_for)
    assert report.top_snapshots == 6
    snapshots = raw_files(settings, "top-tracks") + raw_files(settings, "top-artists")
    assert sorted(p.rsplit("/", 1)[1] for p in snapshots) == sorted(
        ["short_term.json", "medium_term.json", "long_term.json"] * 2
    )
    counts = (
        "SELECT item_type, time_range, count(*), min(rank), max(rank) FROM fact_top_item"
        " GROUP BY ALL ORDER BY ALL"
    )
    first = query(settings, counts)
    assert first[0] == ("artist", "long_term", 4, 1, 4) and len(first) == 6

    extract(settings, client_for)  # same day again: same names, same rows, nothing doubled
    assert sorted(raw_files(settings, "top-tracks") + raw_files(settings, "top-artists")) == sorted(snapshots)
    assert query(settings, counts) == first


def minimum_batch_requests(tracks, albums, artists):
    return math.ceil(tracks / 50) + math.ceil(albums / 20) + math.ceil(artists / 50)


def test_enrichment_in_batch_mode_makes_the_minimum_requests_and_a_rerun_none(
    settings, fake, played, catalog, client_for
):
    report = extract(settings, client_for)
    artists = {a for t in catalog.tracks.values() for a in t["artist_ids"]}
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
    report = extract(settings, client_for)
    assert fake.catalog_requests() == 0 and report.catalog_requests == 0


def test_a_403_on_batch_switches_to_one_request_per_id_and_is_remembered(
    settings, fake, played, catalog, client_for
):
    fake.batch_forbidden = True
    report = extract(settings, client_for)
    artists = {a for t in catalog.tracks.values() for a in t["artist_ids"]}
    batch_probes = fake.requests["/v1/tracks"]
    assert batch_probes == 1  # one 403, then single-id calls for the rest of the run
    assert fake.catalog_requests() - batch_probes == 120 + 24 + len(artists)
    assert report.mode == "single" and state.read_enrichment(open_lake(settings)).mode == "single"
    assert query(settings, "SELECT count(*) FROM dim_track") == [(120,)]

    # A later run with new ids goes straight to single-id calls.
    catalog.tracks["x" * 22] = dict(catalog.tracks[played[0]], name="New one")
    fake.reset_counts()
    fake.add_plays(["x" * 22], past_ms(0.01))
    extract(settings, client_for)
    assert fake.requests["/v1/tracks"] == 0 and fake.requests["/v1/tracks/" + "x" * 22] == 1
    assert fake.catalog_requests() == 1  # its album and artist are known already


@pytest.mark.parametrize("batch", [True, False], ids=["batch", "single"])
def test_an_unknown_id_is_recorded_not_found_and_never_asked_again(settings, fake, played, client_for, batch):
    fake.batch_forbidden = not batch
    gone = played[7]
    fake.removed.add(gone)
    report = extract(settings, client_for)
    assert report.not_found["track"] == 1
    assert query(settings, f"SELECT not_found, name FROM dim_track WHERE track_id = '{gone}'") == [
        (True, None)
    ]
    asked = requested_ids(fake, "tracks").count(gone)
    assert asked == 1

    fake.reset_counts()
    extract(settings, client_for)
    assert fake.catalog_requests() == 0


def test_a_429_mid_enrichment_stops_keeps_progress_and_the_next_run_resumes(
    settings, fake, played, catalog, client_for
):
    fake.limit_quota("/v1/tracks", allowed=1)  # the second batch of tracks gets 429, Retry-After 74214
    report = extract(settings, client_for)
    assert report.rate_limited and report.retry_after == 74214
    assert "rate-limited" in str(report) and "resumes next run" in str(report)
    assert report.fetched["track"] == 50 and report.left["track"] == 70
    assert fake.requests["/v1/albums"] == fake.requests["/v1/artists"] == 0  # stopped right there
    assert query(settings, "SELECT count(*), count(*) FILTER (WHERE not_found) FROM dim_track") == [(50, 0)]
    assert query(settings, "SELECT count(*) FROM fact_stream") == [(120,)]  # the pull itself is kept

    answered = set(requested_ids(fake, "tracks")[:50])  # the first batch; the second got 429
    fake.limit_quota("/v1/tracks", None)
    fake.reset_counts()
    report = extract(settings, client_for)
    assert not report.rate_limited and report.fetched["track"] == 70
    resumed = requested_ids(fake, "tracks")
    assert len(resumed) == len(set(resumed)) == 70 and not answered & set(resumed)  # resumes right there
    assert query(settings, "SELECT count(*), count(*) FILTER (WHERE not_found) FROM dim_track") == [(120, 0)]
    assert query(settings, "SELECT count(*) FROM dim_album") == [(24,)]


def test_ids_landed_but_not_loaded_are_not_fetched_again(settings, fake, played, catalog, client_for):
    """The timer's view: loads happen after the run (blob triggers), so runs can overlap them."""
    extract(settings, client_for)  # streams and full catalog loaded
    catalog.tracks["y" * 22] = dict(catalog.tracks[played[0]], name="Another")
    fake.add_plays(["y" * 22], past_ms(0.01))
    pull = extract(settings, client_for, chain=False)  # the play lands; nothing loaded yet
    load_chain(settings, IngestSummary())(pull.landed)  # the triggers load the play
    fake.reset_counts()
    first = extract(settings, client_for, chain=False)  # fetches the new track; its load is pending
    assert first.fetched["track"] == 1 and fake.catalog_requests() == 1
    fake.reset_counts()
    second = extract(settings, client_for, chain=False)  # before the load: nothing fetched again
    assert fake.catalog_requests() == 0 and second.fetched["track"] == 0
    assert "y" * 22 in state.read_enrichment(open_lake(settings)).pending["track"]
    load_chain(settings, IngestSummary())(first.landed)
    extract(settings, client_for, chain=False)
    assert state.read_enrichment(open_lake(settings)).pending["track"] == {}


def test_a_pending_id_whose_load_never_came_is_fetched_again_after_some_days(
    settings, fake, played, catalog, client_for
):
    """A landed answer whose load was poisoned must not block that id forever."""
    start = datetime(2026, 9, 1, 6, tzinfo=UTC)
    extract(settings, client_for, now=start)  # everything loaded
    catalog.tracks["z" * 22] = dict(catalog.tracks[played[0]], name="Poisoned")
    fake.add_plays(["z" * 22], past_ms(0.01))
    load_chain(settings, IngestSummary())(extract(settings, client_for, chain=False, now=start).landed)
    fake.reset_counts()
    extract(settings, client_for, chain=False, now=start)  # fetched and landed; its load never happens
    assert requested_ids(fake, "tracks") == ["z" * 22]
    for days in (1, 2.9):  # still waiting for the load: not fetched again
        fake.reset_counts()
        extract(settings, client_for, chain=False, now=start + timedelta(days=days))
        assert fake.catalog_requests() == 0
    fake.reset_counts()
    later = start + timedelta(days=3, hours=1)
    report = extract(settings, client_for, now=later)  # the load is taken for lost: fetched again
    assert requested_ids(fake, "tracks") == ["z" * 22] and report.fetched["track"] == 1
    assert query(settings, "SELECT name FROM dim_track WHERE track_id = 'zzzzzzzzzzzzzzzzzzzzzz'") == [
        ("Poisoned",)
    ]
    fake.reset_counts()
    extract(settings, client_for, now=later + timedelta(days=5))  # loaded now: done for good
    assert fake.catalog_requests() == 0
    assert state.read_enrichment(open_lake(settings)).pending["track"] == {}


def test_ids_to_fetch_reads_an_older_state_files_plain_ids_as_landed_now():
    now = datetime(2026, 9, 1, tzinfo=UTC)
    todo, kept = ids_to_fetch(["a", "b", "c"], {"a": None, "b": now - timedelta(days=5), "x": now}, now)
    assert todo == ["b", "c"] and kept == {"a": now}


@pytest.mark.parametrize("batch", [True, False], ids=["batch", "single"])
def test_a_spent_catalog_budget_stops_and_the_next_runs_continue_at_the_minimum(
    settings, fake, played, catalog, client_for, batch
):
    fake.batch_forbidden = not batch
    artists = {a for t in catalog.tracks.values() for a in t["artist_ids"]}
    minimum = minimum_batch_requests(120, 24, len(artists)) if batch else 1 + 120 + 24 + len(artists)
    budget = 2 if batch else 70
    total, runs = 0, 0
    while True:
        fake.reset_counts()
        report = extract(settings, client_for, catalog_budget=budget)
        runs += 1
        total += fake.catalog_requests()
        assert fake.catalog_requests() <= budget and not report.rate_limited
        if not report.budget_spent:
            break
        assert "catalog budget of" in str(report) and "resumes next run" in str(report)
        assert sum(report.left.values()) > 0
    assert total == minimum and runs == math.ceil(minimum / budget)
    for kind in ("tracks", "albums", "artists"):
        assert query(settings, f"SELECT count(*) FROM dim_{kind[:-1]}") == [
            ({"tracks": 120, "albums": 24, "artists": len(artists)}[kind],)
        ]
    fake.reset_counts()
    extract(settings, client_for, catalog_budget=budget)
    assert fake.catalog_requests() == 0


def test_catalog_requests_are_paced_with_the_clients_sleep(settings, fake, played, client_for):
    client = client_for(settings)
    extract(settings, client_for, client=client, pace=1.5)
    assert fake.catalog_requests() == 6
    assert client.slept_for == [1.5] * 5  # between catalog requests only: not before the first


def test_a_429_inside_a_single_id_bundle_keeps_what_was_fetched(settings, fake, played, client_for):
    fake.batch_forbidden = True
    fake.limit_quota("/v1/tracks/", allowed=30)
    report = extract(settings, client_for)
    assert report.rate_limited and report.fetched["track"] == 30 and report.left["track"] == 90
    assert report.not_found["track"] == 0  # a 429 never marks anything missing
    assert query(settings, "SELECT count(*), count(*) FILTER (WHERE not_found) FROM dim_track") == [(30, 0)]

    fake.limit_quota("/v1/tracks/", None)
    fake.reset_counts()
    report = extract(settings, client_for)
    assert report.fetched["track"] == 90 and fake.requests["/v1/tracks"] == 0  # single mode remembered
    assert len(requested_ids(fake, "tracks")) == 90
    assert query(settings, "SELECT count(*), count(*) FILTER (WHERE not_found) FROM dim_track") == [(120, 0)]
