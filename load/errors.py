"""Why a load failed, in words the user (or the queue's poison log) can act on."""

from __future__ import annotations


class LoadError(Exception):
    """A message could not be loaded; the warehouse is exactly as before (one line, no traceback)."""


class WarehouseUnavailable(LoadError):
    """The warehouse cannot be reached: a missing setting or driver, no credential, a paused pool."""


class PoolPaused(WarehouseUnavailable):
    """The Synapse SQL pool is paused (or still resuming): resuming it, not retrying, is the fix."""
