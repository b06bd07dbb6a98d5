"""raw/charts/<upload-id>/<name>.csv → curated chart_entries (and chart_rejects), read in blocks.

pyarrow's streaming CSV reader parses the file block by block (in parallel, every column as text,
only the columns kept), each block is checked by contracts.charts.row_problems, typed with
vectorised compute, and appended to Parquet parts of PART_ROWS rows. Memory stays bounded
whatever the file's size, and the one load message names ⌈rows / PART_ROWS⌉ files. Rows that
break the rule are set aside with their reason; rows the CSV reader cannot split at all (a
broken quote, too many fields) too, as "malformed row". A file with audio-feature columns also
gets chart_track_features: each track once, from its first entry in the file with any feature.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import logging
import tempfile
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from contracts.charts import (
    CHART_COLUMNS,
    CHARTS,
    FEATURES,
    FLOAT_FEATURES,
    TRACK_ID_LENGTH,
    TRACK_URL,
    TRENDS,
    chart_columns,
    region_countries,
    region_number,
    row_problems,
)
from contracts.datasets import CHART_ENTRIES, CHART_REJECTS, CHART_TRACK_FEATURES
from contracts.layout import CURATED_CONTAINER, RAW_CONTAINER, ChartFile
from contracts.load_message import CuratedFile, LoadMessage
from storage.lake import Lake
from storage.parquet import PARQUET_COMPRESSION

logger = logging.getLogger(__name__)

PART_ROWS = 1_000_000  # rows per curated part: a load message names ⌈rows / PART_ROWS⌉ files
THREADS = 2  # blocks checked at once (the machines this runs on have 2 cores)
BLOCK_BYTES = 8 << 20  # CSV bytes the reader parses at a time: ~63k rows of the Kaggle file
# Nearly unique per row: a dictionary costs time and bytes there. Statistics only where a reader
# prunes on them (a load's date range, the key): the others cost a quarter of the write.
_UNIQUE = frozenset({"entry_key", "record_index", "streams"})
_PRUNED = frozenset({"chart_date", "entry_key", "record_index"})
_NUMBER = r"^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$"
_WHOLE = r"^-?[0-9]{1,15}(\.0+)?$"


def _header(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return next(csv.reader(handle), [])


@contextlib.contextmanager
def _blocks(path: Path, malformed: list[int]) -> Iterator[tuple[Iterator[pa.RecordBatch], dict[str, str]]]:
    """The file's record batches (columns renamed to contracts.charts names) and the mapping used.

    Read through a Python file object: given a path, pyarrow reads ahead as fast as the disk
    allows, and with a slower consumer held most of a 128 MiB part in memory (+230 MB measured);
    through a file object it reads a block when asked (+45 MB), at 0.15 s more per million rows.
    """
    header = _header(path)
    positions = chart_columns(header)
    if positions is None:
        raise ValueError(f"{path.name}: not a chart file (its header lacks {', '.join(CHART_COLUMNS)})")
    rename = {header[index]: name for name, index in positions.items()}

    def skip(row: pacsv.InvalidRow) -> str:
        malformed.append(row.number if row.number is not None else -1)
        return "skip"

    with path.open("rb") as handle:
        reader = pacsv.open_csv(
            handle,
            read_options=pacsv.ReadOptions(block_size=BLOCK_BYTES, use_threads=False),
            parse_options=pacsv.ParseOptions(invalid_row_handler=skip),
            convert_options=pacsv.ConvertOptions(
                include_columns=list(rename),
                column_types=dict.fromkeys(rename, pa.string()),
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
            ),
        )
        yield iter(reader), rename


def _numeric(text: pa.Array, pattern: str, kind: pa.DataType) -> pa.Array:
    """Text to numbers; what is not a number of that shape becomes null (features are optional)."""
    ok = pc.fill_null(pc.match_substring_regex(text, pattern), False)
    return pc.cast(pc.cast(pc.if_else(ok, text, None), pa.float64()), kind)


def _empty_null(text: pa.Array) -> pa.Array:
    return pc.if_else(pc.equal(text, ""), None, text)


def _positions(first: int, count: int) -> pa.Array:
    """first, first + 1, ... as int64 (a running sum: no Python loop over the rows)."""
    return pc.add(pc.cumulative_sum(pa.repeat(pa.scalar(1, pa.int64()), count)), first - 1)


@functools.cache
def _region_tables() -> tuple[pa.Array, pa.Array, pa.Array]:
    names = region_countries()
    regions = pa.array(list(names), pa.string())
    countries = pa.array(list(names.values()), pa.string())
    numbers = pa.array([region_number(c) for c in names.values()], pa.int64())
    return regions, countries, numbers


def entries(rows: pa.Table, origin: str, positions: pa.Array) -> pa.Table:
    """Typed chart_entries rows for rows that passed row_problems, at these row numbers (pure)."""
    regions, countries, numbers = _region_tables()
    where = pc.index_in(rows["region"], value_set=regions)
    day = pc.cast(rows["date"], pa.date32())  # valid dates only here (row_problems checked them)
    days = pc.cast(pc.cast(day, pa.int32()), pa.int64())
    chart = rows["chart"]
    chart_code = pc.if_else(pc.equal(chart, "viral50"), CHARTS["viral50"], CHARTS["top200"])
    rank = pc.cast(rows["rank"], pa.int32())
    key = pc.add(
        pc.add(pc.multiply(days, 10_000_000), pc.multiply(pc.take(numbers, where), 10_000)),
        pc.add(pc.multiply(pc.cast(chart_code, pa.int64()), 1000), pc.cast(rank, pa.int64())),
    )
    streams = pc.cast(pc.cast(_empty_null(rows["streams"]), pa.float64()), pa.int64())
    trend = rows["trend"]
    columns = {
        "entry_key": key,
        "chart_date": day,
        "region": rows["region"],
        "country": pc.take(countries, where),
        "chart": chart,
        "rank": rank,
        "track_id": _track_ids(rows["url"]),
        "title": _empty_null(rows["title"]),
        "artist": _empty_null(rows["artist"]),
        "streams": streams,
        "trend": pc.if_else(pc.fill_null(pc.is_in(trend, pa.array(TRENDS)), False), trend, None),
    }
    columns["origin"] = pa.repeat(pa.scalar(origin), rows.num_rows)
    columns["record_index"] = positions
    return pa.table({f.name: columns[f.name] for f in CHART_ENTRIES}).cast(CHART_ENTRIES)


def _track_ids(urls: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """The track id of each open.spotify.com/track/<id> URL (row_problems checked the shape)."""
    start = len(TRACK_URL)
    return pc.cast(pc.binary_slice(pc.cast(urls, pa.binary()), start, start + TRACK_ID_LENGTH), pa.string())


def track_features(rows: pa.Table, kept: pa.Table) -> pa.Table | None:
    """chart_track_features rows for rows that passed row_problems, whose typed entries are `kept`
    (pure): each track once, from its first row here with any feature; None when the file has no
    feature columns at all."""
    present = [name for name in FEATURES if name in rows.column_names]
    if not present:
        return None
    columns = {"track_id": kept["track_id"]}
    for name in FEATURES:
        kind = CHART_TRACK_FEATURES.field(name).type
        if name not in present:
            columns[name] = pa.nulls(rows.num_rows, kind)
        else:
            columns[name] = _numeric(rows[name], _NUMBER if name in FLOAT_FEATURES else _WHOLE, kind)
    columns["origin"], columns["record_index"] = kept["origin"], kept["record_index"]
    table = pa.table({f.name: columns[f.name] for f in CHART_TRACK_FEATURES}).cast(CHART_TRACK_FEATURES)
    table = table.filter(functools.reduce(pc.or_, [pc.is_valid(table[name]) for name in present]))
    return first_per_track(table)


def first_per_track(table: pa.Table) -> pa.Table:
    """The first row of each track_id, in order (pure): pc.unique keeps first-seen order, and
    index_in finds each value's first position."""
    ids = table["track_id"]
    return table.take(pc.index_in(pc.unique(ids), value_set=ids))


