"""Where data lives: one `Lake` interface over a local folder or Blob Storage, plus the load queue.

`open_lake(settings)` and `open_queue(settings)` pick the implementation from the settings:
a storage connection (Azurite or Azure) selects Blob and Queue Storage, otherwise a folder lake
(`<lake_dir>/<container>/<path>`) and a folder queue. Names are `container/path` blob names,
exactly as the Functions blob trigger reports them.
"""

from __future__ import annotations

import functools

from storage.lake import Lake, LakeQueue, QueueMessage, split_blob_name

__all__ = ["Lake", "LakeQueue", "QueueMessage", "open_lake", "open_queue", "split_blob_name"]


def open_lake(settings) -> Lake:
    """The lake the settings point at: Blob Storage when a storage connection is set, else a folder."""
    if settings.uses_storage_account:
        return _blob_lake(settings)
    from storage.folder import FolderLake

    return FolderLake(settings.lake_dir)


@functools.lru_cache(maxsize=8)
def _blob_lake(settings) -> Lake:
    # One client (and managed-identity credential, with its token cache) per process, not one
    # per trigger invocation: Settings is frozen, so equal settings share it.
    from storage.blob import BlobLake

    return BlobLake.from_settings(settings)


def open_queue(settings, name: str) -> LakeQueue:
    """The named queue: Queue Storage when a storage connection is set, else a folder queue."""
    if settings.uses_storage_account:
        from storage.blob import StorageQueue

        return StorageQueue.from_settings(settings, name)
    from storage.folder import FolderQueue

    return FolderQueue(settings.lake_dir, name)
