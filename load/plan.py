"""The load plan: one load message in, an ordered list of steps out, rendered per SQL dialect.

Pure: no connection, no clock, no lake. `build_plan` decides what a message does (which staging
tables, which merge per dataset, what to count); `render_plan` turns the same plan into DuckDB
or T-SQL statements, each tagged with its phase:

  setup    staging DDL, staging loads (DuckDB read_parquet / Synapse COPY INTO), staging dedupe
           (the window dedupe of streams runs only when staged keys repeat; else a plain copy)
  begin    one transaction for the whole message ...
  txn      ... deletes and inserts on the warehouse tables, and the bookkeeping row per file
  commit
  cleanup  drop the staging tables (always runs, success or not)

Synapse forbids DDL inside a user transaction, so staging DDL stays in `setup`; the warehouse
tables change only between `begin` and `commit`, so a failure leaves them exactly as before.

One plan may load a batch of several messages (load.loader batches consecutive queued
messages): their files are staged together and merged in the same one transaction, with the
same rules, so the batch is all or nothing and the result is what loading them one by one gives.

Merge semantics (idempotent, and the result does not depend on the order messages arrive in):
- streams: exact duplicates by (user_id, stream_key), within the staged files too; the smallest
  origin wins so replays from another upload change nothing. An account-data row is the same
  stream as an extended row with the same user, end minute, artist, track and ms_played; the
  extended row wins. A Web API play is the same stream as an export row (extended or account) of
  the same user within ±60 s with the same track_id (account rows: same artist and track); the
  export row wins. An account row's ts is its end MINUTE rounded down (the real end lies in
  [ts, ts + 60 s)), so a play matches it within ±60 s of any instant of that minute:
  [ts - 60 s, ts + 120 s]. Winners delete the losers already loaded; losers arriving later are
  skipped. No rule matches rows more than 120 s apart, so the merge looks only at loaded rows of
  the staged users within the staged time range widened by NEAR_SECONDS (cheap on a big fact table).
- rejects: rows of the same (user, origin) are replaced.
- tracks/albums/artists: upsert by id, the latest `fetched_at` wins.
- track_artists / artist_genres / top_items: rows with the same key are replaced.
- analysis results (latest_run): per key (a user, a model), only the rows of the newest run
  (`run_id`) are kept, of those loaded and those staged, so an older run arriving late changes
  nothing and a replayed run replaces itself.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from contracts.datasets import CONTENT_TYPES
from contracts.layout import curated_group
from contracts.load_message import CuratedFile, LoadMessage
from load.dialect import Dialect
from load.tables import LOAD_FILE, TABLE_BY_DATASET, TABLES, Column, Table
from load.views import VIEWS

EXPORT_SOURCES = ("extended", "account")
API_MATCH_SECONDS = 60
# An account row's ts is the end minute rounded down: its real end is up to this much later.
ACCOUNT_MINUTE_SECONDS = 60
# Loaded rows further than this from every staged row can match no rule: exact duplicates share
# ts, account/extended rows share the minute, an api play is at most API_MATCH_SECONDS from an
# extended row and at most API_MATCH_SECONDS + ACCOUNT_MINUTE_SECONDS after an account row's ts.
NEAR_SECONDS = API_MATCH_SECONDS + ACCOUNT_MINUTE_SECONDS + 1

Locate = Callable[[str], str]  # curated path -> what the dialect's loader reads (local path / URL)


@dataclass(frozen=True)
class Statement:
    sql: str
    phase: str  # setup | begin | txn | commit | cleanup
    # The executor stores this query's single row under these names, one per column ("a,b,c").
    capture: str | None = None
    if_any: str | None = None  # run only when this captured count is > 0
    if_none: str | None = None  # run only when this captured count is 0


class Step(Protocol):
    """One step of a load plan: rendered per dialect into the statements of its phase."""

    @property
    def phase(self) -> str: ...

    def render(self, d: Dialect, locate: Locate) -> Sequence[str | Statement]: ...


def should_run(statement: Statement, counts: Mapping[str, int]) -> bool:
    """Whether a conditional statement runs, given the counts captured so far (pure)."""
    if statement.if_any is not None and not counts.get(statement.if_any, 0):
        return False
    return not (statement.if_none is not None and counts.get(statement.if_none, 0))


# -- steps ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CreateStaging:
    name: str
    columns: tuple[Column, ...]
    external: bool = False  # holds the files' rows as they are (a dialect may read them in place)
    derived: bool = False  # filled by one query over other staging (a dialect may keep it a query)
    phase = "setup"

    def render(self, d: Dialect, locate: Locate) -> list[str]:
        return [
            *d.drop_staging(self.name, self.external, self.derived),
            d.create_staging(self.name, self.columns, self.external, self.derived),
        ]


@dataclass(frozen=True)
class StageFiles:
    name: str
    columns: tuple[Column, ...]
    paths: tuple[str, ...]
    external: bool = True
    phase = "setup"

    def render(self, d: Dialect, locate: Locate) -> list[str]:
        return [d.stage_files(self.name, self.columns, [locate(p) for p in self.paths], self.external)]


def _near(d: Dialect, row: str, staging: str) -> str:
    """`row` (a loaded stream) lies within the staged rows' time range, widened by NEAR_SECONDS."""
    s = d.table(staging)
    low = d.add_seconds("MIN(n.ts)", -NEAR_SECONDS)
    high = d.add_seconds("MAX(n.ts)", NEAR_SECONDS)
    return f"{row}.ts BETWEEN (SELECT {low} FROM {s} AS n) AND (SELECT {high} FROM {s} AS n)"


