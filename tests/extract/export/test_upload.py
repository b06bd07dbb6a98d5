"""The upload stage on real storage (folder lake and Azurite): what lands, what is refused, and why."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import stat
import struct
import zipfile

import orjson
import pytest
import simdjson

from contracts.layout import (
    QUARANTINE_CONTAINER,
    RAW_CONTAINER,
    STATE_CONTAINER,
    UPLOAD_CONTAINER,
    upload_path,
)
from contracts.vintages import MAX_RECORD_BYTES
from extract.export import upload as upload_module
from extract.export.errors import UploadRefused
from extract.export.upload import NO_HISTORY, UploadResult, accept_upload, check_history, inspect_upload
from extract.export.zipguard import Limits
from settings import Settings
from storage import open_lake
from transform.curate import curate_raw_file
from transform.history import curate_history

# --- synthetic, realistic records (never real personal data; IPs from 203.0.113.0/24) ---------------


def extended_2024(n: int = 3) -> list[dict]:
    """Post-Nov-2024 extended records: `ip_addr`, audiobook fields, offline_timestamp in seconds."""
    return [
        {
            "ts": f"2024-05-06T18:4{i}:02Z",
            "platform": "android",
            "ms_played": 216783 - i,
            "conn_country": "SE",
            "ip_addr": f"203.0.113.{10 + i}",
            "master_metadata_track_name": f"Test Track {i}",
            "master_metadata_album_artist_name": "Test Artist",
            "master_metadata_album_album_name": "Test Album",
            "spotify_track_uri": f"spotify:track:0000000000000000000000{i:02d}",
            "episode_name": None,
            "episode_show_name": None,
            "spotify_episode_uri": None,
            "audiobook_title": None,
            "audiobook_uri": None,
            "audiobook_chapter_uri": None,
            "audiobook_chapter_title": None,
            "reason_start": "trackdone",
            "reason_end": "trackdone",
            "shuffle": False,
            "skipped": False,
            "offline": False,
            "offline_timestamp": 1715020982 + i,
            "incognito_mode": False,
        }
        for i in range(n)
    ]


def endsong_2021(n: int = 2) -> list[dict]:
    """Older extended records: `username`, `ip_addr_decrypted`, offline_timestamp in ms."""
    return [
        {
            "ts": f"2021-03-0{i + 1}T07:15:30Z",
            "username": "testuser",
            "platform": "Android OS 4.2.2 API 17 (samsung, GT-I9195)",
            "ms_played": 30500 + i,
            "conn_country": "DE",
            "ip_addr_decrypted": f"203.0.113.{100 + i}",
            "user_agent_decrypted": "unknown",
            "master_metadata_track_name": f"Old Track {i}",
            "master_metadata_album_artist_name": "Old Artist",
            "master_metadata_album_album_name": "Old Album",
            "spotify_track_uri": f"spotify:track:1111111111111111111111{i:02d}",
            "episode_name": None,
            "episode_show_name": None,
            "spotify_episode_uri": None,
            "reason_start": "clickrow",
            "reason_end": "endplay",
            "shuffle": None,
            "skipped": None,
            "offline": False,
            "offline_timestamp": 1614582930000 + i,
            "incognito_mode": False,
        }
        for i in range(n)
    ]


def video_records() -> list[dict]:
    record = dict(extended_2024(1)[0], spotify_track_uri=None, master_metadata_track_name=None)
    return [record]


def account_music() -> list[dict]:
    return [
        {
            "endTime": "2024-05-06 18:43",
            "artistName": "Test Artist",
            "trackName": "Test Track",
            "msPlayed": 216783,
        },
        {
            "endTime": "2024-05-06 18:47",
            "artistName": "Test Artist",
            "trackName": "Other Track",
            "msPlayed": 0,
        },
    ]


def account_podcast() -> list[dict]:
    return [
        {
            "endTime": "2024-05-07 07:30",
            "podcastName": "Test Show",
            "episodeName": "Ep 1",
            "msPlayed": 1800000,
        }
    ]


def account_audiobook() -> list[dict]:
    """2024+ account data: StreamingHistory_audiobook_<n>.json."""
    return [
        {
            "endTime": "2024-05-08 21:10",
            "audiobookName": "Test Book",
            "chapterName": "Chapter 1",
            "authorName": "Test Author",
            "msPlayed": 1200000,
        }
    ]


def as_json(records) -> bytes:
    return json.dumps(records, indent=2).encode()


def make_zip(entries: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in entries.items():
            archive.writestr(zipfile.ZipInfo(name, (2024, 5, 6, 0, 0, 0)), data, compression)
    return buffer.getvalue()


def patch_sizes(data: bytes, *, local: int | None = None, central: int | None = None) -> bytes:
    """Rewrite the first entry's uncompressed size in its local header and/or the central directory."""
    patched = bytearray(data)
    assert patched[:4] == b"PK\x03\x04"
    if local is not None:
        struct.pack_into("<I", patched, 22, local)
    if central is not None:
        offset = patched.find(b"PK\x01\x02")
        struct.pack_into("<I", patched, offset + 24, central)
    return bytes(patched)


EXTENDED_DIR = "Spotify Extended Streaming History"
EXTENDED_ENTRIES = {
    f"{EXTENDED_DIR}/Streaming_History_Audio_2019-2021_0.json": as_json(extended_2024(3)),
    f"{EXTENDED_DIR}/Streaming_History_Audio_2023_1.json": as_json(extended_2024(2)),
    f"{EXTENDED_DIR}/Streaming_History_Video_2019-2024.json": as_json(video_records()),
    f"{EXTENDED_DIR}/ReadMeFirst_ExtendedStreamingHistory.pdf": b"%PDF-1.4 synthetic",
    "MyData/endsong_0.json": as_json(endsong_2021(2)),
    "MyData/endvideo.json": as_json(video_records()),
}
ACCOUNT_ENTRIES = {
    "Spotify Account Data/StreamingHistory_music_0.json": as_json(account_music()),
    "Spotify Account Data/StreamingHistory_podcast_0.json": as_json(account_podcast()),
    "Spotify Account Data/Userdata.json": b'{"username": "testuser", "country": "SE"}',
    "Spotify Account Data/Playlist1.json": b'{"playlists": []}',
    "Spotify Account Data/Read_Me_First.pdf": b"%PDF-1.4 synthetic",
    "MyData/StreamingHistory0.json": as_json(account_music()),
}


