"""Which files of a Spotify privacy export hold streaming history, and what makes a record valid.

Every vintage (../shared/notes/spotify.md §1):
- extended:        Spotify Extended Streaming History/Streaming_History_Audio_<years>_<n>.json,
                   and the older MyData/endsong_<n>.json
- video:           Streaming_History_Video_*.json, MyData/endvideo*.json (counted, not loaded)
- account_music:   Spotify Account Data/StreamingHistory_music_<n>.json
- account_podcast: Spotify Account Data/StreamingHistory_podcast_<n>.json
- account_audiobook: Spotify Account Data/StreamingHistory_audiobook_<n>.json (2024+): endTime,
                   audiobookName, chapterName, msPlayed (the keys public parsers of these files read)
- account_legacy:  MyData/StreamingHistory<n>.json (music and podcasts mixed; counted as music)
Everything else in the zip (Userdata.json, playlists, PDFs, ...) is ignored.

`record_problem` is the per-record rule: the upload stage applies it in Python, curation
(transform/history.py) in SQL, and tests/transform/test_rule_parity.py keeps the two in step.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime

EXTENDED = "extended"
VIDEO = "video"
ACCOUNT_MUSIC = "account_music"
ACCOUNT_PODCAST = "account_podcast"
ACCOUNT_LEGACY = "account_legacy"
ACCOUNT_AUDIOBOOK = "account_audiobook"
HISTORY_KINDS = (EXTENDED, ACCOUNT_MUSIC, ACCOUNT_PODCAST, ACCOUNT_LEGACY, ACCOUNT_AUDIOBOOK)
ACCOUNT_KINDS = (ACCOUNT_MUSIC, ACCOUNT_PODCAST, ACCOUNT_LEGACY, ACCOUNT_AUDIOBOOK)

# The most one record may take in a history file, as written (whitespace inside it included):
# what curation reads (DuckDB's maximum_object_size, transform/history.py). Spotify's records are
# about 1 KiB and its files about 12 MB, so the upload stage measures records only in bigger files.
MAX_RECORD_BYTES = 16 << 20

_PATTERNS = [
    (VIDEO, re.compile(r"(^|/)Streaming_History_Video_[^/]*\.json$", re.I)),
    (VIDEO, re.compile(r"(^|/)endvideo[^/]*\.json$", re.I)),
    (EXTENDED, re.compile(r"(^|/)Streaming_History_Audio_[^/]*\.json$", re.I)),
    (EXTENDED, re.compile(r"(^|/)endsong(_\d+)?\.json$", re.I)),
    (ACCOUNT_MUSIC, re.compile(r"(^|/)StreamingHistory_music_\d+\.json$", re.I)),
    (ACCOUNT_PODCAST, re.compile(r"(^|/)StreamingHistory_podcast_\d+\.json$", re.I)),
    (ACCOUNT_AUDIOBOOK, re.compile(r"(^|/)StreamingHistory_audiobook_\d+\.json$", re.I)),
    (ACCOUNT_LEGACY, re.compile(r"(^|/)StreamingHistory\d+\.json$", re.I)),
]


def classify_entry(path: str) -> str | None:
    """The history kind of an export file, from its path inside the zip; None for other files."""
    for kind, pattern in _PATTERNS:
        if pattern.search(path):
            return kind
    return None


def sniff_kind(record: Mapping[str, object]) -> str | None:
    """The kind of a lone history file whose name says nothing, from its first record's keys."""
    if "ts" in record and "ms_played" in record:
        return EXTENDED
    if "endTime" in record and "msPlayed" in record:
        if "podcastName" in record or "episodeName" in record:
            return ACCOUNT_PODCAST
        if "audiobookName" in record or "chapterName" in record:
            return ACCOUNT_AUDIOBOOK
        return ACCOUNT_MUSIC
    return None


# ASCII digits only, and fullmatch: `$` alone would accept a trailing newline.
_TS = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z?", re.ASCII)
_END_TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", re.ASCII)


def _bad_time(value: object, pattern: re.Pattern[str], fmt_len: int) -> bool:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        return True
    try:
        datetime.fromisoformat(value[:fmt_len].replace(" ", "T"))
    except ValueError:
        return True
    return False


_MAX_MS = 2**63 - 1  # streams.ms_played is int64


def record_problem(kind: str, record: object) -> str | None:
    """Why a history record cannot be curated, or None if it is a valid stream.

    extended: `ts` is an ISO-8601 UTC time (`2024-05-06T18:43:02Z`) and `ms_played` an integer ≥ 0.
    account:  `endTime` is `YYYY-MM-DD HH:MM` (UTC) and `msPlayed` an integer ≥ 0.
    Booleans are not integers here, though Python says they are.
    """
    if not isinstance(record, dict):
        return "not an object"
    time_key, ms_key = ("ts", "ms_played") if kind in (EXTENDED, VIDEO) else ("endTime", "msPlayed")
    if record.get(time_key) is None:
        return f"missing {time_key}"
    if kind in (EXTENDED, VIDEO):
        if _bad_time(record[time_key], _TS, 19):
            return f"bad {time_key}"
    elif _bad_time(record[time_key], _END_TIME, 16):
        return f"bad {time_key}"
    ms = record.get(ms_key)
    if ms is None:
        return f"missing {ms_key}"
    if isinstance(ms, bool) or not isinstance(ms, int) or not 0 <= ms <= _MAX_MS:
        return f"bad {ms_key}"
    return None
