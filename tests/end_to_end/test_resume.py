"""Crash safety: SIGKILL and SIGINT mid-run against the sandbox, then --resume; retry."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bulk_update.cli.commands import main
from bulk_update.sandbox import Sandbox, SandboxConfig
from tests.conftest import SAMPLE_DATA, TOKEN, ThreadedSandbox, read_report, write_csv

ROWS = 1200


@pytest.fixture
def slow_sandbox() -> Iterator[Sandbox]:
    """Slow enough (2 ms latency, 400 requests/s) that a run can be stopped midway."""
    config = SandboxConfig(
        token=TOKEN, limit=400, window=1, latency=0.002, seed=3, missing_suffix=""
    )
    with ThreadedSandbox(config) as running:
        yield running


def sheet(tmp_path: Path) -> Path:
    rows = [[str(5000 + n), "Bug"] for n in range(ROWS)]
    rows[10][0] = "not-an-id"
    return write_csv(tmp_path / "in.csv", ["id", "issue_type"], rows)


def start(sandbox: Sandbox, *args: str) -> subprocess.Popen[str]:
    command = [
        sys.executable,
        "-m",
        "bulk_update",
        "run",
        *args,
        "--base-url",
        sandbox.url,
        "--schema",
        str(SAMPLE_DATA / "schema.json"),
        "-q",
        "--rate",
        "400/1",
    ]
    env = {**os.environ, "INTERCOM_ACCESS_TOKEN": TOKEN}
    return subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def wait_until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the run to get going"
        time.sleep(0.005)


def killed_while_sending(sandbox: Sandbox, argv: list[str], sign: str = "/conversations/") -> bool:
    """``bulk-update ARGV`` against ``sandbox`` in a process of its own, killed (``kill -9``)
    once a request whose path holds ``sign`` has arrived; whether it was still running then
    (it may end first)."""
    seen = len(sandbox.state.paths)
    sandbox.server.config.latency = 0.05
    process = subprocess.Popen(
        [sys.executable, "-m", "bulk_update", *argv, "--base-url", sandbox.url, "-q"],
        env={**os.environ, "INTERCOM_ACCESS_TOKEN": TOKEN},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(
            lambda: (
                process.poll() is not None
                or any(sign in path for path in sandbox.state.paths[seen:])
            )
        )
        return process.poll() is None
    finally:
        process.kill()
        process.wait()
        sandbox.server.config.latency = 0.0


def confirmed_ids(journal: Path, ids_by_row: dict[int, str]) -> set[str]:
    return {ids_by_row[row] for row in confirmed_in_journal(journal)}


def confirmed_in_journal(journal: Path) -> set[int]:
    with sqlite3.connect(journal) as db:
        return {row for (row,) in db.execute("SELECT row FROM outcomes WHERE status = 'updated'")}


def test_sigkill_at_several_points_then_resume_loses_and_repeats_nothing(
    slow_sandbox: Sandbox, tmp_path: Path
) -> None:
    path = sheet(tmp_path)
    report = tmp_path / "report.csv"
    journal = Path(f"{report}.journal")
    ids_by_row = {n + 2: str(5000 + n) for n in range(ROWS)}
    confirmed: set[int] = set()
    unconfirmed_at_kill: list[int] = []
    for kill_after in (150, 500, 900):
        extra = ["--resume"] if journal.exists() else []
        process = start(slow_sandbox, str(path), "--report", str(report), *extra)
        wait_until(lambda: slow_sandbox.state.puts_applied >= kill_after)  # noqa: B023
        process.kill()
        process.wait()
        now_confirmed = confirmed_in_journal(journal)
        assert confirmed <= now_confirmed
        confirmed = now_confirmed
        # Applied by the server but not known to the journal: what the resume sends again.
        applied = set(slow_sandbox.state.put_counts)
        unconfirmed_at_kill.append(len(applied - confirmed_ids(journal, ids_by_row)))
    # At most the requests in flight (concurrency 20) plus the answers not yet committed
    # (a commit every 0.1 s or 50 answers, whichever comes first) at each kill.
    assert max(unconfirmed_at_kill) <= 20 + 50, unconfirmed_at_kill
    # The rows the journal confirmed before the last kill must not be sent again.
    counts_before = dict(slow_sandbox.state.put_counts)
    finish = start(slow_sandbox, str(path), "--report", str(report), "--resume")
    assert finish.wait(timeout=60) == 1  # one invalid row
    lines = read_report(report)
    assert [int(line["row"]) for line in lines] == list(range(2, ROWS + 2))
    statuses = {int(line["row"]): line["status"] for line in lines}
    assert statuses.pop(12) == "invalid"
    assert set(statuses.values()) == {"updated"}
    ids_by_row = {int(line["row"]): line["id"] for line in lines}
    for row in confirmed:
        assert slow_sandbox.state.put_counts[ids_by_row[row]] == counts_before[ids_by_row[row]]
    # Only the rows the journal had not confirmed at a kill were ever sent twice (give or
    # take what the sandbox was still applying from the killed process when it was counted).
    twice = [i for i, n in slow_sandbox.state.put_counts.items() if n > 1]
    assert len(twice) <= sum(unconfirmed_at_kill) + 3 * 20


def test_sigint_drains_reports_and_exits_130_then_resume_finishes(
    slow_sandbox: Sandbox, tmp_path: Path
) -> None:
    path = sheet(tmp_path)
    report = tmp_path / "report.csv"
    process = start(slow_sandbox, str(path), "--report", str(report))
    wait_until(lambda: slow_sandbox.state.puts_applied >= 200)
    process.send_signal(signal.SIGINT)
    _out, err = process.communicate(timeout=30)
    assert process.returncode == 130
    assert "--resume" in err and "Traceback" not in err
    lines = read_report(report)
    assert len(lines) == ROWS
    statuses = [line["status"] for line in lines]
    assert statuses.count("not_attempted") > 0 and statuses.count("updated") >= 200
    sent_before = slow_sandbox.state.puts_applied
    assert statuses.count("updated") == sent_before  # every answered request was recorded
    finish = start(slow_sandbox, str(path), "--report", str(report), "--resume")
    assert finish.wait(timeout=60) == 1
    final = [line["status"] for line in read_report(report)]
    assert final.count("updated") == ROWS - 1 and final.count("invalid") == 1
    assert slow_sandbox.state.puts_applied == ROWS - 1  # nothing sent twice


def test_resume_refuses_a_changed_input_unless_forced(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv(tmp_path / "in.csv", ["id", "title"], [["1", "a"], ["2", "b"]])
    url = threaded_sandbox.url
    assert main(["run", str(path), "--base-url", url, "-q"]) == 0
    assert main(["run", str(path), "--base-url", url, "-q"]) == 2  # finished: nothing to resume
    assert "--resume" not in capsys.readouterr().err
    write_csv(path, ["id", "title"], [["1", "a"], ["2", "changed"]])
    assert main(["run", str(path), "--base-url", url, "-q", "--resume"]) == 2
    assert "input file changed" in capsys.readouterr().err
    assert main(["run", str(path), "--base-url", url, "-q", "--resume", "--force"]) == 0
    # The unchanged row confirmed earlier is not sent again; the edited one is, as it is now.
    assert threaded_sandbox.state.put_counts == {"1": 1, "2": 2}
    assert threaded_sandbox.state.conversations["2"]["title"] == "changed"


def test_retry_resends_exactly_the_failed_and_not_attempted_rows(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path
) -> None:
    rows = [["1", "a"], ["2404", "b"], ["bad", "c"], ["4", "d"], ["5", "e"]]
    path = write_csv(tmp_path / "in.csv", ["id", "title"], rows)
    first = tmp_path / "first.csv"
    url = threaded_sandbox.url
    assert (
        main(["run", str(path), "--base-url", url, "-q", "--report", str(first), "--limit", "2"])
        == 1
    )
    assert [line["status"] for line in read_report(first)] == [
        "updated",
        "failed",
        "invalid",
        "not_attempted",
        "not_attempted",
    ]
    sent_before = dict(threaded_sandbox.state.put_counts)
    assert main(["retry", str(first), "--base-url", url, "-q"]) == 1
    retried = read_report(tmp_path / "first.retry.csv")
    assert [(line["id"], line["status"]) for line in retried] == [
        ("2404", "failed"),
        ("4", "updated"),
        ("5", "updated"),
    ]
    assert threaded_sandbox.state.put_counts["1"] == sent_before["1"]


def test_retry_of_a_file_that_is_not_a_report_exits_2(
    token_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv(tmp_path / "in.csv", ["id", "title"], [["1", "a"]])
    assert main(["retry", str(path), "--schema", str(SAMPLE_DATA / "schema.json")]) == 2
    assert "not a bulk-update report" in capsys.readouterr().err
