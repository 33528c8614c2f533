"""The simulator's conversation search by ``contact_ids`` over loopback with the real client:
a conversation is found by its contacts' ids with ``=``, ``IN``, ``!=`` and ``NIN``, as the
conversation's own answer names them."""

from __future__ import annotations

import json
from typing import Any

from bulk_update.config import Token
from bulk_update.sandbox import Sandbox
from bulk_update.send.client import IntercomClient
from tests.conftest import TOKEN

MANY = [str(2000 + n) for n in range(12)]


async def found_ids(sandbox: Sandbox, operator: str, value: Any) -> list[str]:
    """The ids of the conversations a search by ``contact_ids`` finds, over every page."""
    client = IntercomClient(sandbox.url, Token(TOKEN), api_version="2.14", timeout=5, connections=1)
    query = {"field": "contact_ids", "operator": operator, "value": value}
    found: list[str] = []
    pagination: dict[str, Any] = {"per_page": 5}
    async with client:
        while True:
            body = json.dumps({"query": query, "pagination": pagination}).encode()
            answer = await client.request("POST", "/conversations/search", body)
            assert answer.ok, answer.error_message
            found += [conversation["id"] for conversation in answer.data["conversations"]]
            if "next" not in answer.data["pages"]:
                return found
            pagination["starting_after"] = answer.data["pages"]["next"]["starting_after"]


async def test_conversations_are_found_by_their_contacts_ids(sandbox: Sandbox) -> None:
    many = sandbox.server.add_contact(email="many@acme.example", conversations=MANY)
    one = sandbox.server.add_contact(email="one@acme.example", conversations=["3000"])
    walk_in = sandbox.server.conversation("4000")["contacts"]["contacts"][0]["id"]
    assert await found_ids(sandbox, "=", many["id"]) == MANY
    assert await found_ids(sandbox, "IN", [one["id"], walk_in, "nobody"]) == ["3000", "4000"]
    assert await found_ids(sandbox, "!=", many["id"]) == ["3000", "4000"]
    assert await found_ids(sandbox, "NIN", [many["id"], one["id"]]) == ["4000"]
    assert await found_ids(sandbox, "=", "nobody") == []


async def test_a_contact_linked_replaces_the_first_and_a_second_joins_it(
    sandbox: Sandbox,
) -> None:
    """A conversation starts with a contact of its own; the first a test links takes its place,
    a second makes it a group conversation found by either."""
    walk_in = sandbox.server.conversation("2000")["contacts"]["contacts"][0]
    first = sandbox.server.add_contact(external_id="a", conversations=["2000"])
    second = sandbox.server.add_contact(external_id="b", conversations=["2000", "2001"])
    named = sandbox.server.conversation("2000")["contacts"]["contacts"]
    assert named == [
        {"type": "contact", "id": first["id"], "external_id": "a"},
        {"type": "contact", "id": second["id"], "external_id": "b"},
    ]
    assert await found_ids(sandbox, "=", walk_in["id"]) == []
    assert await found_ids(sandbox, "=", first["id"]) == ["2000"]
    assert await found_ids(sandbox, "=", second["id"]) == ["2000", "2001"]
