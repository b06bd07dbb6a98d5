"""Where data lives: one `Lake` interface over a local folder or Blob Storage, plus the load queue.

`open_lake(settings)` and `open_queue(settings, name)` pick the implementation from the settings:
a storage connection (Azurite or Azure) selects Blob and Queue Storage, otherwise a folder lake
(`<lake_dir>/<container>/<path>`) and a folder queue. Names are `container/path` blob names,
exactly as the Functions blob trigger reports them (contracts.layout).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from contracts.layout import CONTAINERS, LOAD_QUEUE
from storage.folder import FolderLake, FolderQueue
from storage.lake import Lake, LakeError, LakeQueue, QueueMessage

if TYPE_CHECKING:
    from settings import Settings

__all__ = ["Lake", "LakeError", "LakeQueue", "QueueMessage", "create_layout", "open_lake", "open_queue"]


def open_lake(settings: Settings) -> Lake:
    """The lake the settings point at: Blob Storage when a storage connection is set, else a folder."""
    if settings.uses_storage_account:
        return _blob_lake(settings)
    return FolderLake(settings.lake_dir)


@functools.lru_cache(maxsize=8)
def _blob_lake(settings: Settings) -> Lake:
    # One client (and managed-identity credential, with its token cache) per process, not one
    # per trigger invocation: Settings is frozen, so equal settings share it.
    from storage.blob import BlobLake  # lazy: the Azure SDK only when a storage account is used

    return BlobLake.from_settings(settings)


def open_queue(settings: Settings, name: str) -> LakeQueue:
    """The named queue: Queue Storage when a storage connection is set, else a folder queue."""
    if settings.uses_storage_account:
        from storage.blob import StorageQueue  # lazy: the Azure SDK only when a storage account is used

        return StorageQueue.from_settings(settings, name)
    return FolderQueue(settings.lake_dir, name)


def create_layout(settings: Settings) -> Lake:
    """Create the lake's containers and the load queue in the storage account where missing.

    In Azure, Bicep declares them; an emulator (Azurite, for `func start`) starts empty, and an
    upload needs its container before the first blob. Idempotent. A folder lake needs none of it.
    """
    if not settings.uses_storage_account:
        raise ValueError("no storage account: set the DataLake connection (a folder lake needs no setup)")
    from storage.blob import BlobLake  # lazy: the Azure SDK only when a storage account is used

    lake = open_lake(settings)
    assert isinstance(lake, BlobLake)
    lake.create_containers(CONTAINERS)
    open_queue(settings, LOAD_QUEUE)  # a Queue Storage queue is created when opened
    return lake