def upload_id_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def snapshot(lake, container: str) -> dict[str, bytes]:
    return {path: lake.read_bytes(container, path) for path in lake.list(container)}


@pytest.fixture
def lake(folder_settings):
    """A folder lake: the storage contract itself is proven on both lakes in tests/storage/."""
    return open_lake(folder_settings)


def put(lake, name: str, data: bytes) -> None:
    lake.write_bytes(UPLOAD_CONTAINER, name, data)


# --- accepted uploads -------------------------------------------------------------------------------


def test_extended_zip_lands_history_files_unchanged(lake):
    data = make_zip(EXTENDED_ENTRIES)
    put(lake, "alice/my_spotify_data.zip", data)

    result = accept_upload(lake, "alice/my_spotify_data.zip")

    uid = upload_id_of(data)
    expected = {
        f"exports/alice/{uid}/extended/{EXTENDED_DIR}/Streaming_History_Audio_2019-2021_0.json": (
            f"{EXTENDED_DIR}/Streaming_History_Audio_2019-2021_0.json"
        ),
        f"exports/alice/{uid}/extended/{EXTENDED_DIR}/Streaming_History_Audio_2023_1.json": (
            f"{EXTENDED_DIR}/Streaming_History_Audio_2023_1.json"
        ),
        f"exports/alice/{uid}/extended/MyData/endsong_0.json": "MyData/endsong_0.json",
    }
    assert result == UploadResult(
        upload_id=uid,
        user="alice",
        raw_paths=tuple(expected),
        history_files=3,
        skipped={"video": 2, "symlink": 0, "other": 1},
        already_ingested=False,
    )
    assert snapshot(lake, RAW_CONTAINER) == {path: EXTENDED_ENTRIES[e] for path, e in expected.items()}
    manifest = orjson.loads(lake.read_bytes(STATE_CONTAINER, f"uploads/alice/{uid}.json"))
    assert manifest == {
        "upload_id": uid,
        "user": "alice",
        "name": "alice/my_spotify_data.zip",
        "raw_paths": list(expected),
        "history_files": 3,
        "chart_parts": 0,
        "skipped": {"video": 2, "symlink": 0, "other": 1},
    }
    assert lake.read_bytes(UPLOAD_CONTAINER, "alice/my_spotify_data.zip") == data  # left as it is
    assert list(lake.list(QUARANTINE_CONTAINER)) == []


def test_account_data_zip_lands_music_podcast_and_legacy(lake):
    data = make_zip(ACCOUNT_ENTRIES)
    put(lake, "bob/my_spotify_data.zip", data)

    result = accept_upload(lake, "bob/my_spotify_data.zip")

    uid = upload_id_of(data)
    assert result.raw_paths == (
        f"exports/bob/{uid}/account_music/Spotify Account Data/StreamingHistory_music_0.json",
        f"exports/bob/{uid}/account_podcast/Spotify Account Data/StreamingHistory_podcast_0.json",
        f"exports/bob/{uid}/account_legacy/MyData/StreamingHistory0.json",
    )
    assert result.skipped == {"video": 0, "symlink": 0, "other": 3}
    landed = snapshot(lake, RAW_CONTAINER)
    assert sorted(landed) == sorted(result.raw_paths)
    assert (
        landed[result.raw_paths[1]] == ACCOUNT_ENTRIES["Spotify Account Data/StreamingHistory_podcast_0.json"]
    )
    # Userdata.json (personal data) is never landed anywhere.
    assert not any("Userdata" in path for path in landed)


@pytest.mark.parametrize(
    ("filename", "records", "kind"),
    [
        ("Streaming_History_Audio_2024_0.json", extended_2024(2), "extended"),
        ("endsong_3.json", endsong_2021(1), "extended"),
        ("StreamingHistory_podcast_0.json", account_podcast(), "account_podcast"),
        ("history.json", extended_2024(1), "extended"),  # name says nothing: sniffed from the records
        ("music.json", account_music(), "account_music"),
        ("podcasts.json", account_podcast(), "account_podcast"),
    ],
)
def test_lone_json_file_lands_as_its_kind(lake, filename, records, kind):
    data = b"\n  " + as_json(records)  # leading whitespace is still JSON
    put(lake, f"carol/{filename}", data)

    result = accept_upload(lake, f"carol/{filename}")

    uid = upload_id_of(data)
    assert result.raw_paths == (f"exports/carol/{uid}/{kind}/{filename}",)
    assert result.history_files == 1
    assert result.skipped == {"video": 0, "symlink": 0, "other": 0}
    assert lake.read_bytes(RAW_CONTAINER, result.raw_paths[0]) == data


@pytest.mark.azurite
def test_on_azurite_an_upload_lands_and_a_refusal_is_quarantined_with_nothing_staged_left(azurite_settings):
    lake = open_lake(azurite_settings)
    data = as_json(extended_2024(2))
    put(lake, "Streaming_History_Audio_2024_0.json", data)

    result = accept_upload(lake, "Streaming_History_Audio_2024_0.json")

    assert result.user == "me"
    assert snapshot(lake, RAW_CONTAINER) == {
        f"exports/me/{upload_id_of(data)}/extended/Streaming_History_Audio_2024_0.json": data
    }
    # Two files staged as uncommitted blocks, then the third is bad: none of the three shows.
    bad = make_zip({"MyData/endsong_0.json": as_json(endsong_2021(2)), "MyData/endsong_1.json": b"[{]"})
    _assert_refused(lake, "bob/export.zip", bad, "MyData/endsong_1.json: invalid JSON")
    assert list(lake.list(RAW_CONTAINER)) == list(result.raw_paths)


