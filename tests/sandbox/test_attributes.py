"""The simulator's conversation attribute listings, per Intercom-Version, over loopback with
the real client: the stable ``GET /data_attributes`` before 2.16, and from 2.16 (and in
Preview) its 422 and ``GET /conversations/attributes`` in the shapes of Intercom's OpenAPI
description."""

from __future__ import annotations

import uuid

import pytest

from bulk_update.config import Token
from bulk_update.sandbox import Sandbox
from bulk_update.sandbox.attributes import defined_attribute
from bulk_update.send.client import ApiResponse, IntercomClient
from tests.conftest import TOKEN

NEW_DATA_TYPES = {"string", "integer", "list", "decimal", "boolean", "datetime", "relationship"}
BASE_KEYS = {
    "type",
    "id",
    "name",
    "description",
    "data_type",
    "required",
    "visible_to_team_ids",
    "archived",
    "created_at",
    "updated_at",
    "admin_id",
}


async def get(sandbox: Sandbox, version: str, path: str, **params: str) -> ApiResponse:
    client = IntercomClient(
        sandbox.url, Token(TOKEN), api_version=version, timeout=5, connections=1
    )
    async with client:
        return await client.get_json(path, params)


def by_name(response: ApiResponse) -> dict[str, dict[str, object]]:
    return {item["name"]: item for item in response.data["data"]}


@pytest.mark.parametrize("version", ["2.14", "2.15"])
async def test_before_2_16_the_stable_listing_answers_and_the_new_endpoint_does_not(
    sandbox: Sandbox, version: str
) -> None:
    sandbox.config.listing["data"].append(
        defined_attribute(20, "account", "relationship", reference={"type": "one"})
    )
    listed = await get(sandbox, version, "/data_attributes", model="conversation")
    archived = await get(
        sandbox, version, "/data_attributes", model="conversation", include_archived="true"
    )
    new = await get(sandbox, version, "/conversations/attributes")
    assert listed.ok and "legacy_code" not in by_name(listed)
    assert by_name(archived)["legacy_code"]["archived"] is True
    # What only 2.16 says is not in the stable shape.
    assert by_name(listed)["account"]["type"] == "data_attribute"
    assert "reference" not in by_name(listed)["account"]
    assert new.status == 404


@pytest.mark.parametrize("version", ["2.16", "Preview", "Unstable"])
async def test_from_2_16_model_conversation_is_refused_with_the_new_endpoint_named(
    sandbox: Sandbox, version: str
) -> None:
    refused = await get(sandbox, version, "/data_attributes", model="conversation")
    assert refused.status == 422 and refused.error_code == "parameter_invalid"
    assert refused.error_message == (
        "model=conversation is no longer supported. Use GET /conversations/attributes instead"
    )
    assert refused.request_id


@pytest.mark.parametrize("version", ["2.16", "Preview"])
async def test_from_2_16_conversation_attributes_are_listed_in_their_own_shape(
    sandbox: Sandbox, version: str
) -> None:
    sandbox.config.listing["data"].append(
        defined_attribute(
            20,
            "account",
            "relationship",
            reference={"type": "one", "object_type_id": "Account"},
            required=True,
            visible_to_team_ids=["201"],
        )
    )
    listed = await get(sandbox, version, "/conversations/attributes")
    archived = await get(sandbox, version, "/conversations/attributes", include_archived="true")
    assert listed.ok and listed.data["type"] == "list"
    items = by_name(listed)
    assert "legacy_code" not in items and by_name(archived)["legacy_code"]["archived"] is True
    for item in items.values():
        assert set(item) >= BASE_KEYS and item["type"] == "conversation_attribute"
        assert isinstance(item["id"], int) and item["data_type"] in NEW_DATA_TYPES
    assert items["monthly_spend"]["data_type"] == "decimal"
    assert items["due_date"]["data_type"] == "datetime"
    assert items["region"]["data_type"] == "string" and items["region"]["multiline"] is False
    priority = items["priority"]
    assert priority["data_type"] == "list"
    assert [o["label"] for o in priority["options"]] == ["Low", "Medium", "High", "Urgent"]
    assert all(uuid.UUID(o["id"]) and o["archived"] is False for o in priority["options"])
    assert items["orders"]["reference"] == {"type": "many", "object_type_id": "Order"}
    account = items["account"]
    assert account["reference"] == {"type": "one", "object_type_id": "Account"}
    assert account["required"] is True and account["visible_to_team_ids"] == ["201"]
    assert "api_writable" not in account and "model" not in account


async def test_a_one_relationship_takes_a_single_id(sandbox: Sandbox) -> None:
    sandbox.config.listing["data"].append(
        defined_attribute(20, "account", "relationship", reference={"type": "one"})
    )
    client = IntercomClient(sandbox.url, Token(TOKEN), api_version="2.16", timeout=5, connections=1)
    async with client:
        two = await client.update_conversation(
            "1", b'{"custom_attributes": {"account": ["21", "34"]}}'
        )
        one = await client.update_conversation("1", b'{"custom_attributes": {"account": ["21"]}}')
    assert two.status == 400 and one.ok
    assert sandbox.server.conversation("1")["custom_attributes"]["account"] == ["21"]
