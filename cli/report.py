"""`python -m cli report`: the listening summary as one self-contained HTML page with charts."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cli.common import UserError, add_lake_options, add_period_options, add_user_option

# What the run does to a local lake (cli.lock): only reads.
LAKE_ACCESS = "read"


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "report",
        help="write the listening summary as an HTML page with charts (works offline, as an attachment)",
        description="The figures of `wrapped` with charts: one HTML file that fetches nothing.",
    )
    add_period_options(parser)
    parser.add_argument("--top", type=int, default=10, metavar="N", help="how many top items (default 10)")
    parser.add_argument(
        "--out", type=Path, default=Path("wrapped.html"), metavar="FILE", help="where (default wrapped.html)"
    )
    add_lake_options(parser)
    add_user_option(parser)


def run(args: argparse.Namespace) -> int:
    from cli.wrapped import summary_for  # lazy: other commands stay fast
    from report.html import render_page

    summary = summary_for(args)
    if args.out.is_dir():
        raise UserError(f"--out {args.out} is a folder: name the HTML file to write")
    page = render_page(summary)
    tmp = args.out.with_name(f".{args.out.name}.tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(args.out)
    print(f"wrote {args.out} ({len(page.encode()) // 1024} KiB): open it in a browser", file=sys.stderr)
    return 0
