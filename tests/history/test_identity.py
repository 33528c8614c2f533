"""What a file says of its history, and the history found from it: beside it, where it was
made, or none; never another sheet's."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bulk_update.config import ReadOptions
from bulk_update.errors import UsageError
from bulk_update.history.identity import Identity, find_history, history_cells, identity_of
from bulk_update.history.journal import Journal
from bulk_update.history.journal_tables import history_of
from bulk_update.models import HISTORY_COLUMN
from bulk_update.sheet.reader import Table
from tests.conftest import write_csv

FINGERPRINT = {"path": "in.csv", "size": 1, "sha256": "x"}


def a_journal(path: Path) -> str:
    Journal.open(path, FINGERPRINT, {}, resume=False, force=False).close()
    history = history_of(path)
    assert history is not None and history.startswith("h")
    return history


def a_report(path: Path, history: str, made_at: Path, order: list[int] | None = None) -> Table:
    cells = history_cells(history, made_at)
    rows = [[str(n), "updated", str(n + 2), next(cells)] for n in range(3)]
    rows = [rows[i] for i in order] if order is not None else rows
    write_csv(path, ["id", "status", "row", HISTORY_COLUMN], rows)
    return Table(path, ReadOptions())


def test_the_first_cell_that_says_where_is_found_however_the_rows_were_sorted(
    tmp_path: Path,
) -> None:
    made_at = tmp_path / "made here" / "r.csv.journal"
    sorted_table = a_report(tmp_path / "r.csv", "h1", made_at, order=[2, 1, 0])
    assert identity_of(sorted_table) == Identity("h1", made_at.resolve())
    deleted = a_report(tmp_path / "r.csv", "h1", made_at, order=[1, 2])
    assert identity_of(deleted) == Identity("h1", None)
    plain = Table(write_csv(tmp_path / "in.csv", ["id", "title"], [["1", "a"]]), ReadOptions())
    assert identity_of(plain) is None


def test_the_history_is_beside_the_file_or_where_it_was_made_or_none(tmp_path: Path) -> None:
    home, there = tmp_path / "home", tmp_path / "there"
    home.mkdir(), there.mkdir()
    journal = home / "r.csv.journal"
    history = a_journal(journal)
    assert find_history(home / "r.csv", a_report(home / "r.csv", history, journal)) == journal
    copy = a_report(there / "r.csv", history, journal)
    assert find_history(there / "r.csv", copy) == journal.resolve()
    journal.unlink()
    a_journal(journal)  # another history made where this one was: not the file's
    assert find_history(there / "r.csv", copy) is None


def test_another_histories_journal_beside_the_file_is_refused(tmp_path: Path) -> None:
    mine = a_journal(tmp_path / "mine.journal")
    a_journal(tmp_path / "r.csv.journal")
    table = a_report(tmp_path / "r.csv", mine, tmp_path / "mine.journal")
    with pytest.raises(UsageError, match="another sheet's history"):
        find_history(tmp_path / "r.csv", table)


def test_a_journal_of_an_earlier_version_gets_an_id_when_opened_for_writing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "r.csv.journal"
    a_journal(path)
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM meta WHERE key = 'history'")
    db.close()
    assert history_of(path) is None
    Journal.copy_of(path).close()  # read only: nothing given
    assert history_of(path) is None
    Journal.open(path, FINGERPRINT, {}, resume=True, force=False).close()
    given = history_of(path)
    assert given is not None
    Journal.open(path, FINGERPRINT, {}, resume=True, force=False).close()
    assert history_of(path) == given  # given once
