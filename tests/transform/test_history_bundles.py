"""Curation of a bundle of small history files (transform/history.py: curate_bundle and its shell):
the same rows, member for member, as curating each file alone, in one query."""

from __future__ import annotations

import io
import json
import logging
import zipfile

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from contracts.layout import CURATED_CONTAINER, RAW_CONTAINER, ExportBundle
from storage import open_lake
from tests.transform.test_history import audio_2023, audio_2025, audiobook_2025, podcast_2025
from transform.curate import curate_raw_file
from transform.history import curate_bundle, curate_history
from transform.pseudonym import user_id, user_id_key

ENTRY = "Spotify Extended Streaming History/Streaming_History_Audio_2024_{}.json"


def one_by_one(tmp_path, members, kind) -> tuple[pa.Table, pa.Table]:
    """What curating each member alone gives, concatenated: what a bundle must give."""
    parts = []
    for number, (origin, data) in enumerate(members):
        path = tmp_path / f"alone-{number}.json"
        path.write_bytes(data)
        parts.append(curate_history(path, kind, "uid", origin))
    return pa.concat_tables([p[0] for p in parts]), pa.concat_tables([p[1] for p in parts])


def extended_members() -> list[tuple[str, bytes]]:
    bad_ts = audio_2025(ts="2024-13-01T00:00:00Z")
    return [
        ("up/extended/a.json", json.dumps([audio_2023(), bad_ts, podcast_2025()]).encode()),
        ("up/extended/empty.json", b"[ ]"),
        (
            "up/extended/bom.json",
            b"\xef\xbb\xbf\n " + json.dumps([audiobook_2025()], indent=2).encode() + b"\n",
        ),
        (
            "up/extended/rejects-only.json",
            json.dumps([{"ts": None, "ms_played": 1}, audio_2025(ms_played=-5)]).encode(),
        ),
        ("up/extended/last.json", json.dumps([audio_2025(), audio_2025(ms_played=7)]).encode()),
    ]


ONE_BY_ONE = "curating each alone"  # what curate_bundle logs when it falls back to one query a member


def test_a_bundle_gives_the_rows_each_member_gives_alone(tmp_path, caplog):
    members = extended_members()

    with caplog.at_level(logging.INFO, logger="transform.history"):
        streams, rejects = curate_bundle(members, "extended", "uid")

    assert ONE_BY_ONE not in caplog.text  # one query for the whole bundle

    alone_streams, alone_rejects = one_by_one(tmp_path, members, "extended")
    assert streams.equals(alone_streams) and rejects.equals(alone_rejects)
    # Each record keeps its member's origin and its own position in that member.
    assert rejects.select(["origin", "record_index"]).to_pylist() == [
        {"origin": "up/extended/a.json", "record_index": 1},
        {"origin": "up/extended/rejects-only.json", "record_index": 0},
        {"origin": "up/extended/rejects-only.json", "record_index": 1},
    ]
    assert streams["origin"].to_pylist() == [
        "up/extended/a.json",
        "up/extended/a.json",
        "up/extended/bom.json",
        "up/extended/last.json",
        "up/extended/last.json",
    ]


@pytest.mark.parametrize(
    ("kind", "record"),
    [
        (
            "account_music",
            {"endTime": "2024-01-01 10:00", "artistName": "A", "trackName": "T", "msPlayed": 5},
        ),
        (
            "account_podcast",
            {"endTime": "2024-01-01 10:00", "podcastName": "S", "episodeName": "E", "msPlayed": 5},
        ),
        (
            "account_audiobook",
            {"endTime": "2024-01-01 10:00", "audiobookName": "B", "chapterName": "C", "msPlayed": 5},
        ),
        (
            "account_legacy",
            {"endTime": "2024-01-01 10:00", "artistName": "A", "trackName": "T", "msPlayed": 5},
        ),
    ],
)
def test_every_account_kind_bundles_the_same_way(tmp_path, caplog, kind, record):
    caplog.set_level(logging.INFO, logger="transform.history")
    members = [
        (
            f"up/{kind}/{n}.json",
            json.dumps([dict(record, msPlayed=n), dict(record, endTime="bad")] * (n % 3)).encode(),
        )
        for n in range(7)
    ]
    streams, rejects = curate_bundle(members, kind, "uid")
    assert ONE_BY_ONE not in caplog.text
    alone_streams, alone_rejects = one_by_one(tmp_path, members, kind)
    assert streams.equals(alone_streams) and rejects.equals(alone_rejects)
    assert rejects.num_rows == 6 and streams.num_rows == 6


