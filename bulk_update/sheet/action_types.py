"""The shape of an entry of the table of actions (``sheet.action_table``): what an action
says of itself, and what its functions are given."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bulk_update.config.versions import PREVIEW, has_since
from bulk_update.models import RowActions
from bulk_update.sheet.action_cells import ActionCells
from bulk_update.sheet.conversations import Conversation
from bulk_update.sheet.directory import Directory
from bulk_update.sheet.notes import NoteCheck
from bulk_update.sheet.steps import Seen, Step, StepContext

# The flags a request may carry, and the version that brought each (what the sandbox checks).
FLAGS_SINCE = {"skip_notifications": "2.15", "skip_unsnooze": PREVIEW, "skip_reopen": PREVIEW}


@dataclass(frozen=True)
class Planning:
    """What a row's steps are planned from: its actions and the conversation as read."""

    conversation_id: str
    actions: RowActions
    conversation: Conversation
    seen: Seen
    context: StepContext
    note_check: NoteCheck = None

    @property
    def base(self) -> str:
        return f"/conversations/{self.conversation_id}"

    @property
    def target(self) -> tuple[str, int | None]:
        """The state the row ends in: its own, else the one the conversation had when this
        run first read it (a snoozed one without a known time cannot be put back: open)."""
        state = self.actions.get("state")
        target = state or self.seen.state
        until = self.actions.get("snoozed_until") if state else self.seen.snoozed_until
        return ("open", None) if target == "snoozed" and until is None else (target, until)

    def has(self, since: str) -> bool:
        return has_since(self.context.version, since)


@dataclass(frozen=True)
class Told:
    """How changes are told: the names to show, and whether they are still to happen."""

    directory: Directory
    ahead: bool = False  # a dry run's "will be added"


def _none(_conversation: Conversation) -> dict[str, Any]:
    return {}


def _as_read(values: Mapping[str, Any]) -> dict[str, Any]:
    return dict(values)


@dataclass(frozen=True)
class Action:
    """One action, all of it (see the module)."""

    name: str
    columns: tuple[str, ...]
    read: Callable[[ActionCells, str, str], Any]
    plan: Callable[[Planning], list[Step]]
    describe: Callable[[Conversation, Conversation, Told], list[str]]
    step_kinds: Mapping[str, str]  # a step name's first word → what the page counts
    example: Mapping[str, str]  # cells a test reads, runs and undoes
    combine: Callable[[Mapping[str, Any]], dict[str, Any]] = _as_read
    kept: tuple[str, ...] = ()  # the conversation's own fields it changes
    dates: tuple[str, ...] = ()  # those of them that hold a time (unix seconds; ISO in cells)
    # An export asked for one of its kept columns writes them all (a snoozed state's row is
    # only valid input with its time).
    kept_together: bool = False
    # Other actions' steps change its part too (an assignment reopens, a note wakes): a
    # backup keeps it with any action, not only when the sheet names it.
    moved_by_others: bool = False
    # What only the sheet's header shows is wrong (its action columns, by canonical name).
    header_problem: Callable[[frozenset[str]], str | None] = lambda _named: None
    live: Callable[[Conversation], dict[str, Any]] = _none
    exported: Callable[[Conversation, Directory | None], dict[str, Any]] = field(
        default=lambda conversation, directory: {}
    )
    shows_names: bool = False  # its export names teammates or teams (looked up first)
    reads_since: str = "2.7"
    writes_since: str = "2.7"
    rank: int = 0  # when its steps go in a row's order, lowest first


def changed(column: str, old: str, new: str) -> list[str]:
    return [] if old == new else [f"{column}: {old} → {new}"]