@pytest.mark.parametrize(
    ("name", "path", "user"),
    [
        ("/alice/export.zip", "alice/export.zip", "alice"),
        ("upload/export.zip", "upload/export.zip", "upload"),  # "upload" is a user label like any
        ("export.zip", "export.zip", "me"),
        ("dave.smith_2/2024/export.zip", "dave.smith_2/2024/export.zip", "dave.smith_2"),
    ],
)
def test_user_label_comes_from_the_first_path_segment(lake, name, path, user):
    put(lake, path, make_zip({"MyData/endsong_0.json": as_json(endsong_2021(1))}))

    result = accept_upload(lake, name)

    assert result.user == user
    assert all(p.startswith(f"exports/{user}/{result.upload_id}/extended/") for p in result.raw_paths)


def test_same_content_under_another_name_is_already_ingested(lake):
    data = make_zip(EXTENDED_ENTRIES)
    put(lake, "alice/my_spotify_data.zip", data)
    first = accept_upload(lake, "alice/my_spotify_data.zip")
    before = {c: snapshot(lake, c) for c in (RAW_CONTAINER, STATE_CONTAINER, QUARANTINE_CONTAINER)}

    put(lake, "alice/my_spotify_data (1).zip", data)
    again = accept_upload(lake, "alice/my_spotify_data (1).zip")

    assert again.already_ingested is True
    assert again.upload_id == first.upload_id
    assert again.raw_paths == first.raw_paths
    assert again.history_files == 3
    assert again.skipped == first.skipped
    assert {c: snapshot(lake, c) for c in before} == before  # nothing new written


def test_the_same_export_from_two_users_lands_for_each(lake):
    data = make_zip(EXTENDED_ENTRIES)
    put(lake, "alice/export.zip", data)
    put(lake, "bob/export.zip", data)
    alice = accept_upload(lake, "alice/export.zip")
    bob = accept_upload(lake, "bob/export.zip")
    assert not bob.already_ingested and bob.user == "bob"
    assert all(path.startswith("exports/bob/") for path in bob.raw_paths)
    assert accept_upload(lake, "alice/export.zip").already_ingested
    assert set(alice.raw_paths).isdisjoint(bob.raw_paths)


def test_an_accepted_export_whose_raw_files_expired_lands_again(lake):
    data = make_zip(EXTENDED_ENTRIES)
    put(lake, "alice/export.zip", data)
    first = accept_upload(lake, "alice/export.zip")
    for path in first.raw_paths:  # the lifecycle rule, or a person tidying up
        lake.delete(RAW_CONTAINER, path)
    again = accept_upload(lake, "alice/export.zip")
    assert again.already_ingested is False
    assert sorted(lake.list(RAW_CONTAINER)) == sorted(first.raw_paths)


def test_landing_again_without_the_manifest_overwrites_the_same_paths(lake):
    data = make_zip(EXTENDED_ENTRIES)
    put(lake, "alice/export.zip", data)
    first = accept_upload(lake, "alice/export.zip")
    before = snapshot(lake, RAW_CONTAINER)
    lake.delete(STATE_CONTAINER, f"uploads/alice/{first.upload_id}.json")  # as if a crash came before it

    again = accept_upload(lake, "alice/export.zip")

    assert again.already_ingested is False
    assert again.raw_paths == first.raw_paths
    assert snapshot(lake, RAW_CONTAINER) == before


def test_a_file_with_no_valid_stream_is_landed_when_another_has_one(lake):
    bad_records = [{"ts": "yesterday", "ms_played": 5}, {"ms_played": 10}]
    data = make_zip(
        {
            "MyData/endsong_0.json": as_json(bad_records),
            "MyData/endsong_1.json": as_json(endsong_2021(1)),
            "MyData/endsong_2.json": b"[]",
        }
    )
    put(lake, "alice/export.zip", data)

    result = accept_upload(lake, "alice/export.zip")

    assert result.history_files == 3  # curation sets the bad records aside and counts them


def test_backslash_entry_names_land_with_slashes(lake):
    body = as_json(endsong_2021(1))
    put(lake, "alice/export.zip", make_zip({"MyData\\endsong_0.json": body}))

    result = accept_upload(lake, "alice/export.zip")

    assert result.raw_paths == (f"exports/alice/{result.upload_id}/extended/MyData/endsong_0.json",)
    assert lake.read_bytes(RAW_CONTAINER, result.raw_paths[0]) == body


def test_stored_entries_are_accepted(lake):
    put(lake, "alice/export.zip", make_zip(EXTENDED_ENTRIES, compression=zipfile.ZIP_STORED))

    assert accept_upload(lake, "alice/export.zip").history_files == 3


def test_one_info_line_with_ids_and_counts_and_no_content(lake, caplog):
    put(lake, "alice/export.zip", make_zip(EXTENDED_ENTRIES))

    with caplog.at_level(logging.INFO, logger=upload_module.__name__):
        result = accept_upload(lake, "alice/export.zip")

    lines = [r.getMessage() for r in caplog.records if r.name == upload_module.__name__]
    assert len(lines) == 1
    assert result.upload_id in lines[0] and "3 history files" in lines[0]
    assert "Test Track" not in lines[0] and "203.0.113" not in lines[0] and "alice" not in lines[0]


# --- refused uploads --------------------------------------------------------------------------------

GOOD_HISTORY = as_json(extended_2024(2))
GOOD_ENTRY = f"{EXTENDED_DIR}/Streaming_History_Audio_2024_0.json"


