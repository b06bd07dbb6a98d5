"""Public chart files in an upload: recognised by their header, checked on a sample, landed whole.

A chart upload is `charts.csv`, `charts.csv.gz`, or a zip holding chart CSVs (`.csv` or
`.csv.gz` entries whose header is a chart header: contracts.charts). Each file lands
decompressed, streamed in chunks and never held in memory (the Kaggle file is 3.5 GB), in parts
of about PART_BYTES cut at row ends, each with the header: raw/charts/<upload-id>/<name>-part-<n>.csv.
Each part is curated and loaded on its own (in parallel in Azure), so no step handles more than
about a million rows. The upload checks the header, the size limits on the real bytes, and
that the first rows hold at least one loadable entry by the same row rule curation applies
(contracts.charts.row_problems); rows set aside later are curation's to count.
"""

from __future__ import annotations

import csv
import io
import zipfile
import zlib
from collections.abc import Callable, Iterator
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from contracts.charts import CHART_COLUMNS, MAX_HEADER_BYTES, chart_columns, read_header, row_problems
from contracts.text import one_line
from extract.export import zipguard
from extract.export.errors import UploadRefused
from storage.lake import StagedBlob

SAMPLE_BYTES = 1 << 20  # the first rows the upload checks (about 8 000 of the Kaggle file)
PART_BYTES = 128 << 20  # a chart file lands in parts of about this size: ~1 million rows each
GZIP_MAGIC = b"\x1f\x8b"


def landed_name(name: str) -> str:
    """The raw file's name: the file's own, `.gz` dropped (it lands decompressed), `.csv` ensured."""
    base = name.rsplit("/", 1)[-1]
    base = base[: -len(".gz")] if base.lower().endswith(".gz") else base
    return base if base.lower().endswith(".csv") else f"{base}.csv"


def _head(stream: BinaryIO, size: int = MAX_HEADER_BYTES) -> bytes:
    """The first decompressed bytes of a plain or gzip stream; leaves the stream at the start."""
    stream.seek(0)
    try:
        raw = stream.read(size)
        if raw.startswith(GZIP_MAGIC):
            try:
                return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(raw, size)
            except zlib.error:
                return b""
        return raw
    finally:
        stream.seek(0)


def is_chart_file(stream: BinaryIO) -> bool:
    """A plain or gzip CSV whose header is a chart header."""
    return read_header(_head(stream)) is not None


def chart_entries(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """The zip's entries that are chart CSVs (by header; names say only .csv or .csv.gz)."""
    found = []
    for info in archive.infolist():
        name = info.filename.lower()
        if info.is_dir() or not name.endswith((".csv", ".csv.gz")):
            continue
        try:
            with archive.open(info) as handle:
                head = handle.read(MAX_HEADER_BYTES)
        except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, OSError, NotImplementedError):
            continue  # a damaged entry: the landing names it when it reads it in full
        if head.startswith(GZIP_MAGIC):
            try:
                head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, MAX_HEADER_BYTES)
            except zlib.error:
                continue
        if read_header(head) is not None:
            found.append(info)
    return found


def _gunzip(chunks: Iterator[bytes], entry: str) -> Iterator[bytes]:
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        for chunk in chunks:
            if data := decompressor.decompress(chunk):
                yield data
        if data := decompressor.flush():
            yield data
    except zlib.error as error:
        raise UploadRefused(f"{entry}: corrupt gzip data ({one_line(error)})") from None
    if not decompressor.eof:
        raise UploadRefused(f"{entry}: the gzip data ends early")


def _check_sample(sample: bytes, entry: str) -> None:
    """Refuse a chart file whose first rows hold no loadable entry (or cannot be read as CSV)."""
    text = sample.removeprefix(b"\xef\xbb\xbf")
    cut = text.rfind(b"\n")
    text = text[: cut + 1] if cut > 0 else text
    header = next(csv.reader([text.split(b"\n", 1)[0].decode("utf-8", "replace").rstrip("\r")]), [])
    positions = chart_columns(header) or {}
    names = {header[index]: name for name, index in positions.items() if name in CHART_COLUMNS}
    try:
        rows = pacsv.read_csv(
            io.BytesIO(text),
            convert_options=pacsv.ConvertOptions(
                include_columns=list(names),
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=True,
            ),
            parse_options=pacsv.ParseOptions(invalid_row_handler=lambda _row: "skip"),
        )
    except pa.ArrowInvalid as error:
        raise UploadRefused(f"{entry}: not a readable CSV file ({one_line(error)})") from None
    rows = rows.rename_columns([names[n] for n in rows.column_names]).select(list(CHART_COLUMNS))
    if rows.num_rows == 0:
        raise UploadRefused(f"{entry}: a chart header but no rows")
    if pc.all(pc.is_valid(row_problems(rows))).as_py():
        raise UploadRefused(f"{entry}: no loadable chart entry in its first {rows.num_rows} rows")


_QUOTE = ord('"')


def _quotes(data: bytes) -> int:
    """The quote characters in `data`: numpy's vector compare, twice bytes.count's speed (a 3.4 GB
    chart file: 4.1 s of its landing with bytes.count, measured 2026-12-02)."""
    return int(np.count_nonzero(np.frombuffer(data, np.uint8) == _QUOTE))


