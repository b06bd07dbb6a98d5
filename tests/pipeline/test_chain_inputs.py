"""Inputs that crashed the chain or stuck in it, run through `ingest` exactly as `python -m cli ingest`
runs them: a folder with symlinks, audiobook history from both packages, lone files by their names."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from contracts.layout import RAW_CONTAINER
from load.warehouse import open_warehouse
from pipeline.chain import UploadRefused, ingest
from pipeline.stages import records_set_aside
from settings import Settings
from storage import open_lake
from tests.exports import ACC, EXT, FILE_0, FILE_1, NO_TS, ext

BOOK, CHAPTER = "spotify:audiobook:7iHfbu1YPACw6oZPAFJtqe", "spotify:chapter:0D5wENdkdwbqlrHoaJ9g29"
# One chapter played once, as each package records it: to the second with ids, and to the minute.
EXTENDED_CHAPTER = ext(
    "2024-05-08T21:10:30Z",
    None,
    None,
    1_200_000,
    None,
    audiobook_title="The Long Book",
    audiobook_uri=BOOK,
    audiobook_chapter_title="Chapter 3",
    audiobook_chapter_uri=CHAPTER,
)
ACCOUNT_CHAPTER = {
    "endTime": "2024-05-08 21:10",
    "audiobookName": "The Long Book",
    "chapterName": "Chapter 3",
    "authorName": "A. Writer",
    "msPlayed": 1_200_000,
}


def zipped(entries: dict[str, object]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, records in entries.items():
            archive.writestr(name, json.dumps(records, indent=2))
    return buffer.getvalue()


def streams(settings) -> list[tuple]:
    with open_warehouse(settings) as warehouse:
        return warehouse.query(
            "SELECT source, content_type, track_name, audiobook_title, chapter_title FROM fact_stream"
            " ORDER BY ts, source"
        )


def test_a_folder_with_symlinks_loads_its_files_and_counts_the_links(folder_settings, tmp_path):
    folder = tmp_path / "my_spotify_data"
    (folder / EXT).mkdir(parents=True)
    (folder / EXT / "Streaming_History_Audio_2024_1.json").write_text(json.dumps(FILE_1))
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text(json.dumps(FILE_0))
    (folder / EXT / "Streaming_History_Audio_2023-2024_0.json").symlink_to(elsewhere)
    (folder / ACC).symlink_to(tmp_path / "nowhere", target_is_directory=True)  # dangling, a folder's

    summary = ingest(folder_settings, folder, "me")

    assert (summary.files, summary.skipped_detail["symlink"]) == (1, 2)
    assert summary.streams_accepted == len(FILE_1)  # the linked file's streams are not read
    assert [row[2] for row in streams(folder_settings)] == ["Night Drive", "Low Tide", None]


def test_audiobook_listening_from_both_packages_loads_once_as_audiobooks(folder_settings, tmp_path):
    export = tmp_path / "my_spotify_data.zip"
    export.write_bytes(
        zipped(
            {
                f"{EXT}/Streaming_History_Audio_2024_0.json": [EXTENDED_CHAPTER],
                f"{ACC}/StreamingHistory_audiobook_0.json": [ACCOUNT_CHAPTER],
            }
        )
    )

    summary = ingest(folder_settings, export, "me")

    assert (summary.files, summary.streams_accepted, summary.duplicates_skipped) == (2, 1, 0)
    assert (summary.audiobook_accepted, summary.in_extended_history) == (1, 1)  # its account row
    assert streams(folder_settings) == [("extended", "audiobook", None, "The Long Book", "Chapter 3")]

    alone = tmp_path / "StreamingHistory_audiobook_0.json"  # the account file again, on its own
    alone.write_text(json.dumps([ACCOUNT_CHAPTER, {**ACCOUNT_CHAPTER, "endTime": "2024-05-09 08:00"}]))
    again = ingest(folder_settings, alone, "me")
    assert (again.streams_accepted, again.duplicates_skipped, again.in_extended_history) == (1, 0, 1)
    assert [row[:2] for row in streams(folder_settings)] == [
        ("extended", "audiobook"),
        ("account", "audiobook"),
    ]


@pytest.mark.parametrize(
    ("filename", "body", "reason"),
    [
        (
            "Streaming_History_Video_2024.json",
            json.dumps([dict(FILE_1[0], spotify_track_uri=None, master_metadata_track_name=None)]),
            "no streaming history in this upload",
        ),
        ("Streaming_History_Audio_2023_9.json", "[]", "no valid stream in this upload"),
        (
            "Streaming_History_Audio_2024_0.json",
            '[{"ts": "2024-05-06T18:43:02Z", "ms_played": 123456789012345678901}]',
            "Streaming_History_Audio_2024_0.json: not streaming history (it holds an integer too large",
        ),
    ],
)
def test_a_lone_file_is_known_by_its_name_and_refused_in_one_line(
    folder_settings, tmp_path, filename, body, reason
):
    path = tmp_path / filename
    path.write_text(body)

    with pytest.raises(UploadRefused) as refused:
        ingest(folder_settings, path, "me")

    assert str(refused.value).startswith(reason) and "\n" not in str(refused.value)
    assert refused.value.upload_id is not None and refused.value.upload_id[:8] not in str(refused.value)
    assert list(open_lake(folder_settings).list(RAW_CONTAINER)) == []


def test_an_export_of_many_small_files_loads_as_the_same_records_in_two_files_would(
    folder_settings, tmp_path
):
    # 200 files of one to three records: bundled (extract.export.bundles.plan_bundles), one curation
    # and one load a bundle, yet the warehouse holds what it holds for the same records in two files.
    records = [
        ext(f"2024-03-{1 + n % 28:02d}T{n % 24:02d}:{n % 60:02d}:00Z", f"A{n % 7}", f"T{n}", 1000 + n, None)
        for n in range(400)
    ]
    files, taken = {}, 0
    for n in range(200):
        files[f"{EXT}/Streaming_History_Audio_2024_{n}.json"] = records[taken : taken + 1 + n % 3]
        taken += 1 + n % 3
    files[f"{EXT}/Streaming_History_Audio_2024_199.json"].append(NO_TS)  # set aside: the last file's 3rd
    many = tmp_path / "many.zip"
    many.write_bytes(zipped(files))
    few = tmp_path / "few.zip"
    flat = [r for part in files.values() for r in part]
    few.write_bytes(
        zipped(
            {
                f"{EXT}/Streaming_History_Audio_2024_0.json": flat[:200],
                f"{EXT}/Streaming_History_Audio_2024_1.json": flat[200:],
            }
        )
    )
    other = Settings(lake_dir=tmp_path / "other-lake")

    summary = ingest(folder_settings, many, "me")
    ingest(other, few, "me")

    assert (summary.files, summary.streams_accepted, summary.records_set_aside) == (200, taken, 1)
    assert streams(folder_settings) == streams(other)
    raw = list(open_lake(folder_settings).list(RAW_CONTAINER))
    assert len(raw) == 1 and "/bundles/extended/" in raw[0]
    total, (aside,) = records_set_aside(folder_settings, "me")
    assert total == 1 and aside.file == f"{EXT}/Streaming_History_Audio_2024_199.json" and aside.record == 3

    again = ingest(folder_settings, many, "me")
    assert again.already_ingested and again.files_already_loaded == 1 and again.streams_accepted == 0
