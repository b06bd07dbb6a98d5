"""The Resource Manager edge against the fake ARM on loopback: path, api-version, the managed
identity's bearer token, the pool's states, 409 and 429, retries, and no token in any log line."""

from __future__ import annotations

import logging
import socket
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from load.pool.arm import (
    API_VERSION,
    ArmError,
    ArmThrottled,
    PoolBusy,
    SqlPoolArm,
    open_pool,
    retry_after_seconds,
    token_scope,
)
from settings import Settings
from tests.fakes.arm_api import POOL_ID


@pytest.fixture
def settings(arm, tmp_path) -> Settings:
    return replace(Settings(lake_dir=tmp_path), **arm.settings_overrides())


def test_status_pause_resume_with_the_managed_identitys_token(arm, settings):
    pool = open_pool(settings)
    assert pool.status() == "Online"
    accepted = pool.pause()
    assert (accepted.status_code, accepted.retry_after) == (202, 1.0)
    assert [pool.status() for _ in range(3)] == ["Pausing", "Paused", "Paused"]
    assert pool.resume().status_code == 202
    assert [pool.status() for _ in range(2)] == ["Resuming", "Online"]
    # One token, asked for Resource Manager's own scope (the fake refuses any other resource),
    # cached by azure-identity for every later call.
    assert arm.token_resources == [arm.base]
    assert arm.count("GET", "token") == 1 and arm.count("GET", "status", 200) == 6
    assert API_VERSION == "2021-06-01"


def test_a_change_during_a_transition_is_pool_busy(arm, settings):
    pool = open_pool(settings)
    pool.pause()
    with pytest.raises(PoolBusy, match=r"409 Conflict: A state change \(Pausing\) is in progress"):
        pool.resume()
    with pytest.raises(PoolBusy):
        pool.pause()


def test_429_is_throttled_with_its_retry_after_and_never_slept_on(arm, settings):
    sleeps: list[float] = []
    pool = SqlPoolArm(
        settings.azure_resource_manager_url, POOL_ID, open_pool(settings)._token, sleep=sleeps.append
    )
    arm.fail_next("GET", "status", 429, retry_after="7")
    with pytest.raises(ArmThrottled) as throttled:
        pool.status()
    assert throttled.value.retry_after == 7.0 and throttled.value.status == 429
    assert sleeps == []  # the caller reschedules; nothing here waits
    assert pool.status() == "Online"


def test_5xx_is_retried_with_backoff_then_answers(arm, settings):
    sleeps: list[float] = []
    pool = SqlPoolArm(
        settings.azure_resource_manager_url, POOL_ID, open_pool(settings)._token, sleep=sleeps.append
    )
    arm.fail_next("POST", "resume", 503, times=2)
    arm.status = "Paused"
    assert pool.resume().status_code == 202
    assert sleeps == [1.0, 2.0] and arm.count("POST", "resume") == 3


def test_a_wrong_pool_or_a_refused_identity_is_one_line_with_what_to_do(arm, settings):
    other = POOL_ID.replace("spotifydw", "nopool")
    with pytest.raises(ArmError) as missing:
        SqlPoolArm(settings.azure_resource_manager_url, other, open_pool(settings)._token).status()
    assert str(missing.value) == (
        "Resource Manager refused GET status of the SQL pool: 404 ResourceNotFound: The Resource "
        f"'{other}' was not found. (check SYNAPSE_POOL_RESOURCE_ID (the SQL pool's resource id))"
    )
    arm.fail_next("POST", "pause", 403)
    with pytest.raises(
        ArmError, match=r"403 Scripted.*grant the app's identity the pool's pause/resume role"
    ):
        open_pool(settings).pause()
    with pytest.raises(ArmError, match="401 InvalidAuthenticationToken"):  # the fake checks the token
        SqlPoolArm(settings.azure_resource_manager_url, POOL_ID, lambda: "not-a-token").status()


def test_an_unreachable_resource_manager_is_one_line_after_the_retries():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again at once: nothing listens there
    sleeps: list[float] = []
    pool = SqlPoolArm(f"http://127.0.0.1:{port}/", POOL_ID, lambda: "t", sleep=sleeps.append)
    with pytest.raises(
        ArmError, match=r"^Resource Manager unreachable \(GET status of the SQL pool\)"
    ) as raised:
        pool.status()
    assert "\n" not in str(raised.value) and sleeps == [1.0, 2.0]


def test_no_token_or_header_reaches_a_log_line(arm, settings, caplog):
    caplog.set_level(logging.DEBUG)
    pool = open_pool(settings)
    arm.fail_next("GET", "status", 500)
    pool.status()
    pool.pause()
    assert arm.tokens and caplog.records
    for token in arm.tokens:
        assert token not in caplog.text
    assert "fake-identity-header-secret" not in caplog.text


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("7", 7.0), ("0", 0.0), ("2.5", 2.5), ("-3", 0.0), (None, None), ("soon", None)],
)
def test_retry_after_in_seconds(header, seconds):
    assert retry_after_seconds(header) == seconds


def test_retry_after_as_an_http_date():
    now = datetime(2026, 12, 1, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("Tue, 01 Dec 2026 12:01:30 GMT", now) == 90.0


def test_the_token_scope_is_the_resource_managers_origin():
    assert token_scope("https://management.azure.com/") == "https://management.azure.com/.default"
    assert (
        token_scope("https://management.usgovcloudapi.net") == "https://management.usgovcloudapi.net/.default"
    )


def test_settings_refuse_a_bad_pool_id_or_a_clear_text_resource_manager():
    with pytest.raises(ValueError, match="SYNAPSE_POOL_RESOURCE_ID must be a SQL pool's resource id"):
        Settings.from_env({"SYNAPSE_POOL_RESOURCE_ID": "/subscriptions/x/resourceGroups/y"})
    with pytest.raises(ValueError, match="must be an https:// URL"):
        Settings.from_env({"AZURE_RESOURCE_MANAGER_URL": "http://management.azure.com/"})
    with pytest.raises(ValueError, match="SYNAPSE_PAUSE_AFTER_MINUTES must be a whole number"):
        Settings.from_env({"SYNAPSE_PAUSE_AFTER_MINUTES": "half an hour"})
    loaded = Settings.from_env({"SYNAPSE_POOL_RESOURCE_ID": POOL_ID, "SYNAPSE_PAUSE_AFTER_MINUTES": "0"})
    assert loaded.controls_pool and loaded.synapse_pause_after_minutes == 0
    assert loaded.azure_resource_manager_url == "https://management.azure.com/"
    assert not Settings.from_env({}).controls_pool
