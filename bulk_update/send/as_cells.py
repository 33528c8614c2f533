"""A conversation as a row of cells in the tool's input format: what an export writes, and
what the live value of an exported cell is now (a conflict check); and as a backup's cells,
what an undo compares with what the sheet's rounds left."""

from __future__ import annotations

from typing import Any

from bulk_update.history.backup import as_cell, backup_cells
from bulk_update.history.changes import current_values, shown
from bulk_update.models import BASE_ID_KEY, wire_json
from bulk_update.send.action_steps import action_values
from bulk_update.sheet.action_table import STATE_COLUMNS, action_of
from bulk_update.sheet.directory import Directory
from bulk_update.sheet.schema import AttributeType, Schema

# Columns that are not attributes, in the order they are written.
FIELD_COLUMNS = ("read", "title", *STATE_COLUMNS, "company_id")


class ConversationCells:
    """A conversation as a row of cells in the tool's input format (empty = unset)."""

    # An edited row whose live cell moved since its base: what its outcome says.
    conflict_message = (
        "changed in Intercom since the export (or since it was last sent) and edited here: "
        "nothing of the row was sent"
    )
    unset = ""
    partial = False  # a conflict holds back the whole row

    def __init__(self, columns: list[str], schema: Schema, directory: Directory | None):
        self._columns = columns
        self._schema = schema
        self._directory = directory
        self._attributes = [c for c in columns if c not in FIELD_COLUMNS]
        self._dates = {
            name for name in self._attributes if schema.attributes[name].type is AttributeType.DATE
        }

    def row(self, conversation: dict[str, Any]) -> list[str]:
        """The conversation's id, its cells, and last the same cells as the row's base, which
        names the conversation too (a row sorted away from its base is told by it)."""
        values = self._values(conversation, self._columns)
        cells = [self._cell(column, values) for column in self._columns]
        conversation_id = str(conversation.get("id", ""))
        base = wire_json(
            {BASE_ID_KEY: conversation_id, **dict(zip(self._columns, cells, strict=True))}
        )
        return [conversation_id, *cells, base.decode()]

    @staticmethod
    def exports(column: str, schema: Schema) -> bool:
        """Whether an export writes this column (a note or tags to add it never does)."""
        return column in FIELD_COLUMNS or column in schema.attributes

    def knows(self, column: str) -> bool:
        return self.exports(column, self._schema)

    def live(self, conversation: dict[str, Any], columns: list[str]) -> dict[str, str]:
        """The cells ``columns`` (canonical names) would hold if exported now."""
        values = self._values(conversation, columns)
        return {column: self._cell(column, values) for column in columns}

    def _values(self, conversation: dict[str, Any], columns: list[str]) -> dict[str, Any]:
        """Each column's value: a field or attribute as read, an action's part as it exports
        it (each action once a row, whichever of its columns are asked)."""
        values = current_values(conversation, [c for c in columns if c not in STATE_COLUMNS])
        actions = {action_of(c).name: action_of(c) for c in columns if c in STATE_COLUMNS}
        for action in actions.values():
            values.update(action.exported(conversation, self._directory))
        return values

    def _cell(self, column: str, values: dict[str, Any]) -> str:
        if column in STATE_COLUMNS:
            return as_cell(values.get(column), "")
        return shown(values.get(column), column in self._dates, unset="")


class BackupCells:
    """A conversation as a backup line's cells (``unset`` is the clear marker): an undo's
    live value of each field, in the very form the backup holds what the rounds left."""

    conflict_message = (
        "changed in Intercom since the sheet's last round (a teammate's change, say): left "
        "as it is (the row's other fields were restored)"
    )
    partial = True  # only the fields that moved are held back

    def __init__(self, columns: list[str], clear_marker: str, dates: frozenset[str]):
        self._columns = set(columns)
        self._dates = dates
        self.unset = clear_marker

    def knows(self, column: str) -> bool:
        return column in self._columns

    def live(self, conversation: dict[str, Any], columns: list[str]) -> dict[str, str]:
        values = current_values(conversation, [c for c in columns if c not in STATE_COLUMNS])
        if any(column in STATE_COLUMNS for column in columns):
            values.update(action_values(conversation))
        cells = backup_cells(values, columns, self.unset, self._dates)
        return {column: cells.get(column, "") for column in columns}
