"""The Spotify path on Azurite through the real handlers: timer → raw → curated → load → warehouse."""

from __future__ import annotations

from dataclasses import replace

import pytest
from azure.functions import TimerRequest
from azure.functions.queue import QueueMessage
from azure.storage.blob import BlobClient

import function_app
from load.warehouse import open_warehouse
from storage import open_lake
from tests.fakes.spotify_api import past_ms
from tests.handlers import Out, handler

pytestmark = pytest.mark.azurite


class Timer(TimerRequest):
    past_due = False


def fire_triggers(settings, paths: list[str], seen: set[str]) -> int:
    """What the host does for each new raw blob and each queued message."""
    conn = settings.storage_connection_string
    messages = []
    for path in paths:
        if path in seen:
            continue
        seen.add(path)
        out = Out()
        handler("curate_raw")(client=BlobClient.from_connection_string(conn, "raw", path), load=out)
        if out.value:
            messages.append(out.value)
    for number, body in enumerate(messages):
        handler("load_curated")(msg=QueueMessage(id=str(number), body=body.encode(), dequeue_count=1))
    return len(messages)


def counts(settings):
    with open_warehouse(settings) as warehouse:
        return {
            table: warehouse.query(f"SELECT count(*) FROM {table}")[0][0]
            for table in (
                "fact_stream",
                "dim_track",
                "dim_album",
                "dim_artist",
                "bridge_track_artist",
                "fact_top_item",
            )
        }


def test_the_timer_job_lands_raw_and_the_triggers_load_it_over_three_runs(
    azurite_settings, fake, catalog, monkeypatch, caplog
):
    settings = replace(azurite_settings, **fake.settings_overrides())
    monkeypatch.setattr(function_app, "SETTINGS", settings)
    tracks = list(catalog.tracks)[:30]  # 6 albums
    fake.add_plays(tracks, past_ms(1))
    fake.top[("tracks", "short_term")] = tracks[:5]
    lake = open_lake(settings)
    seen: set[str] = set()
    caplog.set_level("INFO", logger="function_app")

    # Run 1: the pull lands raw; the triggers curate and load it (enrichment has nothing loaded yet).
    handler("extract_spotify")(timer=Timer())
    assert "extract: 30 plays in 1 pages; 6 top-item snapshots" in caplog.text
    fire_triggers(settings, list(lake.list("raw")), seen)
    first = counts(settings)
    assert (first["fact_stream"], first["dim_track"], first["fact_top_item"]) == (30, 0, 5)

    # Run 2: the streamed tracks are enriched; run 3: their albums and artists (ids known once loaded).
    for _ in range(2):
        fake.reset_counts()
        handler("extract_spotify")(timer=Timer())
        fire_triggers(settings, list(lake.list("raw")), seen)
    after = counts(settings)
    artists = {a for t in tracks for a in catalog.tracks[t]["artist_ids"]}
    assert after == {
        "fact_stream": 30,
        "dim_track": 30,
        "dim_album": 6,
        "dim_artist": len(artists),
        "bridge_track_artist": sum(len(catalog.tracks[t]["artist_ids"]) for t in tracks),
        "fact_top_item": 5,
    }
    assert fake.requests["/v1/albums"] == 1 and fake.requests["/v1/artists"] == 1

    # Run 4 with nothing new: no catalog request, nothing doubled (the top snapshot is replaced).
    fake.reset_counts()
    handler("extract_spotify")(timer=Timer())
    fire_triggers(settings, list(lake.list("raw")), set())  # even replaying every raw event
    assert fake.catalog_requests() == 0
    assert counts(settings) == after