@dataclass(frozen=True)
class Count:
    """A single number the load result is computed from (staged rows, a user's streams)."""

    capture: str
    table: str
    users_in: str | None = None  # only rows whose user_id is in this staging table ...
    near: bool = False  # ... and whose ts is near the staged rows (the only rows a merge changes)

    breakdown: bool = False  # also count each content type and the account-data rows (streams)
    phase: str = "setup"

    def render(self, d: Dialect, locate: Locate) -> list[str | Statement]:
        where = []
        if self.users_in:
            where.append(f"{self.table}.user_id IN (SELECT user_id FROM {d.table(self.users_in)})")
            if self.near:
                where.append(_near(d, self.table, self.users_in))
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        if not self.breakdown:
            return [f"SELECT COUNT(*) FROM {d.table(self.table)}{clause}"]
        parts = [("content_type", kind) for kind in CONTENT_TYPES] + [("source", "account")]
        counted = ", ".join(f"SUM(CASE WHEN {c} = {d.lit(v)} THEN 1 ELSE 0 END)" for c, v in parts)
        names = [self.capture, *(f"{self.capture}:{v}" for _, v in parts)]
        sql = f"SELECT COUNT(*), {counted} FROM {d.table(self.table)}{clause}"
        return [Statement(sql, self.phase, ",".join(names))]


@dataclass(frozen=True)
class CountRepeatedKeys:
    """How many keys occur more than once among the staged rows (0: the dedupe can be a copy)."""

    capture: str
    table: str
    keys: tuple[str, ...]
    phase: str = "setup"

    def render(self, d: Dialect, locate: Locate) -> list[str]:
        keys = d.cols(self.keys)
        return [
            f"SELECT COUNT(*) FROM (SELECT {keys} FROM {d.table(self.table)} GROUP BY {keys}"
            " HAVING COUNT(*) > 1) AS r"
        ]


@dataclass(frozen=True)
class CountBeatable:
    """How many staged streams are account rows or Web API plays (0: no staged row can be beaten)."""

    capture: str
    table: str
    phase: str = "setup"

    def render(self, d: Dialect, locate: Locate) -> list[str]:
        beatable = ", ".join(d.lit(x) for x in ("account", "api"))
        return [f"SELECT COUNT(*) FROM {d.table(self.table)} WHERE source IN ({beatable})"]


