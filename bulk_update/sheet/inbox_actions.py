"""Entries of the table of actions (``sheet.action_table``) for where a conversation stands
in the inbox: its state, its assignees, and Intercom's own priority."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bulk_update.config.versions import PREVIEW
from bulk_update.sheet.action_cells import ActionCells
from bulk_update.sheet.action_types import FLAGS_SINCE, Action, Planning, Told, changed
from bulk_update.sheet.conversations import (
    Conversation,
    assignee_of,
    snoozed_until,
    state_of,
)
from bulk_update.sheet.directory import UNASSIGNED, UNASSIGNED_WORDS, Directory
from bulk_update.sheet.steps import Step, encoded
from bulk_update.sheet.values import ValueProblem, iso_8601

# --- state ----------------------------------------------------------------------------------

_STATE_WORDS = {"open": "open", "opened": "open", "reopen": "open"} | {
    "close": "closed",
    "closed": "closed",
    "snooze": "snoozed",
    "snoozed": "snoozed",
}


def _read_state(cells: ActionCells, column: str, text: str) -> Any:
    if text == cells.clear_marker:
        raise ValueProblem(f"{column!r} cannot be cleared with {cells.clear_marker!r}")
    if column == "snoozed_until":
        return cells.future(text)
    state = _STATE_WORDS.get(text.strip().casefold())
    if state is None:
        raise ValueProblem(f"{text!r} is not a state: use open, closed or snoozed")
    return state


def _combine_state(values: Mapping[str, Any]) -> dict[str, Any]:
    state, until = values.get("state"), values.get("snoozed_until")
    if until is not None and state in ("open", "closed"):
        raise ValueProblem(
            f"'snoozed_until' goes with the state snoozed, not {state}; empty one of them"
        )
    if state == "snoozed" and until is None:
        raise ValueProblem("the state snoozed needs a time in 'snoozed_until'")
    return {"state": "snoozed" if until is not None else state, "snoozed_until": until}


def _plan_state(planning: Planning) -> list[Step]:
    """Always one step, last: an empty cell keeps the state the conversation had (a closed
    one that only gets a new assignee is closed again after the assignment reopened it)."""
    state, until = planning.target
    admin = planning.context.admin_id
    body: dict[str, Any]
    if state == "closed":
        name, body = "close", {"message_type": "close", "type": "admin", "admin_id": admin}
    elif state == "open":
        name, body = "open", {"message_type": "open", "admin_id": admin}
    else:
        assert until is not None
        name = f"snooze until {iso_8601(until)}"
        body = {"message_type": "snoozed", "admin_id": admin, "snoozed_until": until}

    def in_place(conversation: Conversation) -> bool:
        if state_of(conversation) != state:
            return False
        return state != "snoozed" or conversation.get("snoozed_until") == until

    def apply(conversation: Conversation) -> None:
        conversation.update(state=state, open=state != "closed", snoozed_until=until)

    implied = planning.actions.get("state") is None
    path = f"{planning.base}/parts"
    return [Step(name, "POST", path, encoded(body), in_place, apply, False, implied)]


def _state_shown(conversation: Conversation) -> str:
    until = snoozed_until(conversation)
    return f"snoozed until {iso_8601(until)}" if until is not None else state_of(conversation)


def _live_state(conversation: Conversation) -> dict[str, Any]:
    until = snoozed_until(conversation)
    return {"state": state_of(conversation)} | ({} if until is None else {"snoozed_until": until})


def _exported_state(conversation: Conversation, _directory: Directory | None) -> dict[str, Any]:
    until = snoozed_until(conversation)
    return {"state": state_of(conversation), "snoozed_until": until and iso_8601(until)}


STATE = Action(
    "state",
    ("state", "snoozed_until"),
    _read_state,
    _plan_state,
    lambda before, after, _told: changed("state", _state_shown(before), _state_shown(after)),
    {"close": "closed", "open": "opened", "snooze": "snoozed"},
    {"state": "closed"},
    combine=_combine_state,
    kept=("state", "snoozed_until"),
    dates=("snoozed_until",),
    kept_together=True,
    moved_by_others=True,
    live=_live_state,
    exported=_exported_state,
    rank=9,
)


# --- assignees ------------------------------------------------------------------------------

_KINDS = ("admin", "team")


def _read_assignee(cells: ActionCells, column: str, text: str) -> str:
    if text == cells.clear_marker or text.strip().casefold() in UNASSIGNED_WORDS:
        return UNASSIGNED
    directory = cells.directory
    return (directory.admin(text) if column == "admin_assignee" else directory.team(text)).id


def _plan_assignees(planning: Planning) -> list[Step]:
    """Teammate, then team. Assigning a closed conversation reopens it (documented): on
    Preview, one that is to stay closed is assigned with ``skip_reopen`` (no close after)."""
    stays_closed = state_of(planning.conversation) == planning.target[0] == "closed"
    quiet_reopen = stays_closed and planning.has(FLAGS_SINCE["skip_reopen"])
    steps = []
    for kind in _KINDS:
        wanted = planning.actions.get(f"{kind}_assignee")
        if wanted is not None:
            steps.append(_assign_step(planning, kind, wanted, skip_reopen=quiet_reopen))
    return steps


def _assign_step(planning: Planning, kind: str, wanted: str, *, skip_reopen: bool) -> Step:
    context = planning.context
    body = {
        "message_type": "assignment",
        "type": kind,
        "admin_id": context.admin_id,
        "assignee_id": wanted,
    } | ({"skip_reopen": True} if skip_reopen else {})

    def apply(conversation: Conversation) -> None:
        conversation[f"{kind}_assignee_id"] = None if wanted == UNASSIGNED else wanted
        if state_of(conversation) == "closed" and not skip_reopen:
            conversation.update(state="open", open=True)

    name = f"assign {kind} {context.directory.assignee_shown(kind, wanted)}"
    return Step(
        f"unassign {kind}" if wanted == UNASSIGNED else name,
        "POST",
        f"{planning.base}/parts",
        encoded(body),
        lambda conversation: assignee_of(conversation, kind) == wanted,
        apply,
        idempotent=False,
        spares=skip_reopen,
    )


def _describe_assignees(before: Conversation, after: Conversation, told: Told) -> list[str]:
    shown = told.directory.assignee_shown
    return [
        line
        for kind in _KINDS
        for line in changed(
            f"{kind}_assignee",
            shown(kind, assignee_of(before, kind)),
            shown(kind, assignee_of(after, kind)),
        )
    ]


def _live_assignees(conversation: Conversation) -> dict[str, Any]:
    values = {kind: assignee_of(conversation, kind) for kind in _KINDS}
    return {
        f"{kind}_assignee": "unassigned" if value == UNASSIGNED else value
        for kind, value in values.items()
    }


def _exported_assignees(conversation: Conversation, directory: Directory | None) -> dict[str, Any]:
    cells = {}
    for kind in _KINDS:
        assignee = assignee_of(conversation, kind)
        if assignee == UNASSIGNED or directory is None:
            cells[f"{kind}_assignee"] = "" if assignee == UNASSIGNED else assignee
        else:
            cells[f"{kind}_assignee"] = directory.assignee_shown(kind, assignee)
    return cells


ASSIGNEES = Action(
    "assignees",
    ("admin_assignee", "team_assignee"),
    _read_assignee,
    _plan_assignees,
    _describe_assignees,
    {"assign": "assigned", "unassign": "assigned"},
    {"admin_assignee": "ada@example.com"},
    kept=("admin_assignee", "team_assignee"),
    live=_live_assignees,
    exported=_exported_assignees,
    shows_names=True,
    rank=3,
)


# --- Intercom's own priority ----------------------------------------------------------------

PRIORITIES = ("none", "low", "medium", "high", "urgent")


def _read_priority(cells: ActionCells, column: str, text: str) -> str:
    if text == cells.clear_marker:
        return "none"
    word = text.strip().casefold()
    if word not in PRIORITIES:
        raise ValueProblem(f"{text!r} is not a priority: use none, low, medium, high or urgent")
    return word


def _plan_priority(planning: Planning) -> list[Step]:
    """``PUT`` with ``priority``, and the teammate credited with it as ``admin_id``."""
    wanted = planning.actions.get("conversation_priority")
    if wanted is None:
        return []
    body = {"priority": wanted, "admin_id": planning.context.admin_id}
    return [
        Step(
            f"priority {wanted}",
            "PUT",
            planning.base,
            encoded(body),
            lambda conversation: conversation.get("priority") == wanted,
            lambda conversation: conversation.update(priority=wanted),
        )
    ]


def _priority_of(conversation: Conversation) -> dict[str, Any]:
    """Read from 2.16 (before, answers say ``priority`` or ``not_priority``: nothing to keep)."""
    priority = conversation.get("priority")
    return {"conversation_priority": priority} if priority in PRIORITIES else {}


def _describe_priority(before: Conversation, after: Conversation, _told: Told) -> list[str]:
    old = _priority_of(before).get("conversation_priority", "unknown")
    new = _priority_of(after).get("conversation_priority", old)
    return changed("conversation_priority", old, new)


PRIORITY = Action(
    "priority",
    ("conversation_priority",),
    _read_priority,
    _plan_priority,
    _describe_priority,
    {"priority": "prioritized"},
    {"conversation_priority": "High"},
    kept=("conversation_priority",),
    live=_priority_of,
    exported=lambda conversation, _directory: _priority_of(conversation),
    reads_since="2.16",
    writes_since=PREVIEW,
    rank=4,
)