def _bomb_entry() -> bytes:
    # Valid JSON, valid records, a few MiB of padding: deflates ~1000:1.
    return b"[" + as_json(extended_2024(1))[1:-1] + b" " * (3 << 20) + b"]"


BIG_INTEGER = b'[{"ts": "2024-05-06T18:43:02Z", "ms_played": 123456789012345678901}]'  # 21 digits
DEEP = b'[{"ts": "2024-05-06T18:43:02Z", "ms_played": 1, "x": ' + b"[" * 5000 + b"]" * 5000 + b"}]"

REFUSALS = {
    "not-a-zip": ("export.pdf", b"%PDF-1.4 not an export", "not a zip file or a streaming-history JSON file"),
    "empty-file": ("export.zip", b"", "not a zip file or a streaming-history JSON file"),
    "corrupt-zip": ("export.zip", make_zip({GOOD_ENTRY: GOOD_HISTORY})[:60], "corrupt zip: "),
    "dotdot-entry": (
        "export.zip",
        make_zip({GOOD_ENTRY: GOOD_HISTORY, "../../evil/endsong_0.json": GOOD_HISTORY}),
        "../../evil/endsong_0.json: '..' in zip entry path",
    ),
    "dotdot-in-other-file": (
        "export.zip",
        make_zip({GOOD_ENTRY: GOOD_HISTORY, "MyData/../../notes.txt": b"x"}),
        "MyData/../../notes.txt: '..' in zip entry path",
    ),
    "absolute-entry": (
        "export.zip",
        make_zip({GOOD_ENTRY: GOOD_HISTORY, "/etc/endsong_0.json": GOOD_HISTORY}),
        "/etc/endsong_0.json: absolute path in zip",
    ),
    "backslash-absolute-entry": (
        "export.zip",
        make_zip({GOOD_ENTRY: GOOD_HISTORY, "\\temp\\endsong_0.json": GOOD_HISTORY}),
        "\\temp\\endsong_0.json: absolute path in zip",
    ),
    "drive-letter-entry": (
        "export.zip",
        make_zip({GOOD_ENTRY: GOOD_HISTORY, "C:/Users/x/endsong_0.json": GOOD_HISTORY}),
        "C:/Users/x/endsong_0.json: drive-letter path in zip",
    ),
    "oversize-header": (
        "export.zip",
        patch_sizes(
            make_zip({"Spotify Account Data/Userdata.json": b"{}", GOOD_ENTRY: GOOD_HISTORY}),
            central=300 << 20,
        ),
        "Spotify Account Data/Userdata.json: 314572800 bytes uncompressed, over the 256 MiB limit",
    ),
    "lying-header": (
        "export.zip",
        patch_sizes(make_zip({GOOD_ENTRY: _bomb_entry()}), local=100, central=100),
        f"corrupt zip: {GOOD_ENTRY}: Bad CRC-32",
    ),
    "ratio-bomb": (
        "export.zip",
        make_zip({GOOD_ENTRY: _bomb_entry()}),
        f"{GOOD_ENTRY}: decompresses to more than 100x its compressed size",
    ),
    "not-an-array": (
        "export.zip",
        make_zip({GOOD_ENTRY: json.dumps(extended_2024(1)[0]).encode()}),
        f"{GOOD_ENTRY}: not a JSON array of objects",
    ),
    "array-with-non-object": (
        "export.zip",
        make_zip({GOOD_ENTRY: as_json([*extended_2024(2), "oops"])}),
        f"{GOOD_ENTRY}: not a JSON array of objects (item 2 is not an object)",
    ),
    "invalid-json": ("export.zip", make_zip({GOOD_ENTRY: GOOD_HISTORY[:-5]}), f"{GOOD_ENTRY}: invalid JSON"),
    "invalid-utf8": (
        "export.zip",
        make_zip({GOOD_ENTRY: GOOD_HISTORY.replace(b"Test Track 0", b"Test \xff Track")}),
        f"{GOOD_ENTRY}: invalid JSON",
    ),
    "no-history": (
        "export.zip",
        make_zip({k: v for k, v in ACCOUNT_ENTRIES.items() if "StreamingHistory" not in k}),
        "no streaming history in this upload (expected Streaming_History_Audio_*.json",
    ),
    "video-only": (
        "export.zip",
        make_zip({f"{EXTENDED_DIR}/Streaming_History_Video_2019-2024.json": as_json(video_records())}),
        "no streaming history in this upload",
    ),
    "no-valid-stream": (
        "export.zip",
        make_zip({GOOD_ENTRY: as_json([{"ts": "2024-13-45T00:00:00Z", "ms_played": 1}, {"ms_played": 2}])}),
        "no valid stream in this upload",
    ),
    "lone-json-not-history": ("notes.json", b'[{"title": "x"}]', "notes.json: not Spotify streaming history"),
    "lone-json-no-valid-stream": (
        "StreamingHistory_music_0.json",
        as_json([{"endTime": "2024-05-06T18:43", "msPlayed": 1}]),
        "no valid stream in this upload",
    ),
    "lone-json-object": (
        "endsong_0.json",
        b'{"ts": "2024-05-06T18:43:02Z"}',
        "not a zip file or a streaming",
    ),
    # Valid JSON past simdjson's limits: it raised RuntimeError, a traceback and a retried trigger.
    # Stored, not deflated: so regular a file would trip the ratio limit first.
    "integer-over-64-bits": (
        "export.zip",
        make_zip({GOOD_ENTRY: GOOD_HISTORY, "MyData/endsong_0.json": BIG_INTEGER}, zipfile.ZIP_STORED),
        "MyData/endsong_0.json: not streaming history (it holds an integer too large for 64 bits)",
    ),
    "nested-5000-deep": (
        "export.zip",
        make_zip({GOOD_ENTRY: GOOD_HISTORY, "MyData/endsong_0.json": DEEP}, zipfile.ZIP_STORED),
        "MyData/endsong_0.json: not streaming history (it nests arrays or objects too deeply)",
    ),
    "lone-json-integer-over-64-bits": (
        "endsong_0.json",
        BIG_INTEGER,
        "endsong_0.json: not streaming history (it holds an integer too large for 64 bits)",
    ),
}