@dataclass(frozen=True)
class Dedupe:
    """Staged rows → the clean staging table: one row per key (first by `order`), or DISTINCT."""

    source: str
    target: str
    columns: tuple[str, ...]
    partition: tuple[str, ...] = ()
    order: tuple[str, ...] = ()
    phase = "setup"

    def render(self, d: Dialect, locate: Locate) -> list[str]:
        cols, source = d.cols(self.columns), d.table(self.source)
        select = d.dedupe_select(self.columns, source, self.partition, self.order)
        if not self.partition:
            select = f"SELECT DISTINCT {cols} FROM {source}"
        return [f"INSERT INTO {d.table(self.target)} ({cols}) {select}"]


@dataclass(frozen=True)
class DedupeIfRepeated:
    """The window dedupe only when `repeated` (a CountRepeatedKeys capture) is > 0; else a copy.

    The target is `derived` staging: the dialect fills it from the query (a table, or a view over
    the staged rows read in place). Renders two statements; the executor runs exactly one of them
    (Statement.if_any / if_none).
    """

    dedupe: Dedupe
    repeated: str
    phase = "setup"

    def render(self, d: Dialect, locate: Locate) -> list[Statement]:
        dd = self.dedupe
        dedupe = d.derive_staging(dd.target, dd.columns, dd.source, dd.partition, dd.order)
        copy = d.derive_staging(dd.target, dd.columns, dd.source)
        return [Statement(sql, self.phase, if_any=self.repeated) for sql in dedupe] + [
            Statement(sql, self.phase, if_none=self.repeated) for sql in copy
        ]


@dataclass(frozen=True)
class Begin:
    phase = "begin"

    def render(self, d: Dialect, locate: Locate) -> list[str]:
        return [d.begin]


@dataclass(frozen=True)
class Commit:
    phase = "commit"

    def render(self, d: Dialect, locate: Locate) -> list[str]:
        return [d.commit]


def _same_stream_account(d: Dialect, ext: str, acc: str) -> str:
    """`ext` (an extended row) and `acc` (an account-data row) are the same stream.

    Music matches on artist and track; podcast episodes (which have neither) on show and episode,
    audiobook chapters on book and chapter.
    """
    creator = "COALESCE({0}.artist_name, {0}.show_name, {0}.audiobook_title)"
    title = "COALESCE({0}.track_name, {0}.episode_name, {0}.chapter_title)"
    return (
        f"{ext}.user_id = {acc}.user_id AND {d.trunc_minute(f'{ext}.ts')} = {acc}.ts"
        f" AND {creator.format(ext)} = {creator.format(acc)} AND {title.format(ext)} = {title.format(acc)}"
        f" AND {ext}.ms_played = {acc}.ms_played"
    )


def _same_stream_api(d: Dialect, api: str, exp: str) -> str:
    """`api` (a Web API play) and `exp` (an export row) are the same stream.

    Extended rows: the same track_id, ends within ±60 s. Account rows (no track_id; ts is the end
    minute rounded down, the real end in [ts, ts + 60 s)): the same artist and track, the play
    within ±60 s of some instant of that minute, i.e. in [ts - 60 s, ts + 120 s].
    """
    low = d.add_seconds(f"{exp}.ts", -API_MATCH_SECONDS)
    high = d.add_seconds(f"{exp}.ts", API_MATCH_SECONDS)
    account_high = d.add_seconds(f"{exp}.ts", API_MATCH_SECONDS + ACCOUNT_MINUTE_SECONDS)
    return (
        f"{api}.user_id = {exp}.user_id AND {api}.ts BETWEEN {low} AND {account_high}"
        f" AND (({api}.ts <= {high} AND {api}.track_id = {exp}.track_id)"
        f" OR ({exp}.source = {d.lit('account')}"
        f" AND {api}.artist_name = {exp}.artist_name AND {api}.track_name = {exp}.track_name))"
    )


