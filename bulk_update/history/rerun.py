"""What a run keeps from the runs before it: which rows are done, and which were edited since
(a row whose cells changed never keeps the outcome of its old content; of a row done before,
only the cells edited since are sent)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from bulk_update.config import JobSettings
from bulk_update.errors import HistoryExists, UsageError
from bulk_update.history.journal import Journal
from bulk_update.history.journal_tables import EarlierRow, recorded, same_input
from bulk_update.models import HISTORY_COLUMN, OUTCOME_COLUMNS, RowOutcome, RowStatus
from bulk_update.rules import is_done
from bulk_update.sheet.columns import ColumnPlan
from bulk_update.sheet.validate import exported_base
from bulk_update.sheet.values import ValueProblem


def content_digest(cells: list[str], columns: list[int]) -> bytes:
    """A digest of a row's ``columns`` (b"" when none), to tell an edited row apart."""
    if not columns:
        return b""
    text = "\x1f".join(cells[i] for i in columns)
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest()


@dataclass(frozen=True)
class RowBase:
    """What a row's change cells are compared with, so that only those edited since are
    sent: header → cell, as last done or as exported (None: the row is sent whole)."""

    cells: dict[str, Any] | None
    done: bool = False  # they are the row's cells as last done
    problem: str = ""  # an exported sheet's base cell that is not as the export wrote it


# The base of a row sent whole (most rows of a sheet that is no export): one for them all.
_SENT_WHOLE = RowBase(None)


