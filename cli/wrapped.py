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

    user = check_user(args.user)
    period, home = period_from(args)
    if args.top < 1:
        raise UserError("--top must be at least 1")
    settings = settings_from(args)
    require_lake(settings)
    try:
        return read_summary(settings, user, period, home, args.top)
    except WarehouseUnavailable as error:
        raise UserError(str(error)) from None


def read_summary(settings, user: str, period, home, top: int) -> dict:
    """pipeline.stages.listening_summary as a reader: a read-only connection, no key or warehouse
    created (so it works on a lake the user may only read); when there is no music in the period,
    `empty_reason` says why."""
    from load.warehouse import open_warehouse  # lazy: other commands stay fast
    from load.wrapped import music_coverage, wrapped
    from storage import open_lake
    from transform.pseudonym import existing_user_id_key, user_id

    key = existing_user_id_key(open_lake(settings), settings)
    # No key yet: nothing was pseudonymised with one, and "" is no user's id (never None: everybody).
    uid = user_id(user, key) if key is not None else ""
    with open_warehouse(settings, read_only=True) as warehouse:
        summary = {"from": period.first, "to": period.last, **wrapped(warehouse, uid, period, home, top)}
        if not summary["streams"]:
            summary["empty_reason"] = empty_reason(music_coverage(warehouse, uid, home), user, period)
    return summary


def empty_reason(coverage: dict, user: str, period) -> str:
    """Why there is no music to sum up, and what to do: nothing ingested, not this user, not this period."""
    if not coverage["streams_of_everybody"]:
        return "No music streams in this warehouse yet: ingest an export first (python -m cli ingest EXPORT)"
    if coverage["first"] is None:
        return (
            f"No music streams for user {user!r}: the warehouse holds other users' listening "
            f"(ingest yours with --user {user}, or name another with --user NAME)"
        )
    if period.first and period.last:
        span = f"between {period.first} and {period.last}"
    elif period.first:
        span = f"from {period.first} on"
    else:
        span = f"up to {period.last}"
    return f"No music streams {span}: yours run from {coverage['first']} to {coverage['last']}"


def run(args: argparse.Namespace) -> int:
    from report.text import render  # lazy: other commands stay fast

    summary = summary_for(args)
    if args.json:
        print(json.dumps(summary, indent=2, default=str, ensure_ascii=False))
    else:
        print(render(summary))
    return 0