@dataclass(frozen=True)
class MergeStreams:
    staging: str
    columns: tuple[str, ...]
    table: str = "fact_stream"
    beatable: str | None = None  # a CountBeatable capture: staged rows another row may beat
    in_extended: str | None = None  # capture: staged account rows the extended history has
    phase = "txn"

    def render(self, d: Dialect, locate: Locate) -> list[str | Statement]:
        t, f, s = d.table(self.table), self.table, d.table(self.staging)  # f: the target's exposed name
        account, extended, api = d.lit("account"), d.lit("extended"), d.lit("api")
        export = "(" + ", ".join(d.lit(x) for x in EXPORT_SOURCES) + ")"
        cols = d.cols(self.columns)
        # Loaded rows that can match a staged one at all (see NEAR_SECONDS): a cheap pre-filter.
        near_t, near_f = _near(d, f, self.staging), _near(d, "f", self.staging)
        beats = [
            f"SELECT a.user_id, a.stream_key FROM {s} AS a INNER JOIN {winner} WHERE {where}"
            for winner, where in (
                # staged account rows: the same stream as a loaded or staged extended row
                (
                    f"{t} AS f ON {_same_stream_account(d, 'f', 'a')}",
                    f"a.source = {account} AND f.source = {extended} AND {near_f}",
                ),
                (
                    f"{s} AS e ON {_same_stream_account(d, 'e', 'a')}",
                    f"a.source = {account} AND e.source = {extended}",
                ),
                # staged Web API plays: the same stream as a loaded or staged export row
                (
                    f"{t} AS f ON {_same_stream_api(d, 'a', 'f')}",
                    f"a.source = {api} AND f.source IN {export} AND {near_f}",
                ),
                (
                    f"{s} AS x ON {_same_stream_api(d, 'a', 'x')}",
                    f"a.source = {api} AND x.source IN {export}",
                ),
            )
        ]
        beaten = " UNION ALL ".join(beats)
        deletes = [
            # 1. exact duplicates: the copy with the smallest origin is kept, whichever came first
            f"DELETE FROM {t} WHERE {near_t} AND EXISTS (SELECT 1 FROM {s} AS s"
            f" WHERE s.user_id = {f}.user_id AND s.stream_key = {f}.stream_key AND s.origin < {f}.origin)",
            # 2. staged extended rows replace the account-data rows of the same streams
            f"DELETE FROM {t} WHERE {f}.source = {account} AND {near_t} AND EXISTS (SELECT 1 FROM {s} AS s"
            f" WHERE s.source = {extended} AND {_same_stream_account(d, 's', f)})",
            # 3. staged export rows replace the Web API plays of the same streams
            f"DELETE FROM {t} WHERE {f}.source = {api} AND {near_t} AND EXISTS (SELECT 1 FROM {s} AS s"
            f" WHERE s.source IN {export} AND {_same_stream_api(d, f, 's')})",
        ]
        insert = (
            f"INSERT INTO {t} ({cols}) SELECT {d.cols(self.columns, 's')} FROM {s} AS s"
            f" WHERE NOT EXISTS (SELECT 1 FROM {t} AS f"
            f" WHERE {near_f} AND f.user_id = s.user_id AND f.stream_key = s.stream_key)"
        )
        in_extended = (
            []
            if self.in_extended is None
            else [
                # For the summary: staged account rows whose stream the extended history already has
                # (loaded or staged), each once. Only when there are staged account rows at all.
                Statement(
                    f"SELECT COUNT(*) FROM ({beats[0]} UNION {beats[1]}) AS b",
                    self.phase,
                    self.in_extended,
                    if_any=self.beatable,
                )
            ]
        )
        return [
            *in_extended,
            *deletes,
            # 4. insert what is new: not an exact duplicate, not beaten by a loaded or staged row.
            # Staged keys are unique (the dedupe), so the beaten rows are found by joins that
            # touch only the few account/api rows and then named by key: the insert itself is
            # two anti-joins on (user_id, stream_key), which stream the staged rows once.
            # Only staged account rows and Web API plays can be beaten: without any (an
            # extended-only load, the usual case), the insert skips those joins altogether.
            Statement(
                f"{insert} AND NOT EXISTS (SELECT 1 FROM ({beaten}) AS b"
                " WHERE b.user_id = s.user_id AND b.stream_key = s.stream_key)",
                self.phase,
                if_any=self.beatable,
            ),
            Statement(insert, self.phase, if_none=self.beatable),
        ]


