"""The bundled sample export, ingested once, and its summary for 2024 in Copenhagen time."""

from __future__ import annotations

from pathlib import Path

import pytest

from load.local_time import HomeZone
from load.period import Period
from pipeline.chain import ingest
from pipeline.stages import listening_summary
from settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "samples" / "my_spotify_data.zip"


@pytest.fixture(scope="module")
def sample_lake(tmp_path_factory) -> Settings:
    settings = Settings(lake_dir=tmp_path_factory.mktemp("sample") / "lake")
    ingest(settings, SAMPLE, "me")
    return settings


@pytest.fixture(scope="module")
def summary(sample_lake) -> dict:
    return listening_summary(sample_lake, "me", Period.parse(year="2024"), HomeZone.of("Europe/Copenhagen"))
