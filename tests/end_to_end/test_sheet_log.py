"""A sheet's log over loopback: after run → run REPORT → retry → undo, ``bulk-update log REPORT``
(and ``bulk_update.log``) shows every round, newest first, from the history itself, with the
workspace, the digest of what was sent, the counts and how each ended."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import bulk_update
from bulk_update.cli.commands import main
from bulk_update.sandbox import SandboxConfig
from tests.conftest import SAMPLE_DATA, TOKEN, ThreadedSandbox, write_csv

SCHEMA = str(SAMPLE_DATA / "schema.json")


def test_log_shows_every_round_newest_first(
    tmp_path: Path, token_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet = write_csv(
        tmp_path / "in.csv",
        ["id", "issue_type"],
        [["7001", "Bug"], ["7003", "Billing"], ["1404", "Bug"]],  # 1404: not in Intercom
    )
    report = tmp_path / "in.results.csv"
    with ThreadedSandbox(SandboxConfig(token=TOKEN)) as server:
        where = ["--base-url", server.url, "--schema", SCHEMA, "-q"]
        hook = ["--notify-url", f"{server.url}/hooks/secret-path"]
        assert main(["run", str(sheet), "--backup", str(tmp_path / "b.csv"), *where, *hook]) == 1
        assert main(["retry", str(report), *where]) == 1
        assert main(["run", str(report), *where]) == 1
        assert main(["undo", str(report), "--yes", *where]) == 0
        capsys.readouterr()
        before = sorted(path.name for path in tmp_path.iterdir())
        assert main(["log", str(report), "--json"]) == 0
        assert sorted(path.name for path in tmp_path.iterdir()) == before  # no -wal, no -shm
    rounds = json.loads(capsys.readouterr().out)
    commands = [each["command"].split()[1] for each in rounds]
    assert commands == ["undo", "run", "retry", "run"]
    first = rounds[-1]
    assert first["counts"] == {"updated": 2, "failed": 1}
    assert first["ended"] == "done, with rows to fix" and first["rows"] == 3
    assert first["workspace"] == "bulk-update sandbox (app sandbox, US)"
    assert first["teammate"] == "sandbox@example.invalid"
    assert first["settings"]["backup_path"] == str(tmp_path / "b.csv")
    assert "secret-path" not in json.dumps(rounds)
    assert "--notify-url hidden" in first["command"]
    assert rounds[0]["counts"] == {"updated": 2} and rounds[0]["ended"] == "done"
    assert rounds[1]["digest"] != first["digest"]  # another input (the report), other settings
    assert main(["log", str(report)]) == 0
    printed = capsys.readouterr().out
    assert printed.index("bulk-update undo") < printed.index("bulk-update retry")
    frame = bulk_update.log(report)
    assert list(frame["command"]) == [each["command"] for each in rounds]


def test_a_round_stopped_then_resumed_is_logged_each_time(tmp_path: Path) -> None:
    sheet = write_csv(tmp_path / "in.csv", ["id", "issue_type"], [["7001", "Bug"]])
    stop = bulk_update.Interruption()
    stop.request()  # asked to stop before anything is sent
    hooks = bulk_update.RunHooks(interruption=stop)
    stopped = bulk_update.run(sheet, sandbox=True, hooks=hooks, schema_path=SCHEMA)
    assert stopped.summary.interrupted
    bulk_update.run(sheet, sandbox=True, resume=True, schema_path=SCHEMA)
    frame = bulk_update.log(tmp_path / "in.results.csv")
    assert list(frame["ended"]) == ["done", "interrupted (--resume carries on)"]
    assert list(frame["command"]) == ["bulk_update.run('" + str(sheet) + "')"] * 2
    assert frame.loc[0, "settings"] == {"resume": True, "schema_path": SCHEMA}


def test_a_report_without_history_has_no_rounds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = write_csv(tmp_path / "r.csv", ["id", "status"], [["7001", "updated"]])
    assert main(["log", str(report)]) == 0
    assert "no rounds in its history" in capsys.readouterr().out
    assert main(["log", str(tmp_path / "missing.csv")]) == 2