class EarlierRuns:
    """Walks the journal's record of earlier runs' rows alongside this run's rows: which
    earlier outcome stands, and what each row's change cells are compared with.

    The journal keeps, of each row, its id and change cells (an empty one as its base had
    it) joined by U+001F in the order of ``meta['content_columns']`` (by header: moving a
    column changes nothing), and a digest of its other cells (by header too); of a row sent
    again after it was done, also its cells as done then. A pass over some rows only
    (``whole`` false: retry) cannot bring the others to other change columns: it refuses."""

    def __init__(
        self, journal: Journal, plan: ColumnPlan, columns: list[str], *, whole: bool = True
    ):
        self._journal = journal
        self._plan = plan
        tools = (*OUTCOME_COLUMNS, HISTORY_COLUMN)  # not the row's: what the tool wrote of it
        self._content = [i for i, name in enumerate(columns) if name not in tools]
        changes = plan.change_columns
        self._cells = sorted(
            ((index, header) for index, (header, _key) in changes.items()), key=lambda c: c[1]
        )
        other = [i for i in self._content if i != plan.id_index and i not in changes]
        self._other = sorted(other, key=lambda i: columns[i])
        headers = [header for _index, header in self._cells]
        self._recorded = headers  # the order of the cells the journal holds
        self._rows: Iterator[tuple[Any, ...]] = iter(())
        if journal.history:
            recorded = journal.meta().get("content_columns")
            self._recorded = headers if recorded is None else recorded
            if recorded is not None and recorded != headers and not whole:
                raise UsageError(
                    "the report's change columns are not those of its last run (added or "
                    "taken away since): run the whole report (bulk-update run REPORT), which "
                    "sends what failed too, rather than retry"
                )
            if recorded != headers:
                journal.set_meta({"content_columns": headers})
            self._rows = journal.earlier_rows()
        self._in_order = self._recorded == headers
        self._next = next(self._rows, None)
        self._last = 0
        self._was_done = False

    def reconcile(self, row: int, cells: list[str], *, again: bool) -> RowBase:
        """What the row's change cells are compared with: its cells as last done when it was
        done (updated or skipped; or done once, and what was sent after that did not
        finish), else an exported sheet's base.

        The row's earlier outcome is dropped when its content changed and it was not done
        (it was for other cells), or when it failed and the report is run ``again``; a done
        one stands until :meth:`edited` says otherwise."""
        self._last = row
        earlier = self._earlier(row)
        self._was_done = earlier is not None and is_done(earlier.status or "")
        known = self._known(earlier, cells[self._plan.id_index])
        base = RowBase(known, done=True) if known is not None else self._exported(cells)
        if not self._journal.history:
            return base
        row_id = cells[self._plan.id_index]
        text = self._encode(row_id, cells, base.cells or {})
        other = content_digest(cells, self._other)
        if earlier is not None and self._same(earlier, cells, text, other):
            if again and earlier.status == RowStatus.FAILED.value:
                self._journal.forget(row)
            if not earlier.cells:  # a journal of an earlier version learns the row's cells
                self._journal.note_content(row, other, text, "")
            return base
        if earlier is not None and not (self._was_done and known is not None):
            self._journal.forget(row)
        done = self._encode(row_id, None, known) if known is not None else ""
        self._journal.note_content(row, other, text, done)
        return base

    @property
    def stands(self) -> bool:
        """Whether the row's earlier outcome is a done one, which stands."""
        return self._was_done

    def edited(self, row: int) -> None:
        """The row was edited since it was done: its done outcome is for other cells."""
        if self._was_done:
            self._journal.forget(row)

    def finish(self) -> None:
        """Rows past the last one read keep nothing in the old order of columns."""
        if not self._in_order:
            self._journal.forget_contents_after(self._last)

    def _earlier(self, row: int) -> EarlierRow | None:
        while self._next is not None and self._next[0] < row:
            self._next = next(self._rows, None)
        if self._next is None or self._next[0] != row:
            return None
        return EarlierRow(*self._next)

    def _same(self, earlier: EarlierRow, cells: list[str], text: str, other: bytes) -> bool:
        """Whether the row's content is as the journal has it (a journal of an earlier
        version has only a digest of it all)."""
        if not earlier.cells:
            return earlier.digest == content_digest(cells, self._content)
        return self._in_order and earlier.cells == text and earlier.digest == other

    def _known(self, earlier: EarlierRow | None, row_id: str) -> dict[str, Any] | None:
        """The row's cells as last done, if they were done for this conversation; a conflict
        since then takes the live cells it saw as theirs."""
        if earlier is None:
            return None
        text = earlier.cells if self._was_done else earlier.done
        parts = text.split(_SEPARATOR) if text else []
        if len(parts) != len(self._recorded) + 1 or parts[0] != row_id:
            return None
        done: dict[str, Any] = dict(zip(self._recorded, parts[1:], strict=True))
        if earlier.status == RowStatus.CONFLICT.value and earlier.base:
            done.update(json.loads(earlier.base))
        return done

    def _exported(self, cells: list[str]) -> RowBase:
        if self._plan.base_index is None:
            return _SENT_WHOLE
        try:
            return RowBase(exported_base(self._plan, cells))
        except ValueProblem as problem:
            return RowBase(None, problem=str(problem))

    def _encode(self, row_id: str, cells: list[str] | None, base: Mapping[str, Any]) -> str:
        """The row's id and change cells as they stand once it is done: an empty cell (or
        no ``cells``) leaves what ``base`` has."""
        values = [(cells[i] if cells else "") or str(base.get(h, "")) for i, h in self._cells]
        return _SEPARATOR.join([row_id, *values])


_SEPARATOR = "\x1f"


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
    read from Intercom or written, unless this run continues it (``again``; ``resume`` of the
    input the history was last run from) or its own run of this very input did not finish
    (opening the journal names ``resume``). Resuming an input the history went on from since
    (the sheet, after report rounds) would send it over those rounds: refused too.

    The input "changed since" only when its bytes are none of the inputs the history was run
    from; otherwise the way on is the report (which holds every row's outcome) or a new one.
    """
    if again or settings.dry_run or not settings.durable_journal:
        return
    if settings.input_path is None or settings.report_path is None:
        return
    assert settings.journal_path is not None
    history = recorded(settings.journal_path)
    if history is None:
        return
    changed = not any(same_input(known, fingerprint) for known in history.inputs)
    if settings.resume and (changed or same_input(history.inputs[-1], fingerprint)):
        return  # its own run resumed, or another input (opening the journal says so)
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
