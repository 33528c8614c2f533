"""The simulator's contacts over loopback with the real client: ``POST /contacts/search`` in
conversation search's query language and ``GET /contacts/{id}``, shaped as Intercom's 2.14
description shows them; the population's contacts; a new contact search finds only after a
while; and the rate limit and faults, as on every route."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bulk_update.config import Token
from bulk_update.sandbox import Sandbox, SandboxConfig
from bulk_update.sandbox.config import POPULATION_FIRST_ID
from bulk_update.send.client import ApiResponse, IntercomClient
from tests.conftest import TOKEN, VirtualClock

# 2.14's schemas (``contact``, ``contact_list``, ``cursor_pages``, ``starting_after_paging``,
# ``conversation_contacts``, ``contact_reference``) mark no property required: an answer is
# checked to carry the ones a sheet's key needs, each of the schema's type, and no other.
# ``email`` is a non-nullable string in 2.14's ``contact``; the sandbox answers null for a
# contact without one (a lead from a chat), as a client must expect (Intercom's own example of
# a visitor shows "").
TEXT, MAYBE_TEXT, NUMBER = (str,), (str, type(None)), (int,)
CONTACT = {
    "type": TEXT,
    "id": TEXT,
    "external_id": MAYBE_TEXT,
    "role": TEXT,
    "email": MAYBE_TEXT,
    "email_domain": MAYBE_TEXT,
    "name": MAYBE_TEXT,
    "created_at": NUMBER,
    "updated_at": NUMBER,
}
CONTACT_LIST = {"type": TEXT, "data": (list,), "total_count": NUMBER, "pages": (dict,)}
PAGES = {"type": TEXT, "page": NUMBER, "per_page": NUMBER, "total_pages": NUMBER}
NEXT_PAGE = {"per_page": NUMBER, "starting_after": TEXT}
REFERENCE = {"type": TEXT, "id": TEXT, "external_id": MAYBE_TEXT}


def shaped(value: Any, schema: dict[str, tuple[type, ...]], optional: tuple[str, ...] = ()) -> bool:
    """Whether ``value`` carries each of ``schema``'s keys (but the optional), of its types,
    and no other."""
    if not isinstance(value, dict) or not set(schema) - set(optional) <= set(value) <= set(schema):
        return False
    return all(isinstance(value[key], schema[key]) for key in value)


def contact_list_shaped(answer: Any) -> bool:
    pages = answer.get("pages")
    return (
        shaped(answer, CONTACT_LIST)
        and answer["type"] == "list"
        and shaped(pages, {**PAGES, "next": (dict,)}, optional=("next",))
        and pages["type"] == "pages"
        and ("next" not in pages or shaped(pages["next"], NEXT_PAGE))
        and all(contact_shaped(found) for found in answer["data"])
    )


def contact_shaped(found: Any) -> bool:
    return (
        shaped(found, CONTACT)
        and found["type"] == "contact"
        and found["role"]
        in (
            "user",
            "lead",
        )
    )


async def send(sandbox: Sandbox, method: str, path: str, body: Any = None) -> ApiResponse:
    client = IntercomClient(sandbox.url, Token(TOKEN), api_version="2.14", timeout=5, connections=1)
    async with client:
        return await client.request(
            method, path, None if body is None else json.dumps(body).encode()
        )


async def search(sandbox: Sandbox, query: Any, **pagination: Any) -> ApiResponse:
    body = {"query": query, **({"pagination": pagination} if pagination else {})}
    return await send(sandbox, "POST", "/contacts/search", body)


def where(field: str, operator: str, value: Any) -> dict[str, Any]:
    return {"field": field, "operator": operator, "value": value}


@pytest.fixture
async def populated() -> AsyncIterator[Sandbox]:
    """A sandbox with 100 conversations from the start, and their contacts."""
    async with Sandbox(SandboxConfig(token=TOKEN, limit=100_000, seed=1, population=100)) as up:
        yield up


async def test_search_by_email_finds_its_one_contact(sandbox: Sandbox) -> None:
    wanted = sandbox.server.add_contact(email="kim@acme.example", external_id="k-1")
    sandbox.server.add_contact(email="kim@acme.example.org", external_id="k-2")
    found = await search(sandbox, where("email", "=", "kim@acme.example"))
    assert found.ok and found.data["total_count"] == 1
    assert found.data["data"] == [wanted]
    assert contact_list_shaped(found.data)


async def test_one_email_on_a_lead_and_a_user_finds_both(populated: Sandbox) -> None:
    everyone = await search(populated, where("email", "!=", None), per_page=150)
    emails = Counter(found["email"] for found in everyone.data["data"])
    [shared] = [email for email, count in emails.items() if count > 1]
    found = await search(populated, where("email", "=", shared))
    assert found.ok and found.data["total_count"] == 2
    assert sorted(c["role"] for c in found.data["data"]) == ["lead", "user"]
    assert contact_list_shaped(found.data)


async def test_external_ids_in_a_list_are_found_page_by_page_past_150(sandbox: Sandbox) -> None:
    added = [sandbox.server.add_contact(external_id=f"row-{n:03d}") for n in range(160)]
    sandbox.server.add_contact(external_id="row-999")  # not asked for
    wanted = [f"row-{n:03d}" for n in range(160)] + ["row-404"]  # one that nobody has
    first = await search(sandbox, where("external_id", "IN", wanted), per_page=150)
    cursor = first.data["pages"]["next"]["starting_after"]
    second = await search(
        sandbox, where("external_id", "IN", wanted), per_page=150, starting_after=cursor
    )
    assert first.data["total_count"] == second.data["total_count"] == 160
    assert len(first.data["data"]) == 150 and "next" not in second.data["pages"]
    assert first.data["data"] + second.data["data"] == added
    assert first.data["pages"]["total_pages"] == 2 and second.data["pages"]["page"] == 2
    assert contact_list_shaped(first.data) and contact_list_shaped(second.data)


@pytest.mark.parametrize(
    "body",
    [
        {"query": where("phone_number", "=", "1")},  # not a searchable field
        {"query": where("email", ">", "a")},  # an operator a string does not take
        {"query": where("external_id", "IN", "row-1")},  # IN without an array
        {"query": where("email", "=", "a"), "pagination": {"per_page": 151}},
        {"pagination": {"per_page": 10}},  # no query
        {"query": where("email", "=", "a"), "pagination": {"starting_after": "not a cursor"}},
    ],
)
async def test_a_query_intercom_refuses_is_a_400(sandbox: Sandbox, body: Any) -> None:
    answer = await send(sandbox, "POST", "/contacts/search", body)
    assert (answer.status, answer.error_code) == (400, "parameter_invalid")


async def test_operators_and_groups_work_as_in_conversation_search(populated: Sandbox) -> None:
    everyone = (await search(populated, where("id", "!=", "x"), per_page=150)).data["data"]
    domain = everyone[0]["email_domain"]

    async def ids(query: dict[str, Any]) -> list[str]:
        answer = await search(populated, query, per_page=150)
        assert answer.ok and contact_list_shaped(answer.data)
        return [found["id"] for found in answer.data["data"]]

    assert await ids(where("email", "~", f"@{domain}")) == [
        c["id"] for c in everyone if c["email_domain"] == domain
    ]
    assert 1 < len(await ids(where("email_domain", "=", domain))) < len(everyone)
    assert await ids(where("email", "=", None)) == [c["id"] for c in everyone if not c["email"]]
    leads_without_id = {
        "operator": "AND",
        "value": [where("role", "=", "lead"), where("external_id", "=", None)],
    }
    leads = [c["id"] for c in everyone if c["role"] == "lead"]
    assert leads and await ids(leads_without_id) == leads
    assert await ids(where("id", "NIN", leads)) == [
        c["id"] for c in everyone if c["role"] == "user"
    ]


async def test_the_population_has_contacts_with_many_conversations_and_with_none(
    populated: Sandbox,
) -> None:
    held = populated.state.conversations.values()
    everyone = await search(populated, where("id", "!=", ""), per_page=150)
    counts = {found["id"]: 0 for found in everyone.data["data"]}
    for conversation in held:
        for named in conversation["contacts"]["contacts"]:
            counts[named["id"]] += 1
    assert sum(counts.values()) == 100 == len(held)  # each conversation has one contact
    assert max(counts.values()) == 12 and min(counts.values()) == 0
    first = populated.server.conversation(str(POPULATION_FIRST_ID))["contacts"]
    assert shaped(first, {"type": TEXT, "contacts": (list,)}) and first["type"] == "contact.list"
    assert all(shaped(named, REFERENCE) for named in first["contacts"])


async def test_a_conversation_made_on_demand_is_with_a_contact_of_its_own(
    sandbox: Sandbox,
) -> None:
    conversation = (await send(sandbox, "GET", "/conversations/1000")).data
    [named] = conversation["contacts"]["contacts"]
    found = await send(sandbox, "GET", f"/contacts/{named['id']}")
    assert found.ok and contact_shaped(found.data)
    assert (found.data["id"], found.data["external_id"]) == (named["id"], named["external_id"])
    assert found.data["external_id"] == "ext-1000" and found.data["email"]


async def test_a_new_contact_is_found_by_get_at_once_and_by_search_only_later() -> None:
    clock = VirtualClock()
    config = SandboxConfig(token=TOKEN, limit=100_000, seed=1)
    async with Sandbox(config, clock=clock) as sandbox:
        new = sandbox.server.add_contact(email="new@acme.example", searchable_after=180)
        query = where("email", "=", "new@acme.example")
        got = await send(sandbox, "GET", f"/contacts/{new['id']}")
        assert got.ok and got.data == new
        assert (await search(sandbox, query)).data["total_count"] == 0
        clock.now += 179
        assert (await search(sandbox, query)).data["total_count"] == 0
        clock.now += 1
        assert (await search(sandbox, query)).data["data"] == [new]


async def test_an_unknown_contact_is_a_404_as_elsewhere(sandbox: Sandbox) -> None:
    answer = await send(sandbox, "GET", "/contacts/6762ffffffffffffffffffff")
    assert (answer.status, answer.error_code) == (404, "not_found")
    assert answer.error_message == "Resource Not Found" and answer.request_id


async def test_contact_search_is_rate_limited_and_faulted_as_every_route() -> None:
    config = SandboxConfig(token=TOKEN, limit=1, seed=1)
    async with Sandbox(config, clock=VirtualClock()) as sandbox:
        query = where("email", "=", "a@b.example")
        assert (await search(sandbox, query)).ok
        limited = await search(sandbox, query)
        assert (limited.status, limited.error_code) == (429, "rate_limit_exceeded")
        config.limit, config.error_rate = 100, 1.0
        faulted = await search(sandbox, query)
        assert faulted.status is not None and faulted.status >= 500


async def test_conversation_search_by_contact_follows_the_contacts_a_test_links(
    sandbox: Sandbox,
) -> None:
    """Search by ``contact_ids`` (looked up, not scanned) finds a conversation by the
    contacts it is with now: not by the one it had from the start once a test linked another,
    by both of a group conversation's."""

    async def found_with(contact_id: str) -> list[str]:
        body = {"query": where("contact_ids", "IN", [contact_id])}
        answer = await send(sandbox, "POST", "/conversations/search", body)
        return [conversation["id"] for conversation in answer.data["conversations"]]

    [first] = sandbox.server.conversation("1000")["contacts"]["contacts"]
    assert await found_with(first["id"]) == ["1000"]
    kim = sandbox.server.add_contact(email="kim@acme.example", conversations=["1000", "1001"])
    lee = sandbox.server.add_contact(email="lee@acme.example", conversations=["1001"])
    assert await found_with(first["id"]) == []
    assert await found_with(kim["id"]) == ["1000", "1001"]
    assert await found_with(lee["id"]) == ["1001"]
    by_email = await search(sandbox, where("email", "IN", ["kim@acme.example", "x@y.example"]))
    assert [contact["id"] for contact in by_email.data["data"]] == [kim["id"]]


async def test_a_search_naming_a_walk_in_contact_makes_its_conversation(sandbox: Sandbox) -> None:
    """As conversation search by id makes the conversation, contact search by the external id
    or email of the contact a conversation made on demand is with makes that conversation."""
    assert "4321" not in sandbox.state.conversations
    found = await search(sandbox, where("external_id", "IN", ["ext-4321", "ext-nope"]))
    assert [contact["external_id"] for contact in found.data["data"]] == ["ext-4321"]
    assert "4321" in sandbox.state.conversations
    by_email = await search(sandbox, where("email", "=", "customer4325@globex.example"))
    assert by_email.data["total_count"] == 1 and "4325" in sandbox.state.conversations