def _assert_refused(lake, name: str, data: bytes, reason_part: str) -> UploadRefused:
    put(lake, name, data)
    with pytest.raises(UploadRefused) as caught:
        accept_upload(lake, name)
    refused = caught.value
    uid = upload_id_of(data)
    assert reason_part in str(refused)
    assert "\n" not in str(refused) and "Traceback" not in str(refused)
    assert refused.upload_id == uid
    filename = name.rsplit("/", 1)[-1]
    assert orjson.loads(lake.read_bytes(QUARANTINE_CONTAINER, f"{uid}/reason.json")) == {
        "upload": name,
        "reason": str(refused),
    }
    assert lake.read_bytes(QUARANTINE_CONTAINER, f"{uid}/{filename}") == data
    assert not [
        m for m in lake.list(STATE_CONTAINER, "uploads/") if m.endswith(f"/{uid}.json")
    ]  # no manifest
    assert lake.read_bytes(UPLOAD_CONTAINER, name) == data  # left as it is
    return refused


@pytest.mark.parametrize("case", list(REFUSALS))
def test_refused_upload_is_quarantined_and_lands_nothing(lake, case):
    filename, data, reason_part = REFUSALS[case]

    _assert_refused(lake, f"bob/{filename}", data, reason_part)

    assert list(lake.list(RAW_CONTAINER)) == []


@pytest.mark.parametrize(
    "case", ["not-a-zip", "corrupt-zip", "dotdot-entry", "ratio-bomb", "no-valid-stream"]
)
def test_refusal_leaves_earlier_uploads_untouched(lake, case):
    good = make_zip(EXTENDED_ENTRIES)
    put(lake, "alice/good.zip", good)
    accept_upload(lake, "alice/good.zip")
    raw_before = snapshot(lake, RAW_CONTAINER)
    state_before = snapshot(lake, STATE_CONTAINER)
    filename, data, reason_part = REFUSALS[case]

    _assert_refused(lake, f"bob/{filename}", data, reason_part)

    assert snapshot(lake, RAW_CONTAINER) == raw_before
    assert snapshot(lake, STATE_CONTAINER) == state_before
    assert set(lake.list(QUARANTINE_CONTAINER)) == {
        f"{upload_id_of(data)}/{filename}",
        f"{upload_id_of(data)}/reason.json",
    }


def test_an_invalid_user_label_is_refused(lake):
    refused = _assert_refused(
        lake, "-alice/export.zip", make_zip(EXTENDED_ENTRIES), "user label '-alice' is not valid"
    )
    assert refused.upload_id
    assert list(lake.list(RAW_CONTAINER)) == []


@pytest.mark.parametrize("name", ["", "upload/", "alice/", "../alice/x.zip", "alice//x.zip"])
def test_a_name_without_a_file_is_refused_before_reading(lake, name):
    with pytest.raises(UploadRefused, match="not an upload file name"):
        accept_upload(lake, name)
    assert list(lake.list(QUARANTINE_CONTAINER)) == []


def test_a_refused_upload_named_reason_json_keeps_both_files(lake):
    put(lake, "bob/reason.json", b"[1]")

    with pytest.raises(UploadRefused):
        accept_upload(lake, "bob/reason.json")

    uid = upload_id_of(b"[1]")
    assert lake.read_bytes(QUARANTINE_CONTAINER, f"{uid}/upload-reason.json") == b"[1]"
    assert (
        orjson.loads(lake.read_bytes(QUARANTINE_CONTAINER, f"{uid}/reason.json"))["upload"]
        == "bob/reason.json"
    )


# --- one pass: staged, then committed all at once ------------------------------------------------


class WatchedLake:
    """The real lake, with a hook run each time a raw blob is staged (hand-written, not a mock)."""

    def __init__(self, lake, on_stage):
        self.lake = lake
        self.on_stage = on_stage
        self.staged = 0

    def __getattr__(self, name):
        return getattr(self.lake, name)

    def stage(self, container, path):
        self.staged += 1
        self.on_stage(self.staged)
        return self.lake.stage(container, path)


def test_no_raw_blob_is_visible_until_every_file_has_passed(lake):
    put(lake, "alice/export.zip", make_zip(EXTENDED_ENTRIES))
    seen_while_staging = []
    watched = WatchedLake(lake, lambda _n: seen_while_staging.append(list(lake.list(RAW_CONTAINER))))

    result = accept_upload(watched, "alice/export.zip")

    assert seen_while_staging == [[], [], []]  # three history files, none visible while the next is staged
    assert sorted(lake.list(RAW_CONTAINER)) == sorted(result.raw_paths)


def test_a_refusal_after_files_were_staged_leaves_no_trace_in_raw(lake):
    entries = {
        "MyData/endsong_0.json": as_json(endsong_2021(2)),
        "MyData/endsong_1.json": as_json(endsong_2021(1)),
        "MyData/endsong_2.json": b"[{]",
    }
    data = make_zip(entries)

    _assert_refused(lake, "bob/export.zip", data, "MyData/endsong_2.json: invalid JSON")

    assert list(lake.list(RAW_CONTAINER)) == []
    assert [p for p in (lake.root / RAW_CONTAINER).rglob("*") if p.is_file()] == []  # no staged temp file


