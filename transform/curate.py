"""raw/{name} → curated Parquet: route a landed file to the curation that knows its format.

raw/exports/<user>/<upload-id>/<kind>/<entry path>   privacy-export history (transform/history.py)
raw/spotify-api/<endpoint>/dt=YYYY-MM-DD/<file>      Web API responses (transform/spotify_api.py)
Anything else in raw/ is not ours to curate and is skipped (returns None).
"""

from __future__ import annotations

import logging

from storage import split_blob_name

logger = logging.getLogger(__name__)


def curate_raw(lake, name: str, settings):
    """Curate one raw blob (`raw/...` name or a path inside raw/); returns its LoadMessage or None."""
    path = split_blob_name(name)[1] if name.startswith("raw/") else name
    if path.startswith("exports/"):
        from transform.history import curate_export_file

        return curate_export_file(lake, path, settings)
    if path.startswith("spotify-api/"):
        from transform.spotify_api import curate_api_file

        return curate_api_file(lake, path, settings)
    logger.info("raw %s: not a known raw layout, skipped", path)
    return None


def release_memory() -> None:
    """Free what curation keeps between files (its parsing engine, Arrow's memory pool)."""
    from transform.history import release_memory as _release

    _release()
