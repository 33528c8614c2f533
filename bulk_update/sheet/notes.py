"""A note as Intercom shows it back, and how to tell that one is already on a conversation:
a note has no idempotency key, so "is it there?" is the only guard against posting it twice."""

from __future__ import annotations

import html
import re
from typing import Any, Literal

# Whose note with the row's text counts as already there (None: the note is not looked for).
NoteCheck = Literal["ours", "anyone's"] | None


def _parts(conversation: dict[str, Any]) -> list[Any]:
    """``{"type": "conversation_part.list", "conversation_parts": [...]}``, or a bare list."""
    value = conversation.get("conversation_parts") or []
    if isinstance(value, dict):
        value = value.get("conversation_parts") or []
    return value if isinstance(value, list) else []


def read_as_text(body: str) -> str:
    """An HTML body as a person reads it: paragraphs and ``<br>`` as line breaks, tags
    dropped, entities decoded once, runs of white space as one space."""
    text = re.sub(r"<br\s*/?>|</p>\s*<p>", "\n", body)
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    return " ".join(text.split())


def note_texts(sent: str) -> frozenset[str]:
    """What a note sent as ``sent`` reads as once Intercom shows it: the text as typed (it
    escapes what looks like HTML), or, where Intercom took it as HTML, as that HTML reads."""
    return frozenset({" ".join(sent.split()), read_as_text(sent)})


def has_note(conversation: dict[str, Any], admin_id: str | None, text: str) -> bool:
    """Does the conversation show this note among the parts it returned (by this teammate,
    unless ``admin_id`` is None: by anyone)?"""
    wanted = note_texts(text)
    parts = _parts(conversation)
    return any(
        isinstance(part, dict)
        and part.get("part_type") == "note"
        and (admin_id is None or str((part.get("author") or {}).get("id")) == admin_id)
        and read_as_text(str(part.get("body") or "")) in wanted
        for part in parts
    )
