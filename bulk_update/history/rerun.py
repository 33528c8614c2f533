"""What a run keeps from the runs before it: which rows are done, and which were edited since
(a row whose cells changed never keeps the outcome of its old content)."""

from __future__ import annotations

import hashlib
from typing import Any

from bulk_update.config import JobSettings
from bulk_update.errors import HistoryExists
from bulk_update.history.journal import Journal
from bulk_update.history.journal_tables import recorded, same_input
from bulk_update.models import OUTCOME_COLUMNS, RowOutcome, RowStatus
from bulk_update.rules import is_done


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
        return is_done(self._cell(cells, "status"))

    def note_may_have_landed(self, cells: list[str]) -> bool:
        """Whether, by the row's own cells, its note may be on the conversation already: any
        row a command ran (it has a status) may have sent it. Its ``steps`` cannot say
        otherwise: they are the last round's only (a note done in an earlier round reads
        ``not done`` when a step before it failed since, and an edited row's last round may
        not have come to it at all)."""
        return bool(self._cell(cells, "status").strip())

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
    if settings.dry_run and again and settings.shared_history is not None:
        return Journal.copy_of(settings.shared_history)
    if settings.dry_run or not settings.durable_journal or settings.journal_path is None:
        return Journal.temporary()
    options = {
        "api_version": settings.send.api_version,
        "base_url": settings.send.base_url,
        "clear_marker": settings.read.clear_marker,
        "ignore_columns": sorted(settings.read.ignore_columns),
        "backup": str(settings.backup_path.resolve()) if settings.backup_path else None,
    }
    # A report run again is this journal's own: carry on from it, whatever changed.
    return Journal.open(
        settings.journal_path,
        fingerprint,
        options,
        resume=settings.resume or again,
        force=settings.force or again,
    )


def check_history(settings: JobSettings, fingerprint: dict[str, Any], *, again: bool) -> None:
    """A sheet run with ``--report`` where a history already is: refused before anything is
    read from Intercom or written, unless this run continues it (``again``, ``resume``) or
    its own run of this very input did not finish (opening the journal names ``resume``).

    The input "changed since" only when its bytes are none of the inputs the history was run
    from; otherwise the way on is the report (which holds every row's outcome) or a new one.
    """
    if again or settings.resume or settings.dry_run or not settings.durable_journal:
        return
    if settings.input_path is None or settings.report_path is None:
        return
    assert settings.journal_path is not None
    history = recorded(settings.journal_path)
    if history is None:
        return
    changed = not any(same_input(known, fingerprint) for known in history.inputs)
    unfinished = not (history.finished and settings.report_path.exists())
    if unfinished and same_input(history.inputs[-1], fingerprint):
        return  # its own run, not finished: opening the journal names resume
    raise HistoryExists(
        settings.input_path, settings.report_path, settings.journal_path, changed=changed
    )


def runs_report_again(settings: JobSettings, is_report: bool) -> bool:
    """The input is a report whose history this run continues: found by the report itself
    (``identity.find_history``: beside it, or where it was made) when it is run again in
    place, dry, or by ``retry``."""
    return is_report and settings.shared_history is not None and settings.shared_history.exists()
