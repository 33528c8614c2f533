"""The requests that take one conversation from how it is to how its row says it should end.

A row states an end state; Intercom needs requests in an order that gets there. The order,
fixed: **attributes** (the ``PUT``), **tags** (attach, then detach), **the note**,
**assignments** (teammate, then team), **the state last** — because assigning a closed
conversation reopens it (documented), so closing first would be undone by the assignment.
An empty ``state`` cell keeps the state the conversation had when this run first read it:
a closed conversation that only gets a new assignee is closed again after the assignment.

Each step knows how to tell, from the conversation as read, that it is already in place;
such a step sends nothing. Pure: no I/O (``act`` sends the steps).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bulk_update.models import RowActions, wire_json
from bulk_update.send.notes import NoteCheck, has_note
from bulk_update.sheet.action_cells import UNASSIGNED, Directory, Named
from bulk_update.sheet.values import iso_8601

Conversation = dict[str, Any]
# A tag removed, as people write it (and never the start of a spreadsheet formula).
MINUS = "\u2212"


@dataclass(frozen=True)
class Seen:
    """What the first read of a conversation showed of its state, and who was to act on it:
    kept with the journal's intent, so that a resumed run keeps the state the conversation
    had before this run, and looks for a note by the teammate who may have sent it."""

    state: str
    snoozed_until: int | None = None
    by: str = ""  # the teammate's id

    @classmethod
    def of(cls, conversation: Conversation, by: str = "") -> Seen:
        state = state_of(conversation)
        until = conversation.get("snoozed_until") if state == "snoozed" else None
        return cls(state, until if isinstance(until, int) else None, by)

    def encode(self) -> str:
        return json.dumps({"state": self.state, "snoozed_until": self.snoozed_until, "by": self.by})

    @classmethod
    def decode(cls, text: str) -> Seen:
        values = json.loads(text)
        return cls(str(values["state"]), values.get("snoozed_until"), str(values.get("by", "")))


@dataclass(eq=False)
class Step:
    """One request toward the row's end state.

    ``in_place`` says whether the conversation already is as the step would leave it
    (then nothing is sent); ``landed`` whether an answer that never came (a timeout, a 5xx)
    took effect all the same; ``apply`` changes a :func:`working_copy` of the conversation
    as the step would (a dry run's forecast, and what an answer that is not the conversation
    implies).
    """

    name: str
    method: str
    path: str
    payload: bytes
    in_place: Callable[[Conversation], bool]
    apply: Callable[[Conversation], None]
    idempotent: bool = True
    # Not asked by the row: the state put back after an assignment reopened the conversation.
    implied: bool = False
    landed: Callable[[Conversation], bool] | None = None
    # A note's text: what the history records before it is sent.
    note: str | None = None

    @property
    def answered_with_the_conversation(self) -> bool:
        """The attributes' ``PUT``, a note and a parts action answer with the conversation; a
        tag attached or detached answers with the tag."""
        return self.method == "PUT" or self.path.endswith(("/parts", "/reply"))

    def has_landed(self, conversation: Conversation) -> bool:
        return (self.landed or self.in_place)(conversation)


def encoded(body: dict[str, Any]) -> bytes:
    return wire_json(body)


@dataclass(frozen=True)
class StepContext:
    """What the steps of a run share: who acts, and the names to look up."""

    admin_id: str
    directory: Directory
    # Notes carry skip_notifications: nobody is notified of them (Intercom-Version 2.15+).
    quiet: bool = False


def state_of(conversation: Conversation) -> str:
    state = conversation.get("state")
    if state in ("open", "closed", "snoozed"):
        return str(state)
    return "open" if conversation.get("open", True) else "closed"


def assignee_of(conversation: Conversation, kind: str) -> str:
    """The conversation's assignee id (``"0"`` for none)."""
    value = conversation.get(f"{kind}_assignee_id")
    return UNASSIGNED if value in (None, "", 0, "0") else str(value)


def _listed(conversation: Conversation, key: str) -> list[Any]:
    """``{"type": "tag.list", "tags": [...]}`` as documented, or a bare list."""
    value = conversation.get(key) or []
    if isinstance(value, dict):
        value = value.get(key) or []
    return value if isinstance(value, list) else []


