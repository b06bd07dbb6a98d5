"""`python -m cli init`: create the lake's containers and load queue in the storage account.

For `func start` on Azurite, which starts empty: the upload container must exist before the first
upload, and the queue trigger listens on the load queue. In Azure, Bicep creates both. Idempotent.
"""

from __future__ import annotations

import argparse

from cli.common import UserError, settings_from
from contracts.layout import CONTAINERS, LOAD_QUEUE
from storage import create_layout


def add_parser(subparsers) -> None:
    subparsers.add_parser(
        "init",
        help="create the containers and the load queue in the storage account (Azurite for func start)",
        description="Create the lake's containers and the load queue where missing, in the storage "
        "account the DataLake setting names (DataLake=UseDevelopmentStorage=true for Azurite).",
    )


def run(args: argparse.Namespace) -> int:
    from azure.core.exceptions import AzureError  # lazy: other commands stay fast

    settings = settings_from(args)
    if not settings.uses_storage_account:
        raise UserError(
            "init prepares a storage account: set DataLake (DataLake=UseDevelopmentStorage=true for "
            "Azurite); a folder lake needs no setup"
        )
    try:
        lake = create_layout(settings)
    except AzureError as error:  # Azurite not started, a wrong connection string
        raise UserError(f"cannot reach the storage account: {str(error).splitlines()[0]}") from None
    print(f"ready: containers {', '.join(CONTAINERS)} and queue {LOAD_QUEUE} in {lake!r}")
    return 0
