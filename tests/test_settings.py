"""The one settings object: defaults, names, and refusal of bad values."""

from __future__ import annotations

from pathlib import Path

import pytest

from settings import DEFAULT_EXTRACT_SCHEDULE, EVENT_GRID, POLLING, Settings


def test_defaults_select_the_embedded_lake_and_duckdb():
    settings = Settings.from_env({})
    assert not settings.uses_storage_account
    assert settings.lake_dir == Path(".lake")
    assert settings.warehouse == "duckdb"
    assert settings.blob_trigger_source == EVENT_GRID
    assert settings.extract_schedule == DEFAULT_EXTRACT_SCHEDULE
    assert settings.spotify_api_url == "https://api.spotify.com/v1/"


def test_storage_connection_in_either_form():
    local = Settings.from_env({"DataLake": "UseDevelopmentStorage=true", "BLOB_TRIGGER_SOURCE": POLLING})
    assert local.uses_storage_account and local.blob_trigger_source == POLLING
    azure = Settings.from_env(
        {
            "DataLake__blobServiceUri": "https://a.blob.core.windows.net",
            "DataLake__queueServiceUri": "https://a.queue.core.windows.net",
            "DataLake__clientId": "00000000-0000-0000-0000-000000000001",
            "SYNAPSE_SERVER": "ws.sql.azuresynapse.net",
        }
    )
    assert azure.uses_storage_account and azure.warehouse == "synapse"
    assert azure.managed_identity_client_id.endswith("1")


@pytest.mark.parametrize(("name", "value"), [("BLOB_TRIGGER_SOURCE", "Polling"), ("WAREHOUSE", "sqlite")])
def test_bad_values_are_refused_with_the_setting_name(name, value):
    with pytest.raises(ValueError, match=name):
        Settings.from_env({name: value})


def test_secrets_stay_out_of_repr():
    settings = Settings.from_env({"SPOTIFY_CLIENT_SECRET": "s3cr3t", "SPOTIFY_REFRESH_TOKEN": "r3fr3sh"})
    assert "s3cr3t" not in repr(settings) and "r3fr3sh" not in repr(settings)


def test_settings_cannot_be_changed_after_reading():
    with pytest.raises(AttributeError):
        Settings().warehouse = "synapse"


def test_the_home_time_zone_is_read_and_an_unknown_one_is_one_line():
    assert Settings.from_env({}).user_time_zone == "UTC"
    assert Settings.from_env({"USER_TIME_ZONE": " Europe/Berlin "}).user_time_zone == "Europe/Berlin"
    with pytest.raises(ValueError, match="USER_TIME_ZONE must be an IANA time zone") as raised:
        Settings.from_env({"USER_TIME_ZONE": "Berlin"})
    assert "\n" not in str(raised.value)


def test_the_uncompressed_total_of_an_export_is_a_setting_in_mib():
    from extract.export.zipguard import MAX_TOTAL_BYTES, Limits

    assert Settings.from_env({}).export_max_uncompressed_mb == 2048
    assert Limits.from_settings(Settings.from_env({})).total_bytes == MAX_TOTAL_BYTES == 2 << 30
    raised = Settings.from_env({"EXPORT_MAX_UNCOMPRESSED_MB": "4096"})
    assert Limits.from_settings(raised) == Limits(total_bytes=4 << 30)
    for bad in ("0", "2 GiB", "-1"):
        with pytest.raises(ValueError, match="EXPORT_MAX_UNCOMPRESSED_MB must be") as refused:
            Settings.from_env({"EXPORT_MAX_UNCOMPRESSED_MB": bad})
        assert "\n" not in str(refused.value)
