"""A step: one request toward a row's end state, as an action of ``sheet.action_table``
plans it; and what the steps of a row share. Pure: ``send.action_row`` sends them."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bulk_update.models import wire_json
from bulk_update.sheet.conversations import Conversation, snoozed_until, state_of
from bulk_update.sheet.directory import Directory


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
        return cls(state_of(conversation), snoozed_until(conversation), by)

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
    # A request this step's flag spares (skip_unsnooze, skip_reopen): counted when it is sent.
    spares: bool = False
    # What the page counts it as (closed, assigned, tagged, ...): its action's step_kinds.
    kind: str = ""

    @property
    def answered_with_the_conversation(self) -> bool:
        """A ``PUT``, a note and a parts action answer with the conversation; a tag attached
        or detached answers with the tag."""
        return self.method == "PUT" or self.path.endswith(("/parts", "/reply"))

    def has_landed(self, conversation: Conversation) -> bool:
        return (self.landed or self.in_place)(conversation)


def encoded(body: dict[str, Any]) -> bytes:
    return wire_json(body)


@dataclass(frozen=True)
class StepContext:
    """What the steps of a run share: who acts, the names to look up, and the Intercom-Version
    the requests are sent in (it decides what they may carry)."""

    admin_id: str
    directory: Directory
    # Notes carry skip_notifications: nobody is notified of them (Intercom-Version 2.15+).
    quiet: bool = False
    version: str = "2.14"