@dataclass(frozen=True)
class ReplaceRows:
    """Rows whose key values appear in staging are replaced by the staged rows."""

    table: str
    staging: str
    keys: tuple[str, ...]
    columns: tuple[str, ...]
    phase = "txn"

    def render(self, d: Dialect, locate: Locate) -> list[str]:
        t, s = d.table(self.table), d.table(self.staging)
        match = " AND ".join(f"s.{d.ident(k)} = {self.table}.{d.ident(k)}" for k in self.keys)
        cols = d.cols(self.columns)
        return [
            f"DELETE FROM {t} WHERE EXISTS (SELECT 1 FROM {s} AS s WHERE {match})",
            f"INSERT INTO {t} ({cols}) SELECT {cols} FROM {s}",
        ]


@dataclass(frozen=True)
class KeepLatestRun:
    """Per key, the rows of the newest run_id win, loaded or staged; the others go (or never come)."""

    table: str
    staging: str
    keys: tuple[str, ...]
    columns: tuple[str, ...]
    phase = "txn"

    def render(self, d: Dialect, locate: Locate) -> list[str]:
        t, s, run, cols = d.table(self.table), d.table(self.staging), d.ident("run_id"), d.cols(self.columns)

        def same(a: str, b: str) -> str:
            return " AND ".join(f"{a}.{d.ident(k)} = {b}.{d.ident(k)}" for k in self.keys)

        return [
            f"DELETE FROM {t} WHERE EXISTS (SELECT 1 FROM {s} AS s"
            f" WHERE {same('s', self.table)} AND s.{run} >= {self.table}.{run})",
            f"INSERT INTO {t} ({cols}) SELECT {d.cols(self.columns, 's')} FROM {s} AS s"
            f" WHERE NOT EXISTS (SELECT 1 FROM {s} AS n WHERE {same('n', 's')} AND n.{run} > s.{run})"
            f" AND NOT EXISTS (SELECT 1 FROM {t} AS x WHERE {same('x', 's')} AND x.{run} > s.{run})",
        ]


@dataclass(frozen=True)
class UpsertLatest:
    """Upsert by id; a staged row replaces a loaded one only if fetched at the same time or later."""

    table: str
    staging: str
    key: str
    columns: tuple[str, ...]
    phase = "txn"

    def render(self, d: Dialect, locate: Locate) -> list[str]:
        t, s, k = d.table(self.table), d.table(self.staging), d.ident(self.key)
        return [
            f"DELETE FROM {t} WHERE EXISTS (SELECT 1 FROM {s} AS s WHERE s.{k} = {self.table}.{k}"
            f" AND s.fetched_at >= {self.table}.fetched_at)",
            f"INSERT INTO {t} ({d.cols(self.columns)}) SELECT {d.cols(self.columns, 's')} FROM {s} AS s"
            f" WHERE NOT EXISTS (SELECT 1 FROM {t} AS x WHERE x.{k} = s.{k})",
        ]


@dataclass(frozen=True)
class RecordFiles:
    """Bookkeeping: these curated files are in the warehouse (replayed files: same rows)."""

    files: tuple[tuple[CuratedFile, str], ...]  # (file, curated_from of the message naming it)
    loaded_at: str  # ISO timestamp, UTC
    phase = "txn"

    def render(self, d: Dialect, locate: Locate) -> list[str]:
        t = d.table(LOAD_FILE.name)
        paths = ", ".join(d.lit(f.path) for f, _ in self.files)
        rows = " UNION ALL ".join(
            f"SELECT {d.lit(f.path)}, {d.lit(f.dataset)}, {int(f.rows)}, {d.lit(curated_from)}, "
            f"{d.timestamp_lit(self.loaded_at)}"
            for f, curated_from in self.files
        )
        return [
            f"DELETE FROM {t} WHERE {d.ident('path')} IN ({paths})",
            f"INSERT INTO {t} ({d.cols(LOAD_FILE.column_names)}) {rows}",
        ]