class Block(NamedTuple):
    """What one block of a chart file curates to."""

    entries: pa.Table  # chart_entries
    rejects: pa.Table  # chart_rejects
    features: pa.Table | None  # chart_track_features; None when the file has no feature columns


def split(batch: pa.RecordBatch, rename: dict[str, str], origin: str, first: int) -> Block:
    """One block of the file: its entries, rejects and track features, by the row rule (pure).

    `first` is the block's first row number in the file; every row keeps its own number.
    """
    rows = pa.Table.from_batches([batch]).rename_columns([rename[n] for n in batch.schema.names])
    reason = row_problems(rows)
    positions = _positions(first, rows.num_rows)
    if reason.null_count == len(reason):  # every row passes (most blocks): nothing to filter out
        kept_rows, kept_positions, aside = rows, positions, CHART_REJECTS.empty_table()
    else:
        good = pc.is_null(reason)
        kept_rows, kept_positions, bad = rows.filter(good), positions.filter(good), pc.invert(good)
        aside = pa.table(
            {
                "origin": pa.repeat(pa.scalar(origin), rows.num_rows - kept_rows.num_rows),
                "record_index": positions.filter(bad),
                "reason": reason.filter(bad),
            }
        ).cast(CHART_REJECTS)
    kept = entries(kept_rows, origin, kept_positions)
    return Block(kept, aside, track_features(kept_rows, kept))


class _FirstPerTrack:
    """A file's chart_track_features: blocks arrive in file order, so a track already written
    (seen in an earlier block) is left out of the later ones."""

    def __init__(self, parts: _Parts):
        self.parts = parts
        self.seen = pa.array([], pa.string())

    def add(self, table: pa.Table) -> None:
        new = table.filter(pc.invert(pc.is_in(table["track_id"], value_set=self.seen)))
        if new.num_rows:
            self.seen = pa.concat_arrays([self.seen, new["track_id"].combine_chunks()])
            self.parts.add(new)


