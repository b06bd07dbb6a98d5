"""upload/{name} → raw/exports/...: validate a privacy-export upload, then land its history files unchanged.

An upload is a Spotify privacy-export zip (any vintage, ../shared/notes/spotify.md §1) or one
streaming-history JSON file. Everything is checked before anything in raw/ becomes visible, because
each raw blob fires curation when it appears: history files are staged (invisible) as they are
checked and committed only once all have passed. A refused upload lands nothing: its staged blobs
are aborted, it is copied to quarantine/<upload-id>/ with reason.json, and `UploadRefused` is raised.

Landed layout (contracts.layout): raw/exports/<user>/<upload-id>/<kind>/<entry path inside the zip>,
and the manifest state/uploads/<user>/<upload-id>.json. The upload id is the content hash, so the
same export uploaded twice, under any name, lands once. An upload of more history files than any
export Spotify makes lands its small ones together, unchanged, in bundles (extract/export/bundles.py):
one blob, one curation and one load per thousand files instead of one each.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import operator
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import chain, repeat
from pathlib import Path
from typing import BinaryIO

import orjson
import simdjson

from contracts.layout import (
    QUARANTINE_CONTAINER,
    RAW_CONTAINER,
    STATE_CONTAINER,
    UPLOAD_CONTAINER,
    USER_LABEL,
    ChartFile,
    ExportBundle,
    ExportFile,
    UploadName,
    manifest_path,
    original_filename,
    quarantine_paths,
)
from contracts.text import one_line
from contracts.vintages import (
    HISTORY_KINDS,
    MAX_RECORD_BYTES,
    VIDEO,
    classify_entry,
    record_problem,
    sniff_kind,
)
from extract import charts
from extract.export import zipguard
from extract.export.bundles import BundleWriter, Sink, plan_bundles
from extract.export.errors import UploadRefused
from settings import Settings
from storage.lake import Lake, StagedBlob, iter_chunks

logger = logging.getLogger(__name__)

_WHITESPACE = b" \t\r\n"
_BOM = b"\xef\xbb\xbf"  # a UTF-8 byte-order mark, which some editors write and curation skips
SYMLINK = "symlink"
NO_HISTORY = (
    "no streaming history in this upload (expected Streaming_History_Audio_*.json, endsong_*.json "
    "or StreamingHistory*.json) — an Account-data-only or Technical-log package has none"
)


@dataclass(frozen=True)
class UploadResult:
    upload_id: str  # content hash (sha256 hex, first 16 chars) of the upload bytes
    user: str  # user label
    raw_paths: tuple[str, ...]  # paths inside the raw container that hold this upload's history files
    history_files: int  # history files landed
    skipped: dict[str, int]  # {"video": n, "symlink": s, "other": m}: entries counted but not landed
    already_ingested: bool  # True when this exact content was accepted before (nothing written)
    chart_parts: int = 0  # parts of public chart files landed (raw/charts/...), when the upload held charts


@dataclass(frozen=True)
class HistoryFile:
    path: str  # the zip entry's name with `/` separators (or the lone file's name): the raw path's tail
    kind: str | None  # None only while a lone file's kind is not known yet (see check_history)
    bundle: int | None = None  # the number of the bundle of its kind it lands in (plan_bundles), or alone


@dataclass(frozen=True)
class Landing:
    """What a valid upload lands: the decision, made before anything is made visible."""

    files: tuple[HistoryFile, ...]
    skipped: dict[str, int]


def accept_upload(
    lake: Lake,
    name: str,
    settings: Settings | None = None,
    progress: Callable[[str], None] | None = None,
    upload_id: str | None = None,
) -> UploadResult:
    """Validate upload/{name} and land its history files in raw/, or quarantine it and raise.

    `name` is the blob path inside the upload container ("alice/my_spotify_data.zip"), as the
    trigger reports it. The user label is the first path segment, or "me". `settings` give the
    limits (zipguard.Limits.from_settings; the defaults without).
    Raises `UploadRefused(reason, upload_id)` for a bad upload; storage errors propagate.
    `upload_id`: `content_id` of exactly the blob's bytes, when the caller hashed them as it wrote
    the blob (the CLI does): a 3.4 GB chart file is then read three times, not four. Else the
    blob is hashed here, as the trigger does.

    One pass: each history file is decompressed once, streamed into a staged (invisible) raw blob
    and checked. Only when every file has passed are the staged blobs committed (each commit fires
    curation), then the manifest is written, last. A refusal aborts every staged blob before the
    quarantine copy is made. A crash before the commits leaves only invisible staged data, and a
    crash during them leaves some raw blobs but no manifest: either way the retry redoes the whole
    upload, overwriting the same paths with the same bytes.
    """
    path, user, blob_filename = parse_upload_name(name)
    limits = zipguard.Limits.from_settings(settings or Settings())
    with lake.open_read(UPLOAD_CONTAINER, path) as stream:
        upload_id = upload_id or content_id(stream)
        filename = original_filename(blob_filename, upload_id)  # what its owner called it
        try:
            if not USER_LABEL.fullmatch(user):
                raise UploadRefused(
                    f"user label {user!r} is not valid: use 1-64 letters, digits, '.', '_' or '-', "
                    "starting with a letter or digit"
                )
            manifest = _read_manifest(lake, user, upload_id)
            if manifest is not None:
                logger.info(
                    "upload %s already ingested: %d history files", upload_id, len(manifest.raw_paths)
                )
                return manifest
            # Leaving this block aborts every staged blob not committed: a refusal lands nothing.
            with contextlib.ExitStack() as staging:
                staged: list[StagedBlob] = []
                bundles: dict[str, BundleWriter] = {}  # raw path -> the bundle being written there

                def stage_at(path: str) -> StagedBlob:
                    blob = staging.enter_context(lake.stage(RAW_CONTAINER, path))
                    staged.append(blob)
                    return blob

                say = progress or (lambda _line: None)

                def stage_chart(part: str) -> StagedBlob:
                    say(f"checking and landing chart part {len(staged) + 1}")
                    return stage_at(ChartFile(upload_id, part).raw_path)

                checked = 0

                def stage_history(file: HistoryFile) -> Sink:
                    nonlocal checked
                    checked += 1
                    say(f"checking {file.path.rsplit('/', 1)[-1]} ({checked})")
                    path = _raw_path(user, upload_id, file)
                    if file.bundle is None:
                        return stage_at(path)
                    if path not in bundles:
                        bundles[path] = BundleWriter(stage_at(path))
                        staging.callback(bundles[path].close)  # runs before its blob's abort
                    return bundles[path].member(file.path)

                chart_names = _land_charts(stream, filename, limits, stage_chart)
                if chart_names is None:
                    landing = inspect_upload(stream, filename, limits, stage=stage_history)
                    raw_paths = tuple(dict.fromkeys(_raw_path(user, upload_id, f) for f in landing.files))
                else:
                    landing = Landing(files=(), skipped=_nothing_skipped())
                    raw_paths = tuple(ChartFile(upload_id, n).raw_path for n in chart_names)
                for bundle in bundles.values():
                    bundle.close()
                for blob in staged:
                    blob.commit()
                in_bundles = f" ({len(bundles)} of them bundles of small files)" if bundles else ""
                say(f"landed {len(staged)} files in raw/{in_bundles}")
        except UploadRefused as refused:
            _quarantine(lake, stream, upload_id, name, blob_filename, refused.reason)
            logger.warning("upload %s refused: %s", upload_id, refused.reason)
            raise UploadRefused(refused.reason, upload_id) from None
    result = UploadResult(
        upload_id=upload_id,
        user=user,
        raw_paths=raw_paths,
        history_files=len(landing.files),
        skipped=landing.skipped,
        already_ingested=False,
        chart_parts=0 if chart_names is None else len(chart_names),
    )
    _write_manifest(lake, result, path)
    logger.info(
        "upload %s accepted: %d history files and %d chart parts landed, "
        "%d video files, %d symlinks and %d other files skipped",
        upload_id,
        result.history_files,
        result.chart_parts,
        landing.skipped[VIDEO],
        landing.skipped[SYMLINK],
        landing.skipped["other"],
    )
    return result


def _nothing_skipped() -> dict[str, int]:
    """UploadResult.skipped before counting: every key, so readers never guess which are there."""
    return {VIDEO: 0, SYMLINK: 0, "other": 0}


def parse_upload_name(name: str) -> tuple[str, str, str]:
    """(path inside the upload container, user label, file name) of an upload blob name."""
    try:
        upload = UploadName.parse(name)
    except ValueError as error:
        raise UploadRefused(str(error)) from None
    return upload.path, upload.user, upload.filename


def content_id(stream: BinaryIO) -> str:
    """sha256 of the whole stream (hex, first 16 chars); leaves the stream at the start."""
    stream.seek(0)
    digest = hashlib.sha256()
    for chunk in iter_chunks(stream):
        digest.update(chunk)
    stream.seek(0)
    return digest.hexdigest()[:16]


def inspect_upload(
    stream: BinaryIO,
    filename: str,
    limits: zipguard.Limits | None = None,
    stage: Callable[[HistoryFile], Sink] | None = None,
) -> Landing:
    """Check the whole upload and decide what to land; raises `UploadRefused` (without an id).

    With `stage`, each history file's bytes are also written, as they are decompressed, to the
    staged blob (or bundle member) `stage(file)` returns; the caller commits or aborts those.
    Without it, nothing is written anywhere.
    """
    limits = limits or zipguard.Limits()
    # One parser for the whole upload: its buffers (~3x the largest file) are reused from file to
    # file, which halves the check's cost, and freed with the upload rather than kept resident.
    reader = _HistoryReader(simdjson.Parser(), stage, limits.total_bytes)
    stream.seek(0)
    head = stream.read(4)
    stream.seek(0)
    if head.startswith(b"PK"):
        return _inspect_zip(stream, limits, reader)
    if _first_byte(stream) == b"[":
        return _inspect_json(stream, filename, limits, reader)
    if zipfile.is_zipfile(stream):  # a zip with something prepended (self-extracting archives)
        stream.seek(0)
        return _inspect_zip(stream, limits, reader)
    raise UploadRefused("not a zip file or a streaming-history JSON file")


def _first_byte(stream: BinaryIO) -> bytes:
    """The first byte of the stream after a byte-order mark and whitespace (b"" if none); leaves
    the stream at the start. JSON parsers (simdjson, DuckDB) skip a leading UTF-8 BOM too."""
    try:
        chunk = stream.read(64 << 10).removeprefix(_BOM)
        while chunk:
            stripped = chunk.lstrip(_WHITESPACE)
            if stripped:
                return stripped[:1]
            chunk = stream.read(64 << 10)
        return b""
    finally:
        stream.seek(0)


class _HistoryReader:
    """Reads one upload's history files, one at a time, into one reused buffer while copying each chunk
    to the file's staged blob, and checks each with `check_history`."""

    def __init__(
        self, parser: simdjson.Parser, stage: Callable[[HistoryFile], Sink] | None, total_limit: int
    ):
        self.parser = parser
        self.stage = stage
        self.total_limit = total_limit
        self.total = 0
        self.buffer = bytearray()  # grows to the largest file; bytes past the current file's are stale

    def check(
        self, chunks: Iterable[bytes], path: str, kind: str | None, bundle: int | None = None
    ) -> tuple[HistoryFile, bool]:
        """(what to land, has at least one valid stream) for one history file; see `check_history`."""
        sink = (
            self.stage(HistoryFile(path, kind, bundle))
            if self.stage is not None and kind is not None
            else None
        )
        buffer = self.buffer
        size = 0
        for chunk in chunks:
            end = size + len(chunk)
            buffer[size:end] = chunk  # grows the buffer when `end` is past its end
            size = end
            if sink is not None:
                sink.write(chunk)
            if self.total + size > self.total_limit:
                raise UploadRefused(
                    f"history files add up to more than {zipguard.describe_bytes(self.total_limit)} "
                    "uncompressed, over the limit (the EXPORT_MAX_UNCOMPRESSED_MB setting)"
                )
        self.total += size
        with memoryview(buffer)[:size] as data:
            parser = self.parser
            kind, has_valid = check_history(data, path, kind, parser)
            file = HistoryFile(path, kind, bundle)
            if sink is None and self.stage is not None:
                # A lone file whose name says nothing: its first record gave the kind, part of the raw path.
                sink = self.stage(file)
                sink.write(data)
        if sink is not None:
            sink.flush()
        return file, has_valid


