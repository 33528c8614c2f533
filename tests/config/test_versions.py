"""What each Intercom-Version brings."""

from __future__ import annotations

import pytest

from bulk_update.config.versions import has_since


@pytest.mark.parametrize(
    ("version", "has_2_15"),
    [("2.14", False), ("2.9", False), ("2.15", True), ("2.16", True), ("Preview", True)],
)
def test_a_version_has_what_every_numbered_one_before_it_brought(
    version: str, has_2_15: bool
) -> None:
    assert has_since(version, "2.15") is has_2_15


@pytest.mark.parametrize(
    ("version", "has_preview"),
    [("2.14", False), ("2.16", False), ("Preview", True), ("Unstable", True)],
)
def test_what_preview_brought_only_preview_has(version: str, has_preview: bool) -> None:
    assert has_since(version, "Preview") is has_preview
