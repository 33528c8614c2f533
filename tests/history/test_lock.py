"""One process at a time on a sheet's history: a second command exits 2 at once, naming the
holder, and sends nothing; a holder killed with -9 leaves a lock the next command takes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bulk_update.cli.commands import main
from bulk_update.history.lock import lock_path
from bulk_update.sandbox import Sandbox
from tests.conftest import write_csv

HOLD = """
import sys
from pathlib import Path
from bulk_update.history.lock import holding
with holding(Path(sys.argv[1]), "bulk-update run in.csv (a test's holder)"):
    print("holding", flush=True)
    sys.stdin.read()
"""


def hold(journal: Path) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(journal)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdout.readline() == "holding\n"
    return process


def test_a_second_command_on_a_held_history_exits_2_naming_the_holder(
    threaded_sandbox: Sandbox,
    tmp_path: Path,
    token_env: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sheet = write_csv(tmp_path / "in.csv", ["id", "title"], [["1", "a"], ["2", "b"]])
    journal = tmp_path / "in.results.csv.journal"
    holder_process = hold(journal)
    try:
        assert str(holder_process.pid) in lock_path(journal).read_text()
        code = main(["run", str(sheet), "--base-url", threaded_sandbox.url, "-q"])
        err = capsys.readouterr().err
        assert code == 2
        assert f"process {holder_process.pid}" in err and "a test's holder" in err
        assert threaded_sandbox.state.puts_applied == 0
    finally:
        holder_process.kill()
        holder_process.wait()


def test_a_crashed_holders_lock_is_taken_over(
    threaded_sandbox: Sandbox, tmp_path: Path, token_env: str
) -> None:
    sheet = write_csv(tmp_path / "in.csv", ["id", "title"], [["1", "a"], ["2", "b"]])
    journal = tmp_path / "in.results.csv.journal"
    crashed = hold(journal)
    os.kill(crashed.pid, signal.SIGKILL)
    crashed.wait()
    assert lock_path(journal).exists()  # left behind, but held by nobody
    assert main(["run", str(sheet), "--base-url", threaded_sandbox.url, "-q"]) == 0
    assert threaded_sandbox.state.puts_applied == 2
    assert not lock_path(journal).exists()


def test_a_held_history_leaves_an_earlier_report_as_it_was(
    threaded_sandbox: Sandbox, tmp_path: Path, token_env: str
) -> None:
    sheet = write_csv(tmp_path / "in.csv", ["id", "title"], [["1", "a"], ["2", "b"]])
    report = tmp_path / "in.results.csv"
    assert main(["run", str(sheet), "--base-url", threaded_sandbox.url, "-q"]) == 0
    report.write_text(report.read_text(encoding="utf-8-sig").replace(",a,", ",edited,"))
    holder_process = hold(Path(f"{report}.journal"))
    try:
        before = {path.name: path.read_bytes() for path in tmp_path.iterdir()}
        assert main(["run", str(report), "--base-url", threaded_sandbox.url, "-q"]) == 2
        assert {path.name: path.read_bytes() for path in tmp_path.iterdir()} == before
        assert threaded_sandbox.state.puts_applied == 2
    finally:
        holder_process.kill()
        holder_process.wait()
