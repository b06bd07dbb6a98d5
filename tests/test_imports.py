"""The layout holds: no import cycle, no stage importing another, and every late import says why.

Walks every import of the project's own code (module level, inside functions, and type-only),
from the source text, so an import that only runs on some path counts too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("contracts", "storage", "extract", "transform", "load", "analysis", "report", "pipeline", "cli")
MODULES = ("settings", "function_app")
STAGES = ("extract", "transform", "load")
# What each top-level part may import of the project (besides itself).
ALLOWED = {
    "contracts": set(),
    "settings": set(),
    "storage": {"contracts", "settings"},
    "extract": {"contracts", "storage", "settings"},
    "transform": {"contracts", "storage", "settings"},
    "load": {"contracts", "storage", "settings"},
    "analysis": {"contracts", "storage", "settings", "load"},  # reads the warehouse, writes curated/
    "report": set(),  # a summary in, text or HTML out
    "pipeline": {"contracts", "storage", "settings", "extract", "transform", "load", "analysis", "report"},
    "cli": {
        "contracts",
        "storage",
        "settings",
        "extract",
        "transform",
        "load",
        "analysis",
        "report",
        "pipeline",
    },
    "function_app": {"contracts", "settings", "pipeline", "extract"},
}


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str | None  # the imported project module; None for the standard library and packages
    line: int
    in_function: bool
    comment: str  # the comments on the lines of the import's block of import lines, if any


def _modules() -> dict[str, Path]:
    found = {name: ROOT / f"{name}.py" for name in MODULES}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


MODULE_PATHS = _modules()


def _resolve(name: str) -> str | None:
    """The project module an import names (`a.b.c` may be a module or a name in `a.b`)."""
    while name:
        if name in MODULE_PATHS:
            return name
        name = name.rpartition(".")[0]
    return None


def _imports(module: str, path: Path) -> Iterator[Import]:
    text = path.read_text()
    lines = text.splitlines()
    tree = ast.parse(text)
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    inside = {id(n) for f in functions for n in ast.walk(f) if isinstance(n, ast.Import | ast.ImportFrom)}
    nodes = sorted(
        (n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)), key=lambda n: n.lineno
    )
    # Contiguous import lines form a block; a comment on any of its lines speaks for the block.
    blocks: list[list[ast.Import | ast.ImportFrom]] = []
    for node in nodes:
        if blocks and node.lineno == (blocks[-1][-1].end_lineno or blocks[-1][-1].lineno) + 1:
            blocks[-1].append(node)
        else:
            blocks.append([node])
    for block in blocks:
        spans = [lines[n.lineno - 1 : n.end_lineno or n.lineno] for n in block]
        comment = " ".join(line.partition("#")[2].strip() for span in spans for line in span).strip()
        for node in block:
            if isinstance(node, ast.ImportFrom):
                if node.level:  # relative imports: not used in this project
                    raise AssertionError(f"{module}:{node.lineno}: relative import")
                names = [f"{node.module}.{alias.name}" for alias in node.names]
            else:
                names = [alias.name for alias in node.names]
            for name in names:
                target = _resolve(name)
                if target != module:
                    yield Import(module, target, node.lineno, id(node) in inside, comment)


EVERY_IMPORT = [i for module, path in MODULE_PATHS.items() for i in _imports(module, path)]
IMPORTS = [i for i in EVERY_IMPORT if i.target is not None]  # the project's own


def _part(module: str | None) -> str:
    return str(module).split(".")[0]


def test_the_walk_sees_the_whole_project():
    assert {"contracts.layout", "load.warehouse.synapse", "pipeline.stages", "cli.ingest"} <= set(
        MODULE_PATHS
    )
    assert any(i.source == "pipeline.stages" and i.in_function for i in IMPORTS)


def test_no_module_imports_itself_back_through_others():
    graph: dict[str, set[str]] = {}
    for item in IMPORTS:
        graph.setdefault(item.source, set()).add(str(item.target))
    done: set[str] = set()

    def visit(module: str, trail: list[str]) -> None:
        if module in trail:
            cycle = [*trail[trail.index(module) :], module]
            pytest.fail("import cycle: " + " -> ".join(cycle))
        if module in done:
            return
        for target in sorted(graph.get(module, ())):
            visit(target, [*trail, module])
        done.add(module)

    for module in sorted(graph):
        visit(module, [])


@pytest.mark.parametrize("part", sorted(ALLOWED))
def test_each_part_imports_only_what_it_may(part):
    wrong = [
        f"{i.source}:{i.line} imports {i.target}"
        for i in IMPORTS
        if _part(i.source) == part and _part(i.target) != part and _part(i.target) not in ALLOWED[part]
    ]
    assert wrong == []


def test_stages_never_import_each_other():
    crossing = [
        f"{i.source}:{i.line} imports {i.target}"
        for i in IMPORTS
        if _part(i.source) in STAGES and _part(i.target) in STAGES and _part(i.source) != _part(i.target)
    ]
    assert crossing == []


def test_every_import_inside_a_function_says_why():
    """Late imports keep function_app (and the CLI) light or load an optional driver; each says so."""
    silent = [f"{i.source}:{i.line}" for i in EVERY_IMPORT if i.in_function and not i.comment]
    assert silent == []
