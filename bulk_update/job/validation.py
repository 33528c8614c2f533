"""The validation pass: every row is checked before anything is sent. Invalid rows are
recorded as such, each valid row's request is encoded once and kept in the journal, then what
only the whole file shows (repeated ids, ids that lost the column's leading zeros)."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Callable
from dataclasses import dataclass

from bulk_update.config import JobSettings, Unattended
from bulk_update.errors import InputError, UsageError, escape
from bulk_update.history.journal import Journal
from bulk_update.history.rerun import EarlierRuns, ReportedOutcomes, RowBase
from bulk_update.models import (
    BASE_COLUMN,
    PreparedUpdate,
    RowOutcome,
    RowStatus,
    UpdateRequest,
    wire_json,
)
from bulk_update.sheet.action_table import DATE_COLUMNS, backed_up, unwritable
from bulk_update.sheet.columns import ColumnPlan
from bulk_update.sheet.reader import Table
from bulk_update.sheet.schema import AttributeType
from bulk_update.sheet.validate import (
    RowProblem,
    check_conversation_id,
    lost_zeros_problem,
    repeated_id_problem,
    since_base,
    validate_row,
)
from bulk_update.sheet.values import ValueProblem

SAMPLE_BODIES = 3
# Hand control back to the event loop this often during the validation pass, so that a
# Ctrl-C is noticed even while a million rows are being checked.
YIELD_EVERY_ROWS = 5000


@dataclass(frozen=True)
class Validated:
    """What the validation pass leaves for sending."""

    last_row: int  # the last row that the limit lets through
    wanted: int  # rows to send, the limit applied
    sample: tuple[UpdateRequest, ...]
    closes: int = 0  # valid rows that close their conversation
    invalid: int = 0  # rows found invalid, this round


async def validate_all(
    table: Table, plan: ColumnPlan, journal: Journal, *, again: bool, settings: JobSettings
) -> Validated:
    """Check every row before anything is sent: record the invalid ones and keep each
    valid row's encoded request in the journal; then what only the whole file shows
    (repeated ids, ids that lost the column's leading zeros)."""
    encode_bodies = settings.sends_requests
    sample: list[UpdateRequest] = []
    closes = invalid_rows = 0
    version, unable = settings.send.api_version, None
    journal.start_validation()
    earlier = EarlierRuns(journal, plan, table.columns, whole=settings.only_statuses is None)
    keep_reported = table.is_report and not again
    columns = ReportedOutcomes(table.columns) if table.is_report else None
    for count, row in enumerate(table.rows(), start=1):
        compared = earlier.reconcile(row.number, row.cells, again=table.is_report)
        if keep_reported and columns is not None and columns.kept(row.cells):
            # No journal to tell an edit apart: a row reported done stays as it is.
            _keep(journal, plan, row.cells, columns.outcome(row.number, row.cells))
            continue
        since = _edited_since(journal, plan, earlier, row.number, row.cells, compared)
        if since is None:
            continue
        cells, base = since
        checked = validate_row(plan, row.number, cells, row.problem)
        if isinstance(checked, RowProblem):
            journal.record(invalid(checked.row, checked.column, checked.message))
            invalid_rows += 1
        else:
            ran = columns is not None and columns.note_may_have_landed(row.cells)
            journal.add_update(
                encode(checked, base, ran=ran)
                if encode_bodies
                else PreparedUpdate(checked.row, checked.conversation_id, b"")
            )
            if len(sample) < 2 * SAMPLE_BODIES:
                sample.append(checked)
            closes += checked.actions is not None and checked.actions.get("state") == "closed"
            if unable is None and checked.actions is not None:
                unable = _unwritable(checked, version)
        if count % YIELD_EVERY_ROWS == 0:
            await asyncio.sleep(0)
    earlier.finish()
    if table.rows_read == 0:
        raise InputError(table.path, "has a header but no data rows")
    if unable is not None:
        raise unable
    rejected = cross_row_problems(journal)
    for rejected_row, why in rejected.items():
        journal.record(invalid(rejected_row, "id", why))
    journal.drop_updates(rejected)
    if settings.unattended.sample is not None:
        _draw(journal, settings.unattended, str(table.path))
    limit = settings.limit
    last_row = journal.last_row(limit)
    prepared = journal.count_prepared()
    kept = [r for r in sample if r.row not in rejected and r.row <= last_row]
    return Validated(
        last_row,
        prepared if limit is None else min(prepared, limit),
        tuple(kept[:SAMPLE_BODIES]),
        closes,
        invalid_rows + len(rejected),
    )


def _draw(journal: Journal, unattended: Unattended, sheet: str) -> None:
    """Keeps, of the rows prepared, the sample drawn (by the seed, else by the sheet and its
    rows: a ``--resume`` draws the same); the others are left for a later round."""
    prepared = journal.prepared_rows()
    seed = unattended.seed if unattended.seed is not None else f"{sheet}:{len(prepared)}"
    count = min(unattended.sample or 0, len(prepared))
    drawn = set(random.Random(seed).sample(prepared, count))
    journal.drop_updates(row for row in prepared if row not in drawn)


def _keep(journal: Journal, plan: ColumnPlan, cells: list[str], outcome: RowOutcome) -> None:
    """A row decided without a request."""
    journal.record(outcome)
    _count_id(journal, plan, outcome.row, cells)


def _count_id(journal: Journal, plan: ColumnPlan, row: int, cells: list[str]) -> None:
    """A row sent nothing still counts its id, so that another row for the same
    conversation is a duplicate."""
    with contextlib.suppress(ValueProblem):
        journal.add_update(PreparedUpdate(row, check_conversation_id(cells[plan.id_index]), b""))


def _edited_since(
    journal: Journal,
    plan: ColumnPlan,
    earlier: EarlierRuns,
    row: int,
    cells: list[str],
    base: RowBase,
) -> tuple[list[str], dict[str, list[str]]] | None:
    """The cells to validate: only those edited since the row was done or, of an exported
    sheet's row, since the export; with what each was then (an exported sheet's, for the
    conflict check). None: the row is decided already (nothing edited since, or its base
    damaged)."""
    if base.problem:
        journal.record(invalid(row, BASE_COLUMN, base.problem))
        return None
    if base.cells is None:
        return cells, {}
    edited = since_base(plan, cells, base.cells)
    if edited is None and base.done and earlier.stands:
        _count_id(journal, plan, row, cells)  # its done outcome stands
    elif edited is None:
        unchanged = "unchanged since done" if base.done else "unchanged since the export"
        _keep(journal, plan, cells, RowOutcome(row, RowStatus.SKIPPED, changes=unchanged))
    elif base.done:
        earlier.edited(row)
    if edited is None:
        return None
    return edited if plan.base_index is not None else (edited[0], {})


def cross_row_problems(journal: Journal) -> dict[int, str]:
    """Rows invalid only in the light of the others (row → why), in row order."""
    problems: dict[int, str] = {}
    padded_to = journal.zero_padded_length()
    if padded_to is not None:
        for row, conversation_id in journal.ids_shorter_than(padded_to):
            problems[row] = lost_zeros_problem(conversation_id, padded_to)
    for row, first_row in journal.repeated_ids():
        problems.setdefault(row, repeated_id_problem(first_row))
    return dict(sorted(problems.items()))


def encode(
    request: UpdateRequest, base: dict[str, list[str]] | None = None, *, ran: bool = False
) -> PreparedUpdate:
    """The one JSON encoding of a request body, done once per row (no body: no PUT), with
    the edited cells' base when the row comes from an export, and whether its cells say a
    command ran it (``ran``: its note may have landed)."""
    payload = wire_json(request.body) if request.body else b""
    actions = request.actions.encode() if request.actions is not None else b""
    edited = wire_json(base) if base else b""
    return PreparedUpdate(request.row, request.conversation_id, payload, actions, edited, ran)


def invalid(row: int, column: str, message: str) -> RowOutcome:
    where = f"column {column!r}: " if column else ""
    return RowOutcome(row, RowStatus.INVALID, error_code="invalid", error_message=where + message)


def _unwritable(checked: UpdateRequest, version: str) -> UsageError | None:
    """What stops the run before anything is sent: the row writes an action that
    ``version`` cannot write (only rows that do: an unedited export's cell writes nothing)."""
    assert checked.actions is not None
    found = unwritable(list(checked.actions), version)
    if found is None:
        return None
    column, since = found
    return UsageError.naming_settings(
        f"row {checked.row} writes {escape(repr(column))}, which Intercom takes from version "
        f"{since} on, not in {escape(version)}: set {{api_version}} {since} (nothing was sent)"
    )


def status_filter(table: Table, wanted: frozenset[str]) -> Callable[[list[str]], bool]:
    if "status" not in table.columns:
        raise InputError(
            table.path,
            "has no 'status' column, so it is not a bulk-update report; give 'retry' the "
            "report of a run, or run the sheet itself with 'bulk-update run'",
        )
    status_index = table.columns.index("status")
    return lambda cells: cells[status_index] in wanted


def backed_up_columns(plan: ColumnPlan, version: str) -> list[str]:
    """What a backup keeps: the attributes the sheet changes, and with any action column
    the conversation's own state that ``version`` can change (which ``undo`` puts back)."""
    columns = [planned.key for planned in plan.fields]
    if plan.actions:
        columns += backed_up([planned.action for planned in plan.actions], version)
    return columns


def date_fields(plan: ColumnPlan) -> frozenset[str]:
    """The fields that hold dates (unix seconds on the wire, ISO 8601 for people): date
    attributes, and the actions' times (a snooze's)."""
    dates = {planned.key for planned in plan.fields if planned.kind is AttributeType.DATE}
    return frozenset(dates) | DATE_COLUMNS