def test_a_storage_error_while_staging_lands_nothing_and_the_retry_lands_everything(lake):
    data = make_zip(EXTENDED_ENTRIES)
    put(lake, "alice/export.zip", data)

    def fail_on_the_third(n):
        if n == 3:
            raise OSError("storage went away")

    with pytest.raises(OSError, match="storage went away"):
        accept_upload(WatchedLake(lake, fail_on_the_third), "alice/export.zip")
    assert list(lake.list(RAW_CONTAINER)) == []
    assert list(lake.list(STATE_CONTAINER)) == []
    assert list(lake.list(QUARANTINE_CONTAINER)) == []  # not a refusal: the trigger retries

    result = accept_upload(lake, "alice/export.zip")

    assert result.history_files == 3 and result.already_ingested is False
    assert sorted(snapshot(lake, RAW_CONTAINER)) == sorted(result.raw_paths)


def test_a_retry_after_a_crash_that_left_staged_data_lands_the_same_bytes(lake):
    data = make_zip(EXTENDED_ENTRIES)
    put(lake, "alice/export.zip", data)
    uid = upload_id_of(data)
    path = f"exports/alice/{uid}/extended/MyData/endsong_0.json"
    crashed = lake.stage(RAW_CONTAINER, path)  # a worker killed mid-write: never committed, never aborted
    crashed.write(b"[{half")
    crashed.flush()
    assert list(lake.list(RAW_CONTAINER)) == []

    result = accept_upload(lake, "alice/export.zip")

    assert path in result.raw_paths
    assert lake.read_bytes(RAW_CONTAINER, path) == EXTENDED_ENTRIES["MyData/endsong_0.json"]
    assert sorted(lake.list(RAW_CONTAINER)) == sorted(result.raw_paths)


def test_an_upload_after_a_refusal_still_parses_while_the_refusal_is_held(lake):
    _filename, bad, _reason = REFUSALS["array-with-non-object"]
    put(lake, "bob/export.zip", bad)
    with pytest.raises(UploadRefused) as caught:
        accept_upload(lake, "bob/export.zip")
    held = caught.value  # its traceback chain holds the refused document's proxies

    put(lake, "alice/export.zip", make_zip(EXTENDED_ENTRIES))
    assert accept_upload(lake, "alice/export.zip").history_files == 3
    assert "item 2 is not an object" in str(held)


@pytest.mark.parametrize(
    ("records", "index"),
    [
        ([{"ts": "bad", "ms_played": 1}, 5, *endsong_2021(1)], 1),  # before any valid stream
        ([*endsong_2021(2), {}, [1], "x"], 3),  # after one: checked without a Python step each
        ([*endsong_2021(1), None], 1),
    ],
)
def test_check_history_names_the_first_item_that_is_not_an_object(records, index):
    with pytest.raises(UploadRefused, match=rf"^h\.json: not a JSON array of objects \(item {index} is not"):
        check_history(json.dumps(records).encode(), "h.json", "extended")


def test_check_history_with_one_parser_for_many_files():
    parser = simdjson.Parser()
    assert check_history(as_json(endsong_2021(2)), "a.json", None, parser) == ("extended", True)
    assert check_history(as_json(account_podcast()), "b.json", None, parser) == ("account_podcast", True)
    bad = as_json([{"ts": "2024-13-45T00:00:00Z", "ms_played": 1}, {}])
    assert check_history(memoryview(bad), "c.json", "extended", parser) == ("extended", False)
    assert check_history(b"[]", "d.json", "account_music", parser) == ("account_music", False)
    with pytest.raises(UploadRefused, match="empty, and its name does not say"):
        check_history(b" [ ] ", "e.json", None, parser)


# --- the deciding part, with small limits -----------------------------------------------------------


def test_inspect_refuses_an_entry_over_the_size_limit():
    data = make_zip({GOOD_ENTRY: as_json(extended_2024(200))})
    with pytest.raises(UploadRefused, match="over the 4096 bytes limit"):
        inspect_upload(io.BytesIO(data), "x.zip", Limits(entry_bytes=4096))


def test_inspect_refuses_history_files_adding_up_over_the_total_limit():
    body = as_json(extended_2024(20))
    data = make_zip({"MyData/endsong_0.json": body, "MyData/endsong_1.json": body})
    inspect_upload(io.BytesIO(data), "x.zip", Limits(total_bytes=2 * len(body)))  # exactly at the limit
    with pytest.raises(UploadRefused, match="add up to more than"):
        inspect_upload(io.BytesIO(data), "x.zip", Limits(total_bytes=2 * len(body) - 1))


def test_inspect_refuses_too_many_entries():
    data = make_zip({f"other_{i}.txt": b"x" for i in range(5)} | {GOOD_ENTRY: GOOD_HISTORY})
    with pytest.raises(UploadRefused, match="zip has 6 entries, more than the 5 allowed"):
        inspect_upload(io.BytesIO(data), "x.zip", Limits(entries=5))


def test_inspect_refuses_a_lone_json_file_over_the_size_limit():
    data = as_json(extended_2024(50))
    with pytest.raises(UploadRefused, match=r"history\.json: more than 1024 bytes uncompressed"):
        inspect_upload(io.BytesIO(data), "history.json", Limits(entry_bytes=1024))


def test_inspect_refuses_duplicate_history_entries():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive, pytest.warns(UserWarning, match="Duplicate name"):
        archive.writestr("MyData/endsong_0.json", GOOD_HISTORY)
        archive.writestr("MyData/endsong_0.json", GOOD_HISTORY)
    with pytest.raises(UploadRefused, match="appears twice"):
        inspect_upload(io.BytesIO(buffer.getvalue()), "x.zip")