def _inspect_zip(stream: BinaryIO, limits: zipguard.Limits, reader: _HistoryReader) -> Landing:
    archive = zipguard.open_archive(stream)
    with archive:
        infos = archive.infolist()
        if len(infos) > limits.entries:
            raise UploadRefused(f"zip has {len(infos)} entries, more than the {limits.entries} allowed")
        skipped = _nothing_skipped()
        history: list[tuple[zipfile.ZipInfo, str, str]] = []
        seen: set[str] = set()
        # Every header first: a bad name or size anywhere refuses the upload before any decompression.
        for info in infos:
            zipguard.check_header(info, limits)
            if info.is_dir():
                continue
            if zipguard.is_symlink(info):  # its data names a file on the zip's machine: never followed
                skipped[SYMLINK] += 1
                continue
            path = zipguard.entry_path(info.filename)
            kind = classify_entry(path)
            if kind is None:
                skipped["other"] += 1
                continue
            if kind == VIDEO:
                skipped[VIDEO] += 1
                continue
            if any(part in ("", ".") for part in path.split("/")):
                raise UploadRefused(f"{path}: malformed zip entry path")
            if path in seen:
                raise UploadRefused(f"{path}: appears twice in the zip")
            seen.add(path)
            history.append((info, path, kind))
        if not history:
            raise UploadRefused(NO_HISTORY)
        files = []
        any_valid = False
        plan = plan_bundles((kind, info.file_size) for info, _path, kind in history)
        for (info, path, kind), bundle in zip(history, plan, strict=True):
            chunks = zipguard.entry_chunks(archive, info, limits)
            file, has_valid = reader.check(chunks, path, kind, bundle)
            files.append(file)
            any_valid = any_valid or has_valid
    if not any_valid:
        raise UploadRefused("no valid stream in this upload")
    return Landing(files=tuple(files), skipped=skipped)


