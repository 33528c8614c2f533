"""Undo is a merge and a round: it never reverts a teammate's later change unasked, it can be
run again after later rounds, a second one with nothing left sends nothing, and it holds the
sheet's history like every command. Against the sandbox, over real sockets."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bulk_update.cli.commands import main
from bulk_update.sandbox import Sandbox
from tests.conftest import read_report, write_csv
from tests.end_to_end.test_actions import ADA, conversation, situation

HEADER = ["id", "title", "priority"]


def _titled(sandbox: Sandbox, ids: list[str]) -> None:
    for conversation_id in ids:
        found = sandbox.server.conversation(conversation_id)
        found["title"] = f"old {conversation_id}"
        found["custom_attributes"]["priority"] = "Low"


def _titles(sandbox: Sandbox, ids: list[str]) -> list[str]:
    return [sandbox.server.conversation(i)["title"] for i in ids]


def _run_with_backup(sandbox: Sandbox, tmp_path: Path, ids: list[str]) -> Path:
    rows = [[i, f"new {i}", "High"] for i in ids]
    sheet = write_csv(tmp_path / "in.csv", HEADER, rows)
    report = tmp_path / "r.csv"
    backup = tmp_path / "before.csv"
    argv = ["run", str(sheet), "--report", str(report), "--backup", str(backup)]
    assert main([*argv, "--base-url", sandbox.url, "-q"]) == 0
    return report


def _undo(sandbox: Sandbox, given: Path, *more: str) -> int:
    return main(["undo", str(given), "--yes", "--base-url", sandbox.url, "-q", *more])


def test_undo_leaves_a_teammates_later_change_as_a_conflict_unless_told(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = ["301", "302", "303"]
    _titled(threaded_sandbox, ids)
    report = _run_with_backup(threaded_sandbox, tmp_path, ids)
    threaded_sandbox.server.conversation("302")["title"] = "a teammate's"
    capsys.readouterr()
    assert _undo(threaded_sandbox, report) == 1
    out = capsys.readouterr().out
    assert "1 in conflict" in out and "--overwrite-conflicts" in out
    assert _titles(threaded_sandbox, ids) == ["old 301", "a teammate's", "old 303"]
    lines = {line["id"]: line for line in read_report(tmp_path / "before.results.csv")}
    assert lines["302"]["status"] == "conflict"
    # Only the field that moved is left; the row's other fields are restored.
    assert lines["302"]["changes"] == (
        "title: new 302 → a teammate's → old 302; priority: High → Low"
    )
    assert threaded_sandbox.server.conversation("302")["custom_attributes"]["priority"] == "Low"
    assert [lines[i]["status"] for i in ("301", "303")] == ["updated", "updated"]
    # Told to, it restores the teammate's field too; and then nothing is left.
    assert _undo(threaded_sandbox, report, "--overwrite-conflicts") == 0
    assert _titles(threaded_sandbox, ids) == ["old 301", "old 302", "old 303"]
    requests = len(threaded_sandbox.state.paths)
    assert _undo(threaded_sandbox, report) == 0
    assert len(threaded_sandbox.state.paths) == requests


def test_a_teammates_change_after_an_undo_stands_through_the_next_undo(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path
) -> None:
    ids = ["311", "312"]
    _titled(threaded_sandbox, ids)
    report = _run_with_backup(threaded_sandbox, tmp_path, ids)
    assert _undo(threaded_sandbox, report) == 0
    threaded_sandbox.server.conversation("311")["custom_attributes"]["priority"] = "Urgent"
    requests = len(threaded_sandbox.state.paths)
    assert _undo(threaded_sandbox, report) == 0
    assert len(threaded_sandbox.state.paths) == requests
    assert threaded_sandbox.server.conversation("311")["custom_attributes"]["priority"] == "Urgent"


def test_undo_again_after_another_round_restores_what_the_first_round_found(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = ["321", "322", "323"]
    _titled(threaded_sandbox, ids)
    report = _run_with_backup(threaded_sandbox, tmp_path, ids)
    assert _undo(threaded_sandbox, report) == 0
    assert _titles(threaded_sandbox, ids) == ["old 321", "old 322", "old 323"]
    # Another round: the report edited (one title) and run in place.
    text = report.read_text(encoding="utf-8-sig").replace("new 322", "newer 322")
    report.write_text(text, encoding="utf-8-sig")
    assert main(["run", str(report), "--base-url", threaded_sandbox.url, "-q"]) == 0
    assert _titles(threaded_sandbox, ids)[1] == "newer 322"
    capsys.readouterr()
    assert _undo(threaded_sandbox, report) == 0
    assert _titles(threaded_sandbox, ids) == ["old 321", "old 322", "old 323"]
    assert "1 restored" in capsys.readouterr().out
    # Nothing left: it says so, sends nothing, and exits 0.
    requests = len(threaded_sandbox.state.paths)
    assert _undo(threaded_sandbox, report) == 0
    assert len(threaded_sandbox.state.paths) == requests
    out = capsys.readouterr().out
    assert "nothing to undo" in out and "updated" not in out


def test_undo_of_actions_leaves_a_conversation_a_teammate_reopened(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path
) -> None:
    ids = ["5000", "5008", "5018"]  # open, snoozed, snoozed
    before = {i: situation(threaded_sandbox, i) for i in ids}
    sheet = write_csv(tmp_path / "close.csv", ["id", "state"], [[i, "closed"] for i in ids])
    backup = tmp_path / "before.csv"
    argv = ["run", str(sheet), "--admin", ADA, "--backup", str(backup), "-q"]
    assert main([*argv, "--base-url", threaded_sandbox.url]) == 0
    conversation(threaded_sandbox, "5008").update(state="open", open=True)  # a teammate
    assert _undo(threaded_sandbox, backup, "--admin", ADA) == 1
    assert situation(threaded_sandbox, "5000") == before["5000"]
    assert situation(threaded_sandbox, "5018") == before["5018"]
    assert conversation(threaded_sandbox, "5008")["state"] == "open"
    line = next(x for x in read_report(tmp_path / "before.results.csv") if x["id"] == "5008")
    assert line["status"] == "conflict" and "state: closed → open → snoozed" in line["changes"]


LOCK_HOLDER = """
import sys
from pathlib import Path
from bulk_update.history.lock import holding
with holding(Path(sys.argv[1]), "run r.csv"):
    print("held", flush=True)
    sys.stdin.readline()
