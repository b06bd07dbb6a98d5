"""The CLI contract on the embedded default: ingest → wrapped on a folder lake and DuckDB."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from cli.__main__ import main
from tests.exports import EXPECTED, small_export

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def export(tmp_path):
    path = tmp_path / "my_spotify_data.zip"
    path.write_bytes(small_export())
    return path


def run_cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def wrapped_json(capsys, lake, *extra):
    code, out, err = run_cli(capsys, "wrapped", "--json", "--lake", lake, *extra)
    assert code == 0, err
    return json.loads(out)


def test_ingest_then_wrapped_gives_the_exact_summary(tmp_path, export, capsys):
    lake = tmp_path / "lake"
    code, out, err = run_cli(capsys, "ingest", export, "--lake", lake)
    assert code == 0, err
    line = out.strip()
    assert "\n" not in line
    assert line == (
        "my_spotify_data.zip: 3 files, 5 streams accepted (4 music, 1 podcast), "
        "1 account-data streams already in the extended history, 1 duplicates skipped, "
        "1 records set aside (python -m cli rejects lists them), 1 video files skipped"
    )
    for key in ("files", "streams_accepted", "duplicates_skipped", "records_set_aside"):
        assert f"{EXPECTED[key]} {key.replace('_', ' ')}" in line

    summary = wrapped_json(capsys, lake)
    assert summary["streams"] == EXPECTED["streams"]
    assert summary["plays"] == EXPECTED["plays"]
    assert summary["minutes"] == EXPECTED["minutes"]
    assert summary["top_artists"] == EXPECTED["top_artists"]
    assert summary["top_tracks"][0] == {
        "artist": "Aurora Lane",
        "track": "Night Drive",
        "plays": 1,
        "ms_played": 210_000,
    }

    # Inclusive UTC dates: only 2024-01-01 .. 2024-01-02.
    january = wrapped_json(capsys, lake, "--from", "2024-01-01", "--to", "2024-01-02")
    assert (january["streams"], january["plays"]) == (2, 1)

    # The human-readable form names the top artist.
    code, out, _ = run_cli(capsys, "wrapped", "--lake", lake, "--top", "2")
    assert code == 0 and "Aurora Lane" in out and "Cold Harbour" not in out


def test_reingesting_the_same_export_under_another_name_changes_nothing(tmp_path, export, capsys):
    lake = tmp_path / "lake"
    assert run_cli(capsys, "ingest", export, "--lake", lake)[0] == 0
    before = wrapped_json(capsys, lake)
    copy = tmp_path / "renamed.zip"
    copy.write_bytes(export.read_bytes())
    code, out, _ = run_cli(capsys, "ingest", copy, "--lake", lake)
    assert code == 0 and "already ingested" in out
    assert wrapped_json(capsys, lake) == before


def test_a_folder_and_a_lone_json_file_ingest_too(tmp_path, export, capsys):
    folder = tmp_path / "unzipped"
    with zipfile.ZipFile(export) as archive:
        archive.extractall(folder)
    lake = tmp_path / "lake"
    assert run_cli(capsys, "ingest", folder, "--lake", lake)[0] == 0
    assert wrapped_json(capsys, lake)["streams"] == EXPECTED["streams"]

    lone = next(folder.rglob("StreamingHistory_music_0.json"))
    other = tmp_path / "lake2"
    code, _out, err = run_cli(capsys, "ingest", lone, "--lake", other, "--user", "sam")
    assert code == 0, err
    assert wrapped_json(capsys, other, "--user", "sam")["streams"] == 2
    assert wrapped_json(capsys, other)["streams"] == 0  # another user's history is separate


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"this is not a zip", "not a zip"),
        (small_export()[:200], "zip"),
        (small_export({"../evil.json": b"[]"}), ".."),
    ],
)
def test_a_refused_upload_is_one_line_and_leaves_what_was_loaded(tmp_path, export, capsys, content, reason):
    lake = tmp_path / "lake"
    assert run_cli(capsys, "ingest", export, "--lake", lake)[0] == 0
    before = wrapped_json(capsys, lake)
    bad = tmp_path / "bad.zip"
    bad.write_bytes(content)
    code, out, err = run_cli(capsys, "ingest", bad, "--lake", lake)
    assert code != 0
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and reason in err and "Traceback" not in err
    assert wrapped_json(capsys, lake) == before
    assert any((lake / "quarantine").rglob("reason.json"))


@pytest.mark.parametrize(
    "argv",
    [
        ["ingest", "{tmp}/missing.zip", "--lake", "{tmp}"],
        ["wrapped", "--from", "2024-13-01", "--lake", "{tmp}"],
        ["wrapped", "--from", "2024-02-01", "--to", "2024-01-01", "--lake", "{tmp}"],
        ["ingest", "{tmp}", "--user", "../x", "--lake", "{tmp}/l"],
        ["ingest", "{tmp}", "--user", "me\n", "--lake", "{tmp}/l"],
        ["ingest", "{sample}", "--lake", "{tmp}/afile"],
        ["wrapped", "--lake", "{tmp}/no-such-lake"],
    ],
)
def test_user_mistakes_are_one_line_without_traceback(tmp_path, capsys, argv):
    (tmp_path / "afile").write_text("a file where the lake folder should be")
    sample = ROOT / "samples" / "my_spotify_data.zip"
    code, out, err = run_cli(capsys, *(a.format(tmp=tmp_path, sample=sample) for a in argv))
    assert code != 0 and out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith("error:"), err
    assert not (tmp_path / "no-such-lake").exists()  # reading creates no lake


def test_a_mistake_is_one_line_in_a_real_process_too(tmp_path):
    """The same through `python -m cli`: nothing above main() prints a traceback."""
    result = subprocess.run(
        [sys.executable, "-m", "cli", "ingest", str(tmp_path / "missing.zip"), "--lake", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0 and result.stderr.startswith("error:")
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_a_failed_load_is_one_line_and_reingesting_finishes_it(tmp_path, export, capsys):
    lake = tmp_path / "lake"
    lake.mkdir()
    (lake / "warehouse.duckdb").write_bytes(b"not a duckdb file")  # e.g. a half-copied backup
    code, out, err = run_cli(capsys, "ingest", export, "--lake", lake)
    assert code != 0 and out == ""
    assert len(err.strip().splitlines()) == 1 and "cannot open the warehouse" in err
    code, _out, err = run_cli(capsys, "wrapped", "--lake", lake)
    assert code == 2 and "cannot open the warehouse" in err

    (lake / "warehouse.duckdb").unlink()
    code, out, err = run_cli(capsys, "ingest", export, "--lake", lake)
    assert code == 0, err
    assert "load finished now" in out and f"{EXPECTED['streams_accepted']} streams accepted" in out
    assert wrapped_json(capsys, lake)["streams"] == EXPECTED["streams"]
    code, out, _ = run_cli(capsys, "ingest", export, "--lake", lake)
    assert code == 0 and "already ingested" in out


def test_same_named_files_in_different_folders_both_count(tmp_path, capsys):
    """Two history files may share a name in different folders of one upload."""
    from tests.exports import LOW_TIDE, NIGHT_DRIVE

    folder = tmp_path / "export"
    for sub, records in (("a", [NIGHT_DRIVE]), ("b", [LOW_TIDE])):
        (folder / sub / "MyData").mkdir(parents=True)
        (folder / sub / "MyData" / "endsong_0.json").write_text(json.dumps(records))
    lake = tmp_path / "lake"
    code, out, err = run_cli(capsys, "ingest", folder, "--lake", lake)
    assert code == 0, err
    assert "2 files, 2 streams accepted" in out
    assert wrapped_json(capsys, lake)["streams"] == 2


def test_curated_parquet_uses_a_codec_synapse_copy_into_reads(tmp_path, export, capsys):
    import pyarrow.parquet as pq

    lake = tmp_path / "lake"
    assert run_cli(capsys, "ingest", export, "--lake", lake)[0] == 0
    files = list((lake / "curated").rglob("*.parquet"))
    assert files
    for path in files:
        metadata = pq.ParquetFile(path).metadata
        codecs = {metadata.row_group(0).column(i).compression for i in range(metadata.num_columns)}
        assert codecs <= {"SNAPPY", "GZIP", "UNCOMPRESSED"}, (path.name, codecs)


def test_the_summary_line_names_each_kind_and_what_was_not_new():
    from cli.ingest import describe
    from pipeline.chain import IngestSummary

    summary = IngestSummary(files=4, streams_accepted=10, duplicates_skipped=2, records_set_aside=0)
    summary.music_accepted, summary.podcast_accepted, summary.audiobook_accepted = 6, 1, 2
    summary.in_extended_history, summary.earlier_messages = 3, 1
    assert describe("x.zip", summary) == (
        "x.zip: 4 files, 10 streams accepted (6 music, 1 podcast, 2 audiobook, 1 of unknown kind), "
        "3 account-data streams already in the extended history, 2 duplicates skipped, "
        "0 records set aside (and 1 load an earlier run left queued)"
    )
    linked = IngestSummary(files=1, streams_accepted=1, music_accepted=1, skipped_detail={"symlink": 2})
    assert describe("z", linked).endswith(", 2 symbolic links skipped (never followed)")
    only_music = IngestSummary(files=1, streams_accepted=2, music_accepted=2)
    assert describe("y.json", only_music) == (
        "y.json: 1 files, 2 streams accepted, 0 duplicates skipped, 0 records set aside"
    )


def test_rejects_lists_each_set_aside_record_by_its_file_and_reason(tmp_path, export, capsys):
    lake = tmp_path / "lake"
    assert run_cli(capsys, "ingest", export, "--lake", lake)[0] == 0
    code, out, err = run_cli(capsys, "rejects", "--lake", lake)
    assert code == 0, err
    header, *rows = out.strip().splitlines()
    assert header.startswith("1 records set aside for me")
    assert len(rows) == 1
    assert rows[0].lstrip().startswith("Spotify Extended Streaming History/Streaming_History_Audio_")
    assert ", record " in rows[0] and "ts" in rows[0].split(": ", 1)[1]
    assert "-Streaming_History" not in out  # no internal (hash-prefixed) names
    code, out, _ = run_cli(capsys, "rejects", "--lake", lake, "--user", "someone")
    assert (code, out) == (0, "nothing set aside for someone\n")


def test_progress_shows_every_phase_on_a_terminal_and_nothing_otherwise(tmp_path, export):
    import os
    import pty
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    primary, secondary = pty.openpty()
    run = subprocess.Popen(
        [sys.executable, "-m", "cli", "ingest", str(export), "--lake", str(tmp_path / "lake")],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=secondary,
    )
    os.close(secondary)
    seen = b""
    while True:
        try:
            chunk = os.read(primary, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    out, _ = run.communicate(timeout=120)
    os.close(primary)
    assert run.returncode == 0
    shown = seen.decode()
    steps = [step.strip() for step in shown.replace("\x1b[K", "").split("\r") if step.strip()]
    for phase in ("uploaded", "checking", "landed 3 files", "curated 1/3", "curated 3/3", "loaded"):
        assert any(step.startswith(phase) for step in steps), (phase, steps)
    assert shown.endswith("\r\x1b[K")  # the status line is cleared before the summary
    assert b"streams accepted" in out and b"\r" not in out
