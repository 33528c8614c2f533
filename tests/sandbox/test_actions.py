"""The simulator's conversation actions and lookups, over loopback with the real client:
the request shapes of Intercom's OpenAPI description, its error codes, and varied starting
situations (the ground the actions work will stand on)."""

from __future__ import annotations

import json
from typing import Any

from bulk_update.config import Token
from bulk_update.sandbox import Sandbox
from bulk_update.send.client import ApiResponse, IntercomClient
from tests.conftest import TOKEN


def client_for(sandbox: Sandbox) -> IntercomClient:
    return IntercomClient(sandbox.url, Token(TOKEN), api_version="2.14", timeout=5, connections=2)


async def send(sandbox: Sandbox, method: str, path: str, body: Any = None) -> ApiResponse:
    async with client_for(sandbox) as client:
        payload = None if body is None else json.dumps(body).encode()
        return await client.request(method, path, payload)


async def test_conversations_start_in_varied_situations(sandbox: Sandbox) -> None:
    closed = (await send(sandbox, "GET", "/conversations/1007")).data
    snoozed = (await send(sandbox, "GET", "/conversations/1008")).data
    assigned = (await send(sandbox, "GET", "/conversations/1001")).data
    tagged = (await send(sandbox, "GET", "/conversations/1010")).data
    assert (closed["state"], closed["open"]) == ("closed", False)
    assert snoozed["state"] == "snoozed" and snoozed["snoozed_until"] > snoozed["created_at"]
    assert (assigned["admin_assignee_id"], assigned["team_assignee_id"]) == (101, "201")
    assert [t["name"] for t in tagged["tags"]["tags"]] == ["legacy"]


async def test_close_open_snooze_each_add_a_part(sandbox: Sandbox) -> None:
    path = "/conversations/1000/parts"
    closed = await send(
        sandbox, "POST", path, {"message_type": "close", "type": "admin", "admin_id": "101"}
    )
    assert closed.ok and closed.data["state"] == "closed"
    snoozed = await send(
        sandbox,
        "POST",
        path,
        {"message_type": "snoozed", "admin_id": "101", "snoozed_until": 1_900_000_000},
    )
    assert snoozed.data["state"] == "snoozed" and snoozed.data["snoozed_until"] == 1_900_000_000
    opened = await send(sandbox, "POST", path, {"message_type": "open", "admin_id": "101"})
    assert opened.data["state"] == "open" and opened.data["snoozed_until"] is None
    parts = opened.data["conversation_parts"]["conversation_parts"]
    assert [p["part_type"] for p in parts] == ["close", "snoozed", "open"]
    assert sandbox.state.workspace.actions == {"close": 1, "snoozed": 1, "open": 1}


async def test_assigning_a_closed_conversation_reopens_it_and_0_unassigns(
    sandbox: Sandbox,
) -> None:
    path = "/conversations/1017/parts"  # starts closed
    body = {"message_type": "assignment", "type": "admin", "admin_id": "101", "assignee_id": "102"}
    assigned = await send(sandbox, "POST", path, body)
    assert assigned.data["admin_assignee_id"] == 102 and assigned.data["state"] == "open"
    team = await send(sandbox, "POST", path, {**body, "type": "team", "assignee_id": "202"})
    assert team.data["team_assignee_id"] == "202"
    cleared = await send(sandbox, "POST", path, {**body, "assignee_id": "0"})
    assert cleared.data["admin_assignee_id"] is None
    nobody = await send(sandbox, "POST", path, {**body, "assignee_id": "999"})
    assert (nobody.status, nobody.error_code) == (404, "assignee_not_found")


async def test_notes_and_their_errors(sandbox: Sandbox) -> None:
    path = "/conversations/1000/reply"
    note = {"message_type": "note", "type": "admin", "admin_id": "101", "body": "Migrated."}
    answer = await send(sandbox, "POST", path, note)
    (part,) = answer.data["conversation_parts"]["conversation_parts"]
    # Shown back as Intercom shows a note: HTML, the text's own markup escaped.
    assert (part["part_type"], part["body"], part["author"]["id"]) == (
        "note",
        "<p>Migrated.</p>",
        "101",
    )
    stranger = await send(sandbox, "POST", path, {**note, "admin_id": "999"})
    assert (stranger.status, stranger.error_code) == (404, "admin_not_found")
    empty = await send(sandbox, "POST", path, {**note, "body": ""})
    assert (empty.status, empty.error_code) == (400, "parameter_invalid")
    nameless = await send(sandbox, "POST", path, {k: v for k, v in note.items() if k != "admin_id"})
    assert (nameless.status, nameless.error_code) == (400, "parameter_invalid")


async def test_tags_attach_detach_and_lookups(sandbox: Sandbox) -> None:
    attached = await send(
        sandbox, "POST", "/conversations/1000/tags", {"id": "301", "admin_id": "101"}
    )
    assert attached.ok and attached.data["name"] == "migrated"
    again = (await send(sandbox, "GET", "/conversations/1000")).data
    assert [t["id"] for t in again["tags"]["tags"]] == ["301"]
    detached = await send(sandbox, "DELETE", "/conversations/1000/tags/301", {"admin_id": "101"})
    assert detached.ok
    assert (await send(sandbox, "GET", "/conversations/1000")).data["tags"]["tags"] == []
    unknown = await send(
        sandbox, "POST", "/conversations/1000/tags", {"id": "999", "admin_id": "101"}
    )
    assert (unknown.status, unknown.error_code) == (404, "tag_not_found")
    admins = (await send(sandbox, "GET", "/admins")).data
    teams = (await send(sandbox, "GET", "/teams")).data
    assert admins["type"] == "admin.list" and admins["admins"][0]["email"] == "ada@example.com"
    assert teams["type"] == "team.list" and teams["teams"][0]["name"] == "Support"
    created = (await send(sandbox, "POST", "/tags", {"name": "cleanup-2026"})).data
    listed = (await send(sandbox, "GET", "/tags")).data["data"]
    assert created["name"] == "cleanup-2026" and created in listed
    assert (await send(sandbox, "POST", "/tags", {"name": "cleanup-2026"})).data == created
