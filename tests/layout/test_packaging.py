"""What the package imports, it declares: a fresh machine installs exactly pyproject.toml."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib

from tests.conftest import ROOT

# Import names of the distributions that do not match their own name.
IMPORT_NAMES = {"python-dateutil": "dateutil"}
# Modules of an optional extra: they may import what the extra declares, and nothing else does.
EXTRAS = {"bulk_update/dagster.py": "dagster"}


def declared(extra: str | None = None) -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = set()
    listed = project["dependencies"] if extra is None else project["optional-dependencies"][extra]
    for requirement in listed:
        name = re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].strip().lower()
        names.add(IMPORT_NAMES.get(name, name.replace("-", "_")))
    return names


def imported(extra: str | None = None) -> dict[str, str]:
    """Top-level module → the first file of the package (of the core, or of ``extra``) that
    imports it."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "bulk_update").rglob("*.py")):
        if EXTRAS.get(str(path.relative_to(ROOT))) != extra:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], str(path.relative_to(ROOT)))
    return found


def test_every_third_party_import_is_a_declared_dependency() -> None:
    allowed = declared() | set(sys.stdlib_module_names) | {"bulk_update"}
    undeclared = {name: where for name, where in imported().items() if name not in allowed}
    assert undeclared == {}
    for extra in set(EXTRAS.values()):
        with_extra = allowed | declared(extra)
        found = imported(extra)
        assert {name: where for name, where in found.items() if name not in with_extra} == {}
        assert extra in found  # the extra's module is where its import is


def test_the_core_never_imports_an_extra() -> None:
    """``import bulk_update`` and the command line work without the extras installed."""
    check = (
        "import sys, bulk_update, bulk_update.api, bulk_update.cli.commands; "
        "assert not {'dagster'} & set(sys.modules), sorted({'dagster'} & set(sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", check], cwd=ROOT, check=False).returncode == 0
