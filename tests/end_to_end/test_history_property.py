"""Any sequence of commands on one sheet keeps the history's promises: every note is on its
conversation exactly once, whatever failed, was lost or was run again; and undo of the
report puts every conversation back as the sheet's first round found it."""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bulk_update.cli.commands import main
from bulk_update.sandbox import Sandbox, SandboxConfig
from bulk_update.sheet.notes import read_as_text
from tests.conftest import TOKEN, ThreadedSandbox, examples, read_report, write_csv

ADA, GRACE = "ada@example.com", "grace@example.com"
IDS = ["7100", "7110", "7120", "7130"]
HEADER = ["id", "admin_assignee", "csat_score", "note"]
COMMANDS = st.sampled_from(
    [
        "run report",
        "retry",
        "edit then run report",
        "same sheet elsewhere",
        "copy the report elsewhere, edit and run it",
        "run retry's report",
        "fail next",
        "lose next",
    ]
)


def state_of(sandbox: Sandbox) -> dict[str, tuple[object, object]]:
    found = {i: sandbox.server.conversation(i) for i in IDS}
    return {
        i: (c["admin_assignee_id"], c["custom_attributes"].get("csat_score"))
        for i, c in found.items()
    }


def notes(sandbox: Sandbox, conversation_id: str) -> Counter[str]:
    parts = sandbox.server.conversation(conversation_id)["conversation_parts"]
    return Counter(
        read_as_text(p["body"]) for p in parts["conversation_parts"] if p["part_type"] == "note"
    )


@settings(
    max_examples=examples(6),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(commands=st.lists(COMMANDS, min_size=1, max_size=5))
def test_notes_once_and_undo_restores_the_first_rounds_state(
    commands: list[str], token_env: str
) -> None:
    folder = Path(tempfile.mkdtemp())
    rows = [[i, GRACE, str(n + 1), f"Checked {i} <ok> & done"] for n, i in enumerate(IDS)]
    sheet = write_csv(folder / "in.csv", HEADER, rows)
    report, backup = folder / "in.results.csv", folder / "before.csv"
    config = SandboxConfig(token=TOKEN, limit=100_000, seed=5)
    with ThreadedSandbox(config) as sandbox:
        first_found = state_of(sandbox)

        def cli(*args: str) -> int:
            code = main([*args, "--base-url", sandbox.url, "--admin", ADA, "-q"])
            config.failing_paths, config.lost_answer_rate = (), 0.0  # faults last one command
            return code

        cli("run", str(sheet), "--backup", str(backup), "--max-retries", "2")
        for number, command in enumerate(commands):
            if command == "fail next":
                config.failing_paths = ("/parts",)
            elif command == "lose next":
                config.lost_answer_rate = 0.4
            elif command == "run report":
                cli("run", str(report), "--max-retries", "0")
            elif command == "retry":
                cli("retry", str(report), "--max-retries", "0")
            elif command == "edit then run report":
                lines = read_report(report)
                lines[number % len(lines)]["admin_assignee"] = ADA
                write_csv(report, list(lines[0]), [list(line.values()) for line in lines])
                cli("run", str(report), "--max-retries", "0")
            elif command == "copy the report elsewhere, edit and run it":
                elsewhere = folder / f"elsewhere-{number}"
                elsewhere.mkdir()
                copy = Path(shutil.copy(report, elsewhere / report.name))
                lines = read_report(copy)
                lines[number % len(lines)]["csat_score"] = str(10 + number)
                write_csv(copy, list(lines[0]), [list(line.values()) for line in lines])
                cli("run", str(copy), "--max-retries", "0")
            elif command == "run retry's report":
                retried = folder / "in.results.retry.csv"
                if retried.exists():  # as the retry's hint says
                    cli("run", str(retried), "--max-retries", "0")
            else:
                fresh = folder / f"fresh-{number}.csv"
                cli("run", str(sheet), "--skip-unchanged", "--report", str(fresh))
        config.failing_paths, config.lost_answer_rate = (), 0.0  # a fault drawn last
        assert cli("run", str(report)) == 0  # finish what is left
        for conversation_id, row in zip(IDS, rows, strict=True):
            assert notes(sandbox, conversation_id) == Counter({row[3]: 1})
        # "The same sheet elsewhere" is another history: to this one's undo (a merge), what it
        # changed since is a teammate's change, a conflict unless told to overwrite.
        assert cli("undo", str(report), "--yes", "--overwrite-conflicts") == 0
        assert state_of(sandbox) == first_found
