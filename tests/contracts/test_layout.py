"""Every lake path is built and parsed in contracts.layout: each parser reads back what its builder wrote."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.layout import (
    ANALYSES,
    DEFAULT_USER,
    AnalysisRun,
    ApiFile,
    ExportBundle,
    ExportFile,
    UploadName,
    curated_group,
    in_container,
    original_filename,
    quarantine_paths,
    run_id,
    split_blob_name,
    upload_path,
)
from contracts.vintages import HISTORY_KINDS, VIDEO

# Path segments as they occur: user labels, hashes, file names with spaces, dots and non-ASCII.
segment = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="/\\"), min_size=1, max_size=30
).filter(lambda s: s not in (".", ".."))
label = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,20}", fullmatch=True)
entry = st.lists(segment, min_size=1, max_size=4).map("/".join)


@given(
    user=label,
    upload_id=st.from_regex(r"[0-9a-f]{16}", fullmatch=True),
    kind=st.sampled_from(HISTORY_KINDS),
    entry=entry,
)
def test_an_export_file_path_parses_back_to_the_same_file(user, upload_id, kind, entry):
    file = ExportFile(user, upload_id, kind, entry)
    assert ExportFile.parse(file.raw_path) == file


@given(
    user=label,
    upload_id=st.from_regex(r"[0-9a-f]{16}", fullmatch=True),
    kind=st.sampled_from(HISTORY_KINDS),
    number=st.integers(min_value=1, max_value=99_999),
    entry=entry,
)
def test_a_bundle_path_parses_back_and_is_never_an_export_file(user, upload_id, kind, number, entry):
    bundle = ExportBundle(user, upload_id, kind, number)
    assert ExportBundle.parse(bundle.raw_path) == bundle
    assert ExportFile.parse(bundle.raw_path) is None
    assert ExportBundle.parse(ExportFile(user, upload_id, kind, entry).raw_path) is None
    # A member keeps the lineage it would have had landed alone; the bundle's curated files are
    # never a lone file's (whose third segment is a kind, never "bundles").
    assert bundle.member(entry).origin == f"{upload_id}/{kind}/{entry}"
    lone = ExportFile(user, upload_id, kind, entry).curated_paths("u" * 24)
    assert not set(bundle.curated_paths("u" * 24)) & set(lone)


@pytest.mark.parametrize(
    "path",
    [
        "exports/me/u1/bundles/extended/0001.json",
        "exports/me/u1/bundles/extended/0000.zip",
        "exports/me/u1/bundles/extended/x1.zip",
        "exports/me/u1/bundles/video/0001.zip",
        "exports/me/u1/bundles/extended/a/0001.zip",
        "exports/me//bundles/extended/0001.zip",
        "exports/me/u1/bundles/extended/\u0661.zip",  # a digit, but not an ASCII one
    ],
)
def test_paths_outside_the_bundle_layout_are_not_bundles(path):
    assert ExportBundle.parse(path.encode().decode("unicode_escape")) is None


@given(
    endpoint=st.sampled_from(["recently-played", "top-tracks", "top-artists", "tracks", "albums", "artists"]),
    day=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)),
    name=segment,
)
def test_an_api_answer_path_parses_back_to_the_same_answer(endpoint, day, name):
    answer = ApiFile(endpoint, day, name)
    assert ApiFile.parse(answer.raw_path) == answer


@given(user=label, filename=segment, content_hash=st.from_regex(r"[0-9a-f]{8}", fullmatch=True))
def test_the_cli_upload_name_parses_back_to_its_user(user, filename, content_hash):
    name = upload_path(user, filename, content_hash)
    parsed = UploadName.parse(name)
    assert (parsed.path, parsed.user, parsed.filename) == (name, user, f"{content_hash}-{filename}")


@given(user=label, filename=segment, content=st.binary(max_size=64))
def test_the_cli_upload_name_gives_back_the_files_own_name(user, filename, content):
    upload_id = hashlib.sha256(content).hexdigest()[:16]  # what the upload stage computes
    name = upload_path(user, filename, hashlib.sha256(content).hexdigest()[:8])  # what the CLI writes
    assert original_filename(UploadName.parse(name).filename, upload_id) == filename


@pytest.mark.parametrize(
    "filename",
    ["0123abcd-history.json", "ffffffff-", "ffffffff", "Streaming_History_Audio_2024_0.json"],
)
def test_a_name_a_person_gave_a_file_stays_as_it_is(filename):
    # Only this content's own hash is the CLI's prefix: a look-alike in a person's name is kept.
    assert original_filename(filename, "ffffffffffffffff") == filename


@given(user=label, upload_id=st.from_regex(r"[0-9a-f]{16}", fullmatch=True), entry=entry)
def test_curated_streams_and_rejects_of_one_raw_file_share_one_group(user, upload_id, entry):
    streams, rejects = ExportFile(user, upload_id, "extended", entry).curated_paths("u" * 24)
    assert curated_group(streams)[0] == "streams" and curated_group(rejects)[0] == "rejects"
    assert curated_group(streams)[1] == curated_group(rejects)[1]


def test_curated_paths_keep_the_whole_entry_path_and_never_the_user_label():
    file = ExportFile("alice", "up1", "extended", "a/Streaming_History_Audio_2024.JSON")
    streams, rejects = file.curated_paths("f00d")
    assert streams == "streams/f00d/up1/extended/a/Streaming_History_Audio_2024.JSON.parquet"
    assert rejects.startswith("rejects/") and "alice" not in streams + rejects
    assert file.origin == "up1/extended/a/Streaming_History_Audio_2024.JSON"
    day = date(2026, 8, 1)
    answer = ApiFile("recently-played", day, "after-0")
    assert answer.curated_path("streams", "f00d") == (
        "streams/f00d/spotify-api/recently-played/dt=2026-08-01/after-0.parquet"
    )
    assert ApiFile("tracks", day, "batch-x").curated_path("tracks") == (
        "tracks/spotify-api/tracks/dt=2026-08-01/batch-x.parquet"
    )


@pytest.mark.parametrize(
    "path",
    [
        f"exports/me/u1/{VIDEO}/Streaming_History_Video_2024.json",  # video is counted, never landed
        "exports/me/u1/extended",
        "exports/me/u1/extended/",
        "exports//u1/extended/a.json",
        "exports/me/u1/other/a.json",
        "spotify-api/x/dt=2024-01-01/a.json",
    ],
)
def test_paths_outside_the_export_layout_are_not_export_files(path):
    assert ExportFile.parse(path) is None


@pytest.mark.parametrize(
    "path",
    [
        "spotify-api/tracks/dt=yesterday/a.json",
        "spotify-api/tracks/dt=2024-01-01/a.txt",
        "spotify-api/tracks/dt=2024-01-01/.json",
        "spotify-api/tracks/a.json",
        "spotify-api/tracks/dt=2024-01-01/x/a.json",
        "exports/me/u1/extended/a.json",
    ],
)
def test_paths_outside_the_api_layout_are_not_api_answers(path):
    assert ApiFile.parse(path) is None


@pytest.mark.parametrize("name", ["", "/", "a//b.zip", "./x.zip", "me/../x.zip", "me/"])
def test_an_upload_name_with_an_empty_or_dot_segment_is_refused(name):
    with pytest.raises(ValueError, match="not an upload file name"):
        UploadName.parse(name)


def test_a_bare_upload_name_belongs_to_the_default_user():
    assert UploadName.parse("my_spotify_data.zip").user == DEFAULT_USER


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("streams/u/a.parquet", ("streams", "u/a")),
        ("rejects/u/x.json.parquet", ("rejects", "u/x.json")),
        ("streams/u/a.txt", None),
        ("streams.parquet", None),
        ("/a.parquet", None),
    ],
)
def test_curated_group_names_the_raw_file_a_curated_path_came_from(path, expected):
    assert curated_group(path) == expected


def test_blob_names_split_into_container_and_path_and_lose_the_container_prefix():
    assert split_blob_name("raw/exports/a.json") == ("raw", "exports/a.json")
    assert split_blob_name("/raw/a") == ("raw", "a")
    for bad in ("raw", "raw/", ""):
        with pytest.raises(ValueError):
            split_blob_name(bad)
    assert (
        in_container("raw", "raw/exports/a.json") == in_container("raw", "exports/a.json") == "exports/a.json"
    )


@pytest.mark.parametrize(
    ("filename", "copy"),
    [
        ("my.zip", "u1/my.zip"),
        ("reason.json", "u1/upload-reason.json"),
        ("..", "u1/upload-file"),
        ("a\\b", "u1/a_b"),
    ],
)
def test_a_quarantined_copy_never_overwrites_its_reason(filename, copy):
    assert quarantine_paths("u1", filename) == (copy, "u1/reason.json")


@given(
    analysis=st.sampled_from(ANALYSES),
    when=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)),
    user_id=st.none() | st.from_regex(r"[0-9a-f]{24}", fullmatch=True),
    dataset=st.sampled_from(["chart_predictions", "sessions", "listening_modes", "listener_segments"]),
)
def test_an_analysis_run_path_parses_back_to_its_dataset_and_run(analysis, when, user_id, dataset):
    run = AnalysisRun(analysis, run_id(when), user_id)
    assert AnalysisRun.parse(run.curated_path(dataset)) == (dataset, run)


def test_one_runs_datasets_share_a_group_and_run_ids_sort_as_time_does():
    run = AnalysisRun("modes", "20261201T093000Z", "a" * 24)
    groups = {curated_group(run.curated_path(d))[1] for d in ("sessions", "listening_modes")}  # type: ignore[index]
    assert groups == {f"{'a' * 24}/analysis/modes/20261201T093000Z"}
    earlier, later = datetime(2026, 1, 2, 23, 59, 59, tzinfo=UTC), datetime(2026, 1, 3, tzinfo=UTC)
    assert run_id(earlier) < run_id(later)
    # an aware time in another zone is the same instant
    assert run_id(later.astimezone(timezone(timedelta(hours=5)))) == "20260103T000000Z"


@pytest.mark.parametrize(
    "path",
    [
        "sessions/analysis/modes/latest.parquet",  # not a run id
        "sessions/u/analysis/unknown/20261201T093000Z.parquet",  # not an analysis
        "sessions/u/other/modes/20261201T093000Z.parquet",
        "sessions//analysis/modes/20261201T093000Z.parquet",
        "sessions/u/analysis/modes/20261201T093000Z.json",
        "streams/u/up/extended/Streaming_History_Audio_2024.parquet",
    ],
)
def test_paths_outside_the_analysis_layout_are_not_runs(path):
    assert AnalysisRun.parse(path) is None
