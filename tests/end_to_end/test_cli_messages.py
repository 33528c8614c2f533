"""The command line speaks like one: each suggested command carries the flags it needs to mean
the same thing, and a refusal says the way on. Against the sandbox over loopback."""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from bulk_update.cli.commands import main
from bulk_update.sandbox import Sandbox, SandboxConfig
from tests.conftest import SAMPLE_DATA, TOKEN, ThreadedSandbox, read_report, write_csv

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


def one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and error.startswith("error: "), error
    assert "bug" not in error
    return error


def test_a_port_that_is_busy_or_no_port_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["sandbox", "--port", "70000"]) == 2
    assert "--port 70000 is not a port" in one_error_line(capsys)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["sandbox", "--port", str(port)]) == 2
    assert f"cannot listen on 127.0.0.1:{port}: address already in use" in one_error_line(capsys)


def test_schema_out_in_a_missing_folder_asks_nothing(
    tmp_path: Path, threaded_sandbox: Sandbox, token_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "missing" / "schema.json"
    assert main(["schema", "--out", str(out), "--base-url", threaded_sandbox.url]) == 2
    assert f"--out {out}: the folder {out.parent} does not exist" in one_error_line(capsys)
    assert threaded_sandbox.state.paths == []


def test_a_token_holding_a_line_break_is_refused_before_any_request(
    tmp_path: Path,
    threaded_sandbox: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("MY_TOKEN", TOKEN + "\nAuthorization: x")
    sheet = write_csv(tmp_path / "in.csv", ["id", "title"], [["7001", "a"]])
    flags = ["--base-url", threaded_sandbox.url, "--token-env", "MY_TOKEN"]
    assert main(["run", str(sheet), *flags]) == 2
    error = one_error_line(capsys)
    assert "$MY_TOKEN holds a line break" in error and TOKEN not in error
    assert threaded_sandbox.state.paths == []


def test_a_missing_token_is_named_as_token_env_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("INTERCOM_ACCESS_TOKEN", TOKEN)  # not the variable asked for
    monkeypatch.delenv("MY_TOKEN", raising=False)
    sheet = write_csv(tmp_path / "in.csv", ["id", "title"], [["7001", "a"]])
    assert main(["run", str(sheet), "--token-env", "MY_TOKEN"]) == 2
    assert "no access token: set $MY_TOKEN" in one_error_line(capsys)


def test_output_into_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    reading, writing = os.pipe()
    os.close(reading)  # like head after its first lines: every write now fails
    try:
        command = [sys.executable, "-m", "bulk_update", "run", "--help"]
        done = subprocess.run(command, stdout=writing, stderr=subprocess.PIPE, timeout=60)
    finally:
        os.close(writing)
    assert (done.returncode, done.stderr) == (0, b"")


def test_notices_appear_only_when_they_apply(
    tmp_path: Path, threaded_sandbox: Sandbox, token_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    schema = ["--schema", str(SAMPLE_DATA / "schema.json"), "--admin", ADA, "-q"]
    header = ["id", "due_date", "state"]
    plain = write_csv(tmp_path / "plain.csv", header, [["7001", "1798761600", "open"]])
    assert main(["run", str(plain), "--base-url", threaded_sandbox.url, *schema]) == 0
    out = capsys.readouterr().out
    assert "without a zone" not in out and "bulk close" not in out
    rows = [["7003", "2026-12-15 09:30", "closed"], ["7005", "2026-12-15T09:30:00Z", "open"]]
    local = write_csv(tmp_path / "local.csv", header, rows)
    assert main(["run", str(local), "--base-url", threaded_sandbox.url, *schema]) == 0
    out = capsys.readouterr().out
    assert "1 date-time(s) written without a zone were read as UTC" in out
    assert "customers see a bulk close" in out


def test_a_warning_reads_like_every_other_message(
    tmp_path: Path, threaded_sandbox: Sandbox, token_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet = tmp_path / "ansi.csv"
    sheet.write_bytes("id,title\n7001,Café\n".encode("cp1252"))
    flags = ["--base-url", threaded_sandbox.url, "--schema", str(SAMPLE_DATA / "schema.json")]
    assert main(["run", str(sheet), *flags, "-q"]) == 0
    (warning,) = capsys.readouterr().err.splitlines()
    assert warning.startswith("warning: ") and "Windows-1252" in warning


def test_a_where_field_that_is_also_an_attribute_names_both_spellings(
    tmp_path: Path, token_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    config = SandboxConfig(token=TOKEN, limit=100_000, seed=1, population=200)
    with ThreadedSandbox(config) as sandbox:
        lines = _export_priorities(tmp_path, sandbox, capsys)
    assert lines and {line["priority"] for line in lines} == {"High"}


def _export_priorities(
    tmp_path: Path, sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> list[dict[str, str]]:
    out = tmp_path / "p.csv"
    url = ["--base-url", sandbox.url]
    assert main(["export", str(out), "--where", "priority = High", *url]) == 2
    error = one_error_line(capsys)
    assert "custom_attributes.priority" in error and "--query" in error
    spelled = ["--where", "custom_attributes.priority = High"]
    columns = ["--columns", "custom_attributes.priority", "--limit", "5", "-q"]
    assert main(["export", str(out), *spelled, *columns, *url]) == 0
    return read_report(out)


@pytest.mark.parametrize("field", ["admin_assignee", "team_assignee"])
def test_where_unassigned_selects_the_unassigned_conversations(
    tmp_path: Path, token_env: str, field: str
) -> None:
    config = SandboxConfig(token=TOKEN, limit=100_000, seed=1, population=200)
    with ThreadedSandbox(config) as sandbox:
        unassigned = {
            conversation_id
            for conversation_id in (str(215467900000 + n) for n in range(200))
            if not conversation_id.endswith("404")
            and not sandbox.server.conversation(conversation_id)[f"{field}_id"]
        }
        out = tmp_path / "u.csv"
        where = ["--where", f"{field} = unassigned", "--columns", "title"]
        assert main(["export", str(out), *where, "--base-url", sandbox.url, "-q"]) == 0
    assert 0 < len(unassigned) < 200
    assert {line["id"] for line in read_report(out)} == unassigned


def test_an_export_of_a_tag_that_does_not_exist_suggests_no_run_flag(
    tmp_path: Path, threaded_sandbox: Sandbox, token_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "t.csv"
    url = ["--base-url", threaded_sandbox.url]
    assert main(["export", str(out), "--where", "tag = Nope", *url]) == 2
    error = one_error_line(capsys)
    assert "there is no tag 'Nope'; fix the name" in error
    assert "create" not in error and "_" not in error.split(":", 2)[-1]


def test_where_values_are_read_with_the_flags_a_sheet_takes_and_say_so_by_flag(
    tmp_path: Path, threaded_sandbox: Sandbox, token_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "d.csv"
    url = ["--base-url", threaded_sandbox.url]
    assert main(["export", str(out), "--where", "due_date < 05/06/2026", *url]) == 2
    error = one_error_line(capsys)
    assert "--dayfirst or --monthfirst" in error and "date_order" not in error
    assert main(["export", str(out), "--where", "csat_score = 12,5", *url]) == 2
    assert "decimal_comma" not in one_error_line(capsys)
    flags = ["--dayfirst", "--decimal-comma", "-q"]
    where = ["--where", "due_date < 05/06/2026", "--where", "monthly_spend > 12,5"]
    assert main(["export", str(out), *where, *flags, *url]) == 0
