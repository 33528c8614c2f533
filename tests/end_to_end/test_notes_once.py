"""A note has no idempotency key: posted twice, it is there twice for every teammate, forever.
Across every sequence of commands on one sheet (a run, the report run again after an edit,
retry, the same sheet again with --skip-unchanged, answers lost after the note landed) each
note is on its conversation exactly once. Against the sandbox over loopback."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from bulk_update.cli.commands import main
from bulk_update.sandbox import Sandbox, SandboxConfig
from bulk_update.sheet.notes import read_as_text
from tests.conftest import TOKEN, ThreadedSandbox, read_report, write_csv

ADA = "ada@example.com"
# Texts Intercom shows back otherwise than they were sent: escaped, wrapped, entities.
TRICKY = [
    "a < b and c > d",
    "Tom &amp; Jerry",
    "line one<br>line two",
    "&lt;tag&gt; stays text",
    "two\nlines",
    "naïve café ✅ 🎉",
    "<b>bold</b> & plain",
]


def run(sandbox: Sandbox, *args: str) -> int:
    return main([*args, "--base-url", sandbox.url, "--admin", ADA, "-q"])


def note_counts(sandbox: Sandbox, ids: list[str]) -> dict[str, Counter[str]]:
    counts = {}
    for conversation_id in ids:
        parts = sandbox.server.conversation(conversation_id)["conversation_parts"]
        counts[conversation_id] = Counter(
            read_as_text(part["body"])
            for part in parts["conversation_parts"]
            if part["part_type"] == "note"
        )
    return counts


def test_tricky_notes_whose_answers_are_lost_land_once(tmp_path: Path, token_env: str) -> None:
    ids = [str(5000 + n * 10) for n in range(len(TRICKY))]
    rows = [list(row) for row in zip(ids, TRICKY, strict=True)]
    sheet = write_csv(tmp_path / "notes.csv", ["id", "note"], rows)
    # Half the answers are lost after the request was carried out (notes and reads alike).
    config = SandboxConfig(token=TOKEN, limit=100_000, seed=3, lost_answer_rate=0.5)
    with ThreadedSandbox(config) as sandbox:
        code = run(sandbox, "run", str(sheet), "--max-retries", "12", "--timeout", "2")
        config.lost_answer_rate = 0.0
        again = run(
            sandbox, "run", str(sheet), "--skip-unchanged", "--report", str(tmp_path / "b.csv")
        )
        counts = note_counts(sandbox, ids)
    assert (code, again) == (0, 0)
    for conversation_id, text in zip(ids, TRICKY, strict=True):
        assert counts[conversation_id] == Counter({" ".join(text.split()): 1}), text


def test_every_command_after_a_note_landed_leaves_it_once(tmp_path: Path, token_env: str) -> None:
    ids = ["6000", "6010", "6020"]
    rows = [[i, "grace@example.com", f"Migrated {i}."] for i in ids]
    sheet = write_csv(tmp_path / "in.csv", ["id", "admin_assignee", "note"], rows)
    report = tmp_path / "in.results.csv"
    config = SandboxConfig(token=TOKEN, limit=100_000, seed=1, failing_paths=("/parts",))
    with ThreadedSandbox(config) as sandbox:
        # The notes land, then every assignment fails: each row failed after its note.
        assert run(sandbox, "run", str(sheet), "--max-retries", "0") == 1
        assert {line["status"] for line in read_report(report)} == {"failed"}
        config.failing_paths = ()
        # retry writes into the same history: it looks before it posts.
        assert run(sandbox, "retry", str(report)) == 0
        assert [line["status"] for line in read_report(tmp_path / "in.results.retry.csv")] == [
            "updated"
        ] * 3
        # The report run again (its rows failed there) and the same sheet again, elsewhere.
        assert run(sandbox, "run", str(report)) == 0
        fresh = tmp_path / "again.csv"
        assert run(sandbox, "run", str(sheet), "--skip-unchanged", "--report", str(fresh)) == 0
        counts = note_counts(sandbox, ids)
        notes_posted = sandbox.state.workspace.actions["note"]
    assert all(counts[i] == Counter({f"Migrated {i}.": 1}) for i in ids)
    assert notes_posted == 3


def test_an_edited_assignee_sends_the_reassignment_and_nothing_else(
    tmp_path: Path, token_env: str
) -> None:
    sheet = write_csv(
        tmp_path / "in.csv", ["id", "admin_assignee", "note"], [["6100", ADA, "Checked."]]
    )
    report = tmp_path / "in.results.csv"
    with ThreadedSandbox(SandboxConfig(token=TOKEN, limit=100_000, seed=1)) as sandbox:
        assert run(sandbox, "run", str(sheet)) == 0
        lines = read_report(report)
        lines[0]["admin_assignee"] = "grace@example.com"
        write_csv(report, list(lines[0]), [list(line.values()) for line in lines])
        before = dict(sandbox.state.workspace.actions)
        assert run(sandbox, "run", str(report)) == 0
        after = dict(sandbox.state.workspace.actions)
        counts = note_counts(sandbox, ["6100"])
        assignee = sandbox.server.conversation("6100")["admin_assignee_id"]
    assert counts["6100"] == Counter({"Checked.": 1})
    assert {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)} == {
        "assignment": 1
    }
    assert assignee == 102
