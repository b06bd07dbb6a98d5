"""The three places that name app settings agree, and infra declares every container and queue the code uses.

settings.APP_SETTING_NAMES, the Bicep appSettings and local.settings.sample.json must list the
same settings. The storage connection "DataLake" counts once whatever its form: a connection string
locally, identity properties (DataLake__blobServiceUri, ...) in Azure.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator, Mapping

from bicep_tree import ROOT, app_settings, resource_names

import settings
from contracts import layout

# Read by the Functions host or platform, not by settings.py.
HOST_SETTINGS_AZURE = ("AzureWebJobsStorage", "APPLICATIONINSIGHTS_")
HOST_SETTINGS_LOCAL = {"AzureWebJobsStorage", "FUNCTIONS_WORKER_RUNTIME"}


def _logical(name: str) -> str:
    """DataLake__blobServiceUri -> DataLake: a connection's identity properties are one setting."""
    return name.split("__", 1)[0]


def _local_values() -> dict[str, str]:
    sample = json.loads((ROOT / "local.settings.sample.json").read_text())
    assert sample["IsEncrypted"] is False
    return sample["Values"]


class _RecordingEnv(Mapping[str, str]):
    """An empty environment that remembers every name looked up in it."""

    def __init__(self) -> None:
        self.read: set[str] = set()

    def __getitem__(self, key: str) -> str:
        self.read.add(key)
        raise KeyError(key)

    def get(self, key, default=None):  # type: ignore[override]
        self.read.add(key)
        return default

    def __contains__(self, key: object) -> bool:
        self.read.add(str(key))
        return False

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def test_app_setting_names_are_unique() -> None:
    assert len(set(settings.APP_SETTING_NAMES)) == len(settings.APP_SETTING_NAMES)
    assert settings.STORAGE_CONNECTION in settings.APP_SETTING_NAMES


def test_bicep_app_settings_match_settings_module() -> None:
    names = [n for n in app_settings() if not n.startswith(HOST_SETTINGS_AZURE)]
    assert {_logical(n) for n in names} == set(settings.APP_SETTING_NAMES)
    assert settings.STORAGE_CONNECTION not in names, "in Azure the lake connection is identity-based"


def test_local_sample_matches_settings_module() -> None:
    values = _local_values()
    names = {_logical(n) for n in values if n not in HOST_SETTINGS_LOCAL}
    assert names == set(settings.APP_SETTING_NAMES)
    assert values[settings.STORAGE_CONNECTION] == "UseDevelopmentStorage=true"
    assert values["AzureWebJobsStorage"] == "UseDevelopmentStorage=true"
    assert values["FUNCTIONS_WORKER_RUNTIME"] == "python"
    assert values["BLOB_TRIGGER_SOURCE"] == settings.POLLING  # Azurite emits no Event Grid events
    assert values["WAREHOUSE"] == "duckdb"
    assert values["LAKE_DIR"] == settings.DEFAULT_LAKE_DIR
    # The sample is committed: no secrets in it, and it must load as valid settings.
    for name in ("SPOTIFY_CLIENT_SECRET", "SPOTIFY_REFRESH_TOKEN", "USER_ID_KEY"):
        assert values[name] == "", name
    loaded = settings.Settings.from_env(values)
    assert loaded.blob_trigger_source == settings.POLLING and loaded.uses_storage_account


def test_settings_reads_only_declared_names() -> None:
    env = _RecordingEnv()
    settings.Settings.from_env(env)
    read = {_logical(n) for n in env.read}
    assert read == set(settings.APP_SETTING_NAMES), (
        f"read but not declared: {read - set(settings.APP_SETTING_NAMES)}; "
        f"declared but never read: {set(settings.APP_SETTING_NAMES) - read}"
    )
    # Same, from the source: every literal name passed to get(...) in settings.py is declared.
    source = (ROOT / "settings.py").read_text()
    literal = set(re.findall(r'\bget\("([A-Za-z0-9_]+)"\)', source))
    assert literal and literal <= set(settings.APP_SETTING_NAMES)


def _trigger_bindings() -> list[tuple[str, str, str]]:
    """(function name, decorator, resolved path or queue name) for each binding in function_app.py."""
    tree = ast.parse((ROOT / "function_app.py").read_text())
    names = {k: v for module in (settings, layout) for k, v in vars(module).items() if k.isupper()}
    found = []
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef):
            continue
        for decorator in node.decorator_list:
            if not isinstance(decorator, ast.Call) or not isinstance(decorator.func, ast.Attribute):
                continue
            for keyword in decorator.keywords:
                if keyword.arg in ("path", "queue_name", "connection"):
                    # Literals, f-strings or constants of settings / contracts.layout: evaluated against them.
                    expression = ast.Expression(keyword.value)
                    value = eval(compile(expression, "function_app.py", "eval"), {"__builtins__": {}}, names)
                    found.append((node.name, f"{decorator.func.attr}.{keyword.arg}", value))
    return found


def test_function_app_containers_and_queues_exist_in_infra() -> None:
    bindings = _trigger_bindings()
    containers = resource_names("Microsoft.Storage/storageAccounts/blobServices/containers")
    queues = resource_names("Microsoft.Storage/storageAccounts/queueServices/queues")
    paths = [value for _, kind, value in bindings if kind.endswith(".path")]
    queue_names = [value for _, kind, value in bindings if kind.endswith(".queue_name")]
    assert paths and queue_names
    for path in paths:
        assert path.split("/", 1)[0] in containers, path
    for queue in queue_names:
        assert queue in queues, queue
    for _, _, connection in (b for b in bindings if b[1].endswith(".connection")):
        assert connection in settings.APP_SETTING_NAMES


def test_postdeploy_subscribes_every_blob_trigger_to_its_container() -> None:
    blob_triggers = {
        function: path.split("/", 1)[0]
        for function, kind, path in _trigger_bindings()
        if kind == "blob_trigger.path"
    }
    script = (ROOT / "scripts" / "postdeploy.sh").read_text()
    match = re.search(r'^SUBSCRIPTIONS="([^"]+)"', script, re.MULTILINE)
    assert match, "postdeploy.sh must list function:container pairs in SUBSCRIPTIONS"
    subscribed = dict(pair.split(":") for pair in match.group(1).split())
    assert subscribed == blob_triggers
