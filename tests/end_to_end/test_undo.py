"""--backup, undo, --skip-unchanged and live dry runs, against the sandbox."""

from __future__ import annotations

import copy
import csv
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bulk_update.cli.commands import main
from bulk_update.sandbox import Sandbox, SandboxConfig
from tests.conftest import ROOT, TOKEN, ThreadedSandbox, read_report, write_csv
from tests.end_to_end.test_resume import wait_until

HEADER = ["id", "read", "title", "priority", "vip", "due_date", "orders", "csat_score"]


def seed(sandbox: Sandbox, ids: list[str]) -> dict[str, Any]:
    """Give half the conversations earlier values; the rest have none. Returns a snapshot."""
    for n, conversation_id in enumerate(ids):
        conversation = sandbox.server.conversation(conversation_id)
        if n % 2:
            conversation["title"] = f"old {n}"
            conversation["custom_attributes"].update(priority="Low", vip=False, orders=["7"])
    return snapshot(sandbox, ids)


def snapshot(sandbox: Sandbox, ids: list[str]) -> dict[str, Any]:
    return {
        i: copy.deepcopy(
            {k: sandbox.state.conversations[i][k] for k in ("read", "title", "custom_attributes")}
        )
        for i in ids
    }


def sheet(tmp_path: Path, ids: list[str]) -> Path:
    rows = [[i, "true", f"new {i}", "High", "true", "2026-12-01", "21;34", "5"] for i in ids]
    rows[0][3] = ""  # a cell left empty is not changed, and not backed up
    return write_csv(tmp_path / "in.csv", HEADER, rows)


def test_backup_then_undo_restores_every_touched_conversation(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path
) -> None:
    ids = [str(100 + n) for n in range(40)]
    before = seed(threaded_sandbox, ids)
    backup = tmp_path / "backup.csv"
    report = tmp_path / "report.csv"
    url = threaded_sandbox.url
    assert (
        main(
            [
                "run",
                str(sheet(tmp_path, ids)),
                "--base-url",
                url,
                "-q",
                "--backup",
                str(backup),
                "--report",
                str(report),
            ]
        )
        == 0
    )
    assert snapshot(threaded_sandbox, ids) != before
    with backup.open(newline="") as handle:
        lines = list(csv.reader(handle))
    assert lines[0] == [*HEADER, "bulk_update_backup"]
    # A line before each update, and once it is confirmed a line that says it is done.
    assert len([x for x in lines[1:] if x[-1] != "done"]) == 40
    assert sorted(x[0] for x in lines[1:] if x[-1] == "done") == sorted(ids)
    assert lines[1][3] == ""  # not changed, so not in the backup
    assert main(["undo", str(report), "--base-url", url, "-q", "--yes"]) == 0
    assert snapshot(threaded_sandbox, ids) == before


def test_undo_asks_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    header = ["id", "title", "bulk_update_backup"]
    backup = write_csv(tmp_path / "backup.csv", header, [["1", "#N/A", ""]])
    assert main(["undo", str(backup), "--sandbox"]) == 2
    assert "--yes" in capsys.readouterr().err
    report = write_csv(tmp_path / "r.csv", ["id", "title", "status"], [["1", "a", "updated"]])
    assert main(["undo", str(report), "--sandbox", "--yes"]) == 2
    assert "without --backup" in capsys.readouterr().err


