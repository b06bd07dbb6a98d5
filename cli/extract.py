"""`python -m cli extract`: run the daily Spotify job once, then curate and load what it landed.

The same job the timer runs (pipeline.stages.run_extract), with the chain played in-process:
each landed raw file is curated, its load message queued and the queue drained
(pipeline.chain.curate_and_load) before enrichment asks the warehouse which ids it lacks, so
one run also enriches the albums and artists of the tracks it just fetched. Prints one line.
"""

from __future__ import annotations

import argparse

from cli.common import UserError, add_lake_options, settings_from

# What the run does to a local lake (cli.lock): writes.
LAKE_ACCESS = "write"

SETTINGS_HELP = """settings (environment variables):
  SPOTIFY_CLIENT_ID            your Spotify app's client id (developer.spotify.com/dashboard)
  SPOTIFY_CLIENT_SECRET        its client secret
  SPOTIFY_REFRESH_TOKEN        the listener's consent: printed by `python -m cli auth`
  SPOTIFY_REQUEST_INTERVAL_MS  pause between catalog requests (default 1000)
  SPOTIFY_CATALOG_BUDGET       catalog requests per run at most (default 500); the rest next run
  SPOTIFY_API_URL, SPOTIFY_ACCOUNTS_URL  optional, default Spotify's own
  LAKE_DIR (or --lake), DataLake          where the lake is (default ./.lake)"""


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "extract",
        help="pull recently played, top items and catalog data from the Spotify Web API once",
        description=__doc__.splitlines()[0],
        epilog=SETTINGS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_lake_options(parser)


def load_chain(settings, summary):
    """The chain as the triggers run it, in-process: curate each raw path, queue, drain the queue."""
    from pipeline.chain import curate_and_load  # lazy: other commands stay fast

    return lambda paths: curate_and_load(settings, paths, summary)


def run(args: argparse.Namespace) -> int:
    from extract.spotify.errors import SpotifyError  # lazy: other commands stay fast
    from load.errors import LoadError
    from pipeline.chain import IngestSummary
    from pipeline.stages import run_extract
    from storage.lake import LakeError

    settings = settings_from(args)
    summary = IngestSummary()
    try:
        report = run_extract(settings, chain=load_chain(settings, summary))
    except (SpotifyError, LoadError, LakeError) as error:
        # Expired consent, missing settings, an outage outlasting the retries, a warehouse that
        # cannot be opened or loaded: one line, exit 2.
        raise UserError(str(error)) from None
    print(
        f"extract: {report}; loaded {summary.streams_accepted} new streams "
        f"({summary.duplicates_skipped} duplicates skipped)"
    )
    return 0
