"""Bundles: the small history files of an upload of many, landed together in one raw blob.

Spotify's exports hold up to ~30 history files; an upload of thousands (a hand-made zip, an attack)
would cost a blob event, a curation and a warehouse load per file. `plan_bundles` decides which
files share a bundle; `BundleWriter` writes one, unchanged, as a stored zip into its staged blob
(contracts.layout.ExportBundle names it; transform/history.py curates it in one query).
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from typing import Protocol

from storage.lake import StagedBlob

# An upload of more than BUNDLE_ABOVE history files lands each file under BUNDLE_MEMBER_BYTES
# (uncompressed, as its zip header says: a header that lies fails the CRC check and is refused) in a
# bundle of its kind, up to BUNDLE_FILES files or BUNDLE_BYTES a bundle, in zip order. Measured on
# 2 000 one-record files: 36 ms a file landed alone (a curation and a load each); see
# bench/ingest_bench.py --many-files for the bundled figure.
BUNDLE_ABOVE = 64
BUNDLE_MEMBER_BYTES = 1 << 20
BUNDLE_FILES = 1000
BUNDLE_BYTES = 16 << 20


def plan_bundles(files: Iterable[tuple[str, int]]) -> list[int | None]:
    """For each (kind, uncompressed size) of an upload's history files in order: the number of the
    bundle of that kind it lands in, or None for a file that lands alone."""
    files = list(files)
    if len(files) <= BUNDLE_ABOVE:
        return [None] * len(files)
    plan: list[int | None] = []
    current: dict[str, tuple[int, int, int]] = {}  # kind -> (bundle number, files in it, bytes in it)
    for kind, size in files:
        if size >= BUNDLE_MEMBER_BYTES:
            plan.append(None)
            continue
        number, count, total = current.get(kind, (0, BUNDLE_FILES, 0))
        if count >= BUNDLE_FILES or total + size > BUNDLE_BYTES:
            number, count, total = number + 1, 0, 0
        current[kind] = (number, count + 1, total + size)
        plan.append(number)
    return plan


class Sink(Protocol):
    """Where a history file's bytes go as they are read: a staged blob, or a bundle member."""

    def write(self, data: bytes | bytearray | memoryview) -> None: ...

    def flush(self) -> None: ...


class _Appender:
    """A staged blob as the write-only stream zipfile writes to (it asks for nothing else)."""

    def __init__(self, blob: StagedBlob):
        self.blob = blob

    def write(self, data: bytes, /) -> int:
        self.blob.write(data)
        return len(data)

    def flush(self) -> None:  # the blob is flushed by its commit
        pass

    def close(self) -> None:  # the blob is committed or aborted by the upload, not by zipfile
        pass


class BundleWriter:
    """One bundle being landed: a stored (uncompressed) zip written into its staged blob, a member
    at a time, each member added whole once read (members are under BUNDLE_MEMBER_BYTES)."""

    def __init__(self, blob: StagedBlob):
        self.blob = blob
        self.archive = zipfile.ZipFile(_Appender(blob), "w", zipfile.ZIP_STORED)

    def member(self, entry: str) -> _Member:
        return _Member(self, entry)

    def close(self) -> None:
        """Write the zip's directory (idempotent): before the commit, and before an abort (so that
        nothing is left for the garbage collector to write into a finished blob)."""
        self.archive.close()


class _Member:
    def __init__(self, bundle: BundleWriter, entry: str):
        self.bundle, self.entry, self.data = bundle, entry, bytearray()

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.data += data

    def flush(self) -> None:
        # A fixed time: the same upload lands the same bytes on a retry.
        info = zipfile.ZipInfo(self.entry, date_time=(1980, 1, 1, 0, 0, 0))
        self.bundle.archive.writestr(info, self.data, zipfile.ZIP_STORED)
        self.data = bytearray()
