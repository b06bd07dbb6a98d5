"""upload/{name} → raw/exports/...: validate a privacy-export upload, then land its history files unchanged.

An upload is a Spotify privacy-export zip (any vintage, ../shared/notes/spotify.md §1) or one
streaming-history JSON file. Everything is checked before anything is written to raw/, because
each raw write fires curation: a refused upload lands nothing. It is copied to
quarantine/<upload-id>/ with reason.json instead, and `UploadRefused` is raised.

Landed layout (raw container):   exports/<user>/<upload-id>/<kind>/<entry path inside the zip>
Manifest (state container):      uploads/<upload-id>.json
The upload id is the content hash, so the same export uploaded twice, under any name, lands once.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import orjson
import simdjson

from extract.export import zipguard
from extract.export.errors import UploadRefused
from extract.export.formats import VIDEO, classify_entry, record_problem, sniff_kind
from settings import QUARANTINE_CONTAINER, RAW_CONTAINER, STATE_CONTAINER, UPLOAD_CONTAINER
from storage.lake import iter_chunks

logger = logging.getLogger(__name__)

DEFAULT_USER = "me"
_USER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_WHITESPACE = b" \t\r\n"
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
    skipped: dict[str, int]  # {"video": n, "other": m}: files counted but not landed
    already_ingested: bool  # True when this exact content was accepted before (nothing written)


@dataclass(frozen=True)
class PlannedFile:
    entry: str  # the zip entry's name as stored (or the lone file's name)
    path: str  # that name with `/` separators: the tail of the raw path
    kind: str


@dataclass(frozen=True)
class Plan:
    """What a valid upload lands: the decision, made before anything is written."""

    is_zip: bool
    files: tuple[PlannedFile, ...]
    skipped: dict[str, int]


def accept_upload(lake, name: str, settings) -> UploadResult:
    """Validate upload/{name} and land its history files in raw/, or quarantine it and raise.

    `name` is the blob path inside the upload container ("alice/my_spotify_data.zip"; an
    "upload/" prefix is accepted). The user label is the first path segment, or "me".
    Raises `UploadRefused(reason, upload_id)` for a bad upload; storage errors propagate.
    """
    path, user, filename = parse_upload_name(name)
    limits = zipguard.current_limits()
    with lake.open_read(UPLOAD_CONTAINER, path) as stream:
        upload_id = content_id(stream)
        try:
            if not _USER.match(user):
                raise UploadRefused(
                    f"user label {user!r} is not valid: use 1-64 letters, digits, '.', '_' or '-', "
                    "starting with a letter or digit"
                )
            manifest = _read_manifest(lake, upload_id)
            if manifest is not None:
                logger.info(
                    "upload %s already ingested: %d history files", upload_id, len(manifest.raw_paths)
                )
                return manifest
            plan = inspect_upload(stream, filename, limits)
        except UploadRefused as refused:
            _quarantine(lake, stream, upload_id, name, filename, refused.reason)
            logger.warning("upload %s refused: %s", upload_id, refused.reason)
            raise UploadRefused(refused.reason, upload_id) from None
        raw_paths = _land(lake, stream, plan, user, upload_id, limits)
    result = UploadResult(
        upload_id=upload_id,
        user=user,
        raw_paths=raw_paths,
        history_files=len(raw_paths),
        skipped=plan.skipped,
        already_ingested=False,
    )
    _write_manifest(lake, result, path)
    logger.info(
        "upload %s accepted: %d history files landed, %d video and %d other files skipped",
        upload_id,
        result.history_files,
        plan.skipped["video"],
        plan.skipped["other"],
    )
    return result


def parse_upload_name(name: str) -> tuple[str, str, str]:
    """(path inside the upload container, user label, file name) of an upload blob name."""
    path = name.lstrip("/")
    if path.startswith(f"{UPLOAD_CONTAINER}/"):
        path = path[len(UPLOAD_CONTAINER) + 1 :]
    parts = path.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise UploadRefused(f"not an upload file name: {name!r}")
    user = parts[0] if len(parts) >= 2 else DEFAULT_USER
    return path, user, parts[-1]


def content_id(stream: BinaryIO) -> str:
    """sha256 of the whole stream (hex, first 16 chars); leaves the stream at the start."""
    stream.seek(0)
    digest = hashlib.sha256()
    for chunk in iter_chunks(stream):
        digest.update(chunk)
    stream.seek(0)
    return digest.hexdigest()[:16]


def inspect_upload(stream: BinaryIO, filename: str, limits: zipguard.Limits | None = None) -> Plan:
    """Check the whole upload and decide what to land; raises `UploadRefused` (without an id)."""
    limits = limits or zipguard.current_limits()
    stream.seek(0)
    head = stream.read(4)
    stream.seek(0)
    if head.startswith(b"PK"):
        return _inspect_zip(stream, limits)
    if _first_byte(stream) == b"[":
        return _inspect_json(stream, filename, limits)
    if zipfile.is_zipfile(stream):  # a zip with something prepended (self-extracting archives)
        stream.seek(0)
        return _inspect_zip(stream, limits)
    raise UploadRefused("not a zip file or a streaming-history JSON file")


def _first_byte(stream: BinaryIO) -> bytes:
    """The first non-whitespace byte of the stream (b"" if none); leaves the stream at the start."""
    try:
        while chunk := stream.read(64 << 10):
            stripped = chunk.lstrip(_WHITESPACE)
            if stripped:
                return stripped[:1]
        return b""
    finally:
        stream.seek(0)


def _inspect_zip(stream: BinaryIO, limits: zipguard.Limits) -> Plan:
    archive = zipguard.open_archive(stream)
    with archive:
        infos = archive.infolist()
        if len(infos) > limits.entries:
            raise UploadRefused(f"zip has {len(infos)} entries, more than the {limits.entries} allowed")
        skipped = {VIDEO: 0, "other": 0}
        history: list[tuple[zipfile.ZipInfo, PlannedFile]] = []
        seen: set[str] = set()
        # Every header first: a bad name or size anywhere refuses the upload before any decompression.
        for info in infos:
            zipguard.check_header(info, limits)
            if info.is_dir():
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
            history.append((info, PlannedFile(entry=info.filename, path=path, kind=kind)))
        if not history:
            raise UploadRefused(NO_HISTORY)
        total = 0
        any_valid = False
        for info, planned in history:
            data = zipguard.read_entry(archive, info, limits)
            total += len(data)
            if total > limits.total_bytes:
                raise UploadRefused(
                    f"history files add up to more than {zipguard.describe_bytes(limits.total_bytes)} "
                    "uncompressed, over the limit"
                )
            _kind, has_valid = check_history(data, planned.path, planned.kind)
            any_valid = any_valid or has_valid
            del data  # bounded memory: one file at a time
    if not any_valid:
        raise UploadRefused("no valid stream in this upload")
    return Plan(is_zip=True, files=tuple(p for _, p in history), skipped=skipped)


def _inspect_json(stream: BinaryIO, filename: str, limits: zipguard.Limits) -> Plan:
    kind = classify_entry(filename)
    if kind == VIDEO:
        raise UploadRefused(NO_HISTORY)
    data = b"".join(zipguard.bounded_chunks(stream, filename, limits))
    kind, has_valid = check_history(data, filename, kind)
    if not has_valid:
        raise UploadRefused("no valid stream in this upload")
    return Plan(is_zip=False, files=(PlannedFile(filename, filename, kind),), skipped={VIDEO: 0, "other": 0})


def check_history(data: bytes | bytearray, entry: str, kind: str | None) -> tuple[str, bool]:
    """Check one history file: a JSON array of objects. Returns (kind, has at least one valid stream).

    `kind` None means "unknown yet": it is sniffed from the first record. Records are checked with
    `record_problem` only until one valid stream is found (curation counts the rest); the
    array-of-objects check covers every element.
    """
    # A fresh parser per file: a reused one refuses to parse while proxies of the last document live.
    parser = simdjson.Parser()
    try:
        document = parser.parse(data)
    except ValueError as error:  # simdjson: malformed JSON; UnicodeDecodeError (a ValueError) for bad UTF-8
        raise UploadRefused(f"{entry}: invalid JSON ({zipguard.one_line(error)})") from None
    if not isinstance(document, simdjson.Array):
        raise UploadRefused(f"{entry}: not a JSON array of objects")
    has_valid = False
    for index, element in enumerate(document):
        if not isinstance(element, simdjson.Object):
            raise UploadRefused(f"{entry}: not a JSON array of objects (item {index} is not an object)")
        if has_valid:
            continue
        record = element.as_dict()
        if kind is None:
            kind = sniff_kind(record)
            if kind is None:
                raise UploadRefused(f"{entry}: not Spotify streaming history (unrecognised record fields)")
        has_valid = record_problem(kind, record) is None
    if kind is None:
        raise UploadRefused(f"{entry}: empty, and its name does not say what history it holds")
    return kind, has_valid


def raw_path(user: str, upload_id: str, planned: PlannedFile) -> str:
    return f"exports/{user}/{upload_id}/{planned.kind}/{planned.path}"


def _land(
    lake, stream: BinaryIO, plan: Plan, user: str, upload_id: str, limits: zipguard.Limits
) -> tuple[str, ...]:
    """Write each planned file's bytes, unchanged, to raw/ (decompressed again, one at a time)."""
    landed = []
    with tempfile.TemporaryDirectory(prefix="upload-") as tmp:
        local = Path(tmp) / "entry"
        with contextlib.ExitStack() as stack:
            archive = stack.enter_context(zipguard.open_archive(stream)) if plan.is_zip else None
            for planned in plan.files:
                stream.seek(0)
                with local.open("wb") as out:
                    if archive is not None:
                        chunks = zipguard.entry_chunks(archive, archive.getinfo(planned.entry), limits)
                    else:
                        chunks = zipguard.bounded_chunks(stream, planned.path, limits)
                    for chunk in chunks:
                        out.write(chunk)
                target = raw_path(user, upload_id, planned)
                lake.write_file(RAW_CONTAINER, target, local)
                landed.append(target)
    return tuple(landed)


