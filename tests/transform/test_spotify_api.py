"""Web API responses → curated rows and Parquet with exactly the declared schemas."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import UTC, date, datetime

import pyarrow.parquet as pq
import pytest

from contracts.datasets import DATASETS
from contracts.layout import ApiFile
from extract.spotify.enrich import bundle_body
from storage import open_lake
from tests.fakes.spotify_api import Catalog, FakeSpotify
from transform.pseudonym import user_id, user_id_key
from transform.spotify_api import curate_api_file, curated_rows

DAY = date(2026, 8, 1)


@pytest.fixture(scope="module")
def bodies():
    catalog = Catalog.generate(6, tracks_per_album=3)
    tracks, albums, artists = list(catalog.tracks), list(catalog.albums), list(catalog.artists)
    with FakeSpotify(catalog) as fake:
        fake.add_plays(tracks[:4], 1_785_000_000_123)
        fake.top[("tracks", "short_term")] = tracks[:3]
        yield (
            {
                "recently-played/dt=2026-08-01/after-0.json": fake.recently_played(
                    {"limit": "50", "after": "0"}
                ),
                "top-tracks/dt=2026-08-01/short_term.json": fake.top_items(
                    "tracks", {"time_range": "short_term"}
                ),
                "tracks/dt=2026-08-01/batch-x.json": {
                    "tracks": [fake.track_object(t) for t in tracks] + [None]
                },
                "albums/dt=2026-08-01/single-x.json": json.loads(
                    bundle_body(
                        "album", [json.dumps(fake.album_object(a)).encode() for a in albums], ["gone"]
                    )
                ),
                "artists/dt=2026-08-01/batch-y.json": {"artists": [fake.artist_object(a) for a in artists]},
            },
            catalog,
        )


def test_every_api_file_curates_to_parquet_with_the_exact_schema(folder_settings, bodies):
    docs, _ = bodies
    lake = open_lake(folder_settings)
    datasets = set()
    for path, doc in docs.items():
        lake.write_bytes("raw", f"spotify-api/{path}", json.dumps(doc).encode())
        message = curate_api_file(lake, f"spotify-api/{path}", folder_settings)
        assert message.curated_from == f"raw/spotify-api/{path}"
        for curated in message.files:
            with lake.local_path("curated", curated.path) as local:
                table = pq.read_table(local)
            assert table.schema.equals(DATASETS[curated.dataset]), curated.dataset
            assert table.num_rows == curated.rows > 0
            datasets.add(curated.dataset)
    assert datasets == {
        "streams",
        "tracks",
        "albums",
        "artists",
        "track_artists",
        "artist_genres",
        "top_items",
    }
    # Per-user datasets sit under the user id; the catalog does not; both mirror the raw path.
    uid = user_id("me", user_id_key(lake, folder_settings))
    assert lake.exists("curated", f"streams/{uid}/spotify-api/recently-played/dt=2026-08-01/after-0.parquet")
    assert lake.exists("curated", "tracks/spotify-api/tracks/dt=2026-08-01/batch-x.parquet")


def test_a_play_becomes_an_api_stream_ending_at_played_at_with_the_track_length(bodies):
    docs, catalog = bodies
    page = docs["recently-played/dt=2026-08-01/after-0.json"]
    origin = "spotify-api/recently-played/dt=2026-08-01/after-0.json"
    answer = ApiFile.parse(origin)
    rows = curated_rows(answer.endpoint, answer.day, answer.name, page, "u1", origin)["streams"]
    assert len(rows) == 4
    newest = page["items"][0]
    row = next(r for r in rows if r["track_id"] == newest["track"]["id"])
    track = catalog.tracks[row["track_id"]]
    assert row["ts"] == datetime.fromisoformat(newest["played_at"].replace("Z", "+00:00"))
    assert row["ts"].tzinfo is not None and row["ts"].utcoffset().total_seconds() == 0
    assert (row["source"], row["content_type"], row["ms_played"]) == ("api", "music", track["duration_ms"])
    assert row["track_name"] == track["name"]
    assert row["artist_name"] == catalog.artists[track["artist_ids"][0]]["name"]  # the primary artist
    assert row["album_name"] == catalog.albums[track["album_id"]]["name"]
    key = hashlib.md5("\x1e".join(("api", newest["played_at"], row["track_id"])).encode()).hexdigest()
    assert row["stream_key"] == key and row["origin"] == origin and row["user_id"] == "u1"


def test_catalog_rows_record_not_found_ids_and_leave_removed_fields_null(bodies):
    docs, _ = bodies
    albums = curated_rows("albums", DAY, "single-x", docs["albums/dt=2026-08-01/single-x.json"], "u", "o")
    gone = [r for r in albums["albums"] if r["not_found"]]
    assert [r["album_id"] for r in gone] == ["gone"] and gone[0]["name"] is None
    assert all(r["label"] is None for r in albums["albums"])  # "" from the API means removed
    assert all(r["fetched_at"] == datetime(2026, 8, 1, tzinfo=UTC) for r in albums["albums"])
    tracks = curated_rows("tracks", DAY, "batch-x", docs["tracks/dt=2026-08-01/batch-x.json"], "u", "o")
    assert len(tracks["tracks"]) == 6 and all(
        r["popularity"] is None for r in tracks["tracks"]
    )  # null skipped
    assert all(r["isrc"].startswith("QZ") for r in tracks["tracks"])
    featured = [r for r in tracks["track_artists"] if r["position"] == 1]
    assert len(tracks["track_artists"]) == 6 + len(featured)
    artists = curated_rows("artists", DAY, "batch-y", docs["artists/dt=2026-08-01/batch-y.json"], "u", "o")
    assert all(r["followers"] is None and r["popularity"] is None for r in artists["artists"])
    assert {g["genre"] for g in artists["artist_genres"]} == {"indie pop"}


def test_top_items_rank_in_order_with_the_snapshot_day_and_range(bodies):
    docs, catalog = bodies
    rows = curated_rows(
        "top-tracks", DAY, "short_term", docs["top-tracks/dt=2026-08-01/short_term.json"], "u", "o"
    )
    items = rows["top_items"]
    assert [(r["rank"], r["item_id"]) for r in items] == list(enumerate(list(catalog.tracks)[:3], start=1))
    assert {(r["snapshot_date"], r["time_range"], r["item_type"]) for r in items} == {
        (DAY, "short_term", "track")
    }


def test_other_files_are_not_curated(folder_settings):
    lake = open_lake(folder_settings)
    lake.write_bytes("raw", "spotify-api/recently-played/notes.txt", b"x")
    assert curate_api_file(lake, "spotify-api/recently-played/notes.txt", folder_settings) is None
    empty = {"items": [], "limit": 50, "href": "h"}
    lake.write_bytes(
        "raw", "spotify-api/recently-played/dt=2026-08-01/after-5.json", json.dumps(empty).encode()
    )
    settings = replace(folder_settings, spotify_user="me")
    assert curate_api_file(lake, "spotify-api/recently-played/dt=2026-08-01/after-5.json", settings) is None
