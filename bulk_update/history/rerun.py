"""What a run keeps from the runs before it: which rows are done, and which were edited since
(a row whose cells changed never keeps the outcome of its old content; of a row done before,
only the cells edited since are sent)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from bulk_update.config import JobSettings, journal_beside
from bulk_update.errors import HistoryExists
from bulk_update.history.journal import Journal
from bulk_update.history.journal_tables import EarlierRow, recorded_input, same_input
from bulk_update.models import OUTCOME_COLUMNS, RowOutcome, RowStatus
from bulk_update.rules import is_done
from bulk_update.sheet.columns import ColumnPlan


def content_digest(cells: list[str], columns: list[int]) -> bytes:
    """What identifies a row's content (its input cells), to tell an edited row apart."""
    text = "\x1f".join(cells[i] for i in columns)
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest()


class EarlierRuns:
    """Walks the journal's record of earlier runs' rows alongside this run's rows: which
    outcome stands, and what of a row is known done, so that only what was edited since is
    sent again."""

    def __init__(self, journal: Journal, plan: ColumnPlan):
        self._journal = journal
        self._rows = journal.earlier_rows() if journal.history else iter(())
        self._next = next(self._rows, None)
        self._id = plan.id_index
        self._headers = [(index, header) for index, (header, _key) in plan.change_columns.items()]
        # The row being read, when its content is to be noted: (row, digest, done), and
        # whether its earlier outcome is a done one.
        self._noting: tuple[int, bytes, str] | None = None
        self._was_done = False

    def reconcile(
        self, row: int, cells: list[str], digest: bytes, *, again: bool
    ) -> dict[str, str] | None:
        """The row's change cells as last done (header → cell), when they are what its cells
        are to be compared with: it was done (updated or skipped) and edited since, or it was
        done once and what was sent after that did not finish. Otherwise None.

        The row's earlier outcome is dropped when its content changed and it was not done (it
        was for other cells), or when it failed and the report is run ``again``; a done one
        stands until :meth:`edited` says otherwise."""
        self._noting, self._was_done = None, False
        if not self._journal.history:
            return None
        while self._next is not None and self._next[0] < row:
            self._next = next(self._rows, None)
        if self._next is None or self._next[0] != row:
            self._noting = (row, digest, "")
            return None
        earlier = EarlierRow(*self._next)
        self._was_done = is_done(earlier.status or "")
        if earlier.digest == digest:
            if again and earlier.status == RowStatus.FAILED.value:
                self._journal.forget(row)
            return None if self._was_done else _known_done(earlier, earlier.done, cells[self._id])
        done = _known_done(
            earlier, earlier.cells if self._was_done else earlier.done, cells[self._id]
        )
        if done is None or not self._was_done:
            self._journal.forget(row)
        self._noting = (row, digest, json.dumps(done) if done else "")
        return done

    @property
    def stands(self) -> bool:
        """Whether the row's earlier outcome is a done one, which stands."""
        return self._was_done

    def edited(self, row: int) -> None:
        """The row was edited since it was done: its done outcome is for other cells."""
        if self._was_done:
            self._journal.forget(row)

    def remember(self, row: int, cells: list[str], base: Mapping[str, Any] | None) -> None:
        """Note the row's content when it changed: its digest, and its change cells as they
        stand once it is done (an empty cell leaves what ``base`` had)."""
        if self._noting is None or self._noting[0] != row:
            return
        _row, digest, done = self._noting
        base = base or {}
        known = {
            header: cells[index] or str(base.get(header, "")) for index, header in self._headers
        }
        known[_ID] = cells[self._id]
        self._journal.note_content(row, digest, json.dumps(known), done)


# Where the id cell is kept among a row's change cells (no change column is called so).
_ID = "id"


def _known_done(earlier: EarlierRow, text: str, row_id: str) -> dict[str, str] | None:
    """What ``text`` holds of the row as done, if it is of the same conversation; a conflict
    since then takes the live cells it saw as what was done."""
    if not text:
        return None
    done: dict[str, str] = json.loads(text)
    if done.get(_ID) != row_id:
        return None
    if earlier.status == RowStatus.CONFLICT.value and earlier.base:
        done.update(json.loads(earlier.base))
    return done


class ReportedOutcomes:
    """Where a report's outcome columns are, to take a row's outcome back from them."""

    def __init__(self, columns: list[str]):
        self._at = {name: columns.index(name) for name in OUTCOME_COLUMNS if name in columns}

    def _cell(self, cells: list[str], name: str) -> str:
        index = self._at.get(name)
        return cells[index] if index is not None else ""

    def kept(self, cells: list[str]) -> bool:
        return is_done(self._cell(cells, "status"))

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


def open_journal(settings: JobSettings, fingerprint: dict[str, Any], *, again: bool) -> Journal:
    """The run's journal: in memory for a dry run or a throwaway run; else the one beside the
    report, carried on when the report is run ``again`` (whatever changed), resumed when asked."""
    if settings.dry_run and again and settings.input_path is not None:
        return Journal.copy_of(journal_beside(settings.input_path))
    if settings.dry_run or not settings.durable_journal or settings.journal_path is None:
        return Journal.temporary()
    options = {
        "api_version": settings.send.api_version,
        "base_url": settings.send.base_url,
        "clear_marker": settings.read.clear_marker,
        "ignore_columns": sorted(settings.read.ignore_columns),
        "backup": str(settings.backup_path.resolve()) if settings.backup_path else None,
    }
    if again:
        # The report is this journal's own: carry on from it, whatever changed.
        journal = Journal.open(settings.journal_path, fingerprint, options, resume=True, force=True)
        journal.set_input(fingerprint)
        return journal
    if not settings.resume and settings.input_path is not None and settings.report_path:
        recorded = recorded_input(settings.journal_path)
        if recorded is not None and not same_input(recorded, fingerprint):
            raise HistoryExists(settings.input_path, settings.report_path, settings.journal_path)
    return Journal.open(
        settings.journal_path,
        fingerprint,
        options,
        resume=settings.resume,
        force=settings.force,
    )


def runs_report_again(settings: JobSettings, is_report: bool) -> bool:
    """The input is a report rewritten in place, with the journal of its runs beside it, or
    a report whose history this run continues (``retry``)."""
    if settings.shared_history is not None and settings.shared_history.exists():
        return is_report
    if settings.dry_run:  # what running the report would do: its history, read only
        return (
            is_report
            and settings.input_path is not None
            and journal_beside(settings.input_path).exists()
        )
    return (
        is_report
        and settings.input_path is not None
        and settings.report_path is not None
        and settings.input_path.resolve() == settings.report_path.resolve()
        and settings.journal_path is not None
        and settings.journal_path.exists()
    )
