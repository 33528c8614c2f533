"""A file the tool wrote names its history (``bulk_update_history``): a copy of a report run in
another folder, retry's report, and a report whose history is gone each find what was done (the
journal where the file was made, or the file's own cells), so no note is posted twice; another
sheet's journal beside a report is refused. Against the sandbox over loopback."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

from bulk_update.cli.commands import main
from bulk_update.config import ReadOptions
from bulk_update.models import HISTORY_COLUMN
from bulk_update.sandbox import Sandbox, SandboxConfig
from bulk_update.sheet.reader import Table
from tests.conftest import TOKEN, ThreadedSandbox, read_report, write_csv
from tests.end_to_end.test_notes_once import note_counts
from tests.end_to_end.test_resume import killed_while_sending

ADA, GRACE = "ada@example.com", "grace@example.com"
IDS = ["6200", "6210", "6220"]


def cli(sandbox: Sandbox, *args: str) -> int:
    return main([*args, "--base-url", sandbox.url, "--admin", ADA, "-q"])


def sheet(folder: Path, ids: list[str] = IDS) -> Path:
    rows = [[i, GRACE, f"Moved {i} <ok> & done"] for i in ids]
    return write_csv(folder / "in.csv", ["id", "admin_assignee", "note"], rows)


def edit(report: Path, line: int, column: str, value: str) -> None:
    lines = read_report(report)
    lines[line][column] = value
    write_csv(report, list(lines[0]), [list(found.values()) for found in lines])


def conversation_requests(sandbox: Sandbox) -> int:
    """Requests about conversations (a run reads the workspace's attributes and teammates
    whether or not it has anything to send)."""
    return sum(
        path.startswith("/conversations") and not path.startswith("/conversations/attributes")
        for path in sandbox.state.paths
    )


def each_note_once(sandbox: Sandbox) -> bool:
    counts = note_counts(sandbox, IDS)
    return all(counts[i] == Counter({f"Moved {i} <ok> & done": 1}) for i in IDS)


def test_a_copy_run_in_another_folder_finds_its_history_where_it_was_made(
    tmp_path: Path, token_env: str
) -> None:
    here, there = tmp_path / "here", tmp_path / "there"
    here.mkdir(), there.mkdir()
    with ThreadedSandbox(SandboxConfig(token=TOKEN, limit=100_000, seed=1)) as sandbox:
        assert cli(sandbox, "run", str(sheet(here))) == 0
        copy = Path(shutil.copy(here / "in.results.csv", there / "in.results.csv"))
        sent = conversation_requests(sandbox)
        assert cli(sandbox, "run", str(copy)) == 0  # nothing to send
        assert conversation_requests(sandbox) == sent
        edit(copy, 1, "admin_assignee", ADA)
        assert cli(sandbox, "run", str(copy)) == 0
        assert each_note_once(sandbox)
        assert sandbox.server.conversation(IDS[1])["admin_assignee_id"] != 102
    # The copy continued the history where it was made: none was started beside it.
    assert not (there / "in.results.csv.journal").exists()
    assert {line[HISTORY_COLUMN].split(" ")[0] for line in read_report(copy)} == {
        line[HISTORY_COLUMN].split(" ")[0] for line in read_report(here / "in.results.csv")
    }


def test_a_copy_whose_history_is_gone_looks_for_the_note_its_cells_say_landed(
    tmp_path: Path, token_env: str
) -> None:
    here, there = tmp_path / "here", tmp_path / "there"
    here.mkdir(), there.mkdir()
    config = SandboxConfig(token=TOKEN, limit=100_000, seed=1, failing_paths=("/parts",))
    with ThreadedSandbox(config) as sandbox:
        # Every note lands, then every assignment fails: "note: done; assignment: failed".
        assert cli(sandbox, "run", str(sheet(here)), "--max-retries", "0") == 1
        config.failing_paths = ()
        copy = Path(shutil.copy(here / "in.results.csv", there / "in.results.csv"))
        shutil.rmtree(here)  # another machine: the history is nowhere near
        assert cli(sandbox, "run", str(copy)) == 0
        assert each_note_once(sandbox)
        # Run there once more after an edit: its new history knows no note; its cells do.
        edit(copy, 0, "admin_assignee", ADA)
        assert cli(sandbox, "run", str(copy)) == 0
        assert each_note_once(sandbox)
        assert sandbox.state.workspace.actions["note"] == len(IDS)


def test_retry_then_its_report_run_as_the_hint_says_posts_no_note_twice(
    tmp_path: Path, token_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    config = SandboxConfig(token=TOKEN, limit=100_000, seed=1, failing_paths=("/parts",))
    report = tmp_path / "in.results.csv"
    with ThreadedSandbox(config) as sandbox:
        assert cli(sandbox, "run", str(sheet(tmp_path)), "--max-retries", "0") == 1
        capsys.readouterr()
        assert cli(sandbox, "retry", str(report), "--max-retries", "0") == 1
        retried = tmp_path / "in.results.retry.csv"
        hint = capsys.readouterr().out
        assert f"then run: bulk-update run {retried}" in hint
        config.failing_paths = ()
        assert cli(sandbox, "run", str(retried)) == 0
        assert each_note_once(sandbox)
        assert [line["status"] for line in read_report(retried)] == ["updated"] * len(IDS)
    # The retry report continued the report's history: none was started beside it.
    assert not (tmp_path / "in.results.retry.csv.journal").exists()


def test_another_sheets_journal_beside_a_report_is_refused_and_nothing_is_sent(
    tmp_path: Path, token_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    mine, theirs = tmp_path / "mine", tmp_path / "theirs"
    mine.mkdir(), theirs.mkdir()
    with ThreadedSandbox(SandboxConfig(token=TOKEN, limit=100_000, seed=1)) as sandbox:
        assert cli(sandbox, "run", str(sheet(mine))) == 0
        assert cli(sandbox, "run", str(sheet(theirs, ["6300", "6310"]))) == 0
        report = mine / "in.results.csv"
        shutil.copy(theirs / "in.results.csv.journal", mine / "in.results.csv.journal")
        edit(report, 0, "admin_assignee", ADA)
        capsys.readouterr()
        sent = len(sandbox.state.paths)
        assert cli(sandbox, "run", str(report)) == 2
        assert len(sandbox.state.paths) == sent
        assert cli(sandbox, "retry", str(report)) == 2
        assert len(sandbox.state.paths) == sent
    err = capsys.readouterr().err.strip().splitlines()
    assert "another sheet's history" in err[0]
    assert "Traceback" not in "\n".join(err)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_the_identity_column_survives_a_round_trip_and_is_never_a_change(
    tmp_path: Path, token_env: str, suffix: str
) -> None:
    here, there = tmp_path / "here", tmp_path / "there"
    here.mkdir(), there.mkdir()
    report = here / f"report{suffix}"
    with ThreadedSandbox(SandboxConfig(token=TOKEN, limit=100_000, seed=1)) as sandbox:
        assert cli(sandbox, "run", str(sheet(here)), "--report", str(report)) == 0
        written = Table(report, ReadOptions())
        assert written.columns[-1] == HISTORY_COLUMN
        first = [row.cells[-1] for row in written.rows()]
        assert cli(sandbox, "run", str(report)) == 0  # read back: no unknown column
        again = [row.cells[-1] for row in Table(report, ReadOptions()).rows()]
        copy = Path(shutil.copy(report, there / report.name))
        sent = conversation_requests(sandbox)
        assert cli(sandbox, "run", str(copy)) == 0
        assert conversation_requests(sandbox) == sent
        assert each_note_once(sandbox)
    history, made_at = first[0].split(" ", 1)
    assert Path(made_at) == (here / f"report{suffix}.journal").resolve()
    assert first[1:] == [history] * (len(IDS) - 1)
    assert again == first
    assert not (there / f"report{suffix}.journal").exists()


def test_a_dry_run_of_a_report_writes_a_plan_of_the_same_history(
    tmp_path: Path, token_env: str
) -> None:
    config = SandboxConfig(token=TOKEN, limit=100_000, seed=1, failing_paths=("/parts",))
    report = tmp_path / "in.results.csv"
    with ThreadedSandbox(config) as sandbox:
        assert cli(sandbox, "run", str(sheet(tmp_path)), "--max-retries", "0") == 1
        config.failing_paths = ()
        assert cli(sandbox, "run", str(report), "--dry-run") == 0
        plan = tmp_path / "in.results.dry-run.csv"
        assert read_report(plan)[0][HISTORY_COLUMN] == read_report(report)[0][HISTORY_COLUMN]
        assert not (tmp_path / "in.results.dry-run.csv.journal").exists()
        # The plan run as it is continues the report's history: no note twice.
        assert cli(sandbox, "run", str(plan)) == 0
        assert each_note_once(sandbox)


def test_a_copy_whose_first_run_there_was_killed_goes_on_from_the_history_it_began(
    token_env: str, tmp_path: Path
) -> None:
    """The copy still names its old history (it was not rewritten before the kill), and the
    journal beside it is the one its own run began: that is no other sheet's history."""
    config = SandboxConfig(token=TOKEN, limit=100_000, seed=3)
    with ThreadedSandbox(config) as sandbox:
        here, there = tmp_path / "here", tmp_path / "there"
        here.mkdir()
        there.mkdir()
        ids = [str(6300 + 10 * n) for n in range(30)]
        report = here / "r.csv"
        first = ["run", str(sheet(here, ids)), "--report", str(report), "--limit", "1"]
        assert cli(sandbox, *first) == 1  # the rest not attempted
        copy = Path(shutil.copy(report, there / "r.csv"))
        shutil.rmtree(here)  # another machine: no history where the copy was made
        run_copy = ["run", str(copy), "--admin", ADA]
        assert killed_while_sending(sandbox, run_copy, "/parts")  # killed while sending
        assert (there / "r.csv.journal").exists()
        assert cli(sandbox, "run", str(copy)) == 0
        for conversation_id, notes in note_counts(sandbox, ids).items():
            assert sandbox.server.conversation(conversation_id)["admin_assignee_id"] == 102
            assert sum(notes.values()) == 1
