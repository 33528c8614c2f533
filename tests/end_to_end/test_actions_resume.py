"""kill -9 at any moment of a run with notes, then ``--resume``: every note exists exactly
once, and no state change, assignment or tag is sent twice.

The sandbox kills the client (a real process, SIGKILL) at the moment an action has taken
effect and before it is answered: the worst moment for doing something exactly once.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bulk_update.sandbox import Sandbox, SandboxConfig
from bulk_update.sheet.notes import read_as_text
from tests.conftest import SAMPLE_DATA, TOKEN, ThreadedSandbox, examples, write_csv

ROWS = 16
IDS = [str(6000 + n) for n in range(ROWS)]  # every starting situation of the sandbox
# Each row: tag, note, assignment, close (the ones ending in 7 start closed: reopened by
# the assignment, then closed again; the others are open): 4 actions, 64 in all.
ACTIONS = 4 * ROWS


def sheet(folder: Path) -> Path:
    rows = [[i, "closed", "grace@example.com", "migrated", f"Migrated {i}."] for i in IDS]
    header = ["id", "state", "admin_assignee", "add_tags", "note"]
    return write_csv(folder / "notes.csv", header, rows)


def run_killed_at(sandbox: Sandbox, sheet: Path, report: Path, kill_at: int | None) -> int:
    """Run (resuming when a journal is there); SIGKILL it once the ``kill_at``-th action of
    this run has taken effect. Its exit status."""
    journal = report.with_name(report.name + ".journal")
    command = [
        sys.executable,
        "-m",
        "bulk_update",
        "run",
        str(sheet),
        "--report",
        str(report),
        "--base-url",
        sandbox.url,
        "--schema",
        str(SAMPLE_DATA / "schema.json"),
        "--admin",
        "ada@example.com",
        "--concurrency",
        "8",
        "-q",
        *(["--resume"] if journal.exists() else []),
    ]
    counted = itertools.count(1)
    pid: list[int] = []

    def kill(_kind: str) -> None:
        if next(counted) == kill_at and pid:
            os.kill(pid[0], signal.SIGKILL)

    sandbox.state.workspace.on_action = kill
    env = {**os.environ, "INTERCOM_ACCESS_TOKEN": TOKEN}
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    pid.append(process.pid)
    try:
        _out, err = process.communicate(timeout=120)
    finally:
        sandbox.state.workspace.on_action = None
    assert process.returncode in (0, -signal.SIGKILL), err.decode()
    return process.returncode


@settings(max_examples=examples(6), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kills=st.lists(st.integers(1, ACTIONS), min_size=1, max_size=3))
def test_kill_9_anywhere_then_resume_leaves_each_note_exactly_once(
    tmp_path_factory: object, kills: list[int]
) -> None:
    folder = tmp_path_factory.mktemp("kills")  # type: ignore[attr-defined]
    path, report = sheet(folder), folder / "report.csv"
    with ThreadedSandbox(SandboxConfig(token=TOKEN, limit=100_000, seed=1)) as sandbox:
        for kill_at in kills:
            run_killed_at(sandbox, path, report, kill_at)
        assert run_killed_at(sandbox, path, report, None) == 0
        for conversation_id in IDS:
            found = sandbox.state.conversations[conversation_id]
            parts = found["conversation_parts"]["conversation_parts"]
            assert [read_as_text(p["body"]) for p in parts if p["part_type"] == "note"] == [
                f"Migrated {conversation_id}."
            ]
            assert (found["state"], found["admin_assignee_id"]) == ("closed", 102)
            assert "migrated" in [t["name"] for t in found["tags"]["tags"]]
        actions = sandbox.state.workspace.actions
        assert dict(actions) == {"tag": ROWS, "note": ROWS, "assignment": ROWS, "close": ROWS}
