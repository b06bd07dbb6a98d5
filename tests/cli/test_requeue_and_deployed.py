"""`requeue` moves poisoned load messages back (folder queues and Queue Storage on Azurite), and
`wrapped` against the deployed warehouse: the settings it needs, its connection string, and the
one line when the ODBC driver is missing (no Synapse can be reached from here)."""

from __future__ import annotations

import pytest

from cli.__main__ import main
from contracts.layout import LOAD_QUEUE, poison_queue
from settings import Settings
from storage import open_queue


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(params=["folder", "azurite"])
def queue_settings(request, monkeypatch):
    settings = request.getfixturevalue(f"{request.param}_settings")
    if settings.storage_connection_string:
        monkeypatch.setenv("DataLake", settings.storage_connection_string)
    return settings


def test_requeue_moves_every_poisoned_message_back_once(queue_settings, capsys):
    poison = open_queue(queue_settings, poison_queue(LOAD_QUEUE))
    for body in ('{"m": 1}', '{"m": 2}', '{"m": 3}'):
        poison.send(body)
    lake = ["--lake", queue_settings.lake_dir]
    code, out, _ = run(capsys, "requeue", "--dry-run", *lake)
    assert code == 0 and out.startswith("3 poisoned messages in curated-loads-poison")
    assert open_queue(queue_settings, LOAD_QUEUE).count() == 0  # a dry run moves nothing
    code, out, _ = run(capsys, "requeue", *lake)
    assert code == 0 and out.startswith("re-queued 3 messages from curated-loads-poison to curated-loads")
    assert [m.body for m in open_queue(queue_settings, LOAD_QUEUE).receive()] == [
        '{"m": 1}',
        '{"m": 2}',
        '{"m": 3}',
    ]
    assert open_queue(queue_settings, poison_queue(LOAD_QUEUE)).count() == 0
    code, out, _ = run(capsys, "requeue", *lake)  # again: nothing left to move
    assert code == 0 and out.startswith("re-queued 0 messages")


DEPLOYED = {
    "WAREHOUSE": "synapse",
    "SYNAPSE_SERVER": "synw-abc.sql.azuresynapse.net",
    "SYNAPSE_DATABASE": "spotifydw",
}


def test_wrapped_against_synapse_without_the_apps_key_is_one_line(tmp_path, capsys, monkeypatch):
    for name, value in DEPLOYED.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("USER_ID_KEY", raising=False)
    code, out, err = run(capsys, "wrapped", "--lake", tmp_path / "none")
    assert code == 2 and out == ""
    assert err.strip() == (
        "error: WAREHOUSE=synapse needs the app's USER_ID_KEY (azd env get-value USER_ID_KEY), or "
        "DataLake__blobServiceUri naming the lake that holds the key the app generated"
    )
    assert not (tmp_path / "none").exists()  # no lake, and no new key, made anywhere


def test_wrapped_against_synapse_signs_in_with_a_token_and_names_the_missing_driver(
    tmp_path, capsys, monkeypatch
):
    from load.warehouse.synapse import build_connection_string

    env = {**DEPLOYED, "USER_ID_KEY": "k" * 64}
    settings = Settings.from_env(env)
    # Locally: the user's own Entra token (az login), no managed identity, no password anywhere.
    assert build_connection_string(settings, use_msi=bool(settings.managed_identity_client_id)) == (
        "Driver={ODBC Driver 18 for SQL Server};Server=tcp:synw-abc.sql.azuresynapse.net,1433;"
        "Database=spotifydw;Encrypt=yes;TrustServerCertificate=no;Connection Timeout=30;"
    )
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)  # no ./.lake here: the deployed warehouse needs none
    code, out, err = run(capsys, "wrapped", "--year", "2025")
    # This machine has no ODBC Driver 18 (or no unixODBC at all): one line that says what to install.
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "ODBC Driver 18 for SQL Server" in err
    assert "download-odbc-driver-for-sql-server" in err
    assert not (tmp_path / ".lake").exists()