def _inspect_json(
    stream: BinaryIO, filename: str, limits: zipguard.Limits, reader: _HistoryReader
) -> Landing:
    kind = classify_entry(filename)
    if kind == VIDEO:
        raise UploadRefused(NO_HISTORY)
    chunks = zipguard.bounded_chunks(stream, filename, limits)
    file, has_valid = reader.check(chunks, filename, kind)
    if not has_valid:
        raise UploadRefused("no valid stream in this upload")
    return Landing(files=(file,), skipped=_nothing_skipped())


def check_history(
    data: bytes | bytearray | memoryview, entry: str, kind: str | None, parser: simdjson.Parser | None = None
) -> tuple[str, bool]:
    """Check one history file: a JSON array of objects. Returns (kind, has at least one valid stream).

    `kind` None means "unknown yet": it is sniffed from the first record. Records are checked with
    `record_problem` only until one valid stream is found (curation counts the rest); the
    array-of-objects check covers every element. `parser` may be reused from file to file, as long
    as nothing from its last document is still held.
    """
    parser = parser or simdjson.Parser()
    try:
        document = parser.parse(data)
    except ValueError as error:  # simdjson: malformed JSON; UnicodeDecodeError (a ValueError) for bad UTF-8
        raise UploadRefused(f"{entry}: invalid JSON ({one_line(error)})") from None
    except RuntimeError as error:  # simdjson: valid JSON past its limits, or a fault of its own
        beyond = _PARSER_LIMITS.get(str(error).partition(":")[0])
        if beyond is None:
            raise
        raise UploadRefused(f"{entry}: not streaming history ({beyond})") from None
    if not isinstance(document, simdjson.Array):
        raise UploadRefused(f"{entry}: not a JSON array of objects")
    elements = iter(document)
    has_valid = False
    not_objects = False
    for element in elements:  # Python-level checks, only until the first valid stream
        if not isinstance(element, simdjson.Object):
            not_objects = True
            break
        record = element.as_dict()
        if kind is None:
            kind = sniff_kind(record)
            if kind is None:
                raise UploadRefused(f"{entry}: not Spotify streaming history (unrecognised record fields)")
        if record_problem(kind, record) is None:
            has_valid = True
            break
    if has_valid:  # the rest needs only the type check, run by all(map(...)) with no Python step each
        not_objects = not all(map(isinstance, elements, repeat(simdjson.Object)))
    if not_objects:
        index = next(i for i, item in enumerate(document) if not isinstance(item, simdjson.Object))
        raise UploadRefused(f"{entry}: not a JSON array of objects (item {index} is not an object)")
    if len(data) > MAX_RECORD_BYTES:  # a smaller file cannot hold a record this large
        index, size = _largest_record(data, len(document))
        if size > MAX_RECORD_BYTES:
            # Refused, not set aside: curation could not read the file past it, and no export
            # Spotify makes holds one (its records are about 1 KiB); the file is damaged or not
            # Spotify's, and a person would rather hear so than find records silently missing.
            raise UploadRefused(
                f"{entry}: record {index} is {size} bytes, over the "
                f"{zipguard.describe_bytes(MAX_RECORD_BYTES)} one history record may take"
            )
    if kind is None:
        raise UploadRefused(f"{entry}: empty, and its name does not say what history it holds")
    return kind, has_valid


