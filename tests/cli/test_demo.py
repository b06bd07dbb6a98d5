"""`make demo` and the README agree on the lake the demo fills, so the README's next command finds it."""

from __future__ import annotations

import re
import subprocess

from tests.cli.process import ROOT


def demo_lake() -> str:
    (lake,) = re.findall(r"^LAKE \?= (\S+)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    return lake


def test_the_demo_ingests_into_the_lake_it_then_reads():
    plan = subprocess.run(
        ["make", "-n", "demo"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    lake = demo_lake()
    ingest = next(line for line in plan if " -m cli ingest " in line)
    wrapped = next(line for line in plan if " -m cli wrapped " in line)
    assert ingest.endswith(f"--lake {lake}") and f"--lake {lake}" in wrapped


def test_the_readme_names_the_demo_lake_with_a_command_that_reads_it():
    readme = (ROOT / "README.md").read_text()
    lake = demo_lake()
    two_commands = readme[readme.index("## Two commands") : readme.index("## Run it on your own export")]
    assert f"`{lake}`" in two_commands
    assert re.search(rf"python -m cli wrapped --lake {re.escape(lake)}\b", two_commands)
