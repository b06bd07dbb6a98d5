"""Benchmark: catalog requests enrichment makes, against the minimum, in batch and single-id mode.

Against the fake Spotify (tests/fakes/spotify_api.py) with a folder lake and the DuckDB warehouse:
N distinct tracks are played, `python -m cli extract`'s chain pulls, loads and enriches them (tracks,
then their albums and artists), and a second run shows that nothing is ever fetched twice.

    batch minimum  = ⌈tracks/50⌉ + ⌈albums/20⌉ + ⌈artists/50⌉
    single minimum = one request per id (+1: the 403 that reveals batch is not allowed, once ever)

The job paces catalog requests (SPOTIFY_REQUEST_INTERVAL_MS apart, at most SPOTIFY_CATALOG_BUDGET per
run, so a large back-fill is spread over several daily runs); here the pace is 0 and the budget
unlimited, so one run shows the request count. The "runs" column is how many daily runs the default
budget needs.

Usage: python bench/enrich_requests.py [--tracks 500] [--tracks-per-album 5]
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: make the project's packages importable

from cli.extract import load_chain  # noqa: E402
from extract.spotify.client import SpotifyClient  # noqa: E402
from pipeline.chain import IngestSummary  # noqa: E402
from pipeline.stages import run_extract  # noqa: E402
from settings import DEFAULT_SPOTIFY_CATALOG_BUDGET, Settings  # noqa: E402
from tests.fakes.spotify_api import Catalog, FakeSpotify, past_ms  # noqa: E402


def scenario(n_tracks: int, per_album: int, batch_allowed: bool) -> dict:
    catalog = Catalog.generate(n_tracks, tracks_per_album=per_album)
    artists = {a for t in catalog.tracks.values() for a in t["artist_ids"]}
    with FakeSpotify(catalog, history_limit=None) as fake, tempfile.TemporaryDirectory() as tmp:
        fake.batch_forbidden = not batch_allowed
        fake.add_plays(list(catalog.tracks), past_ms(5), gap_ms=1000)
        settings = replace(Settings(lake_dir=Path(tmp)), **fake.settings_overrides())

        def run():
            client = SpotifyClient.from_settings(settings)
            chain = load_chain(settings, IngestSummary())
            fake.reset_counts()
            started = time.perf_counter()
            report = run_extract(settings, client=client, chain=chain, catalog_budget=sys.maxsize, pace=0)
            return report, fake.catalog_requests(), time.perf_counter() - started

        first, first_requests, first_seconds = run()
        _, second_requests, _ = run()
        assert not fake.validation_errors, fake.validation_errors[:3]
    ids = {"track": n_tracks, "album": len(catalog.albums), "artist": len(artists)}
    if batch_allowed:
        minimum = math.ceil(ids["track"] / 50) + math.ceil(ids["album"] / 20) + math.ceil(ids["artist"] / 50)
    else:
        minimum = sum(ids.values()) + 1  # + the one 403 batch probe
    assert first.fetched == ids, (first.fetched, ids)
    return {
        "mode": "batch" if batch_allowed else "single (403)",
        "ids": ids,
        "requests": first_requests,
        "minimum": minimum,
        "seconds": first_seconds,
        "rerun": second_requests,
        "runs": math.ceil(first_requests / DEFAULT_SPOTIFY_CATALOG_BUDGET),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=500)
    parser.add_argument("--tracks-per-album", type=int, default=5)
    args = parser.parse_args()
    rows = [scenario(args.tracks, args.tracks_per_album, batch) for batch in (True, False)]
    print(
        f"{'mode':<13} {'tracks':>6} {'albums':>6} {'artists':>7} {'requests':>8} {'minimum':>7} "
        f"{'run s':>6} {'2nd run':>7} {'runs':>4}"
    )
    for r in rows:
        ids = r["ids"]
        print(
            f"{r['mode']:<13} {ids['track']:>6} {ids['album']:>6} {ids['artist']:>7} {r['requests']:>8} "
            f"{r['minimum']:>7} {r['seconds']:>6.1f} {r['rerun']:>7} {r['runs']:>4}"
        )
    ok = all(r["requests"] == r["minimum"] and r["rerun"] == 0 for r in rows)
    print("every id fetched once; second run made zero catalog requests" if ok else "ABOVE THE MINIMUM")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
