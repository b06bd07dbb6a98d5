"""checkov's Bicep security scan of infra/ passes: everything parsed, nothing failed, every skip justified.

checkov runs from its own venv (.venv-checkov, made by `make install-dev`) because it pins an old
pycep-parser and packaging. It exits 0 even when it cannot parse a file, so these tests read its
JSON report instead of trusting the exit code.
"""

from __future__ import annotations

import fcntl
import json
import re
import subprocess
from typing import Any

import pytest
from bicep_tree import INFRA, ROOT, bicep_files, parse

CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
# An inline suppression inside a resource body: `// checkov:skip=CKV_AZURE_35: why`.
SKIP_LINE = re.compile(r"//\s*checkov:skip=([A-Z0-9_]+)(.*)$")
MIN_REASON_LENGTH = 30


def _pinned_version() -> str:
    match = re.search(r"^CHECKOV_VERSION\s*:=\s*(\S+)", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert match, "Makefile must pin CHECKOV_VERSION"
    return match.group(1)


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> dict[str, Any]:
    """checkov's report of infra/: one run (~7 s) for the whole test session, whichever worker asks
    first; the others wait for it (pytest-xdist's recipe: a lock in the session's shared temp dir)."""
    shared = tmp_path_factory.getbasetemp().parent
    with (shared / "checkov.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        cached = shared / "checkov-report.json"
        if not cached.exists():
            cached.write_text(json.dumps(_run_checkov()))
        return json.loads(cached.read_text())


def _run_checkov() -> dict[str, Any]:
    if not CHECKOV.exists():
        pytest.fail(f"{CHECKOV.relative_to(ROOT)} is missing: run `make install-dev` (creates .venv-checkov)")
    done = subprocess.run(
        [str(CHECKOV), "-d", str(INFRA), "--framework", "bicep", "--skip-download", "-o", "json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.stdout.strip(), f"checkov printed no report (exit {done.returncode}): {done.stderr[-2000:]}"
    parsed = json.loads(done.stdout)
    # One framework gives one report object; checkov returns a list when several ran.
    assert isinstance(parsed, dict), f"expected one bicep report, got {type(parsed).__name__}"
    assert parsed["check_type"] == "bicep"
    return parsed


def _inline_skips() -> list[tuple[str, int, str, str]]:
    """(file, line number, check id, reason) of every suppression comment under infra/."""
    skips = []
    for path in bicep_files():
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if match := SKIP_LINE.search(line):
                reason = match.group(2).removeprefix(":").strip()
                skips.append((path.relative_to(INFRA).as_posix(), number, match.group(1), reason))
    return skips


def test_checkov_is_the_pinned_version(report: dict[str, Any]) -> None:
    # The report names the version that wrote it (a second checkov start would cost ~5 s).
    assert report["summary"]["checkov_version"] == _pinned_version(), (
        "rm -rf .venv-checkov && make install-dev"
    )


def test_checkov_parsed_every_file(report: dict[str, Any]) -> None:
    assert report["summary"]["parsing_errors"] == 0, report["results"].get("parsing_errors")
    assert not report["results"].get("parsing_errors")


def test_every_declared_resource_was_scanned(report: dict[str, Any]) -> None:
    # A silent no-parse would scan nothing and pass: require at least what the templates declare.
    declared = sum(
        1
        for path in bicep_files()
        for resource in parse(path).get("resources", {}).values()
        if not resource.get("existing")
    )
    assert declared >= 30
    assert report["summary"]["resource_count"] >= declared
    checked_files = {
        record["file_path"].lstrip("/")
        for key in ("passed_checks", "skipped_checks")
        for record in report["results"].get(key, [])
    }
    for name in ("app/storage.bicep", "app/function.bicep", "app/keyvault.bicep", "app/synapse.bicep"):
        assert name in checked_files, f"checkov evaluated no check in {name}"


def test_checkov_finds_no_failed_check(report: dict[str, Any]) -> None:
    failed = [
        f"{r['check_id']} {r['resource']} ({r['file_path']}): {r['check_name']}"
        for r in report["results"].get("failed_checks", [])
    ]
    assert not failed, "fix, or skip inline with a reason:\n" + "\n".join(failed)


def test_every_skip_has_a_reason(report: dict[str, Any]) -> None:
    skips = _inline_skips()
    assert skips, "expected the documented inline skips"
    for file, line, check_id, reason in skips:
        assert len(reason) >= MIN_REASON_LENGTH, f"{file}:{line}: skip of {check_id} needs a reason"
    for record in report["results"].get("skipped_checks", []):
        comment = record["check_result"].get("suppress_comment", "")
        assert comment != "No comment provided", f"{record['check_id']} on {record['resource']} has no reason"


def test_every_inline_skip_takes_effect(report: dict[str, Any]) -> None:
    # checkov only honours a skip between a resource's first and last line; one outside is ignored.
    skipped = {
        (r["file_path"].lstrip("/"), r["check_id"], line)
        for r in report["results"].get("skipped_checks", [])
        for line in range(r["file_line_range"][0], r["file_line_range"][1] + 1)
    }
    for file, line, check_id, _ in _inline_skips():
        assert (file, check_id, line) in skipped, (
            f"{file}:{line}: skip of {check_id} matched no scanned check"
        )
