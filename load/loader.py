"""Load one message's curated files into the warehouse, in one transaction (the queue trigger's work).

gather (where each file is, its schema checked) → decide (load.plan, pure) → apply (the
warehouse executes the rendered statements) → the result from the counts the plan captured.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime

from load.errors import LoadError
from load.message import LoadMessage
from load.plan import PlanError, build_plan, render_plan

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadResult:
    streams_accepted: int = 0  # net new rows in fact_stream for the message's users
    duplicates_skipped: int = 0  # staged stream rows that were not new (exact or cross-source)
    records_set_aside: int = 0  # staged reject rows
    files: int = 0


def result_from_counts(counts: Mapping[str, int], files: int) -> LoadResult:
    """The load result from the numbers the plan captured (pure)."""
    staged = counts.get("staged:streams", 0)
    accepted = counts.get("after:streams", 0) - counts.get("before:streams", 0)
    return LoadResult(
        streams_accepted=accepted,
        duplicates_skipped=staged - accepted,
        records_set_aside=counts.get("staged:rejects", 0),
        files=files,
    )


def load_message(warehouse, lake, message: LoadMessage) -> LoadResult:
    """Load exactly the files `message` names; all or nothing. Replaying a message changes nothing.

    Raises LoadError (nothing loaded) for a missing or malformed curated file or a failed statement.
    """
    try:
        plan = build_plan(
            message, uuid.uuid4().hex[:12], datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
        )
    except PlanError as error:
        raise LoadError(f"{message.source}: {error}") from None
    if plan.empty:
        logger.info("load %s: no files", message.source)
        return LoadResult()
    try:
        with ExitStack() as stack:
            # Local copies (DuckDB) must stay on disk until the statements have run.
            locations = {f.path: warehouse.locate(lake, f.dataset, f.path, stack) for f in message.files}
            counts = warehouse.execute(render_plan(plan, warehouse.dialect, locations))
    except LoadError as error:
        # Logged for the queue's retry/poison trail; raised so the message is retried, then poisoned.
        logger.error("load %s failed, nothing loaded: %s", message.source, error)
        raise
    result = result_from_counts(counts, len(message.files))
    logger.info(
        "loaded %s: %d files, %d streams accepted, %d duplicates skipped, %d records set aside",
        message.source,
        result.files,
        result.streams_accepted,
        result.duplicates_skipped,
        result.records_set_aside,
    )
    return result