def test_a_member_repeating_a_key_reads_as_alone_last_value_wins(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="transform.history")
    members = [
        ("up/extended/plain.json", json.dumps([audio_2025()]).encode()),
        (
            "up/extended/twice.json",
            b'[{"ts": "2024-01-01T00:00:00Z", "ts": "2024-01-01T00:00:09Z", "ms_played": 1}]',
        ),
    ]
    streams, rejects = curate_bundle(members, "extended", "uid")
    assert ONE_BY_ONE not in caplog.text  # the joined array is rewritten, as a lone file is
    alone_streams, alone_rejects = one_by_one(tmp_path, members, "extended")
    assert streams.equals(alone_streams) and rejects.equals(alone_rejects)
    assert streams["ts"].to_pylist()[1].isoformat() == "2024-01-01T00:00:09+00:00"


@pytest.mark.parametrize(
    ("bad", "why"),
    [
        (b"[null]", "record 0 is null"),
        (b"[{]", "not a JSON array of objects"),
        (b"", "the file is empty"),
        (b'{"ts": "2024-01-01T00:00:00Z"}', "not a JSON array of objects"),
    ],
)
def test_a_member_curation_cannot_read_is_named_in_the_error(caplog, bad, why):
    caplog.set_level(logging.INFO, logger="transform.history")
    members = [("up/extended/good.json", json.dumps([audio_2025()]).encode()), ("up/extended/bad.json", bad)]
    with pytest.raises(ValueError, match=rf"^up/extended/bad\.json: .*{why}"):
        curate_bundle(members, "extended", "uid")
    assert ONE_BY_ONE in caplog.text


def test_an_empty_bundle_is_refused():
    with pytest.raises(ValueError, match="an empty bundle"):
        curate_bundle([], "extended", "uid")


# --- shell: a landed bundle ------------------------------------------------------------------------


def land_bundle(lake, bundle: ExportBundle, members: dict[str, bytes]) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    lake.write_bytes(RAW_CONTAINER, bundle.raw_path, buffer.getvalue())


def test_a_landed_bundle_curates_to_one_file_each_row_naming_its_member(folder_settings):
    lake = open_lake(folder_settings)
    bundle = ExportBundle("alice", "up9", "extended", 2)
    members = {
        ENTRY.format(0): json.dumps([audio_2023(), {"ts": None, "ms_played": 1}]).encode(),
        ENTRY.format(1): json.dumps([podcast_2025()]).encode(),
    }
    land_bundle(lake, bundle, members)
    uid = user_id("alice", user_id_key(lake, folder_settings))

    message = curate_raw_file(lake, f"raw/{bundle.raw_path}", folder_settings)

    streams_path, rejects_path = bundle.curated_paths(uid)
    assert message.curated_from == f"raw/{bundle.raw_path}"
    assert [(f.dataset, f.path, f.rows) for f in message.files] == [
        ("streams", streams_path, 2),
        ("rejects", rejects_path, 1),
    ]
    with lake.local_path(CURATED_CONTAINER, streams_path) as local:
        streams = pq.read_table(local)
    with lake.local_path(CURATED_CONTAINER, rejects_path) as local:
        rejects = pq.read_table(local)
    assert streams["origin"].to_pylist() == [
        f"up9/extended/{ENTRY.format(0)}",
        f"up9/extended/{ENTRY.format(1)}",
    ]
    assert rejects.select(["origin", "record_index"]).to_pylist() == [
        {"origin": f"up9/extended/{ENTRY.format(0)}", "record_index": 1}
    ]
    before = {name: lake.read_bytes(CURATED_CONTAINER, name) for name in lake.list(CURATED_CONTAINER)}
    assert curate_raw_file(lake, bundle.raw_path, folder_settings) == message
    assert {name: lake.read_bytes(CURATED_CONTAINER, name) for name in lake.list(CURATED_CONTAINER)} == before


def test_a_bundle_that_is_not_a_zip_writes_nothing(folder_settings):
    lake = open_lake(folder_settings)
    bundle = ExportBundle("me", "up1", "extended", 1)
    lake.write_bytes(RAW_CONTAINER, bundle.raw_path, b"[]")
    with pytest.raises(ValueError, match=r"not a bundle of history files"):
        curate_raw_file(lake, bundle.raw_path, folder_settings)
    assert list(lake.list(CURATED_CONTAINER)) == []
