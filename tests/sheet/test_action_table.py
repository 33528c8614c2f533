"""Action cells read through the table of actions, alone and together, and names looked up.
Pure."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bulk_update.config import Conventions
from bulk_update.config.versions import PREVIEW
from bulk_update.models import RowActions
from bulk_update.sheet.action_cells import ActionCells
from bulk_update.sheet.action_table import (
    ACTION_COLUMNS,
    ACTIONS,
    IN_STEP_ORDER,
    read_cell,
    row_actions,
)
from bulk_update.sheet.action_types import FLAGS_SINCE, Action, Planning, Told
from bulk_update.sheet.conversations import working_copy
from bulk_update.sheet.directory import Directory
from bulk_update.sheet.inbox_actions import PRIORITY, STATE
from bulk_update.sheet.steps import Seen, StepContext
from bulk_update.sheet.values import ValueProblem

NOW = 1_800_000_000.0
DIRECTORY = Directory.from_listings(
    {"admins": [{"id": "101", "name": "Ada Lovelace", "email": "Ada@Example.com"}]},
    {"teams": [{"id": "201", "name": "Support"}, {"id": "202", "name": "Billing"}]},
    {"data": [{"id": "301", "name": "migrated"}, {"id": "303", "name": "VIP"}]},
)


def cells(create_tags: bool = False) -> ActionCells:
    return ActionCells(
        DIRECTORY,
        clear_marker="#N/A",
        conventions=Conventions(),
        create_tags=create_tags,
        now=lambda: NOW,
    )


@pytest.mark.parametrize(
    ("column", "text", "value"),
    [
        ("state", " Closed ", "closed"),
        ("state", "close", "closed"),
        ("state", "SNOOZE", "snoozed"),
        ("state", "reopen", "open"),
        ("admin_assignee", "ada@example.com", "101"),
        ("admin_assignee", "101", "101"),
        ("admin_assignee", "Ada Lovelace", "101"),
        ("admin_assignee", "Unassigned", "0"),
        ("admin_assignee", "#N/A", "0"),
        ("team_assignee", "billing", "202"),
        ("team_assignee", "201", "201"),
        ("add_tags", "vip; Migrated", ("VIP", "migrated")),
        ("add_tags", "VIP,vip", ("VIP",)),
        ("add_tags", '["migrated", "VIP"]', ("migrated", "VIP")),
        ("tags", "#N/A", ()),
        ("snoozed_until", "2030-01-01", 1893456000),
        ("note", "Line one\nline two", "Line one\nline two"),
    ],
)
def test_each_cell_alone(column: str, text: str, value: Any) -> None:
    assert read_cell(cells(), column, text) == value


@pytest.mark.parametrize(
    ("column", "text", "says"),
    [
        ("state", "closd", "is not a state"),
        ("state", "#N/A", "cannot be cleared"),
        ("admin_assignee", "adda@example.com", "did you mean 'Ada@Example.com'?"),
        ("team_assignee", "Suport", "did you mean 'Support'?"),
        ("add_tags", "migratd", "did you mean 'migrated'?"),
        ("add_tags", "; ,", "names no tag"),
        ("add_tags", '["a", 1]', "array of tag name strings"),
        ("snoozed_until", "2020-01-01", "in the past"),
        ("note", "   ", "only spaces"),
    ],
)
def test_a_bad_cell_says_why(column: str, text: str, says: str) -> None:
    with pytest.raises(ValueProblem, match=says.replace("?", r"\?")):
        read_cell(cells(), column, text)


def test_create_tags_accepts_new_names_to_add_but_never_to_remove() -> None:
    reader = cells(create_tags=True)
    assert read_cell(reader, "add_tags", "Q4 cleanup; VIP") == ("Q4 cleanup", "VIP")
    assert read_cell(reader, "tags", "q4 CLEANUP") == (
        "Q4 cleanup",
    )  # one new tag, as first written
    assert list(reader.tags_to_create.values()) == ["Q4 cleanup"]
    with pytest.raises(ValueProblem, match="no tag 'gone'"):
        read_cell(reader, "remove_tags", "gone")


def test_the_cells_together() -> None:
    assert row_actions({"snoozed_until": 1893456000})["state"] == "snoozed"
    for values, says in [
        ({"state": "snoozed"}, "needs a time"),
        ({"state": "closed", "snoozed_until": 1893456000}, "goes with the state snoozed"),
        ({"add_tags": ("VIP",), "remove_tags": ("vip",)}, "both in 'add_tags' and"),
    ]:
        with pytest.raises(ValueProblem, match=says):
            row_actions(values)


@given(
    st.builds(
        RowActions,
        state=st.sampled_from([None, "open", "closed", "snoozed"]),
        snoozed_until=st.none() | st.integers(0, 2**40),
        admin_assignee=st.none() | st.text("0123456789", min_size=1),
        add_tags=st.lists(st.text(min_size=1)).map(tuple),
        tags=st.none() | st.lists(st.text(min_size=1)).map(tuple),
        note=st.none() | st.text(min_size=1),
    )
)
def test_row_actions_survive_the_journal(actions: RowActions) -> None:
    assert RowActions.decode(actions.encode()) == actions


@pytest.mark.parametrize("action", ACTIONS, ids=lambda action: action.name)
def test_every_action_reads_its_example_and_plans_a_step_from_it(action: Action) -> None:
    """Each entry of the table reads its example cells, plans at least one request from
    them against a conversation that is not so yet, tells the change, and keeps (live and
    exported) every column it names as its part of the conversation."""
    reader = cells()
    values = {column: read_cell(reader, column, text) for column, text in action.example.items()}
    actions = row_actions(values)
    found = untouched()
    planning = Planning(
        "7", actions, found, Seen.of(found), StepContext("101", DIRECTORY, version=PREVIEW)
    )
    steps = action.plan(planning)
    assert steps and not all(step.in_place(found) for step in steps)
    after = working_copy(found)
    for step in steps:
        step.apply(after)
    assert all(step.has_landed(after) for step in steps)
    assert action.describe(found, after, Told(DIRECTORY))
    kept = action.live(after)
    assert set(kept) <= set(action.kept) and bool(kept) is bool(action.kept)
    assert set(action.exported(after, DIRECTORY)) == set(action.kept)
    assert set(action.step_kinds) >= {step.name.split(" ")[0] for step in steps}


def untouched() -> dict[str, Any]:
    """A conversation as 2.16 and Preview answer: open, unassigned, untagged, no priority."""
    return {
        "type": "conversation",
        "id": "7",
        "state": "open",
        "open": True,
        "snoozed_until": None,
        "admin_assignee_id": 0,
        "team_assignee_id": 0,
        "priority": "none",
        "tags": {"type": "tag.list", "tags": []},
        "conversation_parts": {"type": "conversation_part.list", "conversation_parts": []},
    }


def test_the_columns_are_the_tables() -> None:
    assert tuple(c for action in ACTIONS for c in action.columns) == ACTION_COLUMNS
    assert len(set(ACTION_COLUMNS)) == len(ACTION_COLUMNS)
    assert IN_STEP_ORDER[-1] is STATE  # assigning reopens, a note wakes: the state goes last


def test_the_versions_in_the_table_are_intercoms() -> None:
    """What each version brought, as Intercom's OpenAPI descriptions say (the facts sheet's
    §9.7): the sandbox and the planner both read these, so they are pinned here."""
    assert FLAGS_SINCE == {
        "skip_notifications": "2.15",
        "skip_unsnooze": "Preview",
        "skip_reopen": "Preview",
    }
    assert (PRIORITY.reads_since, PRIORITY.writes_since) == ("2.16", "Preview")
    assert all(
        (action.reads_since, action.writes_since) == ("2.7", "2.7")
        for action in ACTIONS
        if action is not PRIORITY
    )
