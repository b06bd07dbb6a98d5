"""`python -m cli load`: load the lake's curated files into the warehouse, or print the Synapse plan.

--target duckdb (default)    load every curated file not loaded yet into <lake>/warehouse.duckdb
--target synapse --dry-run   print the whole T-SQL (tables, views, one plan per file group); never connects
--target synapse             load into the dedicated SQL pool (SYNAPSE_SERVER / SYNAPSE_DATABASE)
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from cli.common import UserError, add_lake_options, require_lake, settings_from
from contracts.layout import CURATED_CONTAINER

PLACEHOLDER_URL = "https://<account>.dfs.core.windows.net/curated/{path}"


# What the run does to a local lake (cli.lock): writes.
LAKE_ACCESS = "write"


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "load",
        help="load curated files into the warehouse (or print the Synapse T-SQL plan)",
        description="Load every curated file not loaded yet; each file group loads in one transaction.",
    )
    parser.add_argument(
        "--target",
        choices=("duckdb", "synapse"),
        help="warehouse to load (default: WAREHOUSE setting, else duckdb)",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print the T-SQL plan instead of loading (synapse only)"
    )
    add_lake_options(parser)


def _dry_run(settings, lake) -> str:
    from load.dialect import TSQL  # lazy: other commands stay fast
    from load.plan import group_curated, synapse_script

    messages = group_curated(lake.list(CURATED_CONTAINER))
    if settings.uses_storage_account:
        locate = lambda path: lake.url(CURATED_CONTAINER, path)  # noqa: E731 - one-line adapter
    else:
        locate = lambda path: PLACEHOLDER_URL.format(path=path)  # noqa: E731 - one-line adapter
    header = [
        "Synapse load plan (dry run: nothing was executed)",
        f"server: {settings.synapse_server or '<server>'}, "
        f"database: {settings.synapse_database or '<database>'}",
        f"{len(messages)} curated file groups; each runs setup, one transaction, then cleanup",
    ]
    loaded_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000")
    return synapse_script(TSQL, messages, locate, loaded_at, header)


def _load(settings, lake) -> str:
    from load.loader import load_message  # lazy: other commands stay fast
    from load.plan import group_curated
    from load.warehouse import open_warehouse

    with open_warehouse(settings) as warehouse:
        curated = list(lake.list(CURATED_CONTAINER))
        messages = group_curated(curated, warehouse.loaded_paths())
        totals = [0, 0, 0, 0]
        for message in messages:
            result = load_message(warehouse, lake, message, log_failure=False)  # run() prints it
            for i, value in enumerate(
                (result.files, result.streams_accepted, result.duplicates_skipped, result.records_set_aside)
            ):
                totals[i] += value
    if not messages:
        return f"nothing to load: all {len(curated)} curated files are already in {settings.warehouse}"
    files, accepted, duplicates, set_aside = totals
    return (
        f"loaded {files} files in {len(messages)} groups into {settings.warehouse}: "
        f"{accepted} streams accepted, {duplicates} duplicates skipped, {set_aside} records set aside"
    )


def run(args) -> int:
    from load.errors import LoadError  # lazy: other commands stay fast
    from storage import open_lake
    from storage.lake import LakeError

    settings = settings_from(args)
    target = args.target or settings.warehouse
    if args.dry_run and target != "synapse":
        raise UserError("--dry-run prints the Synapse plan: use it with --target synapse")
    settings = replace(settings, warehouse=target)
    if target == "duckdb":
        require_lake(settings)  # a folder with no lake has nothing to load: never make a warehouse there
    try:
        lake = open_lake(settings)
        if args.dry_run:
            print(_dry_run(settings, lake), end="")
            return 0
        if target == "synapse":
            from load.warehouse.synapse import build_connection_string  # optional driver: pyodbc

            build_connection_string(settings, use_msi=False)  # missing settings: one line, before anything
        if target == "synapse" and not settings.uses_storage_account:
            raise UserError(
                "--target synapse loads from a storage account: set DataLake (or its __blobServiceUri)"
            )
        print(_load(settings, lake))
    except (LoadError, LakeError) as error:
        raise UserError(str(error)) from None
    return 0
