"""raw/{name} → curated Parquet: route a landed file to the curation that knows its format.

raw/exports/<user>/<upload-id>/<kind>/<entry path>   privacy-export history (transform/history.py)
raw/exports/<user>/<upload-id>/bundles/<kind>/<n>.zip  small history files landed together (the same)
raw/exports/<user>/<upload-id>/bundles/<kind>/<n>.zip  small history files landed together (same)
raw/spotify-api/<endpoint>/dt=YYYY-MM-DD/<file>      Web API responses (transform/spotify_api.py)
raw/charts/<upload-id>/<name>.csv                    public chart files (transform/charts.py)
Anything else in raw/ is not ours to curate and is skipped (returns None).
"""

from __future__ import annotations

import logging

from contracts.layout import (
    API_PREFIX,
    CHARTS_PREFIX,
    EXPORTS_PREFIX,
    RAW_CONTAINER,
    ExportBundle,
    in_container,
)
from contracts.load_message import LoadMessage
from settings import Settings
from storage.lake import Lake
from transform.charts import curate_chart_file
from transform.history import curate_export_bundle, curate_export_file, release_memory
from transform.spotify_api import curate_api_file

__all__ = ["curate_raw_file", "release_memory"]

logger = logging.getLogger(__name__)


def curate_raw_file(lake: Lake, name: str, settings: Settings) -> LoadMessage | None:
    """Curate one raw blob (`raw/...` name or a path inside raw/); returns its LoadMessage or None."""
    path = in_container(RAW_CONTAINER, name)
    if path.startswith(f"{EXPORTS_PREFIX}/"):
        if ExportBundle.parse(path) is not None:
            return curate_export_bundle(lake, path, settings)
        return curate_export_file(lake, path, settings)
    if path.startswith(f"{API_PREFIX}/"):
        return curate_api_file(lake, path, settings)
    if path.startswith(f"{CHARTS_PREFIX}/"):
        return curate_chart_file(lake, path)
    logger.info("raw %s: not a known raw layout, skipped", path)
    return None
