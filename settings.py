"""The one settings object: every app setting the code reads, read once at the edge.

Names match `local.settings.sample.json` and the Bicep `appSettings` exactly; nothing else in
the code base reads `os.environ`. Storage is reached through one named connection, `DataLake`:
a connection string locally (`UseDevelopmentStorage=true` for Azurite), identity-based
properties (`DataLake__blobServiceUri`, `DataLake__queueServiceUri`, `DataLake__credential`,
`DataLake__clientId`) in Azure, or neither, which selects the local folder lake.
"""

from __future__ import annotations

import os
import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

# The one storage connection the bindings name (`connection="DataLake"`); container and queue
# names are the lake's layout (contracts.layout).
STORAGE_CONNECTION = "DataLake"

DEFAULT_LAKE_DIR = ".lake"
DEFAULT_EXTRACT_SCHEDULE = "0 0 6 * * *"
DEFAULT_ANALYSIS_SCHEDULE = "0 0 4 * * 1"  # Mondays 04:00 UTC: the hit model and listening modes
# The dedicated SQL pool's automatic pause: checked every 5 minutes (UTC NCRONTAB), paused after
# 30 idle minutes (0 turns it off); a load waiting for a resume looks again every 60 s.
DEFAULT_PAUSE_SCHEDULE = "0 */5 * * * *"
DEFAULT_PAUSE_AFTER_MINUTES = 30
DEFAULT_RESUME_POLL_SECONDS = 60
# All history files of one export together, uncompressed: 2 GiB holds ~3M extended streams.
EXPORT_MAX = "EXPORT_MAX_UNCOMPRESSED_MB"
DEFAULT_EXPORT_MAX_UNCOMPRESSED_MB = 2048
DEFAULT_ARM_URL = "https://management.azure.com/"
# Catalog enrichment's pace (extract.spotify.enrich): a pause between catalog requests and at most
# so many per run, so a big back-fill spreads over runs instead of earning a day-long 429 lockout
# (notes §2.4: about one request per 1-2 s). 500 x 1 s fits well inside the function timeout.
DEFAULT_SPOTIFY_REQUEST_INTERVAL_MS = 1000
DEFAULT_SPOTIFY_CATALOG_BUDGET = 500
# /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Synapse/workspaces/<ws>/sqlPools/<pool>
SQL_POOL_RESOURCE_ID = re.compile(
    r"/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Synapse/workspaces/[^/]+/sqlPools/[^/]+",
    re.IGNORECASE,
)
EVENT_GRID = "EventGrid"
POLLING = "LogsAndContainerScan"


