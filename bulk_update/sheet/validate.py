"""One row's cells → an update request or a row problem; and what only the whole file shows
about ids (repeated, or shorter than the column's zero-padded ones). Pure, no I/O."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bulk_update.models import BASE_COLUMN, BASE_ID_KEY, RowActions, UpdateRequest
from bulk_update.sheet.action_table import read_cell, row_actions
from bulk_update.sheet.columns import ID_COLUMNS, ColumnPlan, FieldPlan
from bulk_update.sheet.values import ValueProblem

# Intercom's ids are digit strings (3 to 14 digits seen); 20 digits is past any int64.
MAX_ID_DIGITS = 20
_DIGITS = re.compile(r"[0-9]+")
# Excel's number display, in either decimal convention: 123.0, 123,0, 2.15468E+11, 2,15468E+11.
_EXCEL_MANGLED_ID = re.compile(r"[0-9]+[.,][0-9]*0*|[0-9](?:[.,][0-9]+)?[eE]\+?[0-9]+")
# Intercom documents no length limit for text values that we found; past this a cell is far
# more likely a paste accident than a title or an attribute value.
MAX_TEXT_CHARS = 65_536
# C0 controls other than tab, newline and carriage return: never meant, often rejected.
_CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_EXCEL_HINT = (
    "Excel turned the id into a number; format the id column as Text "
    "(or export it from the source system as text) and export again"
)


def check_conversation_id(text: str) -> str:
    """The id to put in the path, or ValueProblem: only ASCII digits ever reach the network."""
    value = text.strip()
    if not value:
        raise ValueProblem("the id is empty")
    if _DIGITS.fullmatch(value):
        if len(value) > MAX_ID_DIGITS:
            raise ValueProblem(f"id {value!r} has {len(value)} digits, too many for an Intercom id")
        return value
    if _EXCEL_MANGLED_ID.fullmatch(value):
        raise ValueProblem(f"id {value!r} is not a whole number: {_EXCEL_HINT}")
    hint = "; ids are digits only" if value.isascii() else "; ids are ASCII digits only"
    raise ValueProblem(f"id {value[:60]!r} is not a conversation id{hint}")


@dataclass(frozen=True, slots=True)
class RowProblem:
    row: int
    column: str
    message: str


def exported_base(plan: ColumnPlan, cells: Sequence[str]) -> dict[str, Any]:
    """An exported sheet's row's cells as exported (its base cell, header → cell). Raises
    ValueProblem when the base cell itself was changed, or is another row's.

    A base names its conversation (``BASE_ID_KEY``; a base written before it did names none,
    and is taken as the row's): a row whose base names another conversation was sorted or
    moved without its base (Excel's sort of the "current selection"), and comparing its cells
    with another row's base would send that row's cells as edits."""
    assert plan.base_index is not None
    try:
        base = json.loads(cells[plan.base_index] or "{}")
    except ValueError:
        base = None
    if not isinstance(base, dict):
        raise ValueProblem(
            f"the {BASE_COLUMN} cell is not as the export wrote it: restore it, or delete the "
            "whole column to send every cell as it is"
        )
    _check_base_is_the_rows(plan, cells, base)
    return base


def since_base(
    plan: ColumnPlan, cells: Sequence[str], base: Mapping[str, Any]
) -> tuple[list[str], dict[str, list[str]]] | None:
    """The row's cells with every change cell still as in ``base`` (header → cell: as
    exported, or as last done) blanked, so that an unedited cell is never sent, whatever the
    live value is now; and each edited column (as read) with its cell in ``base`` and as
    edited. None when no cell was edited (an emptied cell is not an edit: it leaves the
    field as it is). A base cell may be a list: each value the field may hold (an undo's
    base, when a round's request may have landed or not); a cell is compared with the first,
    and a live value that is any of them is no conflict."""
    edited = list(cells)
    changed: dict[str, list[str]] = {}
    for index, (column, key) in plan.change_columns.items():
        listed = base.get(column, "")
        was = [str(cell) for cell in listed] if isinstance(listed, list) else [str(listed)]
        if index < len(cells) and cells[index] == was[0]:
            edited[index] = ""
        elif index < len(cells) and cells[index]:
            changed[key] = [*was, cells[index]]
    return (edited, changed) if changed else None


def _check_base_is_the_rows(plan: ColumnPlan, cells: Sequence[str], base: dict[str, Any]) -> None:
    owner = base.get(BASE_ID_KEY)
    try:
        row_id = check_conversation_id(cells[plan.id_index])
    except ValueProblem:
        return  # the id cell's own problem is what the row says
    if owner is not None and str(owner) != row_id:  # one message for every such row
        raise ValueProblem(
            f"the {BASE_COLUMN} cell is another conversation's: the rows look sorted or moved "
            f"without their {BASE_COLUMN} column; sort all the columns together (or undo the "
            "sort), or export again"
        )


def validate_row(
    plan: ColumnPlan, row: int, cells: Sequence[str], read_problem: str = ""
) -> UpdateRequest | RowProblem:
    """Turn one row's cells into a request body, or say what is wrong with the row: every
    bad cell at once, so that one round of fixes is enough.

    ``read_problem`` is what the reader found wrong with the row, if anything.
    """
    if read_problem:
        return RowProblem(row, "", read_problem)
    problems: list[tuple[str, str]] = []
    conversation_id = ""
    try:
        conversation_id = check_conversation_id(cells[plan.id_index])
    except ValueProblem as problem:
        problems.append((ID_COLUMNS[0], problem.describe(plan.names)))
    body: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    for planned in plan.fields:
        text = cells[planned.index]
        if text == "":
            continue
        try:
            value = _cell_value(plan, planned, text)
        except ValueProblem as problem:
            problems.append((planned.column, problem.describe(plan.names)))
            continue
        if planned.custom:
            custom[planned.key] = value
        else:
            body[planned.key] = value
    actions = None
    if plan.actions:
        actions = _row_actions(plan, cells, problems)
    if len(problems) == 1:
        return RowProblem(row, *problems[0])
    if problems:
        return RowProblem(row, "", "; ".join(f"column {c!r}: {m}" for c, m in problems))
    if custom:
        body["custom_attributes"] = custom
    if not body and actions is None:
        return RowProblem(row, "", "the row has no value to change (every change cell is empty)")
    return UpdateRequest(row, conversation_id, body, actions)


def _row_actions(
    plan: ColumnPlan, cells: Sequence[str], problems: list[tuple[str, str]]
) -> RowActions | None:
    """The row's actions (None when its action cells are all empty); what is wrong with
    them goes to ``problems``."""
    reader = plan.action_cells
    assert reader is not None
    values: dict[str, Any] = {}
    for planned in plan.actions:
        text = cells[planned.index]
        if text == "":
            continue
        try:
            values[planned.action] = read_cell(reader, planned.action, text)
        except ValueProblem as problem:
            problems.append((planned.column, problem.describe(plan.names)))
    if not values or problems:
        return None
    try:
        return row_actions(values)
    except ValueProblem as problem:
        problems.append(("", problem.describe(plan.names)))
        return None


def _cell_value(plan: ColumnPlan, planned: FieldPlan, text: str) -> Any:
    """A non-empty cell's JSON value, or ValueProblem."""
    if len(text) > MAX_TEXT_CHARS:
        raise ValueProblem(
            f"the cell holds {len(text):,} characters, more than the {MAX_TEXT_CHARS:,} "
            "this tool sends; shorten it"
        )
    control = _CONTROL_CHARACTER.search(text)
    if control:
        raise ValueProblem(
            f"the cell holds the control character U+{ord(control.group()):04X} at "
            f"position {control.start() + 1}; remove it"
        )
    if text == plan.clear_marker:
        if not planned.clearable:
            raise ValueProblem(f"{planned.column!r} cannot be cleared")
        return None
    return planned.convert(text)


def repeated_id_problem(first_row: int) -> str:
    return f"duplicate of row {first_row}"


def lost_zeros_problem(conversation_id: str, padded_to: int) -> str:
    return (
        f"id {conversation_id!r} has {len(conversation_id)} digits where the column's other ids "
        f"are zero-padded to {padded_to}: {_EXCEL_HINT}"
    )
