"""`python -m cli powerbi`: a Power BI connection file (.pbids) for the deployed Synapse database.

Opening the file in Power BI Desktop connects to the dedicated SQL pool in DirectQuery mode;
the views (v_music_stream, v_listening_clock, v_top_artist, ...) are the same definitions the
CLI reads. A .pbids names one data source and holds no credential: Power BI asks you to sign
in (Microsoft account, Entra ID).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from cli.common import UserError, settings_from


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "powerbi",
        help="write a Power BI connection file (.pbids) for the Synapse warehouse (DirectQuery)",
        description=__doc__.splitlines()[0],
    )
    parser.add_argument("--server", help="Synapse SQL endpoint (default SYNAPSE_SERVER)")
    parser.add_argument("--database", help="dedicated SQL pool name (default SYNAPSE_DATABASE)")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("spotify-lake.pbids"),
        metavar="FILE",
        help="default spotify-lake.pbids",
    )


def connection_file(server: str, database: str) -> dict:
    """The .pbids document: one SQL (TDS) source, DirectQuery, no credentials."""
    return {
        "version": "0.1",
        "connections": [
            {
                "details": {"protocol": "tds", "address": {"server": server, "database": database}},
                "options": {},
                "mode": "DirectQuery",
            }
        ],
    }


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    server = (args.server or settings.synapse_server or "").strip().removeprefix("tcp:").split(",")[0]
    database = (args.database or settings.synapse_database or "").strip()
    if not server or not database:
        raise UserError(
            "name the Synapse SQL endpoint and pool: --server <workspace>.sql.azuresynapse.net"
            " --database <pool> (or set SYNAPSE_SERVER and SYNAPSE_DATABASE; `azd env get-values` lists them)"
        )
    if args.out.is_dir():
        raise UserError(f"--out {args.out} is a folder: name the .pbids file to write")
    args.out.write_text(json.dumps(connection_file(server, database), indent=2) + "\n", encoding="utf-8")
    print(
        f"wrote {args.out}: open it in Power BI Desktop and sign in with your Entra account", file=sys.stderr
    )
    return 0
