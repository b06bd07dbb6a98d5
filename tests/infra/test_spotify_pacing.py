"""The catalog pacing settings reach the app with settings.py's defaults: Bicep, azd and local settings."""

from __future__ import annotations

import json

from bicep_tree import INFRA, ROOT, app_settings, body, dotted, param_default, parse

import settings

MAIN = INFRA / "main.bicep"
PACING = {
    # app setting: (main.bicep parameter, settings.py default)
    "SPOTIFY_REQUEST_INTERVAL_MS": ("spotifyRequestIntervalMs", settings.DEFAULT_SPOTIFY_REQUEST_INTERVAL_MS),
    "SPOTIFY_CATALOG_BUDGET": ("spotifyCatalogBudget", settings.DEFAULT_SPOTIFY_CATALOG_BUDGET),
}


def test_the_pacing_settings_are_parameters_with_the_code_defaults_everywhere():
    values = app_settings()
    passed = body(parse(MAIN)["modules"]["functionApp"])["params"]
    supplied = json.loads((INFRA / "main.parameters.json").read_text())["parameters"]
    local = json.loads((ROOT / "local.settings.sample.json").read_text())["Values"]
    for name, (parameter, default) in PACING.items():
        assert values[name] == parameter  # function.bicep: the app setting is its parameter
        assert param_default(INFRA / "app" / "function.bicep", parameter) == str(default)
        assert param_default(MAIN, parameter) == str(default)
        assert dotted(passed[parameter]) == parameter
        assert supplied[parameter]["value"] == f"${{{name}={default}}}"  # azd env set NAME overrides
        assert local[name] == str(default)