def test_inspecting_an_upload_decides_what_lands_without_writing_anything():
    plan = inspect_upload(io.BytesIO(make_zip(ACCOUNT_ENTRIES)), "x.zip")
    assert [(f.path, f.kind) for f in plan.files] == [
        ("Spotify Account Data/StreamingHistory_music_0.json", "account_music"),
        ("Spotify Account Data/StreamingHistory_podcast_0.json", "account_podcast"),
        ("MyData/StreamingHistory0.json", "account_legacy"),
    ]
    assert plan.skipped == {"video": 0, "symlink": 0, "other": 3}


def test_an_export_over_the_total_the_settings_allow_is_refused_naming_the_setting(lake):
    big = b"[" + b",".join([as_json(extended_2024(1))[1:-1]] * 2000) + b"]"  # ~1.4 MB of history
    data = make_zip({GOOD_ENTRY: GOOD_HISTORY, "MyData/endsong_0.json": big}, zipfile.ZIP_STORED)
    put(lake, "alice/export.zip", data)

    with pytest.raises(UploadRefused) as refused:
        accept_upload(lake, "alice/export.zip", Settings(export_max_uncompressed_mb=1))

    assert str(refused.value) == (
        "history files add up to more than 1 MiB uncompressed, over the limit "
        "(the EXPORT_MAX_UNCOMPRESSED_MB setting)"
    )
    assert list(lake.list(RAW_CONTAINER)) == []
    assert accept_upload(lake, "alice/export.zip", Settings()).history_files == 2  # default: 2048 MiB


# --- records too large for curation ---------------------------------------------------------------

SMALL_RECORD = json.dumps(extended_2024(1)[0]).encode()


def record_of(size: int) -> bytes:
    """A valid extended record taking exactly `size` bytes, most of them one long track name."""
    head = b'{"ts": "2024-05-06T18:43:02Z", "ms_played": 1000, "master_metadata_track_name": "'
    return head + b"x" * (size - len(head) - 2) + b'"}'


def history_around(record: bytes, before: int = 1) -> bytes:
    """An extended history file: `before` ordinary records, `record`, one more ordinary record."""
    return b"[\n" + b",\n".join([SMALL_RECORD] * before + [record, SMALL_RECORD]) + b"\n]"


@pytest.mark.parametrize("packed", ["lone", "zip"])
def test_a_record_of_40_mb_is_refused_before_anything_lands(lake, packed):
    """It passed before and then failed curation on every run (DuckDB's maximum_object_size)."""
    body = history_around(record_of(40 << 20))
    entry = "Streaming_History_Audio_2024_0.json"
    if packed == "lone":
        name, data = f"bob/{entry}", body
    else:
        name, data = "bob/export.zip", make_zip({f"{EXTENDED_DIR}/{entry}": body}, zipfile.ZIP_STORED)
        entry = f"{EXTENDED_DIR}/{entry}"

    _assert_refused(
        lake,
        name,
        data,
        f"{entry}: record 1 is {40 << 20} bytes, over the 16 MiB one history record may take",
    )

    assert list(lake.list(RAW_CONTAINER)) == []


