"""The sheet's header → a plan: which column holds the id, which are request fields (typed
by the workspace's attributes) and which are actions. Pure, no I/O."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from bulk_update.config import POINT, Conventions, ReadOptions
from bulk_update.errors import InputError, UsageError, escape
from bulk_update.models import BACKUP_COLUMN, BASE_COLUMN, HISTORY_COLUMN, OUTCOME_COLUMNS
from bulk_update.sheet.action_cells import ActionCells
from bulk_update.sheet.action_table import ACTION_COLUMNS, ACTIONS, action_of
from bulk_update.sheet.schema import AttributeType, Schema, converter_for
from bulk_update.sheet.values import did_you_mean, to_boolean

log = logging.getLogger(__name__)

# Columns the tool writes for itself, never changes to send.
MARKER_COLUMNS = (BASE_COLUMN, BACKUP_COLUMN, HISTORY_COLUMN)
# The headers that key a sheet by a contact, in any case ("Contact email"), and what each is
# (``sheet/keys.py``). Beside an id column, which then decides, they are information.
KEY_HEADERS: dict[str, Literal["email", "external_id", "contact_id"]] = {
    "contact_email": "email",
    "email": "email",
    "contact_external_id": "external_id",
    "external_id": "external_id",
    "contact_id": "contact_id",
}
# What an export writes beside id to say whose a conversation is: information, never sent.
KEY_INFO_COLUMNS = ("contact_id", "contact_external_id", "contact_email")

ID_COLUMNS = ("id", "conversation_id")
# Fields of the PUT body itself (``company_id`` since API 2.14); the rest are attributes.
TOP_LEVEL_FIELDS = ("read", "title", "company_id")


@dataclass(frozen=True, slots=True)
class FieldPlan:
    """One input column that becomes one key of the request body."""

    index: int
    column: str
    key: str
    custom: bool
    convert: Callable[[str], Any]
    clearable: bool = True
    kind: AttributeType = AttributeType.STRING


@dataclass(frozen=True, slots=True)
class ActionPlan:
    """One input column that is an action (``state``, ``note``, ...)."""

    index: int
    column: str
    action: str


@dataclass(frozen=True)
class ColumnPlan:
    """Which column holds the id, and what every other used column becomes."""

    id_index: int
    fields: tuple[FieldPlan, ...]
    clear_marker: str
    # What to call a setting in a row's message (the CLI's flags; by default its name).
    names: Mapping[str, str] = field(default_factory=dict)
    # (header, what it was taken for) where the two differ: 'Issue type' → issue_type.
    mapped: tuple[tuple[str, str], ...] = ()
    actions: tuple[ActionPlan, ...] = ()
    action_cells: ActionCells | None = None
    # The column of an export's base (each row's cells as exported), if the sheet has one.
    base_index: int | None = None

    @property
    def change_columns(self) -> dict[int, tuple[str, str]]:
        """Where each column of changes is: its header, and what it was read as."""
        found = {planned.index: (planned.column, planned.key) for planned in self.fields}
        found.update({planned.index: (planned.column, planned.action) for planned in self.actions})
        return found


def plan_columns(
    path: Path,
    columns: Sequence[str],
    schema: Schema,
    *,
    read: ReadOptions | None = None,
    conventions: Conventions = POINT,
    names: Mapping[str, str] | None = None,
    action_cells: ActionCells | None = None,
) -> ColumnPlan:
    """Map the header to request fields and actions, or raise one InputError listing every
    bad column. ``read`` says which columns to leave out and which to rename, and the clear
    marker; ``action_cells`` reads the action columns' cells (needed when there are any: see
    :func:`action_columns`).

    A header may name an attribute in another case, with spaces for underscores, or by its
    label (``Issue type`` for ``issue_type``); a rename (header → name) says it outright.
    """
    read = read or ReadOptions()
    renames = dict(read.renames)
    _check_named_columns(columns, read.ignore_columns, renames)
    _check_no_repeated_header(path, columns)
    # A sheet with an id and a key column that reaches here is one where id decides (a file
    # the tool exported, or --key id): its key columns are information.
    wanted = {
        index: renames.get(name, name)
        for index, name in enumerate(columns)
        if name not in read.ignore_columns
        and name not in (*OUTCOME_COLUMNS, *MARKER_COLUMNS)
        and folded_header(name) not in KEY_HEADERS
    }
    id_index = _id_index(path, columns, wanted)
    planner = _Planner(schema, conventions)
    if columns[id_index] != ID_COLUMNS[0]:
        planner.mapped.append((columns[id_index], ID_COLUMNS[0]))
    for index, name in wanted.items():
        if index != id_index:
            planner.add(index, columns[index], name)
    if planner.actions:
        assert action_cells is not None, "a sheet with action columns needs action_cells"
    problems = planner.problems + _conflicting_actions(planner.actions)
    if problems:
        raise InputError(path, "; ".join(problems), names_settings=True)
    if not planner.fields and not planner.actions:
        raise InputError(path, "has an id column but no column of changes to make")
    if planner.unknown_type:
        log.warning(
            "attributes of a type this tool does not know are sent as text: %s",
            ", ".join(planner.unknown_type),
        )
    return ColumnPlan(
        id_index,
        tuple(planner.fields),
        read.clear_marker,
        names or {},
        tuple(planner.mapped),
        tuple(planner.actions),
        action_cells,
        columns.index(BASE_COLUMN) if BASE_COLUMN in columns else None,
    )


def _check_no_repeated_header(path: Path, columns: Sequence[str]) -> None:
    seen: dict[str, int] = {}
    for position, name in enumerate(columns):
        if name and name in seen:
            raise InputError(
                path,
                f"the header names column {name!r} twice (columns {seen[name] + 1} and "
                f"{position + 1}); rename or remove one",
            )
        seen[name] = position


def _id_index(path: Path, columns: Sequence[str], wanted: Mapping[int, str]) -> int:
    id_indexes = [index for index, name in wanted.items() if folded_header(name) in _ID_NAMES]
    if not id_indexes:
        raise InputError(path, "has no 'id' or 'conversation_id' column")
    if len(id_indexes) > 1:
        both = " and ".join(repr(columns[i]) for i in id_indexes)
        raise InputError(path, f"has {both}: two id columns; keep one")
    return id_indexes[0]


def _conflicting_actions(actions: Sequence[ActionPlan]) -> list[str]:
    named = frozenset(planned.action for planned in actions)
    problems = (action.header_problem(named) for action in ACTIONS)
    return [problem for problem in problems if problem is not None]


class _Planner:
    """What each column of the header becomes, collected with every problem found."""

    def __init__(self, schema: Schema, conventions: Conventions):
        self._schema = schema
        self._conventions = conventions
        self.fields: list[FieldPlan] = []
        self.actions: list[ActionPlan] = []
        self.problems: list[str] = []
        self.unknown_type: list[str] = []
        self.mapped: list[tuple[str, str]] = []
        self._targets: dict[str, str] = {}  # attribute → the column that names it

    def add(self, index: int, column: str, name: str) -> None:
        if not name:
            self.problems.append(f"column {index + 1} has no name in the header")
            return
        if folded_header(name) in ACTION_COLUMNS:
            self.actions.append(ActionPlan(index, column, folded_header(name)))
            if column != folded_header(name):
                self.mapped.append((column, folded_header(name)))
            return
        key = self._attribute(column, name)
        if key is None:
            return
        self._targets[key] = column
        if column != key:
            self.mapped.append((column, key))
        self._add_field(index, column, key)

    def _attribute(self, column: str, name: str) -> str | None:
        """The one attribute (or field) the column names, or None with the problem noted."""
        found = _attribute_named(name, self._schema)
        if len(found) > 1:
            self.problems.append(
                f"column {escape(repr(column))} could be any of "
                f"{escape(', '.join(repr(n) for n in sorted(found)))}; say which with "
                "{renames}"
            )
            return None
        if not found:
            self.problems.append(_unknown_column(column, name, self._schema))
            return None
        (key,) = found
        if key in self._targets:
            self.problems.append(
                f"columns {escape(repr(self._targets[key]))} and {escape(repr(column))} both "
                f"name {escape(repr(key))}; keep one"
            )
            return None
        return key

    def _add_field(self, index: int, column: str, key: str) -> None:
        if key == "read":
            self.fields.append(
                FieldPlan(index, column, key, False, to_boolean, False, AttributeType.BOOLEAN)
            )
            return
        if key in ("title", "company_id"):
            self.fields.append(FieldPlan(index, column, key, False, str))
            return
        attribute = self._schema.attributes[key]
        if attribute.archived:
            named = repr(key) if column == key else f"column {column!r} ({key!r})"
            self.problems.append(
                f"{escape(named)} is an archived conversation attribute: unarchive it in "
                "Intercom or drop the column (leave it out with {ignore_columns} "
                f"{escape(repr(column))})"
            )
            return
        if not attribute.writable:
            why = "a files attribute" if attribute.declared_type == "files" else "not api_writable"
            self.problems.append(
                f"column {escape(repr(column))} is an attribute the API cannot write ({why}); "
                "remove the column or leave it out with {ignore_columns}"
            )
            return
        if attribute.type is AttributeType.UNKNOWN:
            self.unknown_type.append(f"{key!r} ({attribute.declared_type or 'no type'})")
        convert = converter_for(attribute, self._conventions)
        self.fields.append(FieldPlan(index, column, key, True, convert, True, attribute.type))


def action_columns(
    columns: Sequence[str],
    ignore: frozenset[str] = frozenset(),
    renames: Mapping[str, str] | None = None,
) -> list[str]:
    """The actions the header's columns ask for (``state``, ``note``, ...), in its order."""
    renames = renames or {}
    return [
        folded_header(renames.get(name, name))
        for name in columns
        if name not in ignore and folded_header(renames.get(name, name)) in ACTION_COLUMNS
    ]


