"""Run the real CLI in its own process, as a person at a shell would, with no app setting leaking in."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from settings import APP_SETTING_NAMES

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "samples" / "my_spotify_data.zip"


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without any app setting (the tests name each one they mean), plus `extra`."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in APP_SETTING_NAMES and not name.startswith("DataLake")
    }
    env.pop("PYTHONIOENCODING", None)
    env["PYTHONPATH"] = str(ROOT)  # `python -m cli` from any folder
    return env | extra


def cli(*argv, env: dict[str, str] | None = None, **kwargs) -> subprocess.CompletedProcess:
    """`python -m cli ARGV` from the project folder; text output unless `text=False` is passed."""
    kwargs.setdefault("capture_output", True)
    kwargs.setdefault("text", True)
    kwargs.setdefault("timeout", 120)
    return subprocess.run(
        [sys.executable, "-m", "cli", *(str(a) for a in argv)],
        cwd=kwargs.pop("cwd", ROOT),
        env=env or clean_env(),
        check=False,
        **kwargs,
    )
