"""What a run reads of the workspace's conversation attributes on each Intercom-Version, over
loopback against the sandbox: 2.16 and Preview read ``GET /conversations/attributes`` (the
stable listing answers 422 there) and check what it says (a ``one`` relationship takes one
id); every version asks for archived attributes, so a column naming one is told so."""

from __future__ import annotations

from pathlib import Path

import pytest

from bulk_update.cli.commands import main
from bulk_update.sandbox import Sandbox
from bulk_update.sandbox.attributes import defined_attribute
from tests.conftest import read_report, write_csv

NEWER = ["2.16", "Preview"]


def run(sandbox: Sandbox, version: str, *args: str) -> int:
    return main(["run", *args, "--base-url", sandbox.url, "--api-version", version, "-q"])


@pytest.mark.parametrize("version", NEWER)
def test_a_one_relationship_given_two_ids_is_an_invalid_row_and_one_id_is_sent(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path, version: str
) -> None:
    threaded_sandbox.config.listing["data"].append(
        defined_attribute(20, "account", "relationship", reference={"type": "one"})
    )
    rows = [["8001", "21"], ["8002", "21;34"], ["8003", "41"]]
    sheet = write_csv(tmp_path / "in.csv", ["id", "account", "orders"], [[*r, "1;2"] for r in rows])
    report = tmp_path / "report.csv"
    assert run(threaded_sandbox, version, str(sheet), "--report", str(report)) == 1
    attributes = threaded_sandbox.server.conversation
    assert attributes("8001")["custom_attributes"] == {"account": ["21"], "orders": ["1", "2"]}
    assert attributes("8003")["custom_attributes"]["account"] == ["41"]
    assert "8002" not in threaded_sandbox.state.put_counts
    invalid = {row["id"]: row for row in read_report(report) if row["status"] == "invalid"}
    assert list(invalid) == ["8002"]
    assert invalid["8002"]["error_message"] == (
        "column 'account': '21;34' is 2 ids: this relationship takes one id"
    )
    listings = [p for p in threaded_sandbox.state.paths if "attributes" in p]
    assert listings == ["/conversations/attributes?include_archived=true"]


def test_before_2_16_the_stable_listing_is_read_and_a_one_relationship_is_not_known(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path
) -> None:
    """2.14's listing does not say one or many: the row goes, and Intercom is the judge."""
    threaded_sandbox.config.listing["data"].append(
        defined_attribute(20, "account", "relationship", reference={"type": "one"})
    )
    sheet = write_csv(tmp_path / "in.csv", ["id", "account"], [["8002", "21;34"]])
    report = tmp_path / "report.csv"
    assert run(threaded_sandbox, "2.14", str(sheet), "--report", str(report)) == 1
    (row,) = read_report(report)
    assert row["status"] == "failed" and row["http_status"] == "400"
    listings = [p for p in threaded_sandbox.state.paths if "attributes" in p]
    assert listings == ["/data_attributes?model=conversation&include_archived=true"]


@pytest.mark.parametrize("version", ["2.14", *NEWER])
def test_a_column_naming_an_archived_attribute_says_it_is_archived(
    threaded_sandbox: Sandbox,
    token_env: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    version: str,
) -> None:
    sheet = write_csv(tmp_path / "in.csv", ["id", "legacy_code"], [["8001", "A1"]])
    assert run(threaded_sandbox, version, str(sheet)) == 2
    error = capsys.readouterr().err
    assert (
        "'legacy_code' is an archived conversation attribute: unarchive it in Intercom or drop "
        "the column (leave it out with --ignore-column 'legacy_code')"
    ) in error
    assert "not 'read', 'title'" not in error and "Traceback" not in error
    assert threaded_sandbox.state.puts_applied == 0