def at_duckdbs_worst_offset(record: bytes) -> bytes:
    """History with `record` starting 15 bytes short of 16 MiB into the file, where DuckDB's read
    buffers meet: the one place an object a few bytes over maximum_object_size fails there."""
    before = b",\n".join([SMALL_RECORD] * ((16 << 20) // (len(SMALL_RECORD) + 2) - 1)) + b",\n"
    return b"[" + b" " * ((16 << 20) - 15 - 1 - len(before)) + before + record + b"]"


def test_the_largest_record_the_upload_lets_through_is_one_curation_reads(lake, folder_settings, tmp_path):
    largest = at_duckdbs_worst_offset(record_of(MAX_RECORD_BYTES))
    put(lake, "bob/Streaming_History_Audio_2024_0.json", largest)

    result = accept_upload(lake, "bob/Streaming_History_Audio_2024_0.json")
    message = curate_raw_file(lake, result.raw_paths[0], folder_settings)

    count = largest.count(b'"ts"')
    assert message is not None and [f.rows for f in message.files] == [count]
    over = at_duckdbs_worst_offset(record_of(MAX_RECORD_BYTES + 64))
    with pytest.raises(
        UploadRefused, match=rf"record {count - 1} is {MAX_RECORD_BYTES + 64} bytes, over the 16"
    ):
        check_history(over, "h.json", "extended")
    # What the upload stage spares curation: DuckDB fails on that file (so the limit is its own).
    (tmp_path / "over.json").write_bytes(over)
    with pytest.raises(ValueError, match="maximum_object_size"):
        curate_history(tmp_path / "over.json", "extended", "u", "o")


def test_records_are_measured_right_when_strings_hold_what_lies_between_records():
    tricky = json.dumps({**extended_2024(1)[0], "x": "}, {" * (3 << 19)}).encode()  # 6 MiB of "}, {"
    assert check_history(history_around(tricky, 2), "h.json", "extended") == ("extended", True)
    with_many = b"[" + b",".join([tricky, tricky, record_of(MAX_RECORD_BYTES + 7), tricky]) + b"]"
    with pytest.raises(UploadRefused, match=rf"^h\.json: record 2 is {MAX_RECORD_BYTES + 7} bytes"):
        check_history(with_many, "h.json", "extended")
    nested = json.dumps({**extended_2024(1)[0], "x": [{"a": "]"}] * 10}).encode()  # objects in arrays
    padded = b"[" + b",".join([nested] * 2 + [record_of(MAX_RECORD_BYTES + 1), nested]) + b"]"
    with pytest.raises(UploadRefused, match=rf"record 2 is {MAX_RECORD_BYTES + 1} bytes"):
        check_history(padded, "h.json", "extended")


@pytest.mark.azurite
def test_on_azurite_json_curation_could_not_read_is_quarantined_not_retried(azurite_settings):
    lake = open_lake(azurite_settings)
    for name, data, reason in [
        ("bob/endsong_0.json", BIG_INTEGER, "integer too large for 64 bits"),
        ("bob/export.zip", make_zip({"MyData/endsong_0.json": DEEP}, zipfile.ZIP_STORED), "too deeply"),
        ("bob/Streaming_History_Audio_2024_0.json", history_around(record_of(17 << 20)), "record 1 is"),
    ]:
        _assert_refused(lake, name, data, reason)
    assert list(lake.list(RAW_CONTAINER)) == []


# --- lone files known by their own names ------------------------------------------------------------


def cli_name(user: str, filename: str, data: bytes) -> str:
    """The name `python -m cli ingest` gives a local file in upload/: its content hash first."""
    return upload_path(user, filename, upload_id_of(data)[:8])


@pytest.mark.parametrize(
    ("filename", "records", "kind"),
    [
        ("Streaming_History_Audio_2024_0.json", extended_2024(2), "extended"),
        ("StreamingHistory_music_0.json", account_music(), "account_music"),
        ("StreamingHistory_audiobook_0.json", account_audiobook(), "account_audiobook"),
        ("StreamingHistory0.json", account_music(), "account_legacy"),
        ("history.json", account_audiobook(), "account_audiobook"),  # no name to go by: sniffed
    ],
)
def test_a_lone_file_the_cli_uploaded_lands_under_its_own_name_as_its_kind(lake, filename, records, kind):
    data = as_json(records)
    name = cli_name("carol", filename, data)
    put(lake, name, data)

    result = accept_upload(lake, name)

    assert result.raw_paths == (f"exports/carol/{upload_id_of(data)}/{kind}/{filename}",)


def test_a_lone_video_file_the_cli_uploaded_is_refused_not_loaded_as_streams(lake):
    data = as_json(video_records())

    _assert_refused(lake, cli_name("carol", "Streaming_History_Video_2023.json", data), data, NO_HISTORY)

    assert list(lake.list(RAW_CONTAINER)) == []


def test_an_empty_lone_history_file_is_refused_for_holding_no_stream_not_for_its_name(lake):
    refused = _assert_refused(
        lake, cli_name("carol", "Streaming_History_Audio_2023_9.json", b"[]"), b"[]", "no valid stream"
    )
    assert str(refused) == "no valid stream in this upload"


def test_a_refusal_names_a_lone_file_as_its_owner_called_it(lake):
    data = GOOD_HISTORY[:-5]

    refused = _assert_refused(lake, cli_name("carol", "Streaming_History_Audio_2024_0.json", data), data, "")

    assert str(refused).startswith("Streaming_History_Audio_2024_0.json: invalid JSON (")
    assert upload_id_of(data)[:8] not in str(refused)


@pytest.mark.parametrize("lead", [b"\xef\xbb\xbf", b"\xef\xbb\xbf\r\n  "])
def test_a_lone_file_with_a_byte_order_mark_lands_unchanged_and_curates(lake, folder_settings, lead):
    data = lead + as_json(extended_2024(2))
    put(lake, "carol/Streaming_History_Audio_2024_0.json", data)

    result = accept_upload(lake, "carol/Streaming_History_Audio_2024_0.json")

    assert lake.read_bytes(RAW_CONTAINER, result.raw_paths[0]) == data
    message = curate_raw_file(lake, result.raw_paths[0], folder_settings)
    assert message is not None and [f.rows for f in message.files] == [2]


# --- audiobooks and symlinks --------------------------------------------------------------------------


def test_account_audiobook_history_lands_as_audiobooks(lake):
    entry = "Spotify Account Data/StreamingHistory_audiobook_0.json"
    data = make_zip(ACCOUNT_ENTRIES | {entry: as_json(account_audiobook())})
    put(lake, "bob/export.zip", data)

    result = accept_upload(lake, "bob/export.zip")

    assert f"exports/bob/{upload_id_of(data)}/account_audiobook/{entry}" in result.raw_paths
    assert result.history_files == 4 and result.skipped == {"video": 0, "symlink": 0, "other": 3}


def symlink(name: str, target: bytes) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, (2024, 5, 6, 0, 0, 0))
    info.create_system = 3  # Unix, as `zip -y`, macOS and a packed folder write them
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def test_symlink_entries_are_counted_and_never_read_as_history(lake, caplog):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(GOOD_ENTRY, GOOD_HISTORY)
        archive.writestr(
            symlink(f"{EXTENDED_DIR}/Streaming_History_Audio_2024_1.json", b"/etc/passwd"), "/etc/passwd"
        )
        archive.writestr(symlink("Spotify Account Data", b"/home"), "/home")
    put(lake, "bob/export.zip", buffer.getvalue())

    with caplog.at_level(logging.INFO, logger=upload_module.__name__):
        result = accept_upload(lake, "bob/export.zip")

    assert result.skipped == {"video": 0, "symlink": 2, "other": 0}
    assert result.history_files == 1 and list(lake.list(RAW_CONTAINER)) == list(result.raw_paths)
    assert "2 symlinks" in caplog.records[-1].getMessage()


def test_a_content_id_the_caller_computed_lands_the_same_as_one_computed_here(lake, tmp_path):
    # The CLI hashes the file as it uploads it and hands the id over (one read of a 3.4 GB file
    # fewer); the landing must be exactly the one the trigger, hashing the blob itself, makes.
    data = make_zip(EXTENDED_ENTRIES)
    put(lake, "alice/export.zip", data)
    handed = accept_upload(lake, "alice/export.zip", upload_id=upload_id_of(data))
    other = open_lake(Settings(lake_dir=tmp_path / "other"))
    put(other, "alice/export.zip", data)
    computed = accept_upload(other, "alice/export.zip")

    assert handed == computed
    assert snapshot(lake, RAW_CONTAINER) == snapshot(other, RAW_CONTAINER)
    assert snapshot(lake, STATE_CONTAINER).keys() == snapshot(other, STATE_CONTAINER).keys()