@dataclass(frozen=True)
class DropStaging:
    name: str
    external: bool = False
    derived: bool = False
    phase = "cleanup"

    def render(self, d: Dialect, locate: Locate) -> list[str]:
        return d.drop_staging(self.name, self.external, self.derived)


# -- the plan ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadPlan:
    curated_from: str  # the messages' curated_from, joined: lineage for logs
    files: tuple[CuratedFile, ...]
    steps: tuple[Step, ...] = field(default_factory=tuple)

    @property
    def empty(self) -> bool:
        return not self.files


class PlanError(ValueError):
    """The message cannot be planned (an unknown dataset)."""


def staged_name(tag: str, dataset: str) -> str:
    return f"stg_{tag}_{dataset}"


@dataclass(frozen=True)
class KeepFirstCopy:
    """One row per key: of every copy, loaded or staged, the one with the smallest (origin,
    record_index) is kept, whichever was loaded first, so messages may arrive in any order.

    With `prune_by` (a date), only loaded rows whose date lies in the staged range can share a
    key with a staged row: the delete and the anti-join look at those alone.
    """

    table: str
    staging: str
    key: str
    columns: tuple[str, ...]
    prune_by: str | None = None
    phase = "txn"

    def render(self, d: Dialect, locate: Locate) -> list[str]:
        t, s, k, cols = d.table(self.table), d.table(self.staging), d.ident(self.key), d.cols(self.columns)
        f = self.table

        def in_range(row: str) -> str:  # "<row's date in the staged range> AND ", or nothing
            if self.prune_by is None:
                return ""
            p = d.ident(self.prune_by)
            low, high = f"(SELECT MIN(n.{p}) FROM {s} AS n)", f"(SELECT MAX(n.{p}) FROM {s} AS n)"
            return f"{row}.{p} BETWEEN {low} AND {high} AND "

        earlier = f"(s.origin < {f}.origin OR (s.origin = {f}.origin AND s.record_index < {f}.record_index))"
        return [
            f"DELETE FROM {t} WHERE {in_range(f)}EXISTS (SELECT 1 FROM {s} AS s"
            f" WHERE s.{k} = {f}.{k} AND {earlier})",
            # The same range bounds the anti-join: only those loaded rows can share a key (over the
            # whole table, 26 loads of 1M rows took 40x the time of one).
            f"INSERT INTO {t} ({cols}) SELECT {d.cols(self.columns, 's')} FROM {s} AS s"
            f" WHERE NOT EXISTS (SELECT 1 FROM {t} AS x WHERE {in_range('x')}x.{k} = s.{k})",
        ]


def _merge_step(table: Table, staging: str):
    names = table.column_names
    if table.merge == "first_copy":
        return KeepFirstCopy(
            table=table.name, staging=staging, key=table.keys[0], columns=names, prune_by=table.prune_by
        )
    if table.merge == "streams":
        return MergeStreams(
            staging,
            names,
            table.name,
            beatable=f"beatable:{table.dataset}",
            in_extended=f"in_extended:{table.dataset}",
        )
    if table.merge == "upsert_latest":
        return UpsertLatest(table=table.name, staging=staging, key=table.keys[0], columns=names)
    if table.merge == "replace":
        return ReplaceRows(table=table.name, staging=staging, keys=table.keys, columns=names)
    if table.merge == "latest_run":
        return KeepLatestRun(table=table.name, staging=staging, keys=table.keys, columns=names)
    raise PlanError(f"no merge rule {table.merge!r} for {table.name}")


