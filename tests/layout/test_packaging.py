"""What the package imports, it declares: a fresh machine installs exactly pyproject.toml."""

from __future__ import annotations

import ast
import re
import sys
import tomllib

from tests.conftest import ROOT

# Import names of the distributions that do not match their own name.
IMPORT_NAMES = {"python-dateutil": "dateutil"}


def declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = set()
    for requirement in project["dependencies"]:
        name = re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].strip().lower()
        names.add(IMPORT_NAMES.get(name, name.replace("-", "_")))
    return names


def imported() -> dict[str, str]:
    """Top-level module → the first file of the package that imports it."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "bulk_update").rglob("*.py")):
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
