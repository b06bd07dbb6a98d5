"""`python -m cli`: ingest exports, print the listening summary, extract, load, re-queue, authorise.

Each sub-command is a module in this package with `add_parser(subparsers)` and `run(args)`.
A user's mistake (bad upload, missing setting, unreadable path, a wrong option) ends with one line
on stderr and a non-zero exit, never a traceback. Output that goes to a reader who stops early
(`| head`) ends quietly, and a terminal or file without UTF-8 gets ASCII stand-ins (`->` for `→`).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys

from cli.common import OneLineParser, UserError, tolerate_output_encoding

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
    tolerate_output_encoding()
    parser = OneLineParser(prog="python -m cli", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress at INFO level")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    modules = {}
    for name in COMMANDS:
        module = importlib.import_module(f"cli.{name}")
        module.add_parser(subparsers)
        modules[name] = module
    try:
        args = parser.parse_args(argv)
    except SystemExit as done:  # --help, or a wrong option: argparse has printed its (one) line
        return done.code if isinstance(done.code, int) else 2
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    # Third-party HTTP logging can include request headers (bearer tokens): keep it quiet.
    # Their retry warnings are progress, not news: the command's own error line says what failed.
    for noisy in ("azure", "urllib3", "spotipy"):
        logging.getLogger(noisy).setLevel(logging.WARNING if args.verbose else logging.ERROR)
    if not args.verbose:
        # A refused upload is logged (for Application Insights) and is the command's own one line
        # on stderr: shown once, by the command. -v shows the log record too.
        logging.getLogger("extract.export.upload").setLevel(logging.ERROR)
    try:
        code = _run_holding_lake(modules[args.command], args)
        sys.stdout.flush()  # a closed pipe shows here, not at exit
        return code
    except BrokenPipeError:
        # The reader stopped early (`| head -1`): nothing is wrong and nothing is left to say. Point
        # stdout at devnull so the interpreter's own flush at exit does not complain either.
        _silence_stdout()
        return 0
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
    from cli.lock import hold_lake, lake_lock_path  # lazy: as above

    settings = settings_from(args)
    if access == "create" and lake_lock_path(settings) is not None:  # a local lake, made if missing
        settings.lake_dir.mkdir(parents=True, exist_ok=True)
    with hold_lake(settings, exclusive=access != "read"):
        return module.run(args) or 0


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real file descriptor (captured in tests): nothing to flush
        pass


if __name__ == "__main__":
    sys.exit(main())
