"""What the exports look like: the vintages, their field sets and folders, and the bundled sample."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

SAMPLE_PATH = Path(__file__).resolve().parent.parent / "my_spotify_data.zip"
SAMPLE_SEED = 20250106
SAMPLE_STREAMS = 6000
SAMPLE_FILES = 3

# The history kinds of contracts/vintages.py (kept as strings: the generator runs stand-alone).
EXTENDED, VIDEO = "extended", "video"
ACCOUNT_MUSIC, ACCOUNT_PODCAST, ACCOUNT_LEGACY = "account_music", "account_podcast", "account_legacy"

EXTENDED_DIR = "Spotify Extended Streaming History"
ACCOUNT_DIR = "Spotify Account Data"
MYDATA_DIR = "MyData"

ACCOUNT_ROWS_PER_FILE = 10_000


@dataclass(frozen=True)
class Vintage:
    """One export vintage: when it was made, its default history span, field set and layout."""

    name: str
    exported: datetime  # when Spotify built the (extended) package; zip entry times
    start: datetime  # default first day of the generated history
    new_fields: bool  # ip_addr + audiobook_* (Nov 2024+) instead of username/ip_addr_decrypted/user_agent
    extended_dir: str | None  # None: no extended history in this package
    account_dir: str
    legacy_names: bool  # endsong_<n>/endvideo; and account history as StreamingHistory<n>.json


VINTAGES = {
    "modern": Vintage(
        "modern",
        datetime(2025, 1, 6, 9, 14, 52),
        datetime(2022, 10, 1),
        True,
        EXTENDED_DIR,
        ACCOUNT_DIR,
        False,
    ),
    "2023": Vintage(
        "2023",
        datetime(2024, 3, 18, 16, 2, 10),
        datetime(2021, 4, 1),
        False,
        EXTENDED_DIR,
        MYDATA_DIR,
        False,
    ),
    "legacy": Vintage(
        "legacy",
        datetime(2022, 4, 20, 7, 41, 33),
        datetime(2019, 3, 1),
        False,
        MYDATA_DIR,
        MYDATA_DIR,
        True,
    ),
    "account": Vintage(
        "account",
        datetime(2025, 2, 10, 11, 20, 5),
        datetime(2024, 2, 10),
        True,
        None,
        ACCOUNT_DIR,
        False,
    ),
}

NEW_FIELDS = (
    "ts",
    "platform",
    "ms_played",
    "conn_country",
    "ip_addr",
    "master_metadata_track_name",
    "master_metadata_album_artist_name",
    "master_metadata_album_album_name",
    "spotify_track_uri",
    "episode_name",
    "episode_show_name",
    "spotify_episode_uri",
    "audiobook_title",
    "audiobook_uri",
    "audiobook_chapter_uri",
    "audiobook_chapter_title",
    "reason_start",
    "reason_end",
    "shuffle",
    "skipped",
    "offline",
    "offline_timestamp",
    "incognito_mode",
)
OLD_FIELDS = (
    "ts",
    "username",
    "platform",
    "ms_played",
    "conn_country",
    "ip_addr_decrypted",
    "user_agent_decrypted",
    "master_metadata_track_name",
    "master_metadata_album_artist_name",
    "master_metadata_album_album_name",
    "spotify_track_uri",
    "episode_name",
    "episode_show_name",
    "spotify_episode_uri",
    "reason_start",
    "reason_end",
    "shuffle",
    "skipped",
    "offline",
    "offline_timestamp",
    "incognito_mode",
)


def _vintage(name: str) -> Vintage:
    if name not in VINTAGES:
        raise ValueError(f"unknown vintage {name!r}; choose one of {', '.join(VINTAGES)}")
    return VINTAGES[name]
