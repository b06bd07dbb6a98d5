"""The daily pull against the fake Spotify and a folder lake: paging, the cursor, top-item snapshots.

Enrichment, the job's second half, is tested in test_enrich.py.
"""

from __future__ import annotations

import json

import pytest

from cli.extract import load_chain
from extract.spotify import state
from extract.spotify.job import run_extract
from load.warehouse import open_warehouse
from pipeline.chain import IngestSummary
from pipeline.stages import missing_catalog_ids
from storage import open_lake
from storage.folder import FolderLake
from storage.lake import LakeError

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