# What simdjson raises RuntimeError for (every other fault of a document is a ValueError) that is
# the document's: valid JSON, but nothing any streaming history holds.
_PARSER_LIMITS = {
    "BIGINT_ERROR": "it holds an integer too large for 64 bits",
    "DEPTH_ERROR": "it nests arrays or objects too deeply",
}

# Between two records of an array of objects: `}`, `,`, `{` and whitespace. Bytes inside a string
# or a record may match too, so there are never fewer matches than gaps; when there are more,
# _record_spans finds the records by bracket depth instead.
_BETWEEN_RECORDS = re.compile(rb"\}[ \t\r\n]*,[ \t\r\n]*\{")
_ARRAY_OPEN = re.compile(rb"(?:\xef\xbb\xbf)?[ \t\r\n]*\[[ \t\r\n]*")  # up to the first record
_ARRAY_CLOSE = re.compile(rb"\}[ \t\r\n]*\][ \t\r\n]*\Z")  # from the last record's `}`
# Everything up to the next bracket outside a string, whole strings included (possessive: no
# backtracking state however long the run).
_UP_TO_BRACKET = re.compile(rb'(?:[^"{}\[\]]++|"[^"\\]*+(?:\\.[^"\\]*+)*+")*+')
_OPEN, _CLOSE = frozenset(b"{["), frozenset(b"}]")


