"""The requests that take one conversation from how it is to how its row says it should end,
planned from the table of actions (``sheet.action_table``): each action's steps, in the
table's step order (tags, a note, assignments, priority, the state last).

Each step knows how to tell, from the conversation as read, that it is already in place;
such a step sends nothing. Pure: no I/O (``action_row`` sends the steps).
"""

from __future__ import annotations

from typing import Any

from bulk_update.models import RowActions
from bulk_update.sheet.action_table import ACTIONS, IN_STEP_ORDER
from bulk_update.sheet.action_types import Planning, Told
from bulk_update.sheet.conversations import Conversation, working_copy
from bulk_update.sheet.directory import Directory
from bulk_update.sheet.notes import NoteCheck
from bulk_update.sheet.steps import Seen, Step, StepContext


def plan_steps(
    conversation_id: str,
    actions: RowActions,
    conversation: Conversation,
    seen: Seen,
    context: StepContext,
    note_check: NoteCheck = None,
) -> list[Step]:
    """The steps of ``actions`` in their fixed order, for the conversation as read.
    ``note_check``: the conversation was read exactly because its note may be there already
    (the history shows it may have been sent, in this command or an earlier one: "ours", a
    note by the teammate who sent it; or the run skips what is in place: "anyone's")."""
    planning = Planning(conversation_id, actions, conversation, seen, context, note_check)
    steps = []
    for action in IN_STEP_ORDER:
        for step in action.plan(planning):
            step.kind = action.step_kinds[step.name.split(" ")[0]]
            steps.append(step)
    return steps


def forecast(steps: list[Step], conversation: Conversation) -> tuple[list[Step], Conversation]:
    """The steps that would send a request, and the conversation as they would leave it
    (a copy taken through them in order)."""
    simulated = working_copy(conversation)
    needed = []
    for step in steps:
        if not step.in_place(simulated):
            needed.append(step)
            step.apply(simulated)
    return needed, simulated


def described(
    before: Conversation, after: Conversation, directory: Directory, *, ahead: bool
) -> list[str]:
    """What the steps change, as a person reads it, action by action: ``state: open →
    closed``, ``tags: +migrated``, ``admin_assignee: unassigned → ada@example.com``,
    ``note: added`` (``will be added`` when ``ahead``)."""
    told = Told(directory, ahead)
    return [line for action in ACTIONS for line in action.describe(before, after, told)]


def action_values(conversation: Conversation) -> dict[str, Any]:
    """The conversation's own state (state, assignees, tags, priority where the version
    reads it), as backup cells read it back."""
    values: dict[str, Any] = {}
    for action in ACTIONS:
        values.update(action.live(conversation))
    return values
