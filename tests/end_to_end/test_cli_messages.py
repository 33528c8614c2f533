"""The command line speaks like one: each suggested command carries the flags it needs to mean
the same thing, and a refusal says the way on. Against the sandbox over loopback."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from bulk_update.cli.commands import main
from bulk_update.sandbox import Sandbox
from tests.conftest import SAMPLE_DATA, write_csv

ADA = "ada@example.com"


def next_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("next:") or "undo with" in line]


def test_the_same_command_on_an_edited_sheet_names_the_report_loop_and_a_new_report(
    tmp_path: Path, threaded_sandbox: Sandbox, token_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet = write_csv(tmp_path / "in.csv", ["id", "title"], [["7001", "a"], ["7003", "b"]])
    report = tmp_path / "r.csv"
    command = ["run", str(sheet), "--report", str(report), "--base-url", threaded_sandbox.url]
    schema = ["--schema", str(SAMPLE_DATA / "schema.json"), "-q"]
    assert main([*command, *schema]) == 0
    write_csv(sheet, ["id", "title"], [["7001", "a2"], ["7003", "b"]])
    sent = threaded_sandbox.state.puts_applied
    capsys.readouterr()
    assert main([*command, *schema]) == 2
    error = capsys.readouterr().err
    assert threaded_sandbox.state.puts_applied == sent
    carry = f"--base-url {threaded_sandbox.url} --schema {SAMPLE_DATA / 'schema.json'}"
    assert f"bulk-update run {report} {carry}" in error
    assert f"bulk-update run {sheet} --report NEW.csv {carry}" in error
    assert "Traceback" not in error and "journal of an earlier run" not in error


def test_every_suggested_command_carries_the_flags_that_give_the_sheet_its_meaning(
    tmp_path: Path, threaded_sandbox: Sandbox, token_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [["7001", "12,5", "31/12/2026 10:00", ADA], ["7404", "1,5", "01/12/2026 10:00", ADA]]
    sheet = write_csv(
        tmp_path / "in.csv", ["id", "monthly_spend", "due_date", "admin_assignee"], rows, ";"
    )
    schema = tmp_path / "my schema.json"
    schema.write_bytes((SAMPLE_DATA / "schema.json").read_bytes())
    meaning = [
        "--base-url",
        threaded_sandbox.url,
        "--decimal-comma",
        "--dayfirst",
        "--timezone",
        "Europe/Paris",
        "--schema",
        str(schema),
    ]
    backup = tmp_path / "before.csv"
    flags = [*meaning, "--admin", ADA, "--backup", str(backup), "-q"]
    assert main(["run", str(sheet), *flags]) == 1  # 7404 does not exist
    out = capsys.readouterr().out
    suggested = next_lines(out)
    assert len(suggested) == 2  # undo the backup; fix and run the report
    carried = " ".join(shlex.quote(flag) for flag in meaning)
    for line in suggested:
        assert carried in line and f"--admin {ADA}" in line


def test_a_sandbox_suggestion_says_a_new_sandbox_holds_none_of_the_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "r.csv"
    assert (
        main(
            [
                "run",
                str(SAMPLE_DATA / "conversations.csv"),
                "--sandbox",
                "-q",
                "--report",
                str(report),
            ]
        )
        == 1
    )
    out = capsys.readouterr().out
    assert f"bulk-update run {report} --sandbox" in out
    assert "--sandbox starts a new sandbox each time" in out


def test_an_export_suggests_its_run_with_the_same_connection(
    tmp_path: Path, threaded_sandbox: Sandbox, token_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out_file = tmp_path / "open.csv"
    where = ["--where", "state = open", "--columns", "title", "--limit", "3"]
    assert main(["export", str(out_file), *where, "--base-url", threaded_sandbox.url, "-q"]) == 0
    (line,) = next_lines(capsys.readouterr().out)
    assert f"bulk-update run {out_file} --skip-unchanged --base-url {threaded_sandbox.url}" in line
    assert "--create-tags" not in line
