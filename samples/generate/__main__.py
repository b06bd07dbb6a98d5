"""The command line: `python -m samples.generate --out /tmp/x.zip ...` (see the package docstring).

`--out` is required, and the bundled sample (samples/my_spotify_data.zip, which a test compares
with what the generator makes) is only overwritten with `--force` (`make sample` passes it).
An option the chosen mode would ignore is refused, in one line, rather than silently dropped.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

import samples.generate as package
from samples.generate.export import write_export_zip, write_large_extended_zip
from samples.generate.vintages import SAMPLE_PATH, SAMPLE_SEED, SAMPLE_STREAMS, VINTAGES

DEFAULT_PER_FILE = 25_000


class _Parser(argparse.ArgumentParser):
    """A mistake is one line on stderr (exit 2), not argparse's usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {message} (see {self.prog} --help)\n")


def _parser() -> _Parser:
    parser = _Parser(prog="python -m samples.generate", description=package.__doc__.splitlines()[0])
    parser.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="FILE",
        help="the zip to write; the bundled sample only with --force",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help=f"allow --out to overwrite the bundled sample ({SAMPLE_PATH.name})",
    )
    parser.add_argument(
        "--streams", type=int, default=SAMPLE_STREAMS, help=f"distinct plays (default {SAMPLE_STREAMS})"
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=SAMPLE_SEED,
        help=f"the same seed writes the same bytes (default {SAMPLE_SEED}, the sample's)",
    )
    parser.add_argument(
        "--vintage",
        choices=sorted(VINTAGES),
        default="modern",
        help="the export's layout: modern (2024+ fields), 2023, legacy (MyData/endsong_N.json), "
        "account (the account-data package only); default modern",
    )
    parser.add_argument("--files", type=int, default=None, help="number of extended audio files")
    parser.add_argument("--bad-rows", type=int, default=None, help="invalid rows to mix into the first file")
    parser.add_argument("--no-account", action="store_true", help="extended history only")
    parser.add_argument(
        "--large", action="store_true", help="extended history only, written file by file (300 000+ streams)"
    )
    parser.add_argument(
        "--per-file", type=int, default=None, help=f"rows per file with --large (default {DEFAULT_PER_FILE})"
    )
    return parser


def refusal(args: argparse.Namespace) -> str | None:
    """Why these options cannot be honoured as given (one line), or None."""
    if args.out.resolve() == SAMPLE_PATH.resolve() and not args.force:
        return f"--out {args.out} is the bundled sample: pass --force to overwrite it (make sample does)"
    if args.out.is_dir():
        return f"--out {args.out} is a folder: name the zip file to write"
    if args.streams < 0:
        return "--streams must be 0 or more"
    if args.files is not None and args.files < 1:
        return "--files must be at least 1"
    if args.bad_rows is not None and args.bad_rows < 0:
        return "--bad-rows must be 0 or more"
    if args.per_file is not None and args.per_file < 1:
        return "--per-file must be at least 1"
    if args.large:
        if args.vintage == "account":
            return "--large writes extended history, which --vintage account has none of"
        ignored = [name for name, given in (("--files", args.files), ("--bad-rows", args.bad_rows)) if given]
        if ignored:
            return f"--large ignores {' and '.join(ignored)} (it cuts files by --per-file rows): drop it"
        return None
    if args.per_file is not None:
        return "--per-file applies to --large only"
    if args.vintage == "account":
        ignored = [
            name
            for name, given in (
                ("--files", args.files is not None),
                ("--bad-rows", args.bad_rows is not None),
                ("--no-account", args.no_account),
            )
            if given
        ]
        if ignored:
            return f"--vintage account has no extended history: {', '.join(ignored)} would do nothing"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if problem := refusal(args):
        parser.error(problem)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if args.large:
        stats = write_large_extended_zip(
            args.out, args.streams, args.per_file or DEFAULT_PER_FILE, seed=args.seed, vintage=args.vintage
        )
    else:
        stats = write_export_zip(
            args.out,
            args.streams,
            seed=args.seed,
            vintage=args.vintage,
            files=args.files,
            include_account_data=not args.no_account,
            bad_rows=args.bad_rows or 0,
        )
    print(
        f"{stats.path}: {stats.streams} streams {stats.first_ts} .. {stats.last_ts}, "
        f"{stats.extended_rows} extended rows ({stats.duplicate_rows} duplicates, {stats.bad_rows} bad), "
        f"{stats.video_rows} video, {stats.account_music_rows} account music + "
        f"{stats.account_podcast_rows} podcast rows ({stats.account_extra_rows} without extended twin), "
        f"{len(stats.entries)} entries, {stats.size_bytes / 1e6:.2f} MB"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
