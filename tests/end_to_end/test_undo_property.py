"""Any sequence of rounds (some killed with ``kill -9`` while sending and run again), undos
and teammates' changes on one sheet: no teammate's change is
reverted unless a cell of it was edited here or the undo was told to overwrite conflicts;
every undo puts each field no teammate touched since back as the sheet's first round found
it; and until an undo, every row the report calls done matches the server."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bulk_update.cli.commands import main
from bulk_update.sandbox import Sandbox, SandboxConfig
from tests.conftest import TOKEN, ThreadedSandbox, examples, read_report, write_csv
from tests.end_to_end.test_resume import killed_while_sending

ADA, GRACE = "ada@example.com", "grace@example.com"
ADMIN_IDS = {ADA: 101, GRACE: 102}
IDS = ["7200", "7210", "7220", "7230"]
HEADER = ["id", "title", "priority", "admin_assignee"]
FIELDS = HEADER[1:]
# What the sheet writes and what teammates write never meet: a change is told by its value.
SHEET_PRIORITIES, TEAMMATE_PRIORITIES = ("Low", "High"), ("Medium", "Urgent")

Field = tuple[str, str]  # (conversation id, field)

COMMANDS = st.one_of(
    st.tuples(
        st.sampled_from(["edit", "edit, kill -9, run again"]),
        st.sampled_from(IDS),
        st.sampled_from(FIELDS),
    ),
    st.tuples(st.just("teammate"), st.sampled_from(IDS), st.sampled_from(FIELDS)),
    st.tuples(st.sampled_from(["undo", "undo overwrite", "lose next"]), st.just(""), st.just("")),
)


def values(sandbox: Sandbox) -> dict[Field, Any]:
    found = {i: sandbox.server.conversation(i) for i in IDS}
    return {
        key: value
        for i, c in found.items()
        for key, value in (
            ((i, "title"), c.get("title")),
            ((i, "priority"), c["custom_attributes"].get("priority")),
            ((i, "admin_assignee"), c.get("admin_assignee_id")),
        )
    }


def as_server_value(field: str, cell: str) -> Any:
    return ADMIN_IDS[cell] if field == "admin_assignee" else cell


class Sheet:
    """The report, edited as a person would (one cell), and the teammates' changes."""

    def __init__(self, sandbox: Sandbox, report: Path):
        self.sandbox, self.report, self.made = sandbox, report, 0

    def fresh(self, field: str, conversation_id: str, *, teammate: bool) -> str:
        self.made += 1
        if field == "title":
            return f"{'tm' if teammate else 's'}{self.made} {conversation_id}"
        if field == "priority":
            options = TEAMMATE_PRIORITIES if teammate else SHEET_PRIORITIES
            return options[self.made % 2]
        return (ADA, GRACE)[self.made % 2]

    def edit(self, conversation_id: str, field: str) -> None:
        lines = read_report(self.report)
        line = next(line for line in lines if line["id"] == conversation_id)
        line[field] = self.fresh(field, conversation_id, teammate=False)
        write_csv(self.report, list(lines[0]), [list(x.values()) for x in lines])

    def teammate(self, conversation_id: str, field: str) -> None:
        found = self.sandbox.server.conversation(conversation_id)
        if field == "admin_assignee":
            found["admin_assignee_id"] = None  # the sheet never unassigns
        elif field == "title":
            found["title"] = self.fresh(field, conversation_id, teammate=True)
        else:
            found["custom_attributes"]["priority"] = self.fresh(
                field, conversation_id, teammate=True
            )


@settings(
    max_examples=examples(10),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(commands=st.lists(COMMANDS, min_size=1, max_size=8))
def test_undo_is_a_merge_over_any_sequence_of_rounds(
    commands: list[tuple[str, str, str]], token_env: str
) -> None:
    folder = Path(tempfile.mkdtemp())
    rows = [[i, f"s0 {i}", "High", GRACE] for i in IDS]
    first_sheet = write_csv(folder / "in.csv", HEADER, rows)
    report, backup = folder / "r.csv", folder / "before.csv"
    config = SandboxConfig(token=TOKEN, limit=100_000, seed=7)
    with ThreadedSandbox(config) as sandbox:
        first_found = values(sandbox)
        sheet = Sheet(sandbox, report)
        moved: set[Field] = set()  # changed by a teammate since the tool last wrote it
        undone = False  # an undo leaves the sheet's report behind: it says what rounds did

        @contextlib.contextmanager
        def watching(edited: Field | None = None, overwrite: bool = False) -> Iterator[None]:
            """What the tool writes meanwhile reverts no teammate's change unless told to."""
            before = values(sandbox)
            yield
            config.lost_answer_rate = 0.0  # a fault lasts one command
            after = values(sandbox)
            for key in [key for key in moved if after[key] != before[key]]:
                assert overwrite or key == edited, f"the tool reverted a teammate's {key}"
                moved.discard(key)

        def cli(*args: str, edited: Field | None = None, overwrite: bool = False) -> int:
            with watching(edited, overwrite):
                return main([*args, "--base-url", sandbox.url, "--admin", ADA, "-q"])

        argv = ["run", str(first_sheet), "--report", str(report), "--backup", str(backup)]
        assert cli(*argv) == 0
        for command, conversation_id, field in commands:
            if command == "lose next":
                config.lost_answer_rate = 0.3
            elif command == "teammate":
                sheet.teammate(conversation_id, field)
                moved.add((conversation_id, field))
            elif command == "edit":
                sheet.edit(conversation_id, field)
                assert cli("run", str(report), edited=(conversation_id, field)) in (0, 1)
                if not undone:
                    done_rows_match_the_server(report, sandbox, moved)
            elif command == "edit, kill -9, run again":
                sheet.edit(conversation_id, field)
                with watching(edited=(conversation_id, field)):
                    killed_while_sending(sandbox, ["run", str(report), "--admin", ADA])
                assert cli("run", str(report), edited=(conversation_id, field)) in (0, 1)
            else:
                undone, overwrite = True, command == "undo overwrite"
                more = ["--overwrite-conflicts"] if overwrite else []
                assert cli("undo", str(report), "--yes", *more, overwrite=overwrite) in (0, 1)
                now = values(sandbox)
                assert {k: v for k, v in now.items() if k not in moved} == {
                    k: v for k, v in first_found.items() if k not in moved
                }


def done_rows_match_the_server(report: Path, sandbox: Sandbox, moved: set[Field]) -> None:
    """A row the report calls updated or skipped holds what the conversation holds, except
    a field a teammate changed since."""
    now = values(sandbox)
    for line in read_report(report):
        if line["status"] not in ("updated", "skipped"):
            continue
        for field in FIELDS:
            key = (line["id"], field)
            if key not in moved:
                assert now[key] == as_server_value(field, line[field]), (line, field)