@dataclass(frozen=True)
class Settings:
    """Everything configurable, with the local defaults; build it with `Settings.from_env()`."""

    # Storage: a connection string, or identity-based service URIs, or neither (folder lake).
    storage_connection_string: str | None = field(default=None, repr=False)  # may hold an account key
    blob_service_uri: str | None = None
    queue_service_uri: str | None = None
    managed_identity_client_id: str | None = None
    lake_dir: Path = Path(DEFAULT_LAKE_DIR)
    blob_trigger_source: str = EVENT_GRID

    # Warehouse: the embedded DuckDB file in the lake, or Synapse when a server is named.
    warehouse: str = "duckdb"
    synapse_server: str | None = None
    synapse_database: str | None = None

    # The pool's pause/resume through Azure Resource Manager (load.pool): off without a resource id.
    synapse_pool_resource_id: str | None = None
    synapse_pause_after_minutes: int = DEFAULT_PAUSE_AFTER_MINUTES  # 0: never pause automatically
    synapse_pause_schedule: str = DEFAULT_PAUSE_SCHEDULE
    synapse_resume_poll_seconds: int = DEFAULT_RESUME_POLL_SECONDS
    azure_resource_manager_url: str = DEFAULT_ARM_URL

    # An upload's history files together, uncompressed, in MiB: more is refused (extract.export).
    export_max_uncompressed_mb: int = DEFAULT_EXPORT_MAX_UNCOMPRESSED_MB

    # The listener's home time zone (IANA name): local dates and hours of every figure.
    user_time_zone: str = "UTC"

    # Pseudonymous user ids are a keyed hash; the key lives outside code and logs.
    user_id_key: str | None = field(default=None, repr=False)

    # Spotify Web API (issue: daily extraction).
    extract_schedule: str = DEFAULT_EXTRACT_SCHEDULE
    spotify_client_id: str | None = None
    spotify_client_secret: str | None = field(default=None, repr=False)
    spotify_refresh_token: str | None = field(default=None, repr=False)
    spotify_api_url: str = "https://api.spotify.com/v1/"
    spotify_accounts_url: str = "https://accounts.spotify.com/"
    spotify_user: str = "me"
    spotify_request_interval_ms: int = DEFAULT_SPOTIFY_REQUEST_INTERVAL_MS  # between catalog requests
    spotify_catalog_budget: int = DEFAULT_SPOTIFY_CATALOG_BUDGET  # catalog requests per run at most

    # The analyses (analysis/): the weekly hit model and listening modes.
    analysis_schedule: str = DEFAULT_ANALYSIS_SCHEDULE

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read the settings from `env` (the process environment by default)."""
        env = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        synapse_server = get("SYNAPSE_SERVER")
        source = get("BLOB_TRIGGER_SOURCE") or EVENT_GRID
        if source not in (EVENT_GRID, POLLING):
            raise ValueError(f"BLOB_TRIGGER_SOURCE must be {EVENT_GRID} or {POLLING}, not {source!r}")
        time_zone = get("USER_TIME_ZONE") or "UTC"
        try:
            zoneinfo.ZoneInfo(time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"USER_TIME_ZONE must be an IANA time zone such as Europe/Berlin, not {time_zone!r}"
            ) from None
        warehouse = get("WAREHOUSE") or ("synapse" if synapse_server else "duckdb")
        if warehouse not in ("duckdb", "synapse"):
            raise ValueError(f"WAREHOUSE must be duckdb or synapse, not {warehouse!r}")
        pool_id = get("SYNAPSE_POOL_RESOURCE_ID")
        if pool_id and not SQL_POOL_RESOURCE_ID.fullmatch(pool_id):
            raise ValueError(
                "SYNAPSE_POOL_RESOURCE_ID must be a SQL pool's resource id, /subscriptions/<id>/"
                "resourceGroups/<group>/providers/Microsoft.Synapse/workspaces/<workspace>/sqlPools/<pool>, "
                f"not {pool_id!r}"
            )
        export_max = _whole_number(get(EXPORT_MAX), EXPORT_MAX, DEFAULT_EXPORT_MAX_UNCOMPRESSED_MB)
        if export_max == 0:
            raise ValueError(f"{EXPORT_MAX} must be 1 or more (MiB): 0 would refuse every export")
        arm_url = get("AZURE_RESOURCE_MANAGER_URL") or DEFAULT_ARM_URL
        if not arm_url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            # A bearer token for the subscription must never travel in clear text (loopback: tests).
            raise ValueError(f"AZURE_RESOURCE_MANAGER_URL must be an https:// URL, not {arm_url!r}")
        return cls(
            storage_connection_string=get(STORAGE_CONNECTION),
            blob_service_uri=get(f"{STORAGE_CONNECTION}__blobServiceUri"),
            queue_service_uri=get(f"{STORAGE_CONNECTION}__queueServiceUri"),
            managed_identity_client_id=get(f"{STORAGE_CONNECTION}__clientId"),
            lake_dir=Path(get("LAKE_DIR") or DEFAULT_LAKE_DIR),
            blob_trigger_source=source,
            warehouse=warehouse,
            synapse_server=synapse_server,
            synapse_database=get("SYNAPSE_DATABASE"),
            synapse_pool_resource_id=pool_id,
            synapse_pause_after_minutes=_whole_number(
                get("SYNAPSE_PAUSE_AFTER_MINUTES"), "SYNAPSE_PAUSE_AFTER_MINUTES", DEFAULT_PAUSE_AFTER_MINUTES
            ),
            synapse_pause_schedule=get("SYNAPSE_PAUSE_SCHEDULE") or DEFAULT_PAUSE_SCHEDULE,
            synapse_resume_poll_seconds=max(
                1,
                _whole_number(
                    get("SYNAPSE_RESUME_POLL_SECONDS"),
                    "SYNAPSE_RESUME_POLL_SECONDS",
                    DEFAULT_RESUME_POLL_SECONDS,
                ),
            ),
            azure_resource_manager_url=arm_url if arm_url.endswith("/") else f"{arm_url}/",
            export_max_uncompressed_mb=export_max,
            user_time_zone=time_zone,
            user_id_key=get("USER_ID_KEY"),
            extract_schedule=get("EXTRACT_SCHEDULE") or DEFAULT_EXTRACT_SCHEDULE,
            spotify_client_id=get("SPOTIFY_CLIENT_ID"),
            spotify_client_secret=get("SPOTIFY_CLIENT_SECRET"),
            spotify_refresh_token=get("SPOTIFY_REFRESH_TOKEN"),
            spotify_api_url=get("SPOTIFY_API_URL") or cls.spotify_api_url,
            spotify_accounts_url=get("SPOTIFY_ACCOUNTS_URL") or cls.spotify_accounts_url,
            spotify_user=get("SPOTIFY_USER") or cls.spotify_user,
            spotify_request_interval_ms=_whole_number(
                get("SPOTIFY_REQUEST_INTERVAL_MS"),
                "SPOTIFY_REQUEST_INTERVAL_MS",
                DEFAULT_SPOTIFY_REQUEST_INTERVAL_MS,
            ),
            spotify_catalog_budget=_whole_number(
                get("SPOTIFY_CATALOG_BUDGET"), "SPOTIFY_CATALOG_BUDGET", DEFAULT_SPOTIFY_CATALOG_BUDGET
            ),
            analysis_schedule=get("ANALYSIS_SCHEDULE") or DEFAULT_ANALYSIS_SCHEDULE,
        )

    @property
    def controls_pool(self) -> bool:
        """True when the app may pause and resume the SQL pool through Azure Resource Manager."""
        return bool(self.synapse_pool_resource_id)

    @property
    def uses_storage_account(self) -> bool:
        """True when Blob/Queue Storage (Azurite or Azure) holds the lake, not a local folder."""
        return bool(self.storage_connection_string or self.blob_service_uri)

    def with_lake_dir(self, lake_dir: str | Path) -> Settings:
        return replace(self, lake_dir=Path(lake_dir))


def _whole_number(value: str | None, name: str, default: int) -> int:
    if value is None:
        return default
    if not value.isdigit():
        raise ValueError(f"{name} must be a whole number (0 or more), not {value!r}")
    return int(value)


# The names above, as app settings: infra/, local.settings.sample.json and this module agree
# (tests/test_settings_names.py checks it). The storage connection counts once, whichever form.
APP_SETTING_NAMES = (
    STORAGE_CONNECTION,
    "LAKE_DIR",
    "BLOB_TRIGGER_SOURCE",
    "WAREHOUSE",
    "SYNAPSE_SERVER",
    "SYNAPSE_DATABASE",
    "SYNAPSE_POOL_RESOURCE_ID",
    "SYNAPSE_PAUSE_AFTER_MINUTES",
    "SYNAPSE_PAUSE_SCHEDULE",
    "SYNAPSE_RESUME_POLL_SECONDS",
    "AZURE_RESOURCE_MANAGER_URL",
    "EXPORT_MAX_UNCOMPRESSED_MB",
    "USER_ID_KEY",
    "USER_TIME_ZONE",
    "EXTRACT_SCHEDULE",
    "SPOTIFY_CLIENT_ID",
    "SPOTIFY_CLIENT_SECRET",
    "SPOTIFY_REFRESH_TOKEN",
    "SPOTIFY_API_URL",
    "SPOTIFY_ACCOUNTS_URL",
    "SPOTIFY_USER",
    "SPOTIFY_REQUEST_INTERVAL_MS",
    "SPOTIFY_CATALOG_BUDGET",
    "ANALYSIS_SCHEDULE",
)
