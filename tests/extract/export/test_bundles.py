"""An upload of more history files than any export holds: its small files land together, unchanged,
in bundles (extract/export/bundles.py), on the folder lake and on Azurite."""

from __future__ import annotations

import io
import zipfile

import pytest

from contracts.layout import RAW_CONTAINER, STATE_CONTAINER, UPLOAD_CONTAINER, ExportBundle
from extract.export import upload as upload_module
from extract.export.bundles import BUNDLE_ABOVE, BUNDLE_BYTES, BUNDLE_FILES, BUNDLE_MEMBER_BYTES, plan_bundles
from extract.export.upload import accept_upload
from storage import open_lake
from tests.extract.export.test_upload import (
    _assert_refused,
    account_music,
    as_json,
    extended_2024,
    make_zip,
    upload_id_of,
)

EXT = "Spotify Extended Streaming History"


def many_small(count: int, start: int = 0) -> dict[str, bytes]:
    """`count` one-to-three-record extended files, each named as Spotify names them."""
    return {
        f"{EXT}/Streaming_History_Audio_2024_{n}.json": as_json(extended_2024(1 + n % 3))
        for n in range(start, start + count)
    }


def members_of(lake, path: str) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(lake.read_bytes(RAW_CONTAINER, path))) as archive:
        assert all(info.compress_type == zipfile.ZIP_STORED for info in archive.infolist())
        return {info.filename: archive.read(info) for info in archive.infolist()}


# --- the rule -------------------------------------------------------------------------------------


def test_an_upload_of_as_many_files_as_an_export_holds_lands_each_alone():
    assert plan_bundles([("extended", 100)] * BUNDLE_ABOVE) == [None] * BUNDLE_ABOVE


def test_past_that_small_files_are_bundled_by_kind_in_order_and_big_ones_land_alone():
    files = [("extended", 10)] * 40 + [("account_music", 10)] * 30 + [("extended", BUNDLE_MEMBER_BYTES)]
    plan = plan_bundles(files)
    assert plan == [1] * 40 + [1] * 30 + [None]  # each kind numbers its own bundles


def test_a_bundle_holds_at_most_its_file_count_and_its_bytes():
    by_count = plan_bundles([("extended", 1)] * (2 * BUNDLE_FILES + 5))
    assert [by_count.count(n) for n in (1, 2, 3)] == [BUNDLE_FILES, BUNDLE_FILES, 5]
    size = BUNDLE_MEMBER_BYTES - 1
    per_bundle = BUNDLE_BYTES // size
    by_bytes = plan_bundles([("extended", size)] * (BUNDLE_ABOVE + 1))
    assert by_bytes.count(1) == per_bundle and by_bytes[per_bundle] == 2


# --- landing --------------------------------------------------------------------------------------


@pytest.fixture(params=["folder", "azurite"])
def any_lake(request):
    settings = request.getfixturevalue("folder_settings" if request.param == "folder" else "azurite_settings")
    return open_lake(settings)


def test_small_files_land_in_bundles_unchanged_and_a_big_one_alone(any_lake):
    lake = any_lake
    small = many_small(150)
    accounts = {
        f"Spotify Account Data/StreamingHistory_music_{n}.json": as_json(account_music()) for n in range(3)
    }
    big_name = f"{EXT}/Streaming_History_Audio_2019-2021_0.json"
    big = as_json(extended_2024(1) * (BUNDLE_MEMBER_BYTES // 500))
    assert len(big) >= BUNDLE_MEMBER_BYTES
    entries = {**small, big_name: big, **accounts}
    data = make_zip(entries, zipfile.ZIP_STORED)  # stored: the big file would look like a zip bomb
    lake.write_bytes(UPLOAD_CONTAINER, "alice/export.zip", data)

    result = accept_upload(lake, "alice/export.zip")

    uid = upload_id_of(data)
    extended = ExportBundle("alice", uid, "extended", 1).raw_path
    music = ExportBundle("alice", uid, "account_music", 1).raw_path
    alone = f"exports/alice/{uid}/extended/{big_name}"
    assert result.raw_paths == (extended, alone, music)
    assert result.history_files == len(entries)
    assert sorted(lake.list(RAW_CONTAINER)) == sorted(result.raw_paths)
    assert members_of(lake, extended) == small  # every member's bytes, in zip order
    assert list(members_of(lake, extended)) == list(small)
    assert members_of(lake, music) == accounts
    assert lake.read_bytes(RAW_CONTAINER, alone) == big


def test_landing_again_writes_the_same_bundle_bytes(folder_settings):
    lake = open_lake(folder_settings)
    data = make_zip(many_small(BUNDLE_ABOVE + 1))
    lake.write_bytes(UPLOAD_CONTAINER, "export.zip", data)
    first = accept_upload(lake, "export.zip")
    (bundle,) = first.raw_paths
    landed = lake.read_bytes(RAW_CONTAINER, bundle)
    for manifest in list(lake.list(STATE_CONTAINER, "uploads/")):
        lake.delete(STATE_CONTAINER, manifest)  # as if the first run died before its manifest
    lake.delete(RAW_CONTAINER, bundle)

    again = accept_upload(lake, "export.zip")

    assert again.raw_paths == first.raw_paths and not again.already_ingested
    assert lake.read_bytes(RAW_CONTAINER, bundle) == landed


def test_a_refusal_after_members_were_bundled_lands_nothing_and_prints_nothing(any_lake, capfd):
    lake = any_lake
    entries = many_small(120)
    entries[f"{EXT}/Streaming_History_Audio_2024_bad.json"] = b"[{]"
    entries.update(many_small(5, start=500))

    _assert_refused(
        lake, "bob/export.zip", make_zip(entries), "Streaming_History_Audio_2024_bad.json: invalid JSON"
    )

    assert list(lake.list(RAW_CONTAINER)) == []
    if hasattr(lake, "root"):
        assert [p for p in (lake.root / RAW_CONTAINER).rglob("*") if p.is_file()] == []  # no staged temp file
    assert capfd.readouterr().err == ""  # no "Exception ignored" from a half-written zip


def test_the_progress_line_counts_files_and_bundles(folder_settings):
    lake = open_lake(folder_settings)
    lake.write_bytes(UPLOAD_CONTAINER, "export.zip", make_zip(many_small(BUNDLE_ABOVE + 1)))
    lines: list[str] = []

    upload_module.accept_upload(lake, "export.zip", progress=lines.append)

    assert lines[-2].startswith("checking ") and lines[-2].endswith(f"({BUNDLE_ABOVE + 1})")
    assert lines[-1] == "landed 1 files in raw/ (1 of them bundles of small files)"
