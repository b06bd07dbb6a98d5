"""Every trigger invoked through the real worker, with the payload the host sends, on Azurite.

The upload, raw and queue triggers are the event chain: each invocation's effect in the lake or
warehouse is what the next one is invoked with, as the host would (a blob event per landed raw
file, a queue message per output the worker returned), and the HTTP trigger reads the result.
"""

from __future__ import annotations

import json

import pytest

from load.warehouse import open_warehouse
from storage import open_lake
from tests.exports import EXPECTED, small_export
from tests.fakes.spotify_api import past_ms
from tests.worker import payloads

pytestmark = pytest.mark.azurite


def counts(settings, tables=("fact_stream", "stream_reject")) -> dict[str, int]:
    with open_warehouse(settings) as warehouse:
        return {table: warehouse.query(f"SELECT count(*) FROM {table}")[0][0] for table in tables}


def test_an_upload_goes_through_the_worker_to_the_warehouse_and_the_report(
    rpc, start_worker, azurite_settings
):
    worker = start_worker()
    lake = open_lake(azurite_settings)
    lake.write_bytes("upload", "me/my_spotify_data.zip", small_export())

    # upload/{name}: the blob arrives as ModelBindingData; the worker builds the BlobClient.
    accepted = worker.invoke("accept_upload", *payloads.blob(rpc, "upload", "me/my_spotify_data.zip"))
    assert accepted.succeeded, accepted.error
    landed = sorted(lake.list("raw"))
    assert len(landed) == EXPECTED["files"] and all(p.startswith("exports/me/") for p in landed)

    # raw/{name}, once per landed file: curated Parquet, and the load message in the output binding.
    messages = []
    for path in landed:
        curated = worker.invoke("curate_raw", *payloads.blob(rpc, "raw", path))
        assert curated.succeeded, curated.error
        messages.append(curated.output("load").string)
    named = {f["path"] for body in messages for f in json.loads(body)["files"]}
    assert named == set(lake.list("curated")) and all(p.endswith(".parquet") for p in named)

    # The load queue: each message with its trigger metadata; a redelivery doubles nothing.
    for number, body in enumerate(messages):
        loaded = worker.invoke("load_curated", *payloads.queue_message(rpc, body, message_id=f"m{number}"))
        assert loaded.succeeded, loaded.error
    expected = {"fact_stream": EXPECTED["streams_accepted"], "stream_reject": EXPECTED["records_set_aside"]}
    assert counts(azurite_settings) == expected
    again = worker.invoke("load_curated", *payloads.queue_message(rpc, messages[0], dequeue_count=2))
    assert again.succeeded and counts(azurite_settings) == expected

    # GET /api/wrapped and /api/report: the summary of what the chain loaded, as JSON and as HTML.
    answer = worker.invoke("wrapped", *payloads.http_get(rpc, "wrapped", {"tz": "Asia/Tokyo"}))
    assert answer.succeeded, answer.error
    http = answer.response.return_value.http
    headers = {name.lower(): value for name, value in http.headers.items()}
    assert http.status_code == "200" and headers["content-type"].startswith("application/json")
    summary = json.loads(http.body.bytes)
    assert summary["time_zone"] == "Asia/Tokyo"  # the query string reached the function
    assert (summary["streams"], summary["plays"]) == (EXPECTED["streams"], EXPECTED["plays"])
    page = worker.invoke("report", *payloads.http_get(rpc, "report", {"tz": "Asia/Tokyo"}))
    assert page.succeeded, page.error
    html = page.response.return_value.http.body.bytes.decode()
    assert html.startswith("<!doctype html>") and f'data-figure="streams">{EXPECTED["streams"]}<' in html


def test_an_export_of_many_small_files_is_one_blob_event_one_curation_and_one_load_a_bundle(
    rpc, start_worker, azurite_settings
):
    # 150 one-stream files (over extract.export.bundles.BUNDLE_ABOVE): one raw blob for all of them,
    # so the host fires one curation and queues one load where it would have run 150 of each.
    import io
    import zipfile

    from tests.exports import EXT, ext

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for n in range(150):
            record = ext(
                f"2024-04-{1 + n % 28:02d}T{n % 24:02d}:00:00Z", "Artist", f"Track {n}", 60_000 + n, None
            )
            archive.writestr(f"{EXT}/Streaming_History_Audio_2024_{n}.json", json.dumps([record]))
    worker = start_worker()
    lake = open_lake(azurite_settings)
    lake.write_bytes("upload", "me/many.zip", buffer.getvalue())

    accepted = worker.invoke("accept_upload", *payloads.blob(rpc, "upload", "me/many.zip"))
    assert accepted.succeeded, accepted.error
    (bundle,) = lake.list("raw")
    assert "/bundles/extended/" in bundle and bundle.endswith("/0001.zip")

    curated = worker.invoke("curate_raw", *payloads.blob(rpc, "raw", bundle))
    assert curated.succeeded, curated.error
    body = curated.output("load").string
    assert [(f["dataset"], f["rows"]) for f in json.loads(body)["files"]] == [("streams", 150)]
    loaded = worker.invoke("load_curated", *payloads.queue_message(rpc, body, message_id="b1"))
    assert loaded.succeeded, loaded.error
    assert counts(azurite_settings) == {"fact_stream": 150, "stream_reject": 0}


def test_a_bad_upload_is_quarantined_and_the_invocation_succeeds(rpc, start_worker, azurite_settings):
    worker = start_worker()
    lake = open_lake(azurite_settings)
    lake.write_bytes("upload", "me/bad.zip", b"not a zip at all")
    refused = worker.invoke("accept_upload", *payloads.blob(rpc, "upload", "me/bad.zip"))
    # Success: the host must not retry a user's mistake (poisonBlobThreshold retries would follow).
    assert refused.succeeded, refused.error
    assert any("me/bad.zip refused" in line for line in refused.user_lines())
    (reason,) = [p for p in lake.list("quarantine") if p.endswith("reason.json")]
    assert "zip" in json.loads(lake.read_bytes("quarantine", reason))["reason"]
    assert list(lake.list("raw")) == []


def test_a_load_that_fails_returns_failure_so_the_host_retries_then_poisons(rpc, start_worker):
    worker = start_worker()
    failed = worker.invoke("load_curated", *payloads.queue_message(rpc, "{not json", dequeue_count=5))
    assert not failed.succeeded
    assert "malformed load message" in failed.error


def test_the_timer_pulls_the_web_api_into_raw(rpc, start_worker, azurite_settings, fake, catalog):
    tracks = list(catalog.tracks)[:10]
    fake.add_plays(tracks, past_ms(1))
    fake.top[("tracks", "short_term")] = tracks[:5]
    overrides = fake.settings_overrides()
    worker = start_worker(**{name.upper(): value for name, value in overrides.items()})
    pulled = worker.invoke("extract_spotify", *payloads.timer(rpc, past_due=True))
    assert pulled.succeeded, pulled.error
    assert "extract: timer is past due, running now" in pulled.user_lines()
    assert "extract: 10 plays in 1 pages; 6 top-item snapshots" in " ".join(pulled.user_lines())
    landed = list(open_lake(azurite_settings).list("raw"))
    assert any(p.startswith("spotify-api/recently-played/") for p in landed)
    assert any(p.startswith("spotify-api/top-tracks/") for p in landed)
