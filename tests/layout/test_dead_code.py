"""No dead code: vulture finds nothing in the package but the names whitelisted with a reason."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_vulture_finds_no_dead_code() -> None:
    whitelist = ROOT / "tests" / "layout" / "vulture_whitelist.py"
    found = subprocess.run(
        [sys.executable, "-m", "vulture", "--min-confidence", "60", "bulk_update", str(whitelist)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert found.stdout == "" and found.returncode == 0, found.stdout + found.stderr
