"""`python -m cli ingest PATH [PATH ...]`: run the whole export chain in-process on each path."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from cli.common import (
    UserError,
    add_lake_options,
    add_user_option,
    check_user,
    refusal_line,
    settings_from,
)

# What the run does to a local lake (cli.lock): writes, creating it if missing.
LAKE_ACCESS = "create"


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "ingest",
        help="ingest Spotify privacy exports (.zip, folder or history .json)",
        description="Run upload → raw → curated → queue → load in-process, as the triggers would.",
    )
    parser.add_argument(
        "paths", nargs="+", metavar="PATH", help="an export .zip, a folder, or a history .json"
    )
    add_lake_options(parser)
    add_user_option(parser)


class _Progress:
    """One status line on a terminal, rewritten in place per step; nothing when not a terminal.

    Progress is for people watching a terminal; scripts and CI get only the summary line.
    """

    def __init__(self) -> None:
        self.shown = sys.stderr.isatty()
        self.width = shutil.get_terminal_size((80, 24)).columns - 1

    def __call__(self, line: str) -> None:
        if self.shown:
            print(f"\r\x1b[K  {line}"[: self.width + 6], end="", file=sys.stderr, flush=True)

    def clear(self) -> None:
        if self.shown:
            print("\r\x1b[K", end="", file=sys.stderr, flush=True)


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def describe(name: str, summary) -> str:
    """The one-line summary of one ingested export (only what this run loaded)."""
    earlier = (
        f" (and {_plural(summary.earlier_messages, 'load')} an earlier run left queued)"
        if summary.earlier_messages
        else ""
    )
    if summary.already_ingested and not (summary.streams_accepted or summary.chart_entries_accepted):
        return f"{name}: already ingested (same content), nothing changed{earlier}"
    finished = "accepted before, its load finished now: " if summary.already_ingested else ""
    if summary.chart_parts:
        return (
            f"{name}: {finished}"
            + ", ".join(
                [
                    f"{summary.chart_parts} chart parts",
                    f"{summary.chart_entries_accepted} chart entries accepted",
                    f"{summary.chart_duplicates_skipped} duplicates skipped",
                    f"{summary.records_set_aside} rows set aside",
                ]
            )
            + earlier
        )
    kinds = [
        f"{count} {kind}"
        for kind, count in (
            ("music", summary.music_accepted),
            ("podcast", summary.podcast_accepted),
            ("audiobook", summary.audiobook_accepted),
        )
        if count
    ]
    other = (
        summary.streams_accepted
        - summary.music_accepted
        - summary.podcast_accepted
        - summary.audiobook_accepted
    )
    if other:
        kinds.append(f"{other} of unknown kind")
    accepted = f"{summary.streams_accepted} streams accepted"
    if kinds and kinds != [f"{summary.streams_accepted} music"]:
        accepted += f" ({', '.join(kinds)})"
    parts = [f"{summary.files} files", accepted]
    if summary.in_extended_history:
        parts.append(f"{summary.in_extended_history} account-data streams already in the extended history")
    parts.append(f"{summary.duplicates_skipped} duplicates skipped")
    aside = f"{summary.records_set_aside} records set aside"
    if summary.records_set_aside:
        aside += " (python -m cli rejects lists them)"
    parts.append(aside)
    if summary.skipped_detail.get("video"):
        parts.append(f"{summary.skipped_detail['video']} video files skipped")
    if summary.skipped_detail.get("symlink"):
        parts.append(f"{summary.skipped_detail['symlink']} symbolic links skipped (never followed)")
    return f"{name}: {finished}" + ", ".join(parts) + earlier


def run(args) -> int:
    from load.errors import LoadError  # lazy: other commands stay fast
    from pipeline.chain import UploadRefused, ingest
    from storage.lake import LakeError

    user = check_user(args.user)
    settings = settings_from(args)
    sources = [Path(p) for p in args.paths]
    for source in sources:
        if not source.exists():
            raise UserError(f"{source}: no such file or folder")
        if not (source.is_dir() or source.is_file()):
            raise UserError(f"{source}: not a file or folder")
    failures = 0
    for source in sources:
        progress = _Progress()
        try:
            try:
                summary = ingest(settings, source, user, progress=progress)
            finally:
                progress.clear()  # the summary or error line starts at the left margin
        except UploadRefused as refused:
            print(refusal_line(settings, source, refused), file=sys.stderr)
            failures += 1
            continue
        except (LoadError, LakeError) as error:
            # Accepted and curated, but not (all) loaded: the queue keeps what failed, and a later
            # `python -m cli load` (or the queue trigger's retries) picks it up once fixed.
            print(f"error: {source.name}: {error}", file=sys.stderr)
            failures += 1
            continue
        print(describe(source.name, summary))
    if failures:
        if len(sources) > 1:
            print(
                f"error: {failures} of {len(sources)} uploads failed (refusals: see quarantine/)",
                file=sys.stderr,
            )
        return 1
    return 0
