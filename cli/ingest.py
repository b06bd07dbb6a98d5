"""`python -m cli ingest PATH [PATH ...]`: run the whole export chain in-process on each path."""

from __future__ import annotations

import sys
from pathlib import Path

from cli.common import UserError, add_lake_options, add_user_option, check_user, settings_from


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


def _progress(line: str) -> None:
    # Progress is for people watching a terminal; scripts and CI get only the summary line.
    if sys.stderr.isatty():
        print(f"  {line}", file=sys.stderr)


def describe(name: str, summary) -> str:
    """The one-line summary of one ingested export."""
    if summary.already_ingested and not (summary.streams_accepted or summary.chart_entries_accepted):
        return f"{name}: already ingested (same content), nothing changed"
    finished = "accepted before, its load finished now: " if summary.already_ingested else ""
    if summary.chart_parts:
        return f"{name}: {finished}" + ", ".join(
            [
                f"{summary.chart_parts} chart parts",
                f"{summary.chart_entries_accepted} chart entries accepted",
                f"{summary.chart_duplicates_skipped} duplicates skipped",
                f"{summary.records_set_aside} rows set aside",
            ]
        )
    parts = [
        f"{summary.files} files",
        f"{summary.streams_accepted} streams accepted",
        f"{summary.duplicates_skipped} duplicates skipped",
        f"{summary.records_set_aside} records set aside",
    ]
    if summary.skipped_detail.get("video"):
        parts.append(f"{summary.skipped_detail['video']} video files skipped")
    return f"{name}: {finished}" + ", ".join(parts)


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
        try:
            summary = ingest(settings, source, user, progress=_progress)
        except UploadRefused as refused:
            print(f"error: {source.name}: refused: {refused}", file=sys.stderr)
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
