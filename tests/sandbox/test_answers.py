"""The sandbox answers a conversation as each Intercom-Version shows it, over loopback: nobody
assigned is null before 2.16 and 0 from it, and the conversation's own priority is
``priority|not_priority`` before 2.16 and ``none|low|medium|high|urgent`` from it, in GET, PUT,
action and search answers alike; what the sandbox holds stays one form."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bulk_update.config import Token
from bulk_update.sandbox import Sandbox
from bulk_update.send.client import IntercomClient
from tests.conftest import TOKEN

UNASSIGNED, ASSIGNED = "1000", "1001"  # ids ≡ 1 (mod 4) start assigned to 101 and team 201
VERSIONS = [
    ("2.14", None, {"none": "not_priority", "high": "priority"}),
    ("2.15", None, {"none": "not_priority", "urgent": "priority"}),
    ("2.16", 0, {"none": "none", "high": "high", "low": "low"}),
    ("Preview", 0, {"none": "none", "urgent": "urgent", "medium": "medium"}),
]


async def answers(sandbox: Sandbox, version: str, conversation_id: str) -> list[dict[str, Any]]:
    """The conversation as a GET, a PUT, a note and a search answer it."""
    client = IntercomClient(
        sandbox.url, Token(TOKEN), api_version=version, timeout=5, connections=1
    )
    path = f"/conversations/{conversation_id}"
    note = {"message_type": "note", "type": "admin", "admin_id": "101", "body": "checked"}
    search = {"query": {"field": "id", "operator": "=", "value": conversation_id}}
    async with client:
        got = await client.request("GET", path)
        put = await client.request("PUT", path, json.dumps({"read": True}).encode())
        noted = await client.request("POST", f"{path}/reply", json.dumps(note).encode())
        found = await client.request("POST", "/conversations/search", json.dumps(search).encode())
    assert got.ok and put.ok and noted.ok and found.ok
    return [got.data, put.data, noted.data, found.data["conversations"][0]]


@pytest.mark.parametrize(("version", "nobody", "priorities"), VERSIONS)
async def test_each_answer_shows_assignees_and_priority_as_the_version_does(
    sandbox: Sandbox, version: str, nobody: Any, priorities: dict[str, str]
) -> None:
    for held, shown in priorities.items():
        sandbox.server.conversation(UNASSIGNED)["priority"] = held
        for answer in await answers(sandbox, version, UNASSIGNED):
            assert (answer["admin_assignee_id"], answer["team_assignee_id"]) == (nobody, nobody)
            assert answer["priority"] == shown
    for answer in await answers(sandbox, version, ASSIGNED):
        assert (answer["admin_assignee_id"], answer["team_assignee_id"]) == (101, "201")
        assert answer["priority"] == priorities["none"]  # none, by default
    held = sandbox.server.conversation(UNASSIGNED)
    assert (held["admin_assignee_id"], held["team_assignee_id"]) == (None, None)  # one form


@pytest.mark.parametrize(
    ("version", "nobody"), [(version, nobody) for version, nobody, _ in VERSIONS]
)
async def test_unassigning_answers_nobody_as_the_version_shows_it(
    sandbox: Sandbox, version: str, nobody: Any
) -> None:
    client = IntercomClient(
        sandbox.url, Token(TOKEN), api_version=version, timeout=5, connections=1
    )
    unassign = {"message_type": "assignment", "type": "team", "admin_id": "101", "assignee_id": "0"}
    async with client:
        answer = await client.request(
            "POST", f"/conversations/{ASSIGNED}/parts", json.dumps(unassign).encode()
        )
    assert answer.ok
    assert (answer.data["admin_assignee_id"], answer.data["team_assignee_id"]) == (101, nobody)