_ID_NAMES = frozenset(ID_COLUMNS)


def folded_header(name: str) -> str:
    """A header as compared with names: any case, spaces or underscores alike."""
    return re.sub(r"[\s_]+", "_", name.strip().casefold())


def _attribute_named(name: str, schema: Schema) -> set[str]:
    """What a header names: ``read``, ``title`` or attributes, exactly, or else by folded
    name or label (more than one is ambiguous)."""
    if name in TOP_LEVEL_FIELDS or name in schema.attributes:
        return {name}
    folded = folded_header(name)
    found = {field for field in TOP_LEVEL_FIELDS if field == folded}
    for attribute in schema.attributes.values():
        if folded_header(attribute.name) == folded or (
            attribute.label and folded_header(attribute.label) == folded
        ):
            found.add(attribute.name)
    return found


def _unknown_column(column: str, name: str, schema: Schema) -> str:
    writable = sorted(
        [n for n, a in schema.attributes.items() if a.writable] + list(TOP_LEVEL_FIELDS)
    )
    hint = escape(did_you_mean(name, writable))
    # ``priority`` with no such attribute: Intercom's own is the action conversation_priority.
    meant = [action for action in ACTION_COLUMNS if action.endswith(f"_{folded_header(name)}")]
    if meant:
        since = action_of(meant[0]).writes_since
        hint = (
            f"; for Intercom's own {escape(name)}, name the column {escape(repr(meant[0]))} "
            f"(written from Intercom-Version {since} on)"
        )
    return (
        f"column {escape(repr(column))} is not 'read', 'title', 'company_id', an action "
        f"column or a conversation attribute of this workspace{hint} (name it with "
        f"{{renames}}, or leave it out with {{ignore_columns}} {escape(repr(column))})"
    )


def _check_named_columns(
    columns: Sequence[str], ignore: frozenset[str], renames: Mapping[str, str]
) -> None:
    """Columns the settings name must be columns of the file: a typo is an error, not a
    silent no-op."""
    for setting, named in (("ignore_columns", ignore), ("renames", renames)):
        missing = sorted(name for name in named if name not in columns)
        if missing:
            raise UsageError.naming_settings(
                f"{{{setting}}} names {escape(', '.join(repr(n) for n in missing))}, not a "
                f"column of the file (its columns: {escape(', '.join(columns))})"
            )