def _dedupe_steps(table: Table, staged_in: str, staging: str) -> list:
    names = table.column_names
    if table.merge in ("streams", "first_copy"):
        # Same key, same stream (or chart entry): keep one, deterministically (smallest origin, as
        # in MergeStreams). Most loads repeat no key: then the (costly) window is skipped for a copy.
        repeated = f"repeated:{table.dataset}"
        order = ("origin", "ts") if table.merge == "streams" else ("origin", "record_index")
        dedupe = Dedupe(staged_in, staging, names, partition=table.keys, order=order)
        return [CountRepeatedKeys(repeated, staged_in, table.keys), DedupeIfRepeated(dedupe, repeated)]
    return [_dedupe_step(table, staged_in, staging)]


def _dedupe_step(table: Table, staged_in: str, staging: str) -> Dedupe:
    names = table.column_names
    if table.merge == "upsert_latest":
        return Dedupe(staged_in, staging, names, partition=table.keys, order=("fetched_at DESC", "name"))
    return Dedupe(staged_in, staging, names)


def build_plan(message: LoadMessage | Sequence[LoadMessage], tag: str, loaded_at: str) -> LoadPlan:
    """The ordered steps that load exactly the files of `message`, in one transaction.

    `message` may be a batch (a sequence of messages): their files load together, all or nothing,
    each recorded with its own message's curated_from. `tag` makes the staging table names unique to
    this load; `loaded_at` (ISO, UTC) is recorded in the bookkeeping table. Raises PlanError for
    a dataset the warehouse has no table for.
    """
    messages = (message,) if isinstance(message, LoadMessage) else tuple(message)
    curated_from = "; ".join(m.curated_from for m in messages)
    entries = tuple((f, m.curated_from) for m in messages for f in m.files)
    files = tuple(f for f, _ in entries)
    if not files:
        return LoadPlan(curated_from, ())
    by_dataset: dict[str, list[str]] = {}
    for file in files:
        if file.dataset not in TABLE_BY_DATASET:
            raise PlanError(f"unknown curated dataset {file.dataset!r} in {file.path}")
        paths = by_dataset.setdefault(file.dataset, [])
        if file.path not in paths:
            paths.append(file.path)
    tables = [t for t in TABLES if t.dataset in by_dataset]  # fixed order: streams first

    setup: list[Step] = []
    txn: list[Step] = []
    cleanup: list[Step] = []
    for table in tables:
        dataset = str(table.dataset)  # every table here loads a dataset (filtered above)
        staging, staged_in = staged_name(tag, dataset), staged_name(tag, dataset) + "_in"
        derived = table.merge in ("streams", "first_copy")  # filled by DedupeIfRepeated (_dedupe_steps)
        setup += [
            CreateStaging(staged_in, table.columns, external=True),
            CreateStaging(staging, table.columns, derived=derived),
            StageFiles(staged_in, table.columns, tuple(by_dataset[dataset])),
            Count(f"staged:{dataset}", staged_in),
            *_dedupe_steps(table, staged_in, staging),
        ]
        if table.merge == "streams":
            setup.append(CountBeatable(f"beatable:{dataset}", staged_in))
        cleanup += [DropStaging(staged_in, external=True), DropStaging(staging, derived=derived)]
        if table.merge == "streams":
            # The merge changes only rows near the staged ones: counting those gives the same net.
            txn.append(Count("before:streams", table.name, staging, near=True, breakdown=True, phase="txn"))
            txn.append(_merge_step(table, staging))
            txn.append(Count("after:streams", table.name, staging, near=True, breakdown=True, phase="txn"))
        elif table.merge == "first_copy":
            txn.append(Count(f"before:{dataset}", table.name, phase="txn"))
            txn.append(_merge_step(table, staging))
            txn.append(Count(f"after:{dataset}", table.name, phase="txn"))
        else:
            txn.append(_merge_step(table, staging))
    txn.append(RecordFiles(entries, loaded_at))
    return LoadPlan(curated_from, files, tuple([*setup, Begin(), *txn, Commit(), *cleanup]))


