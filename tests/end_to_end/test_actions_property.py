"""A row states the end state: from any starting situation, any row of actions ends the
conversation exactly as stated (what the row leaves empty stays as it was), and what was
already in place costs no request. Against the sandbox over loopback, through the library."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import bulk_update
from bulk_update.sandbox import Sandbox, SandboxConfig
from tests.conftest import TOKEN, ThreadedSandbox, examples

LATER = 1_950_000_000  # a snooze time well ahead
ADMINS = {"": None, "ada@example.com": 101, "grace@example.com": 102, "unassigned": None}
TEAMS = {"": None, "Support": "201", "Billing": "202", "unassigned": None}
TAG_IDS = {"legacy": "302", "VIP": "303", "migrated": "301"}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with ThreadedSandbox(SandboxConfig(token=TOKEN, limit=1_000_000, seed=1)) as running:
        yield running


situations = st.fixed_dictionaries(
    {
        "state": st.sampled_from(["open", "closed", "snoozed"]),
        "admin": st.sampled_from([None, 101, 102]),
        "team": st.sampled_from([None, "201", "202"]),
        "tags": st.sets(st.sampled_from(sorted(TAG_IDS))),
    }
)
rows = st.fixed_dictionaries(
    {
        "state": st.sampled_from(["", "open", "closed", "snoozed"]),
        "admin_assignee": st.sampled_from(sorted(ADMINS)),
        "team_assignee": st.sampled_from(sorted(TEAMS)),
        "tags": st.none() | st.sets(st.sampled_from(sorted(TAG_IDS))),
    }
)
_numbers = iter(range(7_000_000, 8_000_000, 10))  # ids ending in 0: no starting situation


def situate(sandbox: Sandbox, situation: dict[str, Any]) -> str:
    conversation_id = str(next(_numbers))
    conversation = sandbox.server.conversation(conversation_id)
    state = situation["state"]
    conversation.update(
        state=state,
        open=state != "closed",
        snoozed_until=LATER if state == "snoozed" else None,
        admin_assignee_id=situation["admin"],
        team_assignee_id=situation["team"],
        tags={
            "type": "tag.list",
            "tags": [{"type": "tag", "id": TAG_IDS[n], "name": n} for n in situation["tags"]],
        },
    )
    return conversation_id


@settings(
    max_examples=examples(100),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(situation=situations, row=rows)
def test_any_row_ends_as_stated_from_any_situation(
    sandbox: Sandbox, situation: dict[str, Any], row: dict[str, Any]
) -> None:
    assume(row["state"] or row["admin_assignee"] or row["team_assignee"] or row["tags"] is not None)
    conversation_id = situate(sandbox, situation)
    cells = {
        "id": conversation_id,
        "state": row["state"],
        "snoozed_until": "2031-10-14T08:00:00Z" if row["state"] == "snoozed" else "",
        "admin_assignee": row["admin_assignee"],
        "team_assignee": row["team_assignee"],
        "tags": "" if row["tags"] is None else (";".join(sorted(row["tags"])) or "#N/A"),
    }
    sent_before = sum(sandbox.state.workspace.actions.values())
    result = bulk_update.run(
        pd.DataFrame([cells]), token=TOKEN, base_url=sandbox.url, admin="ada@example.com"
    )
    assert result.outcomes["status"].tolist()[0] in ("updated", "skipped"), result.outcomes
    found = sandbox.state.conversations[conversation_id]

    wanted_state = row["state"] or situation["state"]
    assert found["state"] == wanted_state
    if wanted_state == "snoozed":
        expected = 1949731200 if row["state"] == "snoozed" else LATER  # 2031-10-14T08:00Z
        assert found["snoozed_until"] == expected
    admin = ADMINS[row["admin_assignee"]] if row["admin_assignee"] else situation["admin"]
    team = TEAMS[row["team_assignee"]] if row["team_assignee"] else situation["team"]
    assert (found["admin_assignee_id"], found["team_assignee_id"]) == (admin, team)
    tags = situation["tags"] if row["tags"] is None else row["tags"]
    assert {t["name"] for t in found["tags"]["tags"]} == tags

    # Nothing for what was in place: one request per part that differed; the state's counted
    # after the assignments, as assigning a closed conversation reopens it (so reopening is
    # free, and keeping it closed costs a close again).
    assignments = (admin != situation["admin"]) + (team != situation["team"])
    state_then = "open" if situation["state"] == "closed" and assignments else situation["state"]
    resnooze = row["state"] == "snoozed" and situation["state"] == "snoozed"  # another time
    state_sent = wanted_state != state_then or resnooze
    expected = assignments + state_sent + len(tags ^ situation["tags"])
    sent = sum(sandbox.state.workspace.actions.values()) - sent_before
    assert sent == expected
