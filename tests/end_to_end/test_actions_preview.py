"""What Intercom's Preview version changes for actions, end to end against the sandbox: a
note leaves a snoozed conversation asleep (``skip_unsnooze``) and an assignment leaves a
closed one closed (``skip_reopen``), one request less each than 2.14's wake-up and put-back;
Intercom's own priority is written (``conversation_priority``), exported and undone; and
versions that cannot write it stop before sending."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bulk_update.cli.commands import main
from bulk_update.sandbox import Sandbox
from tests.conftest import read_report, write_csv

ADA = "ada@example.com"


def run(sandbox: Sandbox, path: Path, version: str, *more: str) -> int:
    at = ["--base-url", sandbox.url, "--api-version", version, "--admin", ADA, "-q"]
    return main(["run", str(path), *at, *more])


@pytest.mark.parametrize(
    ("column", "cell", "first_id"),
    [("note", "Checked in the cleanup.", 8008), ("admin_assignee", "grace@example.com", 8007)],
    ids=["note on snoozed", "assignment of closed"],
)
def test_preview_keeps_a_conversation_as_it_was_with_one_request_less(
    threaded_sandbox: Sandbox,
    token_env: str,
    tmp_path: Path,
    column: str,
    cell: str,
    first_id: int,
) -> None:
    """Ids ending in 8 start snoozed, in 7 closed: the same rows on 2.14 then on Preview."""
    spent = {}
    for version, offset in (("2.14", 0), ("Preview", 100)):
        ids = [str(first_id + offset + 10 * n) for n in range(5)]
        was = {i: threaded_sandbox.server.conversation(i)["state"] for i in ids}
        path = write_csv(tmp_path / f"{version}.csv", ["id", column], [[i, cell] for i in ids])
        summary = tmp_path / f"{version}.json"
        before = len(threaded_sandbox.state.paths)
        assert run(threaded_sandbox, path, version, "--summary-json", str(summary)) == 0
        spent[version] = len(threaded_sandbox.state.paths) - before
        assert {i: threaded_sandbox.server.conversation(i)["state"] for i in ids} == was
        spared = json.loads(summary.read_text())["requests_spared"]
        assert spared == (5 if version == "Preview" else 0)
    assert spent["2.14"] - spent["Preview"] == 5  # one put-back a row, no more
    skipped = threaded_sandbox.state.workspace.actions
    assert skipped["unsnooze skipped"] + skipped["reopen skipped"] == 5


def test_conversation_priority_round_trip_run_export_undo(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path
) -> None:
    ids = ["8100", "8101", "8102"]
    threaded_sandbox.server.conversation("8102")["priority"] = "high"  # in place already
    path = write_csv(
        tmp_path / "triage.csv", ["id", "conversation_priority"], [[i, "High"] for i in ids]
    )
    backup = tmp_path / "backup.csv"
    assert run(threaded_sandbox, path, "Preview", "--backup", str(backup)) == 0
    report = read_report(tmp_path / "triage.results.csv")
    assert [line["status"] for line in report] == ["updated", "updated", "skipped"]
    assert report[0]["changes"] == "conversation_priority: none → high"
    assert all(threaded_sandbox.server.conversation(i)["priority"] == "high" for i in ids)
    # The teammate credited with the change, as Preview's update_conversation_request has it.
    assert threaded_sandbox.state.last_bodies["8100"] == {"priority": "high", "admin_id": "101"}

    exported = tmp_path / "export.csv"
    where = ["--where", "id in 8100, 8101", "--columns", "conversation_priority"]
    at = ["--base-url", threaded_sandbox.url, "--api-version", "2.16", "-q"]
    assert main(["export", str(exported), *where, *at]) == 0
    assert [line["conversation_priority"] for line in read_report(exported)] == ["high"] * 2

    undo = ["undo", str(backup), "--yes", "--base-url", threaded_sandbox.url, "--admin", ADA]
    assert main([*undo, "--api-version", "Preview", "-q"]) == 0
    priorities = [threaded_sandbox.server.conversation(i)["priority"] for i in ids]
    assert priorities == ["none", "none", "high"]


@pytest.mark.parametrize("version", ["2.14", "2.16"])
def test_a_sheet_writing_priority_stops_before_sending_before_preview(
    threaded_sandbox: Sandbox,
    token_env: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    version: str,
) -> None:
    rows = [["8200", "low"], ["8201", "Urgent"]]
    path = write_csv(tmp_path / "triage.csv", ["id", "conversation_priority"], rows)
    assert run(threaded_sandbox, path, version) == 2
    said = capsys.readouterr().err
    assert "row 2 writes 'conversation_priority'" in said and "--api-version Preview" in said
    assert not [p for p in threaded_sandbox.state.paths if p.startswith("/conversations/82")]
    assert run(threaded_sandbox, path, "Preview") == 0  # the same sheet, where it can be written
    assert threaded_sandbox.server.conversation("8200")["priority"] == "low"


def test_an_export_with_priority_runs_back_unedited_on_2_16_with_nothing_sent(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path
) -> None:
    exported = tmp_path / "export.csv"
    at = ["--base-url", threaded_sandbox.url, "--api-version", "2.16", "-q"]
    where = ["--where", "id in 8500, 8501", "--columns", "conversation_priority,state"]
    assert main(["export", str(exported), *where, *at]) == 0
    before = (
        threaded_sandbox.state.puts_applied,
        sum(threaded_sandbox.state.workspace.actions.values()),
    )
    assert main(["run", str(exported), "--admin", ADA, "--skip-unchanged", *at]) == 0
    after = (
        threaded_sandbox.state.puts_applied,
        sum(threaded_sandbox.state.workspace.actions.values()),
    )
    assert after == before


def test_exporting_priority_needs_a_version_that_reads_it(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    at = ["--base-url", threaded_sandbox.url, "--api-version", "2.14", "-q"]
    columns = ["--columns", "conversation_priority"]
    assert main(["export", str(tmp_path / "out.csv"), "--where", "id = 8300", *columns, *at]) == 2
    assert "--api-version 2.16" in capsys.readouterr().err


def test_a_priority_column_without_such_an_attribute_points_to_conversation_priority(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    threaded_sandbox.server.config.listing["data"] = [
        attribute
        for attribute in threaded_sandbox.server.config.listing["data"]
        if attribute["name"] != "priority"
    ]
    path = write_csv(tmp_path / "triage.csv", ["id", "priority"], [["8400", "high"]])
    assert run(threaded_sandbox, path, "Preview") == 2
    assert "conversation_priority" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("version", "undone_on"), [("2.16", "2.16"), ("Preview", "2.15")], ids=["2.16", "Preview"]
)
def test_a_backup_keeps_priority_only_where_the_sheet_writes_it_so_undo_needs_no_preview(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path, version: str, undone_on: str
) -> None:
    """2.16 reads the priority but cannot write it back; a Preview sheet without the column
    does not change it: neither backup holds it, and either undoes on a stable version."""
    ids = ["8600", "8610"]
    path = write_csv(
        tmp_path / "close.csv", ["id", "state", "note"], [[i, "closed", "Done."] for i in ids]
    )
    backup = tmp_path / "backup.csv"
    assert run(threaded_sandbox, path, version, "--backup", str(backup)) == 0
    assert "conversation_priority" not in read_report(backup)[0]
    undo = ["undo", str(backup), "--yes", "--base-url", threaded_sandbox.url, "--admin", ADA]
    assert main([*undo, "--api-version", undone_on, "-q"]) == 0
    assert all(threaded_sandbox.server.conversation(i)["state"] == "open" for i in ids)


@pytest.mark.parametrize(("version", "writes_priority"), [("2.16", False), ("Preview", True)])
def test_a_default_export_writes_priority_only_where_it_can_go_back_into_a_run(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path, version: str, writes_priority: bool
) -> None:
    exported = tmp_path / "all.csv"
    at = ["--base-url", threaded_sandbox.url, "--api-version", version, "-q"]
    assert main(["export", str(exported), "--where", "id = 8700", *at]) == 0
    assert ("conversation_priority" in read_report(exported)[0]) is writes_priority


def test_a_round_in_another_version_than_the_history_began_with_says_so(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv(tmp_path / "notes.csv", ["id", "note"], [["8800", "Checked."]])
    assert run(threaded_sandbox, path, "Preview") == 0
    assert "began with" not in capsys.readouterr().out
    report = tmp_path / "notes.results.csv"
    assert run(threaded_sandbox, report, "2.15") == 0
    assert "history began with Intercom-Version Preview; this round was sent with 2.15" in (
        capsys.readouterr().out
    )
