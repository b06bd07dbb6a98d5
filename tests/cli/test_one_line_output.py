"""What a person sees on stderr and stdout: one line per refusal, and no traceback at the edges
(an encoding without `→`, a reader that stops early, an impossible port, a file named as the lake).

Every test runs the real `python -m cli` in its own process: logging is configured there.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from tests.cli.process import ROOT, SAMPLE, clean_env, cli
from tests.exports import small_export


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    """The bundled sample, ingested once for this module's readers."""
    lake = tmp_path_factory.mktemp("sample") / "lake"
    result = cli("ingest", SAMPLE, "--lake", lake)
    assert result.returncode == 0, result.stderr
    return lake


def quarantined(lake):
    return sorted(p for p in (lake / "quarantine").iterdir() if p.is_dir())


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        # named as history, so read as history: its one record has no stream in it
        ("Streaming_History_Audio_2023.json", b'[{"foo": 1}]', "no valid stream in this upload"),
        ("my_spotify_data.zip", b"this is not a zip", "not a zip file"),
    ],
)
def test_a_refusal_is_one_line_naming_the_users_file_and_the_whole_quarantine_path(
    tmp_path, name, content, reason
):
    upload = tmp_path / name
    upload.write_bytes(content)
    lake = tmp_path / "lake"
    result = cli("ingest", upload, "--lake", lake)
    assert result.returncode != 0 and result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr  # no WARNING log line before it
    (line,) = lines
    assert line.startswith(f"error: {name}: refused: ") and reason in line
    assert not re.search(r"[0-9a-f]{8}-" + re.escape(name), line), line  # the lake's own name for it
    (folder,) = quarantined(lake)
    assert str(folder.resolve()) in line and folder.is_absolute()
    assert (folder / "reason.json").is_file()


def test_a_refusal_in_a_relative_lake_prints_the_absolute_quarantine_path(tmp_path):
    (tmp_path / "bad.zip").write_bytes(b"PK but not really")
    result = cli("ingest", "bad.zip", "--lake", "lake", cwd=tmp_path)
    assert result.returncode != 0
    (folder,) = quarantined(tmp_path / "lake")
    assert len(result.stderr.splitlines()) == 1
    assert f" {folder.resolve()}" in result.stderr


def test_verbose_still_shows_the_refusal_in_the_log(tmp_path):
    (tmp_path / "bad.zip").write_bytes(b"nope")
    result = cli("-v", "ingest", tmp_path / "bad.zip", "--lake", tmp_path / "lake")
    assert "WARNING extract.export.upload" in result.stderr  # asked for: the log, then the line


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_output_without_utf8_falls_back_to_ascii_instead_of_a_traceback(lake, tmp_path, encoding):
    out = tmp_path / "summary.txt"
    with out.open("wb") as handle:
        result = cli(
            "wrapped", "--lake", lake, stdout=handle, stderr=subprocess.PIPE, capture_output=False,
            env=clean_env(PYTHONIOENCODING=encoding),
        )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    text = out.read_bytes().decode(encoding)
    assert "2022-10-02 -> 2025-01-08" in text  # → as ASCII
    assert "plays (>= 30 s)" in text
    assert ("streams · " if encoding == "latin-1" else "streams - ") in text  # latin-1 has its ·


def test_an_error_line_without_utf8_is_still_one_line(tmp_path):
    result = cli("wrapped", "--lake", tmp_path / "none", env=clean_env(PYTHONIOENCODING="ascii"))
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1


def test_a_reader_that_stops_early_ends_it_quietly(lake):
    """`python -m cli wrapped | head -1`: the broken pipe is no error (here the reader is gone
    before the first write, so the write certainly fails)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "cli", "wrapped", "--lake", str(lake)],
            cwd=ROOT,
            env=clean_env(),
            stdout=write_end,
            stderr=subprocess.PIPE,
            timeout=120,
            check=False,
        )
    finally:
        os.close(write_end)
    assert (result.returncode, result.stderr) == (0, b"")


def test_a_reader_that_stops_early_in_a_shell_pipeline(lake):
    result = subprocess.run(
        f"{sys.executable} -m cli wrapped --json --lake {lake} | head -1; echo rc=${{PIPESTATUS[0]}}",
        shell=True,
        executable="/bin/bash",
        cwd=ROOT,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.splitlines() == ["{", "rc=0"], result.stdout
    assert result.stderr == ""


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["auth", "--port", "99999"], "--port"),
        (["auth", "--port", "eighty"], "--port"),
        (["wrapped", "--top", "many"], "--top"),
        (["no-such-command"], "invalid choice"),
    ],
)
def test_a_wrong_option_is_one_line(argv, says):
    result = cli(*argv)
    assert result.returncode == 2 and result.stdout == ""
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("error: ") and says in result.stderr and "--help" in result.stderr


@pytest.mark.parametrize("command", ["wrapped", "report", "modes", "load", "requeue", "ingest"])
def test_a_file_named_as_the_lake_is_one_line(tmp_path, command):
    afile = tmp_path / "afile"
    afile.write_text("not a folder")
    argv = [command, "--lake", afile] + ([SAMPLE] if command == "ingest" else [])
    result = cli(*argv)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [
        f"error: --lake {afile} is a file, not a folder: name the lake's folder "
        "(a new one is made by the first ingest)"
    ]


def test_lake_dir_naming_a_file_says_so_too(tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("")
    result = cli("wrapped", env=clean_env(LAKE_DIR=str(afile)))
    assert result.returncode == 2 and result.stderr.startswith(f"error: LAKE_DIR {afile} is a file")


def test_json_stays_utf8_on_a_utf8_output(tmp_path):
    export = tmp_path / "export.zip"
    export.write_bytes(small_export())
    assert cli("ingest", export, "--lake", tmp_path / "lake").returncode == 0
    result = cli("wrapped", "--json", "--lake", tmp_path / "lake")
    assert result.returncode == 0 and json.loads(result.stdout)["streams"] > 0
