"""What a run keeps from the runs before it: which rows are done, and which were edited since
(a row whose cells changed never keeps the outcome of its old content)."""

from __future__ import annotations

import hashlib

from bulk_update.history.journal import Journal
from bulk_update.models import OUTCOME_COLUMNS, RowOutcome, RowStatus

# A report's rows in these states are done: running the report again leaves them be.
DONE_STATUSES = frozenset({RowStatus.UPDATED.value, RowStatus.SKIPPED.value})


def content_digest(cells: list[str], columns: list[int]) -> bytes:
    """What identifies a row's content (its input cells), to tell an edited row apart."""
    text = "\x1f".join(cells[i] for i in columns)
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest()


class EarlierRuns:
    """Walks the journal's record of earlier runs' rows alongside this run's rows."""

    def __init__(self, journal: Journal):
        self._journal = journal
        self._rows = journal.earlier_rows()
        self._next = next(self._rows, None)

    def reconcile(self, row: int, digest: bytes, *, again: bool) -> None:
        """Drop the row's earlier outcome if its content changed since (the outcome was for
        other cells), or if it failed and the report is being run ``again``."""
        while self._next is not None and self._next[0] < row:
            self._next = next(self._rows, None)
        if self._next is not None and self._next[0] == row:
            _row, old_digest, old_status = self._next
            if old_digest != digest or (again and old_status == RowStatus.FAILED.value):
                self._journal.forget(row)
        self._journal.note_content(row, digest)


class ReportedOutcomes:
    """Where a report's outcome columns are, to take a row's outcome back from them."""

    def __init__(self, columns: list[str]):
        self._at = {name: columns.index(name) for name in OUTCOME_COLUMNS if name in columns}

    def _cell(self, cells: list[str], name: str) -> str:
        index = self._at.get(name)
        return cells[index] if index is not None else ""

    def kept(self, cells: list[str]) -> bool:
        return self._cell(cells, "status") in DONE_STATUSES

    def outcome(self, row: int, cells: list[str]) -> RowOutcome:
        http = self._cell(cells, "http_status")
        attempts = self._cell(cells, "attempts")
        return RowOutcome(
            row,
            RowStatus(self._cell(cells, "status")),
            int(http) if http.isdigit() else None,
            self._cell(cells, "error_code"),
            self._cell(cells, "error_message"),
            int(attempts) if attempts.isdigit() else 0,
            self._cell(cells, "request_id"),
            self._cell(cells, "changes"),
            self._cell(cells, "steps"),
        )