"""


@pytest.mark.parametrize("held", ["journal", "backup"])
def test_undo_waits_for_no_round_of_the_sheet(
    threaded_sandbox: Sandbox,
    token_env: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    held: str,
) -> None:
    """Another process holding the sheet's history (or its backup): undo exits 2 at once,
    naming it, and sends nothing."""
    ids = ["331", "332"]
    _titled(threaded_sandbox, ids)
    report = _run_with_backup(threaded_sandbox, tmp_path, ids)
    path = tmp_path / ("r.csv.journal" if held == "journal" else "before.csv")
    holder = subprocess.Popen(
        [sys.executable, "-c", LOCK_HOLDER, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        requests = len(threaded_sandbox.state.paths)
        capsys.readouterr()
        assert _undo(threaded_sandbox, report) == 2
        assert f"process {holder.pid}" in capsys.readouterr().err
        assert len(threaded_sandbox.state.paths) == requests
        assert _titles(threaded_sandbox, ids) == ["new 331", "new 332"]
    finally:
        holder.communicate("")
    assert _undo(threaded_sandbox, report) == 0
    assert _titles(threaded_sandbox, ids) == ["old 331", "old 332"]


def test_undo_of_a_copied_report_finds_its_history_where_it_was_made(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path
) -> None:
    ids = ["341", "342"]
    _titled(threaded_sandbox, ids)
    report = _run_with_backup(threaded_sandbox, tmp_path, ids)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    copy = elsewhere / "copy.csv"
    copy.write_bytes(report.read_bytes())
    assert _undo(threaded_sandbox, copy) == 0
    assert _titles(threaded_sandbox, ids) == ["old 341", "old 342"]


def test_an_undo_whose_requests_failed_is_finished_by_the_next_one(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = ["5000", "5018"]  # open, snoozed
    before = {i: situation(threaded_sandbox, i) for i in ids}
    sheet = write_csv(tmp_path / "close.csv", ["id", "state"], [[i, "closed"] for i in ids])
    backup = tmp_path / "before.csv"
    argv = ["run", str(sheet), "--admin", ADA, "--backup", str(backup), "-q"]
    assert main([*argv, "--base-url", threaded_sandbox.url]) == 0
    threaded_sandbox.config.failing_paths = ("/parts",)
    assert _undo(threaded_sandbox, backup, "--admin", ADA, "--max-retries", "0") == 1
    threaded_sandbox.config.failing_paths = ()
    assert [conversation(threaded_sandbox, i)["state"] for i in ids] == ["closed", "closed"]
    capsys.readouterr()
    # Its hint: the same undo again restores what is left.
    assert _undo(threaded_sandbox, backup, "--admin", ADA) == 0
    assert "2 restored" in capsys.readouterr().out
    assert {i: situation(threaded_sandbox, i) for i in ids} == before


def test_a_round_that_failed_leaves_undo_restoring_the_first_rounds_state(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A change backed up but never done is no value the rounds left: undo restores past it,
    with no conflict."""
    ids = ["5000", "5018"]  # open, snoozed
    before = {i: situation(threaded_sandbox, i) for i in ids}
    sheet = write_csv(tmp_path / "close.csv", ["id", "state"], [[i, "closed"] for i in ids])
    backup, report = tmp_path / "before.csv", tmp_path / "r.csv"
    run = ["--admin", ADA, "-q", "--base-url", threaded_sandbox.url]
    assert main(["run", str(sheet), "--report", str(report), "--backup", str(backup), *run]) == 0
    text = report.read_text(encoding="utf-8-sig").replace("closed", "open")
    report.write_text(text, encoding="utf-8-sig")
    threaded_sandbox.config.failing_paths = ("/parts",)
    assert main(["run", str(report), *run, "--max-retries", "0"]) == 1
    threaded_sandbox.config.failing_paths = ()
    capsys.readouterr()
    assert _undo(threaded_sandbox, report, "--admin", ADA) == 0
    assert "0 in conflict" in capsys.readouterr().out
    assert {i: situation(threaded_sandbox, i) for i in ids} == before


def test_a_dry_run_of_an_undo_writes_its_plan_beside_the_undos_report(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path
) -> None:
    ids = ["351", "352"]
    _titled(threaded_sandbox, ids)
    report = _run_with_backup(threaded_sandbox, tmp_path, ids)
    threaded_sandbox.server.conversation("352")["title"] = "a teammate's"
    assert _undo(threaded_sandbox, report) == 1
    assert _undo(threaded_sandbox, report, "--dry-run", "--overwrite-conflicts") == 0
    plan = read_report(tmp_path / "before.dry-run.csv")
    assert [line["status"] for line in plan] == ["would_update"]
    assert _titles(threaded_sandbox, ids) == ["old 351", "a teammate's"]
