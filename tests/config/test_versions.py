"""What each Intercom-Version brings."""

from __future__ import annotations

from pathlib import Path

import pytest

from bulk_update.config.versions import has_since, intercom_version
from bulk_update.errors import UsageError


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


@pytest.mark.parametrize(
    ("given", "sent"),
    [("2.16", "2.16"), (" 2.9 ", "2.9"), ("preview", "Preview"), ("UNSTABLE", "Unstable")],
)
def test_a_version_is_sent_as_intercom_spells_it(given: str, sent: str) -> None:
    assert intercom_version(given) == sent


@pytest.mark.parametrize("given", ["foo", "", "latest", "2", 2.16, None])
def test_anything_else_is_refused_naming_the_setting(given: object) -> None:
    """An unknown version would go out as a header Intercom does not know (and be taken here
    for one newer than all: Preview's flags sent)."""
    with pytest.raises(UsageError, match="is not an Intercom-Version"):
        intercom_version(given)


def test_the_library_refuses_a_number_for_a_version_naming_the_setting(tmp_path: Path) -> None:
    import bulk_update

    sheet = tmp_path / "sheet.csv"
    sheet.write_text("id,title\n1,Hello\n", encoding="utf-8")
    with pytest.raises(UsageError, match=r"api_version: 2\.16 is not an Intercom-Version"):
        bulk_update.run(sheet, sandbox=True, api_version=2.16)
