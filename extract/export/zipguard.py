"""Reading an untrusted zip safely: entry names that cannot escape, and decompression with hard limits.

Headers can lie, so the limits are enforced on the bytes actually decompressed, and reading stops
as soon as one is crossed: never more than the limit (plus one chunk) is held in memory.
Every problem becomes an `UploadRefused` with a one-line reason naming the entry.
"""

from __future__ import annotations

import re
import stat
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, BinaryIO

from contracts.text import one_line
from extract.export.errors import UploadRefused
from settings import DEFAULT_EXPORT_MAX_UNCOMPRESSED_MB, Settings

MAX_ENTRY_BYTES = 256 << 20  # one history file is ~12 MB; a whole lifetime in one file is far below this
MAX_RATIO = 100  # JSON history compresses ~10x; 100x and beyond is a bomb, not a history file
# All history files of one upload together, uncompressed (the EXPORT_MAX_UNCOMPRESSED_MB setting).
MAX_TOTAL_BYTES = DEFAULT_EXPORT_MAX_UNCOMPRESSED_MB << 20
MAX_ENTRIES = 10_000  # a real export has tens of files
MAX_CHART_BYTES = 16 << 30  # one public chart file, uncompressed: the Kaggle charts.csv is 3.5 GB
CHUNK_BYTES = 1 << 20

_DRIVE = re.compile(r"^[A-Za-z]:")
_MIB = 1 << 20
_UNIX_CREATORS = (3, 19)  # the zip "version made by" systems whose entries carry Unix modes: Unix, macOS


@dataclass(frozen=True)
class Limits:
    """How much an upload may hold."""

    entry_bytes: int = MAX_ENTRY_BYTES
    ratio: int = MAX_RATIO
    total_bytes: int = MAX_TOTAL_BYTES
    entries: int = MAX_ENTRIES
    chart_bytes: int = MAX_CHART_BYTES

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        """The limits the app settings choose (EXPORT_MAX_UNCOMPRESSED_MB); the rest are fixed."""
        return cls(total_bytes=settings.export_max_uncompressed_mb * _MIB)


def describe_bytes(size: int) -> str:
    if size >= _MIB and size % _MIB == 0:
        return f"{size // _MIB} MiB"
    return f"{size} bytes"


def unsafe_entry_reason(name: str) -> str | None:
    """Why a zip entry name is unsafe (absolute, drive letter, `..`), or None if it is not."""
    if name.startswith(("/", "\\")):
        return f"{name}: absolute path in zip"
    if _DRIVE.match(name):
        return f"{name}: drive-letter path in zip"
    if ".." in re.split(r"[\\/]", name):
        return f"{name}: '..' in zip entry path"
    return None


def entry_path(name: str) -> str:
    """The entry's path with `/` separators (zips made on Windows sometimes use `\\`)."""
    return name.replace("\\", "/")


def is_symlink(info: zipfile.ZipInfo) -> bool:
    """True for a symbolic link (zip -y, macOS, a packed folder): its data is the link's target path,
    which names a file on the machine that made the zip, not history."""
    return info.create_system in _UNIX_CREATORS and stat.S_ISLNK(info.external_attr >> 16)


def open_archive(stream: BinaryIO) -> zipfile.ZipFile:
    """The zip in `stream`, or a refusal if its central directory cannot be read."""
    try:
        return zipfile.ZipFile(stream)
    # What zipfile raises for a garbled directory, found by fuzzing (tests/extract/test_zipguard.py):
    # bad offsets (ValueError, EOFError, OSError on a negative seek), an undecodable name
    # (UnicodeDecodeError is a ValueError), an unknown zip version (NotImplementedError).
    except (zipfile.BadZipFile, EOFError, ValueError, OSError, NotImplementedError) as error:
        raise UploadRefused(f"corrupt zip: {one_line(error)}") from None


def check_header(info: zipfile.ZipInfo, limits: Limits) -> None:
    """Refuse an entry whose header alone is enough to refuse it."""
    if not info.filename:
        raise UploadRefused("corrupt zip: an entry has an empty name")
    reason = unsafe_entry_reason(info.filename)
    if reason:
        raise UploadRefused(reason)
    if info.file_size > limits.entry_bytes:
        raise UploadRefused(
            f"{entry_path(info.filename)}: {info.file_size} bytes uncompressed, "
            f"over the {describe_bytes(limits.entry_bytes)} limit"
        )


def bounded_chunks(
    handle: BinaryIO | IO[bytes], entry: str, limits: Limits, compressed_size: int | None = None
) -> Iterator[bytes]:
    """Read `handle` in chunks, refusing as soon as the real bytes cross a limit.

    `compressed_size` (a zip entry's) adds the ratio limit: real bytes > ratio × compressed size.
    """
    ratio_cap = None if compressed_size is None else limits.ratio * max(compressed_size, 1)
    total = 0
    while chunk := handle.read(CHUNK_BYTES):
        total += len(chunk)
        if total > limits.entry_bytes:
            raise UploadRefused(
                f"{entry}: more than {describe_bytes(limits.entry_bytes)} uncompressed, over the limit"
            )
        if ratio_cap is not None and total > ratio_cap:
            raise UploadRefused(
                f"{entry}: decompresses to more than {limits.ratio}x its compressed size (zip bomb?)"
            )
        yield chunk


def entry_chunks(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits) -> Iterator[bytes]:
    """Decompress one entry in bounded chunks; a damaged entry becomes a refusal naming it."""
    entry = entry_path(info.filename)
    if info.flag_bits & 0x1:
        raise UploadRefused(f"{entry}: encrypted zip entry (export the zip without a password)")
    try:
        with archive.open(info) as handle:
            yield from bounded_chunks(handle, entry, limits, info.compress_size)
    # What zipfile/zlib raise for damaged data: bad CRC (also a header that lied about the size),
    # a broken deflate stream, data that ends early.
    # Garbled local headers (found by fuzzing): ValueError/OSError from seeks, undecodable names.
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, OSError) as error:
        raise UploadRefused(f"corrupt zip: {entry}: {one_line(error)}") from None
    except NotImplementedError as error:  # zipfile: deflate64, implode and other rare methods
        raise UploadRefused(f"{entry}: {one_line(error)}") from None