def _manifest_path(upload_id: str) -> str:
    return f"uploads/{upload_id}.json"


def _read_manifest(lake, upload_id: str) -> UploadResult | None:
    if not lake.exists(STATE_CONTAINER, _manifest_path(upload_id)):
        return None
    manifest = orjson.loads(lake.read_bytes(STATE_CONTAINER, _manifest_path(upload_id)))
    return UploadResult(
        upload_id=upload_id,
        user=manifest["user"],
        raw_paths=tuple(manifest["raw_paths"]),
        history_files=manifest["history_files"],
        skipped=dict(manifest["skipped"]),
        already_ingested=True,
    )


def _write_manifest(lake, result: UploadResult, name: str) -> None:
    manifest = {
        "upload_id": result.upload_id,
        "user": result.user,
        "name": name,
        "raw_paths": list(result.raw_paths),
        "history_files": result.history_files,
        "skipped": result.skipped,
    }
    lake.write_bytes(STATE_CONTAINER, _manifest_path(result.upload_id), orjson.dumps(manifest))


def _quarantine(lake, stream: BinaryIO, upload_id: str, name: str, filename: str, reason: str) -> None:
    """Copy the upload to quarantine/<upload-id>/ beside reason.json (streamed via a temp file)."""
    copy_name = filename.replace("\\", "_")
    if copy_name in ("reason.json", ".", ".."):
        copy_name = f"upload-{copy_name.strip('.') or 'file'}"
    with tempfile.TemporaryDirectory(prefix="quarantine-") as tmp:
        local = Path(tmp) / "upload"
        stream.seek(0)
        with local.open("wb") as out:
            shutil.copyfileobj(stream, out, zipguard.CHUNK_BYTES)
        lake.write_file(QUARANTINE_CONTAINER, f"{upload_id}/{copy_name}", local)
    lake.write_bytes(
        QUARANTINE_CONTAINER, f"{upload_id}/reason.json", orjson.dumps({"upload": name, "reason": reason})
    )
