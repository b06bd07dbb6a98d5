"""The Bicep under infra/ parses offline and declares the deployment the code relies on.

Structural checks on pycep's parse tree (it does not compile or type-check): the Flex plan and app,
identity-only storage with the lake's containers and queue, monitoring, Key Vault, Synapse, Event
Grid, role grants, and the wiring azd and the hooks need.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from bicep_tree import (
    INFRA,
    ROOT,
    app_settings,
    bicep_files,
    body,
    dotted,
    one_resource,
    param_default,
    parse,
    resource_names,
    resources,
    variable,
)

import settings
from contracts import layout

MAIN = INFRA / "main.bicep"
# Settings Flex Consumption rejects or ignores (runtime and package come from functionAppConfig).
FLEX_DEPRECATED_SETTINGS = {
    "FUNCTIONS_WORKER_RUNTIME",
    "FUNCTIONS_EXTENSION_VERSION",
    "FUNCTIONS_WORKER_RUNTIME_VERSION",
    "WEBSITE_RUN_FROM_PACKAGE",
    "WEBSITE_CONTENTSHARE",
    "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING",
    "WEBSITE_NODE_DEFAULT_VERSION",
    "SCM_DO_BUILD_DURING_DEPLOYMENT",
    "ENABLE_ORYX_BUILD",
    "WEBSITE_TIME_ZONE",
}
ROLE_GUIDS = {
    "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",  # Storage Blob Data Owner
    "974c5e8b-45b9-4653-ba55-5f855dd0fb88",  # Storage Queue Data Contributor
    "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3",  # Storage Table Data Contributor
    "ba92f5b4-2d11-453d-a403-e96b0029c9fe",  # Storage Blob Data Contributor
    "4633458b-17de-408a-b874-0445c86b69e6",  # Key Vault Secrets User
    "3913510d-42f4-4e42-8a64-420c390055eb",  # Monitoring Metrics Publisher
}


def _azure_yaml() -> dict:
    return yaml.safe_load((ROOT / "azure.yaml").read_text())


@pytest.mark.parametrize("path", bicep_files(), ids=lambda p: str(p.relative_to(INFRA)))
def test_every_bicep_file_parses_and_declares_something(path: Path) -> None:
    parsed = parse(path)
    assert parsed.get("resources") or parsed.get("modules"), f"{path} declares nothing"


def test_every_concern_has_its_module() -> None:
    names = {p.relative_to(INFRA).as_posix() for p in bicep_files()}
    assert len(names) >= 8, names
    for path in bicep_files():
        for name, module in parse(path).get("modules", {}).items():
            # Every resource is declared in this repo: no registry (br/..., ts/...) modules.
            assert module["type"] == "local", f"{path.name}: module {name} is not local"
            assert (path.parent / module["detail"]["path"]).is_file(), f"{path.name}: {name} missing"


def test_templates_avoid_syntax_checkov_cannot_parse() -> None:
    # checkov 3.3.30 pins pycep-parser 0.5.1, which fails on these (see ../shared/notes/azure.md §5).
    forbidden = {
        "deployer()": r"\bdeployer\(\)",
        "import": r"^\s*import\b",
        "@export": r"@export\(",
        "lambda": r"=>",
        "nullable output": r"^output\s+\w+\s+\w+\?",
        "registry module": r"'br[:/]",
    }
    for path in bicep_files():
        text = path.read_text()
        for what, pattern in forbidden.items():
            assert not re.search(pattern, text, re.MULTILINE), f"{path.name} uses {what}"


def test_the_plan_is_linux_flex_consumption() -> None:
    _, plan = one_resource("Microsoft.Web/serverfarms")
    assert plan["sku"] == {"name": "FC1", "tier": "FlexConsumption"}
    assert plan["properties"]["reserved"] is True  # Linux


def test_function_app_is_flex_python_with_identity() -> None:
    path, site = one_resource("Microsoft.Web/sites")
    assert site["kind"] == "functionapp,linux"
    assert site["identity"]["type"] == "UserAssigned"
    props = site["properties"]
    assert props["httpsOnly"] is True
    assert props["keyVaultReferenceIdentity"] == "identityId"
    config = props["functionAppConfig"]
    assert config["runtime"]["name"] == "python"
    assert param_default(path, config["runtime"]["version"]) == "3.13"  # what tests/worker/ runs
    storage = config["deployment"]["storage"]
    assert storage["type"] == "blobContainer"
    assert storage["authentication"]["type"] == "UserAssignedIdentity"
    assert {"instanceMemoryMB", "maximumInstanceCount"} <= set(config["scaleAndConcurrency"])


def test_function_app_is_tagged_with_the_azd_service_name() -> None:
    services = _azure_yaml()["services"]
    assert len(services) == 1
    (service_name,) = services
    assert variable(MAIN, "serviceName") == service_name
    tags = body(parse(MAIN)["modules"]["functionApp"])["params"]["tags"]
    assert tags["function"]["parameters"]["arg_2"] == {"'azd-service-name'": "serviceName"}


def test_no_settings_deprecated_on_flex() -> None:
    names = set(app_settings())
    assert not names & FLEX_DEPRECATED_SETTINGS
    assert "AzureWebJobsStorage" not in names, "host storage must be identity-based, not a connection string"


def test_storage_settings_are_identity_based() -> None:
    values = app_settings()
    for prefix, services in (
        ("AzureWebJobsStorage", ("blobServiceUri", "queueServiceUri", "tableServiceUri")),
        (settings.STORAGE_CONNECTION, ("blobServiceUri", "queueServiceUri")),
    ):
        assert values[f"{prefix}__credential"] == "managedidentity"
        assert values[f"{prefix}__clientId"] == "identityClientId"
        for service in services:
            assert f"{prefix}__{service}" in values
    assert values["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"] == (
        "ClientId=${identityClientId};Authorization=AAD"
    )
    assert "APPLICATIONINSIGHTS_CONNECTION_STRING" in values


def test_azure_values_of_app_settings() -> None:
    values = app_settings()
    assert values["WAREHOUSE"] == "synapse"
    assert values["BLOB_TRIGGER_SOURCE"] == settings.EVENT_GRID
    assert values["SPOTIFY_USER"] == "me"
    assert param_default(MAIN, "extractSchedule") == settings.DEFAULT_EXTRACT_SCHEDULE
    assert param_default(MAIN, "analysisSchedule") == settings.DEFAULT_ANALYSIS_SCHEDULE
    for name in ("SPOTIFY_CLIENT_SECRET", "SPOTIFY_REFRESH_TOKEN", "USER_ID_KEY"):
        assert "@Microsoft.KeyVault(SecretUri=" in json.dumps(values[name]), name


def test_lake_storage_account_is_adls_gen2_and_locked_down() -> None:
    _, account = one_resource("Microsoft.Storage/storageAccounts")
    props = account["properties"]
    assert props["isHnsEnabled"] is True
    assert props["allowSharedKeyAccess"] is False
    assert props["allowBlobPublicAccess"] is False
    assert props["minimumTlsVersion"] == "TLS1_2"
    assert props["supportsHttpsTrafficOnly"] is True


def test_containers_and_queue_from_settings_are_declared() -> None:
    containers = resource_names("Microsoft.Storage/storageAccounts/blobServices/containers")
    assert set(layout.CONTAINERS) <= containers
    queues = resource_names("Microsoft.Storage/storageAccounts/queueServices/queues")
    assert layout.LOAD_QUEUE in queues and layout.ANALYSIS_QUEUE in queues


def test_lifecycle_policy_deletes_personal_data() -> None:
    path, policy = one_resource("Microsoft.Storage/storageAccounts/managementPolicies")
    rules = policy["properties"]["policy"]["rules"]
    deleting = [r for r in rules if r["enabled"] and "delete" in r["definition"]["actions"]["baseBlob"]]
    prefixes = {p for r in deleting for p in r["definition"]["filters"]["prefixMatch"]}
    assert {f"{layout.UPLOAD_CONTAINER}/", f"{layout.RAW_CONTAINER}/exports/"} <= prefixes
    days = deleting[0]["definition"]["actions"]["baseBlob"]["delete"]["daysAfterModificationGreaterThan"]
    assert 1 <= param_default(path, days) <= 90


def test_app_insights_accepts_entra_auth_only() -> None:
    _, component = one_resource("Microsoft.Insights/components")
    assert component["properties"]["DisableLocalAuth"] is True
    assert component["properties"]["WorkspaceResourceId"]


def test_key_vault_is_rbac_with_purge_protection_a_parameter_off_by_default() -> None:
    path, vault = one_resource("Microsoft.KeyVault/vaults")
    props = vault["properties"]
    assert props["enableRbacAuthorization"] is True
    assert props["enableSoftDelete"] is True
    # Key Vault takes only true or null (false is refused, true is irreversible): true when asked.
    protection = props["enablePurgeProtection"]["operator"]
    assert protection["type"] == "conditional"
    assert protection["operands"]["condition"]["operator"]["operands"] == {
        "operand_1": "purgeProtection",
        "operand_2": "true",
    }
    assert (protection["operands"]["true_value"], protection["operands"]["false_value"]) == (True, None)
    assert param_default(path, "purgeProtection") == "false"
    # Off by default for `azd down --purge`, from the environment (KEY_VAULT_PURGE_PROTECTION).
    assert param_default(MAIN, "keyVaultPurgeProtection") == "false"
    vault_module = body(parse(MAIN)["modules"]["keyVault"])
    assert vault_module["params"]["purgeProtection"] == "keyVaultPurgeProtection"
    supplied = json.loads((INFRA / "main.parameters.json").read_text())["parameters"]
    assert supplied["keyVaultPurgeProtection"]["value"] == "${KEY_VAULT_PURGE_PROTECTION=false}"
    secret_names = {v["value"] for v in parse(path)["variables"].values()}
    assert {"spotify-client-secret", "spotify-refresh-token", "user-id-key"} <= secret_names
    for name, param in parse(path)["parameters"].items():
        if name in ("spotifyClientSecret", "spotifyRefreshToken", "userIdKey"):
            assert any(d["type"] == "secure" for d in param["decorators"]), f"{name} must be @secure()"


def test_role_ids_are_named_commented_variables_used_by_assignments() -> None:
    path = INFRA / "app" / "rbac.bicep"
    lines = path.read_text().splitlines()
    variables = parse(path)["variables"]
    role_vars = {
        name: v["value"]
        for name, v in variables.items()
        if isinstance(v["value"], str) and v["value"] in ROLE_GUIDS
    }
    assert set(role_vars.values()) == ROLE_GUIDS
    for name in role_vars:
        index = next(i for i, line in enumerate(lines) if line.startswith(f"var {name} ="))
        assert lines[index - 1].startswith("//"), (
            f"role variable {name} needs a comment saying what it is for"
        )
    assignments = list(resources("Microsoft.Authorization/roleAssignments"))
    custom = {name for _, name, _ in resources("Microsoft.Authorization/roleDefinitions")}
    used = set()
    for _, name, assignment in assignments:
        guid = assignment["name"]["function"]
        role_id = dotted(assignment["properties"]["roleDefinitionId"])
        assert guid["type"] == "guid", f"{name}: name must be guid(scope, principal, role)"
        parts = [dotted(p) for p in guid["parameters"].values()]
        if isinstance(role_id, str):  # a custom role declared here: `<role>.id`
            role = role_id.removesuffix(".id")
            assert role in custom, f"{name}: {role_id} is not a role declared in infra/"
            assert role_id in parts, f"{name}: the role must be part of the name"
        else:
            role = role_id["function"]["parameters"]["resource_name_1"]
            assert role in parts, f"{name}: the role must be part of the name"
        used.add(role)
    assert used == set(role_vars) | custom


def test_the_app_may_only_read_pause_and_resume_its_own_pool() -> None:
    path = INFRA / "app" / "rbac.bicep"
    ((_, role),) = [(n, r) for _, n, r in resources("Microsoft.Authorization/roleDefinitions")]
    props = role["properties"]
    assert props["type"] == "CustomRole"
    (permissions,) = props["permissions"]
    assert sorted(variable(path, permissions["actions"])) == [
        "Microsoft.Synapse/workspaces/sqlPools/pause/action",
        "Microsoft.Synapse/workspaces/sqlPools/read",
        "Microsoft.Synapse/workspaces/sqlPools/resume/action",
    ]
    assert permissions["notActions"] == permissions["dataActions"] == permissions["notDataActions"] == []
    assert [dotted(scope) for scope in props["assignableScopes"]] == ["resource_group().id"]
    assert "roleNameSuffix" in props["roleName"]  # role names are tenant-wide: one per deployment
    assert role["name"]["function"]["type"] == "guid"
    # Assigned to the function's identity at the pool's own scope, not the group or the workspace.
    (assignment,) = [
        a
        for _, _, a in resources("Microsoft.Authorization/roleAssignments")
        if dotted(a["properties"]["roleDefinitionId"]) == "poolControlRole.id"
    ]
    assert assignment["scope"] == "sqlPool"
    assert assignment["properties"]["principalId"] == "functionPrincipalId"
    assert assignment["properties"]["principalType"] == "ServicePrincipal"
    pool = parse(path)["resources"]["sqlPool"]
    assert pool["type"] == "Microsoft.Synapse/workspaces/sqlPools" and pool["existing"] is True
    assert pool["config"]["parent"] == "workspace"


def test_the_app_settings_name_the_pool_and_resource_manager() -> None:
    values = app_settings()
    assert values["SYNAPSE_POOL_RESOURCE_ID"] == "synapsePoolResourceId"
    assert dotted(values["AZURE_RESOURCE_MANAGER_URL"]) == "environment().resourceManager"
    assert values["SYNAPSE_PAUSE_AFTER_MINUTES"] == "synapsePauseAfterMinutes"
    assert values["SYNAPSE_PAUSE_SCHEDULE"] == "synapsePauseSchedule"
    function_module = body(parse(MAIN)["modules"]["functionApp"])["params"]
    assert dotted(function_module["synapsePoolResourceId"]) == "synapse.outputs.sqlPoolId"
    assert param_default(MAIN, "synapsePauseAfterMinutes") == str(settings.DEFAULT_PAUSE_AFTER_MINUTES)
    assert param_default(MAIN, "synapsePauseSchedule") == settings.DEFAULT_PAUSE_SCHEDULE
    supplied = json.loads((INFRA / "main.parameters.json").read_text())["parameters"]
    assert supplied["synapsePauseAfterMinutes"]["value"] == "${SYNAPSE_PAUSE_AFTER_MINUTES=30}"
    assert "sqlPoolId" in parse(INFRA / "app" / "synapse.bicep")["outputs"]


def test_the_export_limit_is_an_app_setting_azd_can_set() -> None:
    assert app_settings()["EXPORT_MAX_UNCOMPRESSED_MB"] == "exportMaxUncompressedMb"
    function_module = body(parse(MAIN)["modules"]["functionApp"])["params"]
    assert dotted(function_module["exportMaxUncompressedMb"]) == "exportMaxUncompressedMb"
    default = str(settings.DEFAULT_EXPORT_MAX_UNCOMPRESSED_MB)
    assert param_default(MAIN, "exportMaxUncompressedMb") == default
    assert param_default(INFRA / "app" / "function.bicep", "exportMaxUncompressedMb") == default
    supplied = json.loads((INFRA / "main.parameters.json").read_text())["parameters"]
    assert supplied["exportMaxUncompressedMb"]["value"] == f"${{EXPORT_MAX_UNCOMPRESSED_MB={default}}}"
    assert (
        json.loads((ROOT / "local.settings.sample.json").read_text())["Values"][settings.EXPORT_MAX]
        == default
    )


def test_a_load_marker_outlives_the_function_timeout() -> None:
    from datetime import timedelta

    from load.pool.activity import LOAD_MARKER_LIFETIME

    hours, minutes, seconds = (
        int(x) for x in json.loads((ROOT / "host.json").read_text())["functionTimeout"].split(":")
    )
    assert timedelta(hours=hours, minutes=minutes, seconds=seconds) < LOAD_MARKER_LIFETIME


def test_synapse_workspace_pool_admin_and_firewall() -> None:
    _, workspace = one_resource("Microsoft.Synapse/workspaces")
    assert workspace["identity"]["type"] == "SystemAssigned"
    lake = workspace["properties"]["defaultDataLakeStorage"]
    assert ".dfs." in lake["accountUrl"] and lake["filesystem"]
    assert workspace["properties"]["azureADOnlyAuthentication"] is True
    _, pool = one_resource("Microsoft.Synapse/workspaces/sqlPools")
    assert pool["sku"]["name"] == "DW100c"
    _, admin = one_resource("Microsoft.Synapse/workspaces/administrators")
    assert (
        admin["name"] == "activeDirectory" and admin["properties"]["administratorType"] == "ActiveDirectory"
    )
    rules = resource_names("Microsoft.Synapse/workspaces/firewallRules")
    assert "AllowAllWindowsAzureIps" in rules


def test_event_grid_system_topic_on_the_lake() -> None:
    _, topic = one_resource("Microsoft.EventGrid/systemTopics")
    assert topic["properties"]["topicType"] == "Microsoft.Storage.StorageAccounts"


def test_parameters_file_matches_main_parameters() -> None:
    declared = parse(MAIN)["parameters"]
    supplied = json.loads((INFRA / "main.parameters.json").read_text())["parameters"]
    assert set(supplied) <= set(declared), set(supplied) - set(declared)
    required = {name for name, p in declared.items() if "default" not in p}
    assert required <= set(supplied), required - set(supplied)
    assert supplied["environmentName"]["value"] == "${AZURE_ENV_NAME}"
    assert supplied["location"]["value"] == "${AZURE_LOCATION}"
    assert supplied["principalId"]["value"] == "${AZURE_PRINCIPAL_ID}"


def test_hooks_read_only_outputs_that_main_declares() -> None:
    outputs = set(parse(MAIN)["outputs"])
    builtins = {"AZURE_ENV_NAME", "AZURE_SUBSCRIPTION_ID", "AZURE_PRINCIPAL_ID"}
    for script in ("postprovision.sh", "postdeploy.sh"):
        text = (ROOT / "scripts" / script).read_text()
        used = set(re.findall(r"\$\{((?:AZURE|SYNAPSE)_[A-Z_]+)", text))
        assert used, script
        assert used <= outputs | builtins, f"{script}: {used - outputs - builtins}"


def test_azure_yaml_service_and_hooks() -> None:
    config = _azure_yaml()
    (service,) = config["services"].values()
    assert service == {"project": ".", "language": "python", "host": "function"}
    for hook in ("postprovision", "postdeploy"):
        script = ROOT / config["hooks"][hook]["run"]
        assert script.is_file() and os.access(script, os.X_OK), script


@pytest.mark.parametrize("hook", ["postprovision", "postdeploy"])
def test_hooks_run_under_bash_everywhere_azd_runs_them(hook: str) -> None:
    # azd's `shell: sh` runs the file itself on Linux and macOS (its shebang picks the shell) and
    # `bash <file>` on Windows (Git Bash): so each hook is a bash script, with LF line endings
    # even in a Windows checkout (.gitattributes), in bash 3.2 syntax (macOS's /bin/bash).
    config = _azure_yaml()["hooks"][hook]
    assert config["shell"] == "sh"
    script = ROOT / config["run"]
    raw = script.read_bytes()
    assert raw.startswith(b"#!/usr/bin/env bash\n") and b"\r" not in raw
    assert "*.sh text eol=lf" in (ROOT / ".gitattributes").read_text()
    checked = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr
    text = raw.decode()
    for bash4 in ("declare -A", "mapfile", "readarray", ",,}", "^^}"):
        assert bash4 not in text, f"{script.name}: {bash4} needs bash 4 (macOS has 3.2)"


def test_host_json_pins_the_bundle_timeouts_and_poison_thresholds() -> None:
    host = json.loads((ROOT / "host.json").read_text())
    assert host["version"] == "2.0"
    assert host["extensionBundle"] == {
        "id": "Microsoft.Azure.Functions.ExtensionBundle",
        "version": "[4.*, 5.0.0)",
    }
    assert host["functionTimeout"] == "00:30:00"
    queues = host["extensions"]["queues"]
    assert queues["messageEncoding"] == "base64" and queues["maxDequeueCount"] == 5
    assert host["extensions"]["blobs"]["poisonBlobThreshold"] >= 1
