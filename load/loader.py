"""Load curated files into the warehouse: one message (the queue trigger), or a queue's worth.

gather (where each file is, its schema checked) → decide (load.plan, pure) → apply (the
warehouse executes the rendered statements) → the result from the counts the plan captured.

`load_messages` loads many messages over one open warehouse, in batches of consecutive messages
(`batch_messages`, pure): each batch is one plan and one transaction, so every message in it is
still loaded all or nothing. A batch that fails is retried message by message, so one bad
message never holds back the others. ROW_BUDGET bounds a batch's staged rows, and with them
the memory a load needs, whatever the size of the whole export.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime

from contracts.load_message import LoadMessage
from load.errors import LoadError, WarehouseUnavailable
from load.plan import PlanError, build_plan, render_plan
from load.tables import LOAD_FILE, TABLES
from load.warehouse import Warehouse
from storage.lake import Lake

logger = logging.getLogger(__name__)

# Staged rows per batch (declared by the messages): bounds a load's work whatever the size of the
# whole export. DuckDB reads staged streams in place (views over the files, see load.dialect), so a
# batch's memory no longer grows with its staged rows; large batches let DuckDB write whole row
# groups (122 880 rows) straight to the file instead of through the WAL, which is most of the
# load's cost. Measured (300 000 streams, 12 messages, memory_limit 160 MB): ~1.2 s, and the
# load no longer raises the ingest's peak RSS (75 000 rows with materialised staging: ~2.5 s).
ROW_BUDGET = 300_000
# Datasets whose merge gives the same result whether their messages load together or one by one.
# Other datasets replace rows by key (the later message wins), so their messages load alone.
BATCHABLE_DATASETS = frozenset(
    {"streams", "rejects", "chart_entries", "chart_rejects", "chart_track_features"}
    | {t.dataset for t in TABLES if t.merge == "latest_run" and t.dataset}  # the newest run wins anyway
)


@dataclass(frozen=True)
class LoadResult:
    streams_accepted: int = 0  # net new rows in fact_stream for the message's users
    duplicates_skipped: int = 0  # staged stream rows already loaded (or twice in the files)
    records_set_aside: int = 0  # staged reject rows (streams and chart rows)
    files: int = 0
    chart_entries_accepted: int = 0  # net new rows in fact_chart_entry
    chart_duplicates_skipped: int = 0  # staged chart entries already loaded (or twice in the files)
    # streams_accepted by content type (net; they add up to it)
    music_accepted: int = 0
    podcast_accepted: int = 0
    audiobook_accepted: int = 0
    # Account-data rows whose streams the extended history has, counted once whichever came first:
    # staged ones it already had, and loaded ones its staged rows replaced.
    in_extended_history: int = 0


@dataclass(frozen=True)
class BatchOutcome:
    """What happened to some queued messages: all loaded (`result`), or one failed (`error`)."""

    messages: tuple[LoadMessage, ...]
    result: LoadResult | None = None  # the batch's totals (sums of what each message would count)
    error: LoadError | None = None  # set only for a single message, which loaded nothing


def result_from_counts(counts: Mapping[str, int], files: int) -> LoadResult:
    """The load result from the numbers the plan captured (pure)."""

    def net(name: str) -> int:
        return counts.get(f"after:{name}", 0) - counts.get(f"before:{name}", 0)

    staged, accepted = counts.get("staged:streams", 0), net("streams")
    # An extended row replacing an account-data row adds one and deletes one; account rows are
    # replaced only by extended ones, so the account rows' net loss is what was replaced.
    replaced = max(0, -net("streams:account"))
    in_extended = counts.get("in_extended:streams", 0)
    chart_staged, chart_accepted = counts.get("staged:chart_entries", 0), net("chart_entries")
    return LoadResult(
        streams_accepted=accepted,
        duplicates_skipped=staged - accepted - replaced - in_extended,
        records_set_aside=counts.get("staged:rejects", 0) + counts.get("staged:chart_rejects", 0),
        files=files,
        chart_entries_accepted=chart_accepted,
        chart_duplicates_skipped=chart_staged - chart_accepted,
        music_accepted=net("streams:music"),
        podcast_accepted=net("streams:podcast"),
        audiobook_accepted=net("streams:audiobook"),
        in_extended_history=in_extended + replaced,
    )


def _rows(message: LoadMessage) -> int:
    return sum(max(f.rows, 0) for f in message.files)


def _batchable(message: LoadMessage) -> bool:
    # rows == 0: empty, or unknown (the CLI's lake listing): not counted, so not batched either.
    return (
        bool(message.files)
        and _rows(message) > 0
        and {f.dataset for f in message.files} <= BATCHABLE_DATASETS
    )


def batch_messages(messages: Iterable[LoadMessage], row_budget: int = ROW_BUDGET) -> list[list[LoadMessage]]:
    """Consecutive messages grouped into batches that load as one transaction (pure).

    A batch holds at most `row_budget` declared rows (a bigger message is a batch of its own),
    only streams/rejects messages, and never two messages curated from the same raw file or
    naming the same file, so loading a batch gives exactly what loading them one by one gives.
    """
    batches: list[list[LoadMessage]] = []
    current: list[LoadMessage] = []
    rows, origins, paths = 0, set[str](), set[str]()
    for message in messages:
        names = {f.path for f in message.files}
        fits = (
            current
            and _batchable(message)
            and rows + _rows(message) <= row_budget
            and message.curated_from not in origins
            and not names & paths
            and len(names) == len(message.files)
        )
        if not fits:
            if current:
                batches.append(current)
            current, rows, origins, paths = [], 0, set(), set()
        current.append(message)
        rows, origins, paths = rows + _rows(message), origins | {message.curated_from}, paths | names
        if not _batchable(message):
            batches.append(current)
            current, rows, origins, paths = [], 0, set(), set()
    if current:
        batches.append(current)
    return batches


def _load(warehouse: Warehouse, lake: Lake, messages: Sequence[LoadMessage]) -> LoadResult:
    """Load the files of `messages` as one plan, in one transaction; raises LoadError."""
    curated_from = "; ".join(m.curated_from for m in messages)
    try:
        plan = build_plan(
            messages, uuid.uuid4().hex[:12], datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
        )
    except PlanError as error:
        raise LoadError(f"{curated_from}: {error}") from None
    if plan.empty:
        logger.info("load %s: no files", curated_from)
        return LoadResult()
    with ExitStack() as stack:
        # Local copies (DuckDB) must stay on disk until the statements have run.
        locations = {f.path: warehouse.locate(lake, f.dataset, f.path, stack) for f in plan.files}
        counts = warehouse.execute(render_plan(plan, warehouse.dialect, locations))
    result = result_from_counts(counts, len(plan.files))
    logger.info(
        "loaded %s: %d files, %d streams accepted, %d duplicates skipped, %d records set aside",
        curated_from if len(messages) == 1 else f"{len(messages)} messages",
        result.files,
        result.streams_accepted,
        result.duplicates_skipped,
        result.records_set_aside,
    )
    return result


def load_message(
    warehouse: Warehouse, lake: Lake, message: LoadMessage, log_failure: bool = True
) -> LoadResult:
    """Load exactly the files `message` names; all or nothing. Replaying a message changes nothing.

    Raises LoadError (nothing loaded) for a missing or malformed curated file or a failed statement.
    The failure is logged too (the queue's trail) unless `log_failure` is False (the CLI, which
    prints the error as its one line anyway).
    """
    try:
        return _load(warehouse, lake, [message])
    except LoadError as error:
        # Logged for the queue's retry/poison trail; raised so the message is retried, then poisoned.
        if log_failure:
            logger.error("load %s failed, nothing loaded: %s", message.curated_from, error)
        raise


def load_messages(
    warehouse: Warehouse, lake: Lake, messages: Iterable[LoadMessage], row_budget: int = ROW_BUDGET
) -> Iterator[BatchOutcome]:
    """Load `messages` in order over one warehouse connection, batched; one outcome per batch.

    A failed batch is retried one message at a time: the good ones load, each bad one yields an
    outcome with its one-line LoadError and loaded nothing. WarehouseUnavailable (no point going
    on) is raised.
    """
    for batch in batch_messages(messages, row_budget):
        if len(batch) > 1:
            try:
                yield BatchOutcome(tuple(batch), result=_load(warehouse, lake, batch))
                continue
            except WarehouseUnavailable:
                raise
            except LoadError as error:
                # Someone in the batch is bad, and the batch rolled back: find out who, one by one.
                logger.warning("batch of %d messages failed, loading them one by one: %s", len(batch), error)
        for message in batch:
            try:
                yield BatchOutcome((message,), result=load_message(warehouse, lake, message))
            except WarehouseUnavailable:
                raise
            except LoadError as error:  # this message only; the others still load
                yield BatchOutcome((message,), error=error)


def finished_sources(warehouse: Warehouse, sources: Iterable[str]) -> set[str]:
    """Which of these raw files (`<container>/<path>`, a message's curated_from) are loaded.

    A message loads in one transaction together with its load_file rows, so a raw file with any
    row there was loaded whole: curating and loading it again would change nothing.
    """
    d, table, wanted = warehouse.dialect, warehouse.dialect.table(LOAD_FILE.name), sorted(set(sources))
    found: set[str] = set()
    for start in range(0, len(wanted), 500):  # an IN list of at most 500 literals per query
        names = ", ".join(d.lit(source) for source in wanted[start : start + 500])
        rows = warehouse.query(
            f"SELECT DISTINCT {d.ident('source')} FROM {table} WHERE {d.ident('source')} IN ({names})"
        )
        found.update(str(row[0]) for row in rows)
    return found
