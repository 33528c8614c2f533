"""The table of actions: each thing a sheet can ask of a conversation besides attribute
values (close it, assign it, tag it, note it, set Intercom's priority), one entry each.

An entry (``sheet.action_types.Action``) says everything the tool does with its action: its
columns and how a cell is read; the steps it plans against the conversation as read, and
what each request carries in the run's Intercom-Version; the part of a conversation it
changes, as a backup keeps it and undo sends it back, and as an export writes it; how a
change is told; what the page counts; the versions that read and write it. The sheet reader,
the planner, export, backup and undo, the page and the sandbox read this table: adding an
action is one entry (in ``inbox_actions`` or ``content_actions``), listed here, plus tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bulk_update.config.versions import has_since
from bulk_update.models import RowActions
from bulk_update.sheet.action_cells import ActionCells
from bulk_update.sheet.action_types import Action
from bulk_update.sheet.content_actions import NOTE, TAGS
from bulk_update.sheet.inbox_actions import ASSIGNEES, PRIORITY, STATE

# In the order their columns are written (an export's, a backup's).
ACTIONS: tuple[Action, ...] = (STATE, ASSIGNEES, TAGS, NOTE, PRIORITY)
# In the order a row's steps go: tags, a note, assignments, priority, the state last (an
# assignment reopens a closed conversation and a note wakes a snoozed one).
IN_STEP_ORDER = tuple(sorted(ACTIONS, key=lambda action: action.rank))

# The reserved column names (``company_id`` is not here: it is a field of the PUT body).
ACTION_COLUMNS = tuple(column for action in ACTIONS for column in action.columns)
# A conversation's own state, as cells of those columns: what a backup keeps of a
# conversation acted on (for undo), what an export writes by default, what a conflict reads.
STATE_COLUMNS = tuple(column for action in ACTIONS for column in action.kept)
# Those that hold a time: unix seconds on the wire, ISO 8601 in cells.
DATE_COLUMNS = frozenset(column for action in ACTIONS for column in action.dates)
_BY_COLUMN = {column: action for action in ACTIONS for column in action.columns}


def action_of(column: str) -> Action:
    return _BY_COLUMN[column]


def with_companions(columns: list[str]) -> list[str]:
    """The columns with those that go together with them (a state and its snooze time): left
    out together, restored together."""
    together = [
        companion
        for column in columns
        if column in _BY_COLUMN and _BY_COLUMN[column].kept_together
        for companion in _BY_COLUMN[column].kept
    ]
    return list(dict.fromkeys([*columns, *together]))


def read_cell(cells: ActionCells, column: str, text: str) -> Any:
    """One action cell's meaning, or ValueProblem."""
    return _BY_COLUMN[column].read(cells, column, text)


def row_actions(values: Mapping[str, Any]) -> RowActions:
    """A row's actions from its non-empty action cells' values, or ValueProblem for what
    only the cells together show."""
    combined: dict[str, Any] = {}
    for action in ACTIONS:
        mine = {column: values[column] for column in action.columns if column in values}
        if mine:
            combined.update(action.combine(mine))
    return RowActions(**combined)


def kept_columns(version: str, *, written: bool = False) -> tuple[str, ...]:
    """The state columns ``version`` reads (``written``: and writes, what an export that is
    to go back into a run writes by default)."""
    return tuple(
        column
        for action in ACTIONS
        if has_since(version, action.writes_since if written else action.reads_since)
        for column in action.kept
    )


def backed_up(asked: list[str], version: str) -> tuple[str, ...]:
    """The state columns a backup keeps for a sheet with these action columns: the parts
    of a conversation its actions change, where ``version`` can change them back."""
    named = {_BY_COLUMN[column].name for column in asked}
    return tuple(
        column
        for action in ACTIONS
        if (action.name in named or action.moved_by_others)
        and has_since(version, action.writes_since)
        for column in action.kept
    )


def unwritable(columns: list[str], version: str) -> tuple[str, str] | None:
    """The first action column ``version`` cannot write, and the version that can."""
    for column in columns:
        action = _BY_COLUMN.get(column)
        if action is not None and not has_since(version, action.writes_since):
            return column, action.writes_since
    return None


def step_kinds() -> dict[str, str]:
    """A step name's first word → what the page counts it as (``close`` → ``closed``)."""
    return {word: kind for action in ACTIONS for word, kind in action.step_kinds.items()}
