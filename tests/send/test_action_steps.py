"""The steps of a row planned from the table of actions: their fixed order, what is in place,
the requests' shapes in each version. Pure."""

from __future__ import annotations

import json
from typing import Any

from bulk_update.models import RowActions
from bulk_update.send.action_steps import forecast, plan_steps
from bulk_update.sheet.notes import has_note
from bulk_update.sheet.steps import Seen, StepContext
from tests.sheet.test_action_table import DIRECTORY


def conversation(**values: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "type": "conversation",
        "state": "open",
        "snoozed_until": None,
        "admin_assignee_id": None,
        "team_assignee_id": None,
        "tags": {"type": "tag.list", "tags": []},
        "conversation_parts": {"conversation_parts": []},
    }
    return base | values


def steps_for(actions: RowActions, found: dict[str, Any], sent_before: bool = False) -> list[str]:
    context = StepContext("101", DIRECTORY)
    steps = plan_steps(
        "7", actions, found, Seen.of(found), context, note_check="ours" if sent_before else None
    )
    needed, _after = forecast(steps, found)
    return [step.name for step in needed]


def test_the_state_goes_last_and_an_assignment_that_reopens_is_followed_by_a_close() -> None:
    closed = conversation(state="closed")
    everything = RowActions(state="closed", admin_assignee="101", add_tags=("VIP",), note="Why.")
    assert steps_for(everything, closed) == [
        "tag +VIP",
        "note",
        "assign admin Ada@Example.com",
        "close",
    ]
    # An empty state keeps the state the conversation had: closed again after assigning.
    assert steps_for(RowActions(admin_assignee="101"), closed) == [
        "assign admin Ada@Example.com",
        "close",
    ]
    assert steps_for(RowActions(team_assignee="201"), conversation()) == ["assign team Support"]


def test_what_is_in_place_is_not_a_step() -> None:
    found = conversation(
        state="closed",
        admin_assignee_id=101,
        team_assignee_id="201",
        tags={"tags": [{"id": "303", "name": "vip"}]},
    )
    asked = RowActions(state="closed", admin_assignee="101", team_assignee="201", add_tags=("VIP",))
    assert steps_for(asked, found) == []
    assert steps_for(RowActions(tags=("migrated",)), found) == ["tag +migrated", "tag \u2212vip"]


def test_a_note_is_looked_for_only_when_the_journal_says_it_may_have_been_sent() -> None:
    found = conversation(
        conversation_parts={
            "conversation_parts": [
                {"part_type": "note", "body": "<p>Why &amp; how.</p>", "author": {"id": "101"}}
            ]
        }
    )
    asked = RowActions(note="Why & how.")
    assert has_note(found, "101", "Why & how.") and not has_note(found, "102", "Why & how.")
    assert steps_for(asked, found) == ["note"]  # a fresh run: another note is wanted
    assert steps_for(asked, found, sent_before=True) == []  # resumed: it is this run's


def test_requests_match_intercoms_shapes() -> None:
    context = StepContext("101", DIRECTORY)
    actions = RowActions(
        state="snoozed",
        snoozed_until=1893456000,
        admin_assignee="0",
        add_tags=("VIP",),
        remove_tags=("migrated",),
        note="Why.",
    )
    found = conversation(admin_assignee_id=101, tags={"tags": [{"id": "301", "name": "migrated"}]})
    steps = plan_steps("7", actions, found, Seen.of(found), context, note_check=None)
    sent = [(step.method, step.path, json.loads(step.payload)) for step in steps]
    assert sent == [
        ("POST", "/conversations/7/tags", {"id": "303", "admin_id": "101"}),
        ("DELETE", "/conversations/7/tags/301", {"admin_id": "101"}),
        (
            "POST",
            "/conversations/7/reply",
            {"message_type": "note", "type": "admin", "admin_id": "101", "body": "Why."},
        ),
        (
            "POST",
            "/conversations/7/parts",
            {"message_type": "assignment", "type": "admin", "admin_id": "101", "assignee_id": "0"},
        ),
        (
            "POST",
            "/conversations/7/parts",
            {"message_type": "snoozed", "admin_id": "101", "snoozed_until": 1893456000},
        ),
    ]


def test_a_run_resumed_as_another_teammate_looks_for_the_first_ones_note() -> None:
    found = conversation(
        conversation_parts={
            "conversation_parts": [{"part_type": "note", "body": "Why.", "author": {"id": "101"}}]
        }
    )
    seen = Seen.decode(Seen.of(found, "101").encode())  # as the journal kept it
    context = StepContext("102", DIRECTORY)
    steps = plan_steps("7", RowActions(note="Why."), found, seen, context, note_check="ours")
    assert forecast(steps, found)[0] == []


def test_tags_and_parts_are_read_as_documented_or_as_bare_lists() -> None:
    documented = conversation(tags={"type": "tag.list", "tags": [{"id": "303", "name": "VIP"}]})
    bare = conversation(
        tags=[{"id": "303", "name": "VIP"}],
        conversation_parts=[{"part_type": "note", "body": "Why.", "author": {"id": "101"}}],
    )
    assert steps_for(RowActions(add_tags=("VIP",)), documented) == []
    assert steps_for(RowActions(add_tags=("VIP",)), bare) == []
    assert has_note(bare, "101", "Why.")
