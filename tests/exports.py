"""A small, hand-computable privacy export for chain tests (synthetic; documentation-range IPs)."""

from __future__ import annotations

import io
import json
import zipfile

EXT = "Spotify Extended Streaming History"
ACC = "Spotify Account Data"


def ext(ts, artist, track, ms, uri, **extra):
    record = {
        "ts": ts,
        "platform": "android",
        "ms_played": ms,
        "conn_country": "DE",
        "ip_addr": "203.0.113.9",
        "master_metadata_track_name": track,
        "master_metadata_album_artist_name": artist,
        "master_metadata_album_album_name": f"{artist} LP",
        "spotify_track_uri": uri and f"spotify:track:{uri}",
        "episode_name": None,
        "episode_show_name": None,
        "spotify_episode_uri": None,
        "reason_start": "trackdone",
        "reason_end": "trackdone",
        "shuffle": False,
        "skipped": False,
        "offline": False,
        "offline_timestamp": 1704103200,
        "incognito_mode": False,
    }
    record.update(extra)
    return record


NIGHT_DRIVE = ext("2024-01-01T10:00:05Z", "Aurora Lane", "Night Drive", 200_000, "4uLU6hMCjMI75M1A2tKUQC")
SKIP = ext("2024-01-02T08:00:00Z", "Aurora Lane", "Night Drive", 10_000, "4uLU6hMCjMI75M1A2tKUQC")
LOW_TIDE = ext("2024-02-01T21:30:00Z", "Basement Choir", "Low Tide", 100_000, "7ouMYWpwJ422jRcDASZB7P")
EPISODE = ext(
    "2024-02-02T07:00:00Z",
    None,
    None,
    1_500_000,
    None,
    episode_name="Ep. 12",
    episode_show_name="Slow News",
    spotify_episode_uri="spotify:episode:5Xt5DXGzch68nYYamXrNxZ",
)
NO_TS = {key: value for key, value in LOW_TIDE.items() if key != "ts"}

FILE_0 = [NIGHT_DRIVE, SKIP, NO_TS]
FILE_1 = [NIGHT_DRIVE, LOW_TIDE, EPISODE]  # NIGHT_DRIVE again: Spotify's overlap between files
ACCOUNT = [
    {
        "endTime": "2024-01-01 10:00",
        "artistName": "Aurora Lane",
        "trackName": "Night Drive",
        "msPlayed": 200_000,
    },
    {"endTime": "2023-12-31 23:59", "artistName": "Cold Harbour", "trackName": "Static", "msPlayed": 60_000},
]

# What ingesting small_export() must give (music only, all dates):
EXPECTED = {
    "files": 3,
    "streams_accepted": 5,  # Night Drive, skip, Low Tide, the episode, Static
    "music_accepted": 4,
    "podcast_accepted": 1,
    "duplicates_skipped": 1,  # Night Drive in file 1
    "in_extended_history": 1,  # Night Drive's account-data row
    "records_set_aside": 1,  # the record without ts
    "streams": 4,
    "plays": 3,
    "minutes": 6.2,  # (200 000 + 10 000 + 100 000 + 60 000) / 60 000 = 6.17
    "top_artists": [
        {"artist": "Aurora Lane", "ms_played": 210_000},
        {"artist": "Basement Choir", "ms_played": 100_000},
        {"artist": "Cold Harbour", "ms_played": 60_000},
    ],
}


def small_export(extra_files: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{EXT}/Streaming_History_Audio_2023-2024_0.json", json.dumps(FILE_0, indent=2))
        archive.writestr(f"{EXT}/Streaming_History_Audio_2024_1.json", json.dumps(FILE_1, indent=2))
        archive.writestr(f"{EXT}/Streaming_History_Video_2024.json", "[]")
        archive.writestr(f"{EXT}/ReadMeFirst_ExtendedStreamingHistory.pdf", b"%PDF-1.4\n%%EOF\n")
        archive.writestr(f"{ACC}/StreamingHistory_music_0.json", json.dumps(ACCOUNT, indent=2))
        archive.writestr(f"{ACC}/Userdata.json", json.dumps({"username": "fictional-user"}))
        for name, data in (extra_files or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()
