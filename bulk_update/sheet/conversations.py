"""A conversation as Intercom answers with it, read the way actions need: its state, its
assignees, its tags. Pure; lenient where versions differ (an unassigned assignee is null up
to 2.14 and ``0`` from 2.16; tags a documented ``tag.list`` or a bare list)."""

from __future__ import annotations

from typing import Any

from bulk_update.sheet.directory import UNASSIGNED, Named

Conversation = dict[str, Any]


def state_of(conversation: Conversation) -> str:
    state = conversation.get("state")
    if state in ("open", "closed", "snoozed"):
        return str(state)
    return "open" if conversation.get("open", True) else "closed"


def snoozed_until(conversation: Conversation) -> int | None:
    """Until when a snoozed conversation sleeps (None when it is not snoozed)."""
    until = conversation.get("snoozed_until")
    return until if state_of(conversation) == "snoozed" and isinstance(until, int) else None


def assignee_of(conversation: Conversation, kind: str) -> str:
    """The conversation's assignee id (``"0"`` for none, in every version's form)."""
    value = conversation.get(f"{kind}_assignee_id")
    return UNASSIGNED if value in (None, "", 0, "0") else str(value)


def listed(conversation: Conversation, key: str) -> list[Any]:
    """``{"type": "tag.list", "tags": [...]}`` as documented, or a bare list."""
    value = conversation.get(key) or []
    if isinstance(value, dict):
        value = value.get(key) or []
    return value if isinstance(value, list) else []


def carried_tags(conversation: Conversation) -> list[Named]:
    tags = listed(conversation, "tags")
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


def working_copy(conversation: Conversation) -> Conversation:
    """What steps change, copied so that applying them leaves ``conversation`` as it was: its
    top-level fields, and its tags and parts as documented lists. The rest (a conversation
    read with ``GET`` may hold hundreds of parts) is shared, not copied per row."""
    copied = dict(conversation)
    copied["tags"] = {"type": "tag.list", "tags": list(listed(conversation, "tags"))}
    parts = list(listed(conversation, "conversation_parts"))
    copied["conversation_parts"] = {"type": "conversation_part.list", "conversation_parts": parts}
    return copied
