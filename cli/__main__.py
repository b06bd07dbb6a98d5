"""`python -m cli`: ingest exports, print the listening summary, extract, load, re-queue, authorise.

Each sub-command is a module in this package with `add_parser(subparsers)` and `run(args)`.
A user's mistake (bad upload, missing setting, unreadable path) ends with one line on stderr
and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from cli.common import UserError

COMMANDS = (
    "ingest",
    "wrapped",
    "report",
    "modes",
    "charts",
    "rejects",
    "powerbi",
    "extract",
    "load",
    "requeue",
    "auth",
    "init",
)
__all__ = ["COMMANDS", "UserError", "main"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cli", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress at INFO level")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    modules = {}
    for name in COMMANDS:
        module = importlib.import_module(f"cli.{name}")
        module.add_parser(subparsers)
        modules[name] = module
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    # Third-party HTTP logging can include request headers (bearer tokens): keep it quiet.
    # Their retry warnings are progress, not news: the command's own error line says what failed.
    for noisy in ("azure", "urllib3", "spotipy"):
        logging.getLogger(noisy).setLevel(logging.WARNING if args.verbose else logging.ERROR)
    try:
        return _run_holding_lake(modules[args.command], args)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:  # a path that is not a folder, a full disk, no permission
        where = f"{error.filename}: " if error.filename else ""
        print(f"error: {where}{error.strerror or error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _run_holding_lake(module, args: argparse.Namespace) -> int:
    """Run the command, holding the local lake's lock as its LAKE_ACCESS says (cli.lock)."""
    access = getattr(module, "LAKE_ACCESS", None)
    if access is None:
        return module.run(args) or 0
    from cli.common import settings_from  # lazy: only commands that touch a lake need these
    from cli.lock import hold_lake  # lazy: as above

    settings = settings_from(args)
    if access == "create" and not (settings.uses_storage_account and settings.warehouse == "synapse"):
        settings.lake_dir.mkdir(parents=True, exist_ok=True)
    with hold_lake(settings, exclusive=access != "read"):
        return module.run(args) or 0


if __name__ == "__main__":
    sys.exit(main())