def test_undo_refuses_a_sheet_that_is_not_a_backup(
    threaded_sandbox: Sandbox, token_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet = ROOT / "sample_data" / "conversations.csv"
    assert main(["undo", str(sheet), "--yes", "--base-url", threaded_sandbox.url, "-q"]) == 2
    assert "neither a backup" in capsys.readouterr().err
    assert threaded_sandbox.state.paths == []


def test_undo_after_the_fix_and_run_again_loop_restores_every_round(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path
) -> None:
    """Round one updates two rows and finds one invalid; the fixed report updates it; undo
    puts all three back, not only the first round's."""
    for conversation_id in ("71", "72", "73"):
        threaded_sandbox.server.conversation(conversation_id)["title"] = f"old {conversation_id}"
    path = write_csv(
        tmp_path / "in.csv", ["id", "csat_score"], [["71", "1"], ["72", "2"], ["73", "x"]]
    )
    report, backup = tmp_path / "in.results.csv", tmp_path / "before.csv"
    url = threaded_sandbox.url
    assert main(["run", str(path), "--base-url", url, "-q", "--backup", str(backup)]) == 1
    lines = read_report(report)
    lines[2]["csat_score"] = "3"
    write_csv(report, list(lines[0]), [list(line.values()) for line in lines])
    assert main(["run", str(report), "--base-url", url, "-q"]) == 0
    scores = {
        i: threaded_sandbox.server.conversation(i)["custom_attributes"] for i in ("71", "72", "73")
    }
    assert [scores[i].get("csat_score") for i in ("71", "72", "73")] == [1, 2, 3]
    assert main(["undo", str(report), "--base-url", url, "-q", "--yes"]) == 0
    after = {
        i: threaded_sandbox.server.conversation(i)["custom_attributes"] for i in ("71", "72", "73")
    }
    assert [after[i].get("csat_score") for i in ("71", "72", "73")] == [None, None, None]


def test_sigkill_never_leaves_an_update_without_its_backup_line(tmp_path: Path) -> None:
    ids = [str(5000 + n) for n in range(1500)]
    config = SandboxConfig(token=TOKEN, limit=400, window=1, latency=0.002, missing_suffix="")
    with ThreadedSandbox(config) as server:
        backup = tmp_path / "backup.csv"
        command = [
            sys.executable,
            "-m",
            "bulk_update",
            "run",
            str(sheet(tmp_path, ids)),
            "--base-url",
            server.url,
            "-q",
            "--backup",
            str(backup),
            "--report",
            str(tmp_path / "r.csv"),
            "--rate",
            "400/1",
        ]
        env = {**os.environ, "INTERCOM_ACCESS_TOKEN": TOKEN}
        process = subprocess.Popen(command, env=env)
        wait_until(lambda: server.state.puts_applied >= 300)
        process.kill()
        process.wait()
        touched = set(server.state.put_counts)
        with backup.open(newline="") as handle:
            backed_up = {cells[0] for cells in list(csv.reader(handle))[1:]}
        assert touched and touched <= backed_up
        # Resuming continues the same backup: a row sent again adds a line, and the first
        # line of each conversation still holds what the first round found.
        finish = subprocess.run([*command, "--resume"], env=env, check=False)
        assert finish.returncode == 0
        with backup.open(newline="") as handle:
            lines = list(csv.reader(handle))[1:]
        first: dict[str, list[str]] = {}
        for cells in lines:
            first.setdefault(cells[0], cells)
        assert set(first) == set(ids)
        titles = HEADER.index("title")
        assert not [i for i, cells in first.items() if cells[titles] == f"new {i}"]


def test_rerun_with_skip_unchanged_sends_no_put(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path
) -> None:
    ids = [str(300 + n) for n in range(30)]
    path = sheet(tmp_path, ids)
    url = threaded_sandbox.url
    assert (
        main(["run", str(path), "--base-url", url, "-q", "--report", str(tmp_path / "a.csv")]) == 0
    )
    puts = threaded_sandbox.state.puts_applied
    summary = tmp_path / "s.json"
    assert (
        main(
            [
                "run",
                str(path),
                "--base-url",
                url,
                "-q",
                "--report",
                str(tmp_path / "b.csv"),
                "--skip-unchanged",
                "--summary-json",
                str(summary),
            ]
        )
        == 0
    )
    assert threaded_sandbox.state.puts_applied == puts
    lines = read_report(tmp_path / "b.csv")
    assert {(line["status"], line["changes"]) for line in lines} == {("skipped", "unchanged")}
    assert '"skipped": 30' in summary.read_text()


def test_live_dry_run_reports_before_and_after_and_writes_nothing(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    threaded_sandbox.server.conversation("42")["custom_attributes"]["priority"] = "High"
    path = write_csv(tmp_path / "in.csv", ["id", "priority"], [["41", "High"], ["42", "High"]])
    code = main(["run", str(path), "--base-url", threaded_sandbox.url, "--dry-run", "--live", "-q"])
    assert code == 0
    assert threaded_sandbox.state.puts_applied == 0
    lines = {line["id"]: line for line in read_report(tmp_path / "in.dry-run.csv")}
    # Before → after in its own column, as a person reads it; error_message stays empty.
    assert (lines["41"]["status"], lines["41"]["changes"]) == (
        "would_update",
        "priority: unset → High",
    )
    assert lines["41"]["error_message"] == ""
    assert (lines["42"]["status"], lines["42"]["changes"]) == ("skipped", "unchanged")
    assert "1 would be updated" in capsys.readouterr().out


def test_an_existing_backup_is_never_overwritten(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    backup = write_csv(tmp_path / "backup.csv", ["id", "title"], [["1", "old"]])
    path = write_csv(tmp_path / "in.csv", ["id", "title"], [["1", "new"]])
    code = main(["run", str(path), "--base-url", threaded_sandbox.url, "--backup", str(backup)])
    assert code == 2 and "already exists" in capsys.readouterr().err
    assert backup.read_bytes() == b"id,title\r\n1,old\r\n"
    assert not (tmp_path / "in.results.csv.journal").exists()
    assert threaded_sandbox.state.put_counts == {}


def test_dates_read_as_iso_in_changes_and_backups_and_undo_reads_them_back(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    threaded_sandbox.server.conversation("51")["custom_attributes"]["due_date"] = 1796083200
    path = write_csv(tmp_path / "in.csv", ["id", "due_date"], [["51", "2026-12-15"]])
    url = threaded_sandbox.url
    assert main(["run", str(path), "--base-url", url, "--dry-run", "--live", "-q"]) == 0
    line = read_report(tmp_path / "in.dry-run.csv")[0]
    assert line["changes"] == "due_date: 2026-12-01T00:00:00Z → 2026-12-15T00:00:00Z"
    backup = tmp_path / "backup.csv"
    assert main(["run", str(path), "--base-url", url, "-q", "--backup", str(backup)]) == 0
    assert backup.read_text(encoding="utf-8").splitlines() == [
        "id,due_date,bulk_update_backup",  # the last column says it is a backup
        '51,2026-12-01T00:00:00Z,"{""due_date"":""2026-12-15T00:00:00Z""}"',  # and what was left
        "51,,done",  # and that it was done
    ]
    assert main(["undo", str(backup), "--base-url", url, "-q"]) == 2
    assert "undo would restore 1 conversation(s)' due_date from" in capsys.readouterr().err
    assert main(["undo", str(backup), "--base-url", url, "-q", "--yes"]) == 0
    due = threaded_sandbox.state.conversations["51"]["custom_attributes"]["due_date"]
    assert due == 1796083200


def test_a_live_dry_runs_report_applies_exactly_its_plan(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path
) -> None:
    """Running the before → after report of a --dry-run --live sends what it planned: rows
    in place then stay unsent, and a row whose live value moved since the plan is a conflict."""
    for conversation_id in ("81", "82", "83"):
        threaded_sandbox.server.conversation(conversation_id)["title"] = f"old {conversation_id}"
    threaded_sandbox.server.conversation("83")["title"] = "new 83"  # in place at the plan
    rows = [["81", "new 81"], ["82", "new 82"], ["83", "new 83"]]
    path = write_csv(tmp_path / "in.csv", ["id", "title"], rows)
    url = threaded_sandbox.url
    assert main(["run", str(path), "--base-url", url, "-q", "--dry-run", "--live"]) == 0
    plan = tmp_path / "in.dry-run.csv"
    planned = read_report(plan)
    assert [line["status"] for line in planned] == ["would_update"] * 2 + ["skipped"]
    bases = [json.loads(line["bulk_update_base"]) for line in planned]
    assert bases[0] == {"id": "81", "title": "old 81"}  # the base names its conversation
    threaded_sandbox.server.conversation("82")["title"] = "a teammate's"  # moved since
    assert (
        main(["run", str(plan), "--base-url", url, "-q", "--report", str(tmp_path / "r.csv")]) == 1
    )
    lines = read_report(tmp_path / "r.csv")
    assert [line["status"] for line in lines] == ["updated", "conflict", "skipped"]
    assert lines[1]["changes"] == "title: old 82 → a teammate's → new 82"
    titles = [threaded_sandbox.server.conversation(i)["title"] for i in ("81", "82", "83")]
    assert titles == ["new 81", "a teammate's", "new 83"]
    assert threaded_sandbox.state.puts_applied == 1


def test_undo_checks_admin_before_asking_and_a_dry_run_needs_no_yes(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    header = ["id", "state", "admin_assignee", "bulk_update_backup"]
    backup = write_csv(tmp_path / "before.csv", header, [["1000", "open", "unassigned", ""]])
    url = threaded_sandbox.url
    assert main(["undo", str(backup), "--base-url", url, "-q"]) == 2
    assert "--admin" in capsys.readouterr().err  # asked for before any confirmation
    dry = ["undo", str(backup), "--base-url", url, "-q", "--dry-run", "--admin", "ada@example.com"]
    assert main(dry) == 0
    assert "--yes" not in capsys.readouterr().err
