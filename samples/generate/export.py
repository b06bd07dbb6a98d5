"""Writing whole exports: the zip entries and their names, rows split into files, what each export holds."""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from samples.generate.account_files import (
    _favourites,
    _identity,
    _playlists,
    _search_queries,
    _userdata,
    _your_library,
)
from samples.generate.clock import DAY_MS, _ms
from samples.generate.encoding import ACCOUNT_KV, _json_doc, json_array, tiny_pdf
from samples.generate.listening import _Listener, _listener, _span
from samples.generate.records import account_records, video_records
from samples.generate.vintages import (
    ACCOUNT_DIR,
    ACCOUNT_LEGACY,
    ACCOUNT_MUSIC,
    ACCOUNT_PODCAST,
    ACCOUNT_ROWS_PER_FILE,
    EXTENDED,
    MYDATA_DIR,
    SAMPLE_FILES,
    SAMPLE_PATH,
    SAMPLE_SEED,
    SAMPLE_STREAMS,
    VIDEO,
    Vintage,
    _vintage,
)
from samples.generate.zipwriter import _ZipWriter


@dataclass
class ExportStats:
    """What a generated export holds."""

    path: str
    vintage: str
    streams: int = 0  # distinct extended audio plays
    extended_rows: int = 0  # rows in the audio files: streams + duplicate_rows + bad_rows
    duplicate_rows: int = 0  # exact copies repeated across two files
    bad_rows: int = 0  # deliberately invalid rows (bad_rows option)
    video_rows: int = 0
    account_music_rows: int = 0
    account_podcast_rows: int = 0
    account_extra_rows: int = 0  # account rows with no extended counterpart
    entries: dict[str, str | None] = field(default_factory=dict)  # zip entry → history kind (None: other)
    rows: dict[str, int] = field(default_factory=dict)  # history entry → rows
    first_ts: str | None = None
    last_ts: str | None = None
    size_bytes: int = 0


def _years(records: Sequence[dict]) -> str:
    years = sorted({r["ts"][:4] for r in records if isinstance(r.get("ts"), str) and r["ts"][:4].isdigit()})
    if not years:
        return "0000"
    return years[0] if years[0] == years[-1] else f"{years[0]}-{years[-1]}"


def _audio_name(v: Vintage, index: int, records: Sequence[dict]) -> str:
    if v.legacy_names:
        return f"{v.extended_dir}/endsong_{index}.json"
    return f"{v.extended_dir}/Streaming_History_Audio_{_years(records)}_{index}.json"


def _video_name(v: Vintage, records: Sequence[dict]) -> str:
    if v.legacy_names:
        return f"{v.extended_dir}/endvideo.json"
    return f"{v.extended_dir}/Streaming_History_Video_{_years(records)}.json"


def _readme_name(v: Vintage) -> str:
    if v.legacy_names:
        return f"{v.extended_dir}/Read_Me_First.pdf"
    return f"{v.extended_dir}/ReadMeFirst_ExtendedStreamingHistory.pdf"


def _overlap(rng: random.Random) -> int:
    return rng.randint(2, 4)


def _split(records: list[dict], files: int, rng: random.Random) -> tuple[list[list[dict]], int]:
    """Chronological chunks; each chunk after the first starts with the previous one's last rows."""
    files = max(1, min(files, len(records)))
    bounds = [round(i * len(records) / files) for i in range(files + 1)]
    plain = [records[bounds[i] : bounds[i + 1]] for i in range(files)]
    chunks, duplicates = [plain[0]], 0
    for previous, chunk in itertools.pairwise(plain):
        tail = previous[-min(_overlap(rng), len(previous)) :]
        chunks.append(tail + chunk)
        duplicates += len(tail)
    return chunks, duplicates


def _bad_row(record: dict, index: int) -> dict:
    bad = dict(record)
    variant = index % 5
    if variant == 0:
        bad["ts"] = "2021-02-30T25:61:00Z"
    elif variant == 1:
        bad["ms_played"] = -1200
    elif variant == 2:
        bad["ms_played"] = str(bad["ms_played"])
    elif variant == 3:
        del bad["ts"]
    else:
        bad["ms_played"] = True
    return bad


def _default_files(streams: int) -> int:
    return 1 if streams < 300 else max(SAMPLE_FILES, math.ceil(streams / 15_000))


