"""Validate response bodies against the public Spotify OpenAPI description (loaded once per process).

The spec is sonallux/spotify-web-api's fixed-spotify-open-api.yml (vendored in spotify-openapi/).
Responses are looked up by (spec path, status); statuses a path does not list (404, 400, 5xx)
use the spec's shared error responses. Additional properties are allowed, as in the spec (e.g.
error.reason is not modelled).
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import yaml
from openapi_schema_validator import OAS30Validator, oas30_format_checker

SPEC_PATH = Path(
    os.environ.get(
        "SPOTIFY_OPENAPI_SPEC",
        Path(__file__).resolve().parent / "spotify-openapi" / "fixed-spotify-open-api.yml",
    )
)
_SHARED_ERRORS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    429: "TooManyRequests",
}


@functools.cache
def _spec() -> dict:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(SPEC_PATH, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=loader)  # a safe loader, chosen above


def _deref(node: dict) -> dict:
    spec = _spec()
    while "$ref" in node:
        parts = node["$ref"].removeprefix("#/").split("/")
        node = spec
        for part in parts:
            node = node[part]
    return node


@functools.cache
def _validator(spec_path: str, status: int) -> OAS30Validator:
    spec = _spec()
    responses = spec["paths"][spec_path]["get"]["responses"]
    if str(status) in responses:
        response = _deref(responses[str(status)])
    else:
        # 5xx bodies are not described by the spec; they share the error envelope of the others.
        response = spec["components"]["responses"][_SHARED_ERRORS.get(status, "TooManyRequests")]
    schema = response["content"]["application/json"]["schema"]
    # `$ref`s inside resolve against this root, which carries the spec's components.
    root = {"components": spec["components"], "allOf": [schema]}
    return OAS30Validator(root, format_checker=oas30_format_checker)


def problems(spec_path: str, status: int, body) -> list[str]:
    """Why `body` does not match the spec's response for GET `spec_path` with `status` (empty if it does)."""
    if spec_path not in _spec()["paths"]:
        return [f"{spec_path} is not a path of the spec"]
    return [
        f"{spec_path} {status}: {'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in _validator(spec_path, status).iter_errors(body)
    ]