class _Splitter:
    """Cuts a CSV byte stream into parts of about PART_BYTES at row ends, each starting with the header.

    A row ends at a newline outside quotes: with RFC 4180 quoting ("" inside a quoted field), a
    newline is outside quotes exactly when the quotes before it in the part are even in number.
    """

    def __init__(self, stage: Callable[[int], StagedBlob]):
        self.stage = stage
        self.parts: list[StagedBlob] = []
        self.header = b""
        self.size = 0  # bytes in the current part
        self.quotes = 0  # quote characters in the current part

    def _open(self) -> StagedBlob:
        part = self.stage(len(self.parts))
        self.parts.append(part)
        if self.header:
            part.write(self.header)
        self.size, self.quotes = len(self.header), self.header.count(b'"')
        return part

    def write(self, data: bytes) -> None:
        if not self.parts:
            self._open()
        if not self.header:
            end = data.find(b"\n")
            if end >= 0:
                self.header = data[: end + 1]
        while data:
            cut = self._row_end(data) if self.size + len(data) >= PART_BYTES else -1
            if cut < 0:
                self._append(data)
                return
            self._append(data[: cut + 1])
            self.parts[-1].flush()
            data = data[cut + 1 :]
            if data:
                self._open()

    def _append(self, data: bytes) -> None:
        self.parts[-1].write(data)
        self.size += len(data)
        self.quotes += _quotes(data)

    def _row_end(self, data: bytes) -> int:
        """The first row end in `data` at or after the part's size limit, or -1."""
        at = max(0, PART_BYTES - self.size - 1)
        while (newline := data.find(b"\n", at)) >= 0:
            if (self.quotes + data.count(b'"', 0, newline)) % 2 == 0:
                return newline
            at = newline + 1
        return -1

    def finish(self) -> int:
        for part in self.parts:
            part.flush()
        return len(self.parts)


def land(
    chunks: Iterator[bytes], entry: str, stage: Callable[[int], StagedBlob], limits: zipguard.Limits
) -> int:
    """Stream a chart file's (decompressed) bytes into staged raw parts, checking as it goes.

    Returns the number of parts (one for a file under PART_BYTES).
    """
    total, sample = 0, bytearray()
    splitter = _Splitter(stage)
    for chunk in chunks:
        total += len(chunk)
        if total > limits.chart_bytes:
            limit = zipguard.describe_bytes(limits.chart_bytes)
            raise UploadRefused(f"{entry}: more than {limit} of chart data, over the limit")
        if len(sample) < SAMPLE_BYTES:
            sample += chunk[: SAMPLE_BYTES - len(sample)]
            if len(sample) >= SAMPLE_BYTES:
                _check_sample(bytes(sample), entry)
        splitter.write(chunk)
    if len(sample) < SAMPLE_BYTES:
        _check_sample(bytes(sample), entry)
    return splitter.finish()


def part_name(name: str, number: int) -> str:
    """The raw name of part `number` of a chart file: charts.csv -> charts-part-00000.csv."""
    return f"{name[: -len('.csv')]}-part-{number:05d}.csv"


def _landed(
    name: str,
    entry: str,
    chunks: Iterator[bytes],
    limits: zipguard.Limits,
    stage: Callable[[str], StagedBlob],
) -> list[str]:
    """Land one chart file as parts; returns their raw names."""
    parts = land(chunks, entry, lambda number: stage(part_name(name, number)), limits)
    return [part_name(name, number) for number in range(parts)]


def land_file(
    stream: BinaryIO, filename: str, limits: zipguard.Limits, stage: Callable[[str], StagedBlob]
) -> list[str]:
    """Land one plain or gzip chart upload; returns the landed raw names (its parts)."""
    name = landed_name(filename)
    stream.seek(0)
    chunks = zipguard.bounded_chunks(
        stream, filename, zipguard.Limits(entry_bytes=limits.chart_bytes, ratio=limits.ratio)
    )
    if stream.read(2) == GZIP_MAGIC:
        chunks = _gunzip(chunks, filename)
    stream.seek(0)
    return _landed(name, filename, chunks, limits, stage)


def land_zip(
    archive: zipfile.ZipFile,
    entries: list[zipfile.ZipInfo],
    limits: zipguard.Limits,
    stage: Callable[[str], StagedBlob],
) -> list[str]:
    """Land each chart entry of a zip, decompressed; returns the landed raw names."""
    names: list[str] = []
    entry_limits = zipguard.Limits(entry_bytes=limits.chart_bytes, ratio=limits.ratio)
    for info in entries:
        entry = zipguard.entry_path(info.filename)
        name = landed_name(entry)
        if part_name(name, 0) in names:
            raise UploadRefused(f"{entry}: a second chart file named {name} in the zip")
        chunks = zipguard.entry_chunks(archive, info, entry_limits)
        if info.filename.lower().endswith(".gz"):
            chunks = _gunzip(chunks, entry)
        names += _landed(name, entry, chunks, limits, stage)
    return names