def write_export_zip(
    path: str | Path = SAMPLE_PATH,
    streams: int = SAMPLE_STREAMS,
    *,
    seed: int = SAMPLE_SEED,
    vintage: str = "modern",
    files: int | None = None,
    include_account_data: bool = True,
    compress: bool = True,
    bad_rows: int = 0,
    start: datetime | None = None,
) -> ExportStats:
    """Write one synthetic export zip (held in memory while built; use for ≤ ~100 000 streams).

    `streams` distinct plays go to `files` audio files (vintage `account`: the plays behind the
    account-data history). With `include_account_data`, the account-data package of the last
    year is added (for extended vintages: built 4 days after the extended one). `bad_rows`
    invalid rows are mixed into the first audio file.
    """
    v = _vintage(vintage)
    path = Path(path)
    stats = ExportStats(str(path), v.name)
    span = _span(v, start)
    listener = _listener(seed, v, streams, span)
    records = list(listener.plays(streams, *span, random.Random(f"{seed}:extended")))
    stats.streams = len(records)
    if records:
        stats.first_ts, stats.last_ts = records[0]["ts"], records[-1]["ts"]
    writer = _ZipWriter(path, compress)
    try:
        if v.extended_dir is not None:
            _write_extended(writer, stats, v, seed, records, files or _default_files(streams), bad_rows)
        if include_account_data or v.extended_dir is None:
            _write_account(writer, stats, v, seed, listener, records)
    finally:
        writer.close()
    stats.size_bytes = path.stat().st_size
    return stats