def _largest_record(data: bytes | bytearray | memoryview, count: int) -> tuple[int, int]:
    """(index, size in bytes) of the largest record of `data`, a valid JSON array of `count` objects.

    A record's size is its bytes in the file, `{` to `}` with the whitespace inside: what DuckDB
    holds against maximum_object_size. One regex pass and a few list operations in C when the gaps
    between records are all the pattern finds, as in every file Spotify writes.
    """
    if count == 0:
        return 0, 0
    # [start, end, start, end, ...] of every match: a gap runs from one record's `}` to the next `{`.
    flat = list(chain.from_iterable(map(re.Match.span, _BETWEEN_RECORDS.finditer(data))))
    if len(flat) != 2 * (count - 1):  # some matches are inside records
        starts, ends = _record_spans(data)
        sizes = list(map(operator.sub, ends, starts))
        largest = max(sizes)
        return sizes.index(largest), largest
    opening = _ARRAY_OPEN.match(data)
    closing = _ARRAY_CLOSE.search(data, flat[-1] - 1 if flat else 0)
    if opening is None or closing is None:
        raise AssertionError("a valid JSON array of objects that does not open with [ or close with } ]")
    # Record i ends at gap i's start + 1 and starts at gap i - 1's end - 1: its size is
    # gap_start[i] - gap_end[i - 1] + 2; the first starts at the opening's end, the last ends after
    # the closing's `}`.
    gap_starts = [*flat[0::2], closing.start()]
    gap_ends = [opening.end() + 1, *flat[1::2]]
    sizes = list(map(operator.sub, gap_starts, gap_ends))
    largest = max(sizes)
    return sizes.index(largest), largest + 2


def _record_spans(data: bytes | bytearray | memoryview) -> tuple[list[int], list[int]]:
    """Where each element of a valid JSON array starts and ends, by bracket depth: one Python step
    per bracket outside strings (two per record in a file of flat records), strings skipped."""
    starts: list[int] = []
    ends: list[int] = []
    depth = 0
    position = 0
    while (position := _skip_to_bracket(data, position)) < len(data):
        if data[position] in _OPEN:
            depth += 1
            if depth == 2:
                starts.append(position)
        elif data[position] in _CLOSE:
            if depth == 2:
                ends.append(position + 1)
            depth -= 1
        position += 1
    return starts, ends