def carried_tags(conversation: Conversation) -> list[Named]:
    tags = _listed(conversation, "tags")
    return [
        Named(str(tag.get("id")), str(tag.get("name") or ""))
        for tag in tags
        if isinstance(tag, dict)
    ]


def tags_value(conversation: Conversation) -> str | list[str] | None:
    """The conversation's tags as a sheet cell holds them: names joined by ``;``, a list (a
    JSON array) when a name holds a separator, None when it has none."""
    names = [tag.name for tag in carried_tags(conversation)]
    if not names:
        return None
    if any(separator in name for name in names for separator in ",;"):
        return names
    return ";".join(names)


def carries(conversation: Conversation, tag: Named) -> bool:
    folded = tag.name.casefold()
    return any(t.id == tag.id or t.name.casefold() == folded for t in carried_tags(conversation))


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
    base = f"/conversations/{conversation_id}"
    admin = context.admin_id
    steps: list[Step] = []
    steps += _tag_steps(base, actions, conversation, context)
    if actions.note is not None:
        # Resumed under another teammate, the note to look for is still the first one's.
        author = seen.by or admin
        steps.append(_note_step(base, context, author, actions.note, note_check))
    for kind, wanted in (("admin", actions.admin_assignee), ("team", actions.team_assignee)):
        if wanted is not None:
            steps.append(_assign_step(base, admin, kind, wanted, context.directory))
    target = actions.state or seen.state
    until = actions.snoozed_until if actions.state else seen.snoozed_until
    if target == "snoozed" and until is None:
        target = "open"  # snoozed without a known time cannot be put back: leave it
    steps.append(_state_step(base, admin, target, until, implied=actions.state is None))
    return steps


def _tag_steps(
    base: str, actions: RowActions, conversation: Conversation, context: StepContext
) -> list[Step]:
    directory = context.directory
    wanted = [_tag(directory, name) for name in actions.add_tags]
    unwanted = [_tag(directory, name) for name in actions.remove_tags]
    if actions.tags is not None:
        exact = [_tag(directory, name) for name in actions.tags]
        folded = {tag.name.casefold() for tag in exact}
        wanted = exact
        unwanted = [t for t in carried_tags(conversation) if t.name.casefold() not in folded]
    steps = [_attach_step(base, context.admin_id, tag) for tag in wanted]
    steps += [_detach_step(base, context.admin_id, tag) for tag in unwanted]
    return steps


def _tag(directory: Directory, name: str) -> Named:
    """The tag a name stands for; one still to be created (a dry run) has no id yet."""
    return directory.tag(name) or Named("", name)


def _attach_step(base: str, admin: str, tag: Named) -> Step:
    def apply(conversation: Conversation) -> None:
        conversation["tags"]["tags"].append({"type": "tag", "id": tag.id, "name": tag.name})

    return Step(
        f"tag +{tag.name}",
        "POST",
        f"{base}/tags",
        encoded({"id": tag.id, "admin_id": admin}),
        lambda conversation: carries(conversation, tag),
        apply,
    )


def _detach_step(base: str, admin: str, tag: Named) -> Step:
    def apply(conversation: Conversation) -> None:
        tags = conversation["tags"]["tags"]
        tags[:] = [t for t in tags if not (isinstance(t, dict) and str(t.get("id")) == tag.id)]

    return Step(
        f"tag {MINUS}{tag.name}",
        "DELETE",
        f"{base}/tags/{tag.id}",
        encoded({"admin_id": admin}),
        lambda conversation: not carries(conversation, tag),
        apply,
    )


def _note_step(base: str, context: StepContext, author: str, text: str, check: NoteCheck) -> Step:
    admin = context.admin_id
    body: dict[str, Any] = {"message_type": "note", "type": "admin", "admin_id": admin}
    body["body"] = text
    if context.quiet:
        body["skip_notifications"] = True

    def apply(conversation: Conversation) -> None:
        conversation["conversation_parts"]["conversation_parts"].append(
            {"part_type": "note", "body": text, "author": {"type": "admin", "id": admin}}
        )

    def landed(conversation: Conversation) -> bool:
        return has_note(conversation, author, text)

    def in_place(conversation: Conversation) -> bool:
        if check is None:
            return False  # read through search, or not asked to look: no parts to look in
        return has_note(conversation, author if check == "ours" else None, text)

    return Step(
        "note",
        "POST",
        f"{base}/reply",
        encoded(body),
        in_place,
        apply,
        idempotent=False,
        landed=landed,
        note=text,
    )