def _write_extended(
    writer: _ZipWriter,
    stats: ExportStats,
    v: Vintage,
    seed: int,
    records: list[dict],
    files: int,
    bad_rows: int,
) -> None:
    rng = random.Random(f"{seed}:files")
    chunks, stats.duplicate_rows = _split(records, files, rng) if records else ([[]], 0)
    if bad_rows:
        head = chunks[0]
        for i in range(bad_rows):
            position = (i + 1) * len(head) // (bad_rows + 1)
            head.insert(position, _bad_row(head[min(position, len(head) - 1)] if head else {}, i))
        stats.bad_rows = bad_rows
    for index, chunk in enumerate(chunks):
        name = _audio_name(v, index, chunk)
        writer.add(name, json_array(chunk).encode(), v.exported)
        stats.entries[name], stats.rows[name] = EXTENDED, len(chunk)
        stats.extended_rows += len(chunk)
    video = video_records(max(3, stats.streams // 400), seed, v.name)
    name = _video_name(v, video)
    writer.add(name, json_array(video).encode(), v.exported)
    stats.entries[name], stats.rows[name], stats.video_rows = VIDEO, len(video), len(video)
    name = _readme_name(v)
    writer.add(name, tiny_pdf("Extended streaming history - read me first"), v.exported)
    stats.entries[name] = None


def _write_account(
    writer: _ZipWriter, stats: ExportStats, v: Vintage, seed: int, listener: _Listener, records: list[dict]
) -> None:
    if v.extended_dir is None:  # an account-only package: its history is all of the plays
        exported = v.exported
        history = account_records(records, seed, keep=1.0)
        extra = 0
    else:
        exported = v.exported + timedelta(days=4)
        last = _ms(v.exported) - 2 * DAY_MS
        per_day = len(records) / max(1, (last - listener.span[0]) / DAY_MS)
        later = list(
            listener.plays(
                max(3, round(per_day * 3)), last, _ms(exported) - DAY_MS, random.Random(f"{seed}:later")
            )
        )
        since = (exported - timedelta(days=365)).strftime("%Y-%m-%dT%H:%M:%SZ")
        history = account_records(records, seed, since=since, extra=later)
        extra = sum(1 for r in later if r["master_metadata_track_name"] or r["episode_name"])
    folder = v.account_dir
    stats.account_extra_rows = extra
    stats.account_music_rows = len(history["music"])
    stats.account_podcast_rows = len(history["podcast"])
    if v.legacy_names or folder == MYDATA_DIR:
        mixed = history["music"] + [
            {
                "endTime": p["endTime"],
                "artistName": p["podcastName"],
                "trackName": p["episodeName"],
                "msPlayed": p["msPlayed"],
            }
            for p in history["podcast"]
        ]
        mixed.sort(key=lambda r: r["endTime"])
        parts = [("StreamingHistory{}.json", ACCOUNT_LEGACY, mixed)]
    else:
        parts = [
            ("StreamingHistory_music_{}.json", ACCOUNT_MUSIC, history["music"]),
            ("StreamingHistory_podcast_{}.json", ACCOUNT_PODCAST, history["podcast"]),
        ]
    for pattern, kind, rows in parts:
        for index in range(max(1, math.ceil(len(rows) / ACCOUNT_ROWS_PER_FILE))):
            chunk = rows[index * ACCOUNT_ROWS_PER_FILE : (index + 1) * ACCOUNT_ROWS_PER_FILE]
            name = f"{folder}/{pattern.format(index)}"
            writer.add(name, json_array(chunk, ACCOUNT_KV).encode(), exported)
            stats.entries[name], stats.rows[name] = kind, len(chunk)
    rng = random.Random(f"{seed}:account-files")
    favourites = _favourites(r for r in records if r["ts"] >= (exported - timedelta(days=730)).isoformat())
    others: list[tuple[str, bytes]] = [("Userdata.json", _json_doc(_userdata(listener.persona), ACCOUNT_KV))]
    if folder == ACCOUNT_DIR:
        others.append(("Identity.json", _json_doc(_identity(listener.persona), ACCOUNT_KV)))
    others += [
        ("Playlist1.json", _json_doc(_playlists(rng, favourites, listener.library, exported), ACCOUNT_KV)),
        ("YourLibrary.json", _json_doc(_your_library(favourites, listener.persona), ACCOUNT_KV)),
        (
            "SearchQueries.json",
            _json_doc(
                _search_queries(rng, listener.library, exported - timedelta(days=365), exported), ACCOUNT_KV
            ),
        ),
        ("Read_Me_First.pdf", tiny_pdf("Account data - read me first")),
    ]
    for name, data in others:
        entry = f"{folder}/{name}"
        if entry not in stats.entries:  # legacy: MyData/Read_Me_First.pdf serves both packages
            writer.add(entry, data, exported)
            stats.entries[entry] = None


def write_large_extended_zip(
    path: str | Path,
    streams: int,
    per_file: int = 25_000,
    *,
    seed: int = SAMPLE_SEED,
    vintage: str = "modern",
    compress: bool = True,
    start: datetime | None = None,
) -> ExportStats:
    """An extended-history-only export of `streams` plays, written file by file (benchmarks).

    Holds at most one file's records in memory, so memory stays flat for any size. The history
    spans 2 to 12 years ending at the vintage's export date (about 60 plays a day).
    """
    v = _vintage(vintage)
    if v.extended_dir is None:
        raise ValueError("vintage 'account' has no extended history")
    path = Path(path)
    end = _ms(v.exported) - 2 * DAY_MS
    days = min(max(streams / 60, 730), 4380)
    span = (_ms(start) if start else end - int(days) * DAY_MS, end)
    listener = _listener(seed, v, streams, span)
    stats = ExportStats(str(path), v.name)
    rng = random.Random(f"{seed}:files")
    writer = _ZipWriter(path, compress)

    def flush(rows: list[dict], index: int) -> None:
        name = _audio_name(v, index, rows)
        step = 2000  # encode and compress in slices, not one ~20 MB string per file
        pieces = (
            ("[\n" if i == 0 else ",\n") + json_array(rows[i : i + step])[2:-2]
            for i in range(0, len(rows), step)
        )
        writer.add_text_chunks(name, itertools.chain(pieces, ["\n]"]) if rows else ["[]"], v.exported)
        stats.entries[name], stats.rows[name] = EXTENDED, len(rows)
        stats.extended_rows += len(rows)

    try:
        chunk: list[dict] = []
        tail: list[dict] = []
        index = 0
        for record in listener.plays(streams, *span, random.Random(f"{seed}:extended")):
            if stats.first_ts is None:
                stats.first_ts = record["ts"]
            stats.last_ts = record["ts"]
            chunk.append(record)
            if len(chunk) == per_file:
                flush(tail + chunk, index)
                stats.duplicate_rows += len(tail)
                tail, chunk, index = chunk[-_overlap(rng) :], [], index + 1
        if chunk:
            flush(tail + chunk, index)
            stats.duplicate_rows += len(tail)
        stats.streams = streams
        video = video_records(max(3, streams // 400), seed, v.name)
        name = _video_name(v, video)
        writer.add(name, json_array(video).encode(), v.exported)
        stats.entries[name], stats.rows[name], stats.video_rows = VIDEO, len(video), len(video)
        name = _readme_name(v)
        writer.add(name, tiny_pdf("Extended streaming history - read me first"), v.exported)
        stats.entries[name] = None
    finally:
        writer.close()
    stats.size_bytes = path.stat().st_size
    return stats


def write_sample(path: str | Path = SAMPLE_PATH) -> ExportStats:
    """The bundled sample: one upload holding a modern extended export and the account data."""
    return write_export_zip(path, SAMPLE_STREAMS, seed=SAMPLE_SEED, vintage="modern", files=SAMPLE_FILES)
