"""`python -m cli wrapped`: the listening summary for any period, in your time zone, as text or JSON."""

from __future__ import annotations

import argparse
import json

from cli.common import (
    UserError,
    add_lake_options,
    add_period_options,
    add_user_option,
    check_user,
    period_from,
    require_lake,
    settings_from,
)

# What the run does to a local lake (cli.lock): only reads.
LAKE_ACCESS = "read"


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "wrapped",
        help="print the listening summary (any period, not just once a year)",
        description="Streams, plays (≥ 30 s), minutes, top artists, tracks, albums and shows, the "
        "listening clock, streaks and sessions; dates and hours are local to --tz.",
    )
    add_period_options(parser)
    parser.add_argument("--top", type=int, default=10, metavar="N", help="how many top items (default 10)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    add_lake_options(parser)
    add_user_option(parser)


def summary_for(args: argparse.Namespace) -> dict:
    """The summary the command line asks for (shared with `report`)."""
    from load.errors import WarehouseUnavailable  # lazy: other commands stay fast
    from pipeline.stages import listening_summary

    user = check_user(args.user)
    period, home = period_from(args)
    if args.top < 1:
        raise UserError("--top must be at least 1")
    settings = settings_from(args)
    require_lake(settings)
    try:
        return listening_summary(settings, user, period, home, args.top)
    except WarehouseUnavailable as error:
        raise UserError(str(error)) from None


def run(args: argparse.Namespace) -> int:
    from report.text import render  # lazy: other commands stay fast

    summary = summary_for(args)
    if args.json:
        print(json.dumps(summary, indent=2, default=str, ensure_ascii=False))
    else:
        if not summary["streams"]:
            summary["empty_reason"] = (
                "  No music streams in this period. Ingest an export first: python -m cli ingest EXPORT.zip"
            )
        print(render(summary))
    return 0