def _assign_step(base: str, admin: str, kind: str, wanted: str, directory: Directory) -> Step:
    def apply(conversation: Conversation) -> None:
        conversation[f"{kind}_assignee_id"] = None if wanted == UNASSIGNED else wanted
        if state_of(conversation) == "closed":  # documented: assigning reopens
            conversation.update(state="open", open=True)

    name = f"assign {kind} {directory.assignee_shown(kind, wanted)}"
    return Step(
        f"unassign {kind}" if wanted == UNASSIGNED else name,
        "POST",
        f"{base}/parts",
        encoded(
            {"message_type": "assignment", "type": kind, "admin_id": admin, "assignee_id": wanted}
        ),
        lambda conversation: assignee_of(conversation, kind) == wanted,
        apply,
        idempotent=False,
    )


def _state_step(base: str, admin: str, state: str, until: int | None, *, implied: bool) -> Step:
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
        conversation.update(
            state=state, open=state != "closed", snoozed_until=until if until else None
        )

    return Step(name, "POST", f"{base}/parts", encoded(body), in_place, apply, False, implied)


def working_copy(conversation: Conversation) -> Conversation:
    """What steps change, copied so that applying them leaves ``conversation`` as it was: its
    top-level fields, and its tags and parts as documented lists. The rest (a conversation
    read with ``GET`` may hold hundreds of parts) is shared, not copied per row."""
    copied = dict(conversation)
    copied["tags"] = {"type": "tag.list", "tags": list(_listed(conversation, "tags"))}
    parts = list(_listed(conversation, "conversation_parts"))
    copied["conversation_parts"] = {"type": "conversation_part.list", "conversation_parts": parts}
    return copied


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
    before: Conversation, after: Conversation, directory: Directory, *, note: str | None
) -> list[str]:
    """What the steps change, as a person reads it: ``state: open → closed``,
    ``tags: +migrated MINUSlegacy`` (MINUS the sign U+2212),
    ``admin_assignee: unassigned → ada@example.com``, and ``note: NOTE`` (``will be added`` or
    ``added``) when a note is among them."""
    shown: list[str] = []
    old_state, new_state = _state_shown(before), _state_shown(after)
    if old_state != new_state:
        shown.append(f"state: {old_state} → {new_state}")
    old_tags = {tag.name.casefold(): tag.name for tag in carried_tags(before)}
    new_tags = {tag.name.casefold(): tag.name for tag in carried_tags(after)}
    moved = [f"+{name}" for key, name in new_tags.items() if key not in old_tags]
    moved += [f"{MINUS}{name}" for key, name in old_tags.items() if key not in new_tags]
    if moved:
        shown.append("tags: " + " ".join(moved))
    for kind in ("admin", "team"):
        old, new = assignee_of(before, kind), assignee_of(after, kind)
        if old != new:
            shown.append(
                f"{kind}_assignee: {directory.assignee_shown(kind, old)} → "
                f"{directory.assignee_shown(kind, new)}"
            )
    if note:
        shown.append(f"note: {note}")
    return shown


def _state_shown(conversation: Conversation) -> str:
    state = state_of(conversation)
    until = conversation.get("snoozed_until")
    if state == "snoozed" and isinstance(until, int):
        return f"snoozed until {iso_8601(until)}"
    return state


def action_values(conversation: Conversation) -> dict[str, Any]:
    """The conversation's state, assignees and tags as backup cells read them back."""
    state = state_of(conversation)
    values: dict[str, Any] = {"state": state}
    until = conversation.get("snoozed_until")
    if state == "snoozed" and isinstance(until, int):
        values["snoozed_until"] = until
    for kind in ("admin", "team"):
        assignee = assignee_of(conversation, kind)
        values[f"{kind}_assignee"] = "unassigned" if assignee == "0" else assignee
    values["tags"] = tags_value(conversation)  # none: the clear marker, the empty set
    return values
