"""`python -m samples.generate`: never overwrites the bundled sample unless told to, explains every
option, and refuses, in one line, an option the chosen mode would ignore."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from samples.generate.__main__ import _parser, main, refusal
from samples.generate.vintages import SAMPLE_PATH

ROOT = Path(__file__).resolve().parents[2]


def refused(capsys, *argv) -> str:
    with pytest.raises(SystemExit) as exit_:
        main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert exit_.value.code == 2 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith("error: "), err
    return err


def test_without_out_nothing_is_written_not_even_the_bundled_sample(capsys):
    before = SAMPLE_PATH.stat().st_mtime_ns
    assert "--out" in refused(capsys, "--streams", "10")
    assert SAMPLE_PATH.stat().st_mtime_ns == before


def test_out_naming_the_bundled_sample_needs_force(capsys, monkeypatch):
    before = SAMPLE_PATH.read_bytes()
    assert "pass --force" in refused(capsys, "--out", SAMPLE_PATH, "--streams", "10")
    monkeypatch.chdir(SAMPLE_PATH.parent)
    assert "pass --force" in refused(capsys, "--out", SAMPLE_PATH.name)  # the same file, relative
    assert SAMPLE_PATH.read_bytes() == before
    args = _parser().parse_args(["--out", str(SAMPLE_PATH), "--force"])
    assert refusal(args) is None  # what `make sample` runs


def test_make_sample_still_rewrites_it():
    plan = subprocess.run(["make", "-n", "sample"], cwd=ROOT, capture_output=True, text=True, check=True)
    line = next(x for x in plan.stdout.splitlines() if "-m samples.generate" in x)
    assert "--out samples/my_spotify_data.zip" in line and "--force" in line


def test_every_option_has_help_text():
    parser = _parser()
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        assert action.help and action.help.strip(), action.option_strings
    text = subprocess.run(
        [sys.executable, "-m", "samples.generate", "--help"], cwd=ROOT, capture_output=True, text=True
    ).stdout
    for option in ("--streams", "--seed", "--vintage", "--per-file", "--force"):
        assert option in text


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--per-file", "100"], "--per-file applies to --large only"),
        (["--large", "--files", "3"], "--large ignores --files"),
        (["--large", "--bad-rows", "2"], "--large ignores --bad-rows"),
        (["--large", "--vintage", "account"], "--vintage account has none"),
        (["--vintage", "account", "--files", "2"], "--files"),
        (["--vintage", "account", "--bad-rows", "2"], "--bad-rows"),
        (["--vintage", "account", "--no-account"], "--no-account"),
        (["--streams", "-1"], "--streams must be 0 or more"),
        (["--files", "0"], "--files must be at least 1"),
        (["--large", "--per-file", "0"], "--per-file must be at least 1"),
        (["--vintage", "2099"], "invalid choice"),
    ],
)
def test_an_option_the_mode_would_ignore_is_refused_in_one_line(tmp_path, capsys, argv, says):
    out = tmp_path / "x.zip"
    assert says in refused(capsys, "--out", out, *argv)
    assert not out.exists()


def test_a_folder_as_out_is_refused(tmp_path, capsys):
    assert "is a folder" in refused(capsys, "--out", tmp_path)


def test_what_the_mode_uses_still_writes(tmp_path, capsys):
    assert main(["--out", str(tmp_path / "a.zip"), "--streams", "40", "--vintage", "account"]) == 0
    assert main(["--out", str(tmp_path / "l.zip"), "--streams", "300", "--large", "--per-file", "100"]) == 0
    assert main(["--out", str(tmp_path / "b.zip"), "--streams", "40", "--bad-rows", "2", "--no-account"]) == 0
    assert "2 bad" in capsys.readouterr().out