def render_plan(plan: LoadPlan, dialect: Dialect, locate: Locate | Mapping[str, str]) -> list[Statement]:
    """The plan as statements of one dialect; `locate` maps a curated path to its location."""
    if isinstance(locate, Mapping):
        locate = locate.__getitem__
    statements = []
    for step in plan.steps:
        capture = getattr(step, "capture", None)
        for sql in step.render(dialect, locate):
            statements.append(sql if isinstance(sql, Statement) else Statement(sql, step.phase, capture))
    return statements


# -- schema (tables and views) ------------------------------------------------------------------


def schema_statements(dialect: Dialect, existing: Iterable[str] = ()) -> list[str]:
    """DDL creating the tables that do not exist yet, and (re)defining every view."""
    existing = {name.lower() for name in existing}
    statements = [dialect.create_table(t) for t in TABLES if t.name not in existing]
    statements += [dialect.create_view(v.name, v.body(dialect), v.name in existing) for v in VIEWS]
    return statements


def schema_version(dialect: Dialect) -> str:
    """A digest of the whole schema DDL: when it changes, the views are defined again."""
    ddl = [dialect.create_table(t) for t in TABLES] + [
        dialect.create_view(v.name, v.body(dialect), False) for v in VIEWS
    ]
    return hashlib.sha256("\n".join(ddl).encode()).hexdigest()[:16]


# -- curated files -> messages (the CLI's view of the lake) ------------------------------------


def group_curated(paths: Iterable[str], loaded: Iterable[str] = ()) -> list[LoadMessage]:
    """Curated paths not loaded yet, grouped into one message per source file.

    Files of one raw file share a group (contracts.layout.curated_group) and load together.
    Paths of unknown datasets and non-Parquet files are ignored. Rows are unknown here (0).
    """
    loaded = set(loaded)
    groups: dict[str, list[CuratedFile]] = {}
    for path in paths:
        grouped = curated_group(path)
        if grouped is None or grouped[0] not in TABLE_BY_DATASET or path in loaded:
            continue
        dataset, group = grouped
        groups.setdefault(group, []).append(CuratedFile(dataset, path, 0))
    order = {t.dataset: i for i, t in enumerate(TABLES)}
    return [
        LoadMessage(
            curated_from=f"curated:{key}",
            files=tuple(sorted(files, key=lambda f: (order[f.dataset], f.path))),
        )
        for key, files in sorted(groups.items())
    ]


def dry_run_tag(message: LoadMessage) -> str:
    """A deterministic staging tag for a message (dry runs); real loads use a fresh one each time."""
    return hashlib.sha256(message.to_json().encode()).hexdigest()[:12]


def synapse_script(
    dialect: Dialect,
    messages: Sequence[LoadMessage],
    locate: Locate,
    loaded_at: str,
    header: Sequence[str] = (),
) -> str:
    """The whole T-SQL a Synapse load of `messages` runs, as one readable script (dry run)."""
    lines = [f"-- {h}" for h in header]
    lines += ["", "-- Tables (created when missing) and reporting views"]
    lines += [f"{sql};" for sql in schema_statements(dialect)]
    if not messages:
        lines += ["", "-- No curated files to load."]
    for number, message in enumerate(messages, 1):
        plan = build_plan(message, dry_run_tag(message), loaded_at)
        lines += [
            "",
            f"-- Load {number} of {len(messages)}: {message.curated_from} ({len(message.files)} files)",
        ]
        for statement in render_plan(plan, dialect, locate):
            note = f"  -- {statement.phase}" + (
                f", result -> {statement.capture}" if statement.capture else ""
            )
            if statement.if_any:
                note += f", only if {statement.if_any} > 0"
            if statement.if_none:
                note += f", only if {statement.if_none} = 0"
            lines.append(f"{statement.sql};{note}")
    return "\n".join(lines) + "\n"