def _skip_to_bracket(data: bytes | bytearray | memoryview, position: int) -> int:
    run = _UP_TO_BRACKET.match(data, position)
    return position if run is None else run.end()


def _land_charts(
    stream: BinaryIO, filename: str, limits: zipguard.Limits, stage: Callable[[str], StagedBlob]
) -> list[str] | None:
    """Land the public chart files of an upload (extract.charts); None when it holds none."""
    if charts.is_chart_file(stream):
        return charts.land_file(stream, filename, limits, stage)
    stream.seek(0)
    if not zipfile.is_zipfile(stream):
        stream.seek(0)
        return None
    stream.seek(0)
    with zipguard.open_archive(stream) as archive:
        entries = charts.chart_entries(archive)
        if not entries:
            return None
        infos = archive.infolist()
        if len(infos) > limits.entries:
            raise UploadRefused(f"zip has {len(infos)} entries, more than the {limits.entries} allowed")
        for info in infos:
            if reason := zipguard.unsafe_entry_reason(info.filename):
                raise UploadRefused(reason)
        history = [i for i in infos if classify_entry(zipguard.entry_path(i.filename)) in (*HISTORY_KINDS,)]
        if history:
            raise UploadRefused(
                "a zip holds a privacy export or chart files, not both: upload "
                f"{zipguard.entry_path(history[0].filename)} and the charts separately"
            )
        return charts.land_zip(archive, entries, limits, stage)


def _raw_path(user: str, upload_id: str, file: HistoryFile) -> str:
    """The raw blob a history file lands in: its own, or its bundle's."""
    if file.kind is None:
        raise AssertionError(f"{file.path}: staged before its kind was known")
    if file.bundle is not None:
        return ExportBundle(user, upload_id, file.kind, file.bundle).raw_path
    return ExportFile(user, upload_id, file.kind, file.path).raw_path


def _read_manifest(lake: Lake, user: str, upload_id: str) -> UploadResult | None:
    """This user's earlier acceptance of the same content, if its raw files are all still there.

    Raw files expire (lifecycle rule) or get deleted by hand; then the upload lands again.
    """
    path = manifest_path(user, upload_id)
    if not lake.exists(STATE_CONTAINER, path):
        return None
    manifest = orjson.loads(lake.read_bytes(STATE_CONTAINER, path))
    raw_paths = tuple(manifest["raw_paths"])
    if not all(lake.exists(RAW_CONTAINER, raw) for raw in raw_paths):
        return None
    return UploadResult(
        upload_id=upload_id,
        user=manifest["user"],
        raw_paths=raw_paths,
        history_files=manifest["history_files"],
        skipped=_nothing_skipped() | manifest["skipped"],  # older manifests count no symlinks
        already_ingested=True,
        chart_parts=manifest.get("chart_parts", 0),
    )


def _write_manifest(lake: Lake, result: UploadResult, name: str) -> None:
    manifest = {
        "upload_id": result.upload_id,
        "user": result.user,
        "name": name,
        "raw_paths": list(result.raw_paths),
        "history_files": result.history_files,
        "chart_parts": result.chart_parts,
        "skipped": result.skipped,
    }
    lake.write_bytes(STATE_CONTAINER, manifest_path(result.user, result.upload_id), orjson.dumps(manifest))


def _quarantine(lake: Lake, stream: BinaryIO, upload_id: str, name: str, filename: str, reason: str) -> None:
    """Copy the upload to quarantine/<upload-id>/ beside reason.json (streamed via a temp file)."""
    copy_path, reason_path = quarantine_paths(upload_id, filename)
    with tempfile.TemporaryDirectory(prefix="quarantine-") as tmp:
        local = Path(tmp) / "upload"
        stream.seek(0)
        with local.open("wb") as out:
            shutil.copyfileobj(stream, out, zipguard.CHUNK_BYTES)
        lake.write_file(QUARANTINE_CONTAINER, copy_path, local)
    lake.write_bytes(QUARANTINE_CONTAINER, reason_path, orjson.dumps({"upload": name, "reason": reason}))
