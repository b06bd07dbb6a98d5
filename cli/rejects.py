"""`python -m cli rejects`: the records ingest set aside, each with its file, position and reason."""

from __future__ import annotations

import argparse

from cli.common import UserError, add_lake_options, add_user_option, check_user, require_lake, settings_from

# What the run does to a local lake (cli.lock): only reads.
LAKE_ACCESS = "read"


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "rejects",
        help="list the records ingest set aside, and why",
        description="Records that could not be loaded (no timestamp, a bad chart row, ...) are kept "
        "aside in the warehouse with their reason; this lists them, by file and position.",
    )
    parser.add_argument(
        "--limit", type=int, default=50, metavar="N", help="how many to list (default 50; 0 for all)"
    )
    add_lake_options(parser)
    add_user_option(parser)


def run(args: argparse.Namespace) -> int:
    from load.errors import WarehouseUnavailable  # lazy: other commands stay fast
    from pipeline.stages import records_set_aside

    user = check_user(args.user)
    if args.limit < 0:
        raise UserError("--limit must be 0 (all) or more")
    settings = settings_from(args)
    require_lake(settings)
    try:
        total, rows = records_set_aside(settings, user, args.limit or None)
    except WarehouseUnavailable as error:
        raise UserError(str(error)) from None
    if not total:
        print(f"nothing set aside for {user}")
        return 0
    shown = f", the first {len(rows)}" if len(rows) < total else ""
    print(f"{total} records set aside for {user}{shown} (record: its position in the file, from 1):")
    for row in rows:
        upload = f" (upload {row.upload_id})" if row.upload_id else ""
        print(f"  {row.file}{upload}, record {row.record}: {row.reason}")
    return 0