def _write(block: Block, kept: _Parts, aside: _Parts, features: _FirstPerTrack) -> None:
    kept.add(block.entries)
    if block.rejects.num_rows:
        aside.add(block.rejects)
    if block.features is not None:
        features.add(block.features)


class _Parts:
    """Parquet parts of one dataset, PART_ROWS rows each, written to a scratch folder."""

    def __init__(self, chart: ChartFile, dataset: str, schema: pa.Schema, scratch: Path):
        self.chart, self.dataset, self.schema, self.scratch = chart, dataset, schema, scratch
        self.written: list[tuple[Path, str, int]] = []  # (local file, curated path, rows)
        self._writer: pq.ParquetWriter | None = None
        self._rows = 0

    def add(self, table: pa.Table) -> None:
        while table.num_rows:
            if self._writer is None:
                number = len(self.written)
                local = self.scratch / f"{self.dataset}-{number:05d}.parquet"
                self._writer = pq.ParquetWriter(
                    local,
                    self.schema,
                    compression=PARQUET_COMPRESSION,
                    use_dictionary=[n for n in self.schema.names if n not in _UNIQUE],
                    write_statistics=[n for n in self.schema.names if n in _PRUNED],
                )
                self.written.append((local, self.chart.curated_part(self.dataset, number), 0))
                self._rows = 0
            take = min(table.num_rows, PART_ROWS - self._rows)
            self._writer.write_table(table.slice(0, take))
            self._rows += take
            local, path, _ = self.written[-1]
            self.written[-1] = (local, path, self._rows)
            table = table.slice(take)
            if self._rows >= PART_ROWS:
                self.close()

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


def curate_chart_file(lake: Lake, path: str) -> LoadMessage | None:
    """Curate one landed chart file (`path` inside raw/) into parts; None when `path` is not one.

    Re-curating writes the same parts (and removes parts an earlier curation wrote beyond them).
    """
    chart = ChartFile.parse(path)
    if chart is None:
        logger.info("raw charts file not in the <upload-id>/<name> layout, skipped")
        return None
    malformed: list[int] = []
    with contextlib.ExitStack() as stack:
        local = stack.enter_context(lake.local_path(RAW_CONTAINER, path))
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="charts-")))
        kept = _Parts(chart, "chart_entries", CHART_ENTRIES, scratch)
        aside = _Parts(chart, "chart_rejects", CHART_REJECTS, scratch)
        tracks = _Parts(chart, "chart_track_features", CHART_TRACK_FEATURES, scratch)
        features = _FirstPerTrack(tracks)
        batches, rename = stack.enter_context(_blocks(local, malformed))
        index = 0
        # Blocks are checked and typed on worker threads (pyarrow releases the GIL) while this one
        # writes Parquet, in order; at most 2 x THREADS blocks are in flight.
        with ThreadPoolExecutor(THREADS, thread_name_prefix="charts") as pool:
            pending: deque[Future[Block]] = deque()
            for batch in batches:
                pending.append(pool.submit(split, batch, rename, chart.origin, index))
                index += batch.num_rows
                while len(pending) > 2 * THREADS:
                    _write(pending.popleft().result(), kept, aside, features)
            while pending:
                _write(pending.popleft().result(), kept, aside, features)
        if malformed:
            aside.add(
                pa.table(
                    {
                        "origin": pa.repeat(pa.scalar(chart.origin), len(malformed)),
                        # -1: the parallel reader cannot tell which row it was (only that it broke)
                        "record_index": pa.repeat(pa.scalar(-1, pa.int64()), len(malformed)),
                        "reason": pa.repeat(pa.scalar("malformed row"), len(malformed)),
                    }
                ).cast(CHART_REJECTS)
            )
        for parts in (kept, aside, tracks):
            parts.close()
        if not kept.written:  # an empty file still gets its (empty) part: the load records it
            kept.add(CHART_ENTRIES.empty_table())
            kept.close()
        files = []
        for parts in (kept, aside, tracks):
            for file, curated, rows in parts.written:
                lake.write_file(CURATED_CONTAINER, curated, file)
                files.append(CuratedFile(parts.dataset, curated, rows))
    written = {f.path for f in files}
    for dataset in (kept.dataset, aside.dataset, tracks.dataset):
        prefix = chart.curated_part(dataset, 0).rsplit("/", 1)[0] + "/"
        for stale in lake.list(CURATED_CONTAINER, prefix):
            if stale not in written:  # a part an earlier curation of this file wrote beyond today's
                lake.delete(CURATED_CONTAINER, stale)
    # Hand the blocks' memory back now: the next part (or the load) is next in this process.
    pa.default_memory_pool().release_unused()
    entries_count = sum(f.rows for f in files if f.dataset == "chart_entries")
    logger.info(
        "curated %s: %d chart entries, %d rows set aside",
        chart.origin,
        entries_count,
        index - entries_count + len(malformed),
    )
    return LoadMessage(curated_from=f"{RAW_CONTAINER}/{path}", files=tuple(files))
