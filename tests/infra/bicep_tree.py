"""Read the Bicep templates under infra/ as data (pycep) for the infra tests.

pycep gives a dict per file: parameters, variables, resources, modules, outputs. Identifiers and
string literals both come out as plain strings, and loops/conditions wrap a resource's body in
`{"loop_type"|"condition": ..., "config": {...}}`; `body()` unwraps those.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pycep import BicepParser

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"


def bicep_files() -> list[Path]:
    return sorted(INFRA.rglob("*.bicep"))


@functools.cache
def parse(path: Path) -> dict[str, Any]:
    return BicepParser().parse(file_path=path)


def body(entry: dict[str, Any]) -> dict[str, Any]:
    """A resource's or module's own properties, without loop/condition wrappers."""
    config = entry["config"]
    while (
        isinstance(config, dict) and ("loop_type" in config or "condition" in config) and "config" in config
    ):
        config = config["config"]
    return config


def resources(type_: str) -> Iterator[tuple[Path, str, dict[str, Any]]]:
    """(file, symbolic name, body) of every declared (not `existing`) resource of that type."""
    for path in bicep_files():
        for name, entry in parse(path).get("resources", {}).items():
            if entry["type"] == type_ and not entry.get("existing"):
                yield path, name, body(entry)


def one_resource(type_: str) -> tuple[Path, dict[str, Any]]:
    found = [(path, config) for path, _, config in resources(type_)]
    assert len(found) == 1, f"expected exactly one {type_}, found {len(found)}"
    return found[0]


def variable(path: Path, name: str) -> Any:
    return parse(path)["variables"][name]["value"]


def resolve(path: Path, value: Any) -> Any:
    """A literal, or the value of the file variable it names (one level, enough for names)."""
    variables = parse(path).get("variables", {})
    if isinstance(value, str) and value in variables:
        return variables[value]["value"]
    return value


def resource_names(type_: str) -> set[str]:
    """Literal names of every resource of that type, expanding `for x in <array variable>` loops."""
    names: set[str] = set()
    for path in bicep_files():
        for entry in parse(path).get("resources", {}).values():
            if entry["type"] != type_ or entry.get("existing"):
                continue
            loop = entry["config"].get("loop_type")
            if loop and loop["type"] == "array":
                names.update(resolve(path, loop["detail"]["array_name"]))
            else:
                names.add(resolve(path, body(entry)["name"]))
    return names


def app_settings() -> dict[str, Any]:
    """The function app's siteConfig.appSettings as {name: raw value}."""
    _, site = one_resource("Microsoft.Web/sites")
    return {item["name"]: item["value"] for item in site["properties"]["siteConfig"]["appSettings"]}


def param_default(path: Path, name: str) -> Any:
    return parse(path)["parameters"][name].get("default")


def dotted(value: Any) -> Any:
    """`a.b.c` for pycep's nested property accessors (`x.id`, `synapse.outputs.sqlPoolId`); a
    parameterless function call is `name()`; anything else comes back as it is."""
    if isinstance(value, dict):
        operator = value.get("operator", {})
        if operator.get("type") == "property_accessor":
            operands = operator["operands"]
            return f"{dotted(operands['operand_1'])}.{dotted(operands['operand_2'])}"
        function = value.get("function", {})
        if function and not any(function.get("parameters", {}).values()):
            return f"{function['type']}()"
    return value
