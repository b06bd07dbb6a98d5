"""The command line: `python -m samples.generate --out /tmp/x.zip ...` (see the package docstring)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import samples.generate as package
from samples.generate.export import write_export_zip, write_large_extended_zip
from samples.generate.vintages import SAMPLE_PATH, SAMPLE_SEED, SAMPLE_STREAMS, VINTAGES


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m samples.generate", description=package.__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--out", type=Path, default=SAMPLE_PATH, help="zip to write (default: the bundled sample)"
    )
    parser.add_argument("--streams", type=int, default=SAMPLE_STREAMS)
    parser.add_argument("--seed", type=int, default=SAMPLE_SEED)
    parser.add_argument("--vintage", choices=sorted(VINTAGES), default="modern")
    parser.add_argument("--files", type=int, default=None, help="number of extended audio files")
    parser.add_argument("--bad-rows", type=int, default=0, help="invalid rows to mix into the first file")
    parser.add_argument("--no-account", action="store_true", help="extended history only")
    parser.add_argument("--large", action="store_true", help="write file by file (300 000+ streams)")
    parser.add_argument("--per-file", type=int, default=25_000, help="rows per file with --large")
    args = parser.parse_args(argv)
    if args.streams < 0 or (args.files is not None and args.files < 1):
        parser.error("--streams must be ≥ 0 and --files ≥ 1")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if args.large:
        stats = write_large_extended_zip(
            args.out, args.streams, args.per_file, seed=args.seed, vintage=args.vintage
        )
    else:
        stats = write_export_zip(
            args.out,
            args.streams,
            seed=args.seed,
            vintage=args.vintage,
            files=args.files,
            include_account_data=not args.no_account,
            bad_rows=args.bad_rows,
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
