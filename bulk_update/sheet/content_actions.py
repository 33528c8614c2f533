"""Entries of the table of actions (``sheet.action_table``) for what a conversation carries:
its tags, and a note."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bulk_update.sheet.action_cells import ActionCells
from bulk_update.sheet.action_types import FLAGS_SINCE, Action, Planning, Told
from bulk_update.sheet.conversations import (
    Conversation,
    carried_tags,
    carries,
    snoozed_until,
    state_of,
    tags_value,
)
from bulk_update.sheet.directory import Directory, Named
from bulk_update.sheet.notes import has_note
from bulk_update.sheet.steps import Step, encoded
from bulk_update.sheet.values import ValueProblem

# A tag removed, as people write it (and never the start of a spreadsheet formula).
MINUS = "\u2212"


# --- tags -----------------------------------------------------------------------------------


def _read_tags(cells: ActionCells, column: str, text: str) -> tuple[str, ...]:
    if text == cells.clear_marker:
        if column != "tags":
            raise ValueProblem(f"{column!r} cannot be cleared with {cells.clear_marker!r}")
        return ()  # the exact set: none
    # A tag to remove must exist: a misspelt one would otherwise pass as in place.
    return cells.tag_names(text, may_create=column != "remove_tags")


def _combine_tags(values: Mapping[str, Any]) -> dict[str, Any]:
    added, removed = values.get("add_tags", ()), values.get("remove_tags", ())
    both = {name.casefold() for name in added} & {name.casefold() for name in removed}
    if both:
        raise ValueProblem(f"the tag {sorted(both)[0]!r} is both in 'add_tags' and 'remove_tags'")
    return {"add_tags": added or None, "remove_tags": removed or None, "tags": values.get("tags")}


def _plan_tags(planning: Planning) -> list[Step]:
    """Attach, then detach. ``tags`` is the exact set: what it lacks is detached."""
    directory, actions = planning.context.directory, planning.actions
    wanted = [_tag(directory, name) for name in actions.get("add_tags", ())]
    unwanted = [_tag(directory, name) for name in actions.get("remove_tags", ())]
    exact = actions.get("tags")
    if exact is not None:
        wanted = [_tag(directory, name) for name in exact]
        folded = {tag.name.casefold() for tag in wanted}
        carried = carried_tags(planning.conversation)
        unwanted = [tag for tag in carried if tag.name.casefold() not in folded]
    admin, base = planning.context.admin_id, planning.base
    return [_attach_step(base, admin, tag) for tag in wanted] + [
        _detach_step(base, admin, tag) for tag in unwanted
    ]


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


def _describe_tags(before: Conversation, after: Conversation, _told: Told) -> list[str]:
    """``tags: +migrated MINUSlegacy`` (MINUS the sign U+2212)."""
    old = {tag.name.casefold(): tag.name for tag in carried_tags(before)}
    new = {tag.name.casefold(): tag.name for tag in carried_tags(after)}
    moved = [f"+{name}" for key, name in new.items() if key not in old]
    moved += [f"{MINUS}{name}" for key, name in old.items() if key not in new]
    return ["tags: " + " ".join(moved)] if moved else []


def _tags_header_problem(named: frozenset[str]) -> str | None:
    if "tags" in named and named & {"add_tags", "remove_tags"}:
        return (
            "'tags' (the exact set to end with) cannot go with 'add_tags' or 'remove_tags' in "
            "one file; keep 'tags', or the other two"
        )
    return None


TAGS = Action(
    "tags",
    ("add_tags", "remove_tags", "tags"),
    _read_tags,
    _plan_tags,
    _describe_tags,
    {"tag": "tagged"},
    {"add_tags": "VIP"},
    combine=_combine_tags,
    kept=("tags",),
    header_problem=_tags_header_problem,
    live=lambda conversation: {"tags": tags_value(conversation)},
    exported=lambda conversation, _directory: {"tags": tags_value(conversation)},
    rank=1,
)


# --- a note ---------------------------------------------------------------------------------


def _read_note(cells: ActionCells, column: str, text: str) -> str:
    if text == cells.clear_marker:
        raise ValueProblem(f"{column!r} cannot be cleared with {cells.clear_marker!r}")
    if not text.strip():
        raise ValueProblem("the note is only spaces")
    return text


def _plan_note(planning: Planning) -> list[Step]:
    """A note is not idempotent: ``landed`` looks for it by the teammate who sent it (resumed
    under another teammate, still the first one's). It wakes a snoozed conversation: on
    Preview, one that is to stay snoozed is noted with ``skip_unsnooze`` (no snooze after)."""
    text = planning.actions.get("note")
    if text is None:
        return []
    context, check = planning.context, planning.note_check
    admin, author = context.admin_id, planning.seen.by or context.admin_id
    body: dict[str, Any] = {"message_type": "note", "type": "admin", "admin_id": admin}
    body["body"] = text
    if context.quiet:
        body["skip_notifications"] = True
    stays_snoozed = state_of(planning.conversation) == planning.target[0] == "snoozed"
    stays_asleep = stays_snoozed and planning.has(FLAGS_SINCE["skip_unsnooze"])
    if stays_asleep:
        body["skip_unsnooze"] = True

    def apply(conversation: Conversation) -> None:
        conversation["conversation_parts"]["conversation_parts"].append(
            {"part_type": "note", "body": text, "author": {"type": "admin", "id": admin}}
        )
        if state_of(conversation) == "snoozed" and not stays_asleep:
            conversation.update(state="open", open=True, snoozed_until=None)

    def in_place(conversation: Conversation) -> bool:
        if check is None:
            return False  # read through search, or not asked to look: no parts to look in
        return has_note(conversation, author if check == "ours" else None, text)

    return [
        Step(
            "note",
            "POST",
            f"{planning.base}/reply",
            encoded(body),
            in_place,
            apply,
            idempotent=False,
            landed=lambda conversation: has_note(conversation, author, text),
            note=text,
            # The snooze after it is spared when it would only have put the same time back.
            spares=stays_asleep and snoozed_until(planning.conversation) == planning.target[1],
        )
    ]


def _notes_in(conversation: Conversation) -> int:
    parts = conversation.get("conversation_parts")
    listed = parts.get("conversation_parts") if isinstance(parts, dict) else parts
    return sum(isinstance(part, dict) and part.get("part_type") == "note" for part in listed or [])


def _describe_note(before: Conversation, after: Conversation, told: Told) -> list[str]:
    if _notes_in(after) <= _notes_in(before):
        return []
    return ["note: will be added" if told.ahead else "note: added"]


NOTE = Action(
    "note",
    ("note",),
    _read_note,
    _plan_note,
    _describe_note,
    {"note": "noted"},
    {"note": "Merged into the new queue."},
    rank=2,
)
