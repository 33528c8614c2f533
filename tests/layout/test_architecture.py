"""The package's shape, as the README's layout section draws it: stages in folders, imports
running down the stages (types two stages share live below both), no import circle, no
module too long to read, no function too knotted to follow."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import ROOT

PACKAGE = ROOT / "bulk_update"
# Lowest first. A module may import from its own layer or any layer below it.
LAYERS = (
    ("bulk_update.version", "bulk_update.models", "bulk_update.rules"),
    ("bulk_update.errors",),
    ("bulk_update.config",),
    ("bulk_update.sheet",),
    ("bulk_update.history",),
    ("bulk_update.send",),
    ("bulk_update.search", "bulk_update.sandbox"),
    ("bulk_update.job",),
    ("bulk_update.api",),
    ("bulk_update.ui",),
    ("bulk_update.cli", "bulk_update.__main__", "bulk_update"),
)
# Imports that run up the layers, each with the reason it must.
ALLOWED_UPWARD: set[tuple[str, str]] = set()
MAX_TOP_LEVEL_MODULES = 10
MAX_MODULE_LINES = 400


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imports_of(path: Path, known: dict[str, Path]) -> Iterator[str]:
    """Every package module ``path`` imports, anywhere in it (TYPE_CHECKING and function
    bodies included: a circle for a type is still a circle)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            targets = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        else:
            continue
        for target in targets:
            if target in known:
                yield target
                break


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: set(imports_of(path, known)) - {name} for name, path in known.items()}


def layer_of(module: str) -> int:
    best = -1, 0
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best[1]:
                best = index, len(prefix)
    assert best[0] >= 0, f"{module} is in no layer: add it to LAYERS"
    return best[0]


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def is_package_init(module: str) -> bool:
    return modules()[module].name == "__init__.py"


def test_no_import_circle() -> None:
    edges = graph()
    # A package's __init__ re-exporting its own modules is not a circle of meaning.
    for name in edges:
        if is_package_init(name):
            edges[name] = {t for t in edges[name] if not t.startswith(name + ".")}
    assert cycles(edges) == []


def test_imports_run_down_the_stages() -> None:
    upward = {
        (source, target)
        for source, targets in graph().items()
        for target in targets
        if layer_of(target) > layer_of(source)
    }
    assert upward <= ALLOWED_UPWARD, sorted(upward - ALLOWED_UPWARD)
    assert len(ALLOWED_UPWARD) <= 2


def test_the_top_level_is_a_short_list_and_no_module_is_long() -> None:
    top = sorted(path.name for path in PACKAGE.glob("*.py"))
    assert len(top) <= MAX_TOP_LEVEL_MODULES, top
    long = {
        name: lines
        for name, path in modules().items()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def test_no_two_modules_share_a_name() -> None:
    names = [path.stem for path in PACKAGE.rglob("*.py") if path.stem != "__init__"]
    assert sorted(name for name in set(names) if names.count(name) > 1) == []


def test_tests_mirror_the_layout() -> None:
    """tests/<stage>/test_<module>[_topic].py tests bulk_update/<stage>/<module>.py (end-to-end
    tests and the layout's own apart), and a top-level test_<module>.py a top-level module."""
    tests = ROOT / "tests"
    apart = {"end_to_end", "layout"}
    astray = []
    for path in sorted(tests.rglob("test_*.py")):
        folder = path.parent.relative_to(tests)
        if folder.parts and folder.parts[0] in apart:
            continue
        package = PACKAGE.joinpath(*folder.parts)
        topic = path.stem.removeprefix("test_")
        if not any(
            topic == module.stem or topic.startswith(module.stem + "_")
            for module in package.glob("*.py")
        ):
            astray.append(str(path.relative_to(tests)))
    assert astray == []
