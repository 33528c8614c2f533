"""The client over real loopback HTTP against the sandbox."""

import json

import pytest

from bulk_update.config import Token
from bulk_update.sandbox import Sandbox, SandboxConfig
from bulk_update.send.client import IntercomClient, fetch_listing
from tests.conftest import TOKEN, VirtualClock


def client_for(
    sandbox: Sandbox, token: str = TOKEN, timeout: float = 5.0, api_version: str = "2.14"
) -> IntercomClient:
    return IntercomClient(
        sandbox.url, Token(token), api_version=api_version, timeout=timeout, connections=4
    )


def body(data: object) -> bytes:
    return json.dumps(data).encode()


async def test_update_succeeds_with_rate_limit_headers(sandbox: Sandbox) -> None:
    async with client_for(sandbox) as client:
        response = await client.update_conversation("000123", body({"read": True}))
    assert response.ok and response.status == 200
    assert response.rate is not None and response.rate.limit == 100_000
    assert response.rate.remaining == 100_000 - 1
    assert sandbox.state.paths == ["/conversations/000123"]
    assert sandbox.state.conversations["000123"]["read"] is True


@pytest.mark.parametrize("kind", ["other", "html", "truncated", "empty", "array"])
async def test_a_write_answered_with_anything_but_its_conversation_is_no_answer(
    sandbox: Sandbox, kind: str
) -> None:
    """A write's answer is only checked, not all decoded; still, JSON cut short after the
    conversation's type and id (``truncated``), or the conversation inside an array, is
    not the conversation."""
    sandbox.config.wrong_answer_rate = 1.0
    sandbox.config.wrong_answers = (kind,)
    async with client_for(sandbox) as client:
        response = await client.update_conversation("8001", body({"read": True}))
    assert (response.status, response.error_code) == (None, "unexpected_answer")
    assert response.error_message.endswith("not conversation '8001'")
    assert response.data is None


async def test_an_answer_the_fast_decoder_refuses_is_read_as_the_standard_library_reads_it(
    sandbox: Sandbox,
) -> None:
    """A lone surrogate (text cut inside an emoji) is JSON the standard library reads and
    msgspec refuses: the conversation is still the conversation, to a write and to a read."""
    sandbox.server.conversation("8001")["title"] = "broken \ud83d emoji"
    async with client_for(sandbox) as client:
        written = await client.update_conversation("8001", body({"read": True}))
        read = await client.get_conversation("8001")
    assert written.ok and read.ok
    assert read.data["title"] == "broken \ud83d emoji"


async def test_wrong_token_is_401_without_rate_headers(sandbox: Sandbox) -> None:
    async with client_for(sandbox, token="wrong") as client:
        response = await client.update_conversation("1", body({"read": True}))
    assert response.status == 401
    assert response.error_code == "unauthorized"
    assert response.rate is None


async def test_unknown_conversation_is_404_with_request_id(sandbox: Sandbox) -> None:
    async with client_for(sandbox) as client:
        response = await client.update_conversation("1404", body({"read": True}))
    assert (response.status, response.error_code) == (404, "not_found")
    assert len(response.request_id) == 36


async def test_unknown_attribute_and_bad_type_are_400_parameter_invalid(sandbox: Sandbox) -> None:
    async with client_for(sandbox) as client:
        unknown = await client.update_conversation("1", body({"custom_attributes": {"nope": 1}}))
        wrong = await client.update_conversation(
            "1", body({"custom_attributes": {"csat_score": "3"}})
        )
    assert (unknown.status, unknown.error_code) == (400, "parameter_invalid")
    assert unknown.error_message == "Conversation attribute 'nope' does not exist"
    assert wrong.error_message == "'3' is not a valid value for 'csat_score'"


async def test_429_when_the_window_is_spent(sandbox: Sandbox) -> None:
    sandbox.config.limit = 2
    async with client_for(sandbox) as client:
        answers = [await client.update_conversation("1", body({"read": True})) for _ in range(3)]
    assert [a.status for a in answers][-1] == 429
    last = answers[-1]
    assert last.error_code == "rate_limit_exceeded"
    assert last.rate is not None and last.rate.remaining == 0 and last.rate.reset_at is not None
    assert last.retry_after is None


async def test_html_gateway_errors_are_classified_without_json(sandbox: Sandbox) -> None:
    sandbox.config.error_rate = 1.0
    async with client_for(sandbox) as client:
        statuses = set()
        for _ in range(20):
            response = await client.update_conversation("1", body({"read": True}))
            statuses.add(response.status)
            assert response.error_message
    assert statuses <= {500, 502, 503, 504} and len(statuses) > 1


async def test_connection_reset_and_hang_become_transport_errors(sandbox: Sandbox) -> None:
    sandbox.config.reset_rate = 1.0
    async with client_for(sandbox) as client:
        reset = await client.update_conversation("1", body({"read": True}))
    sandbox.config.reset_rate, sandbox.config.hang_rate = 0.0, 1.0
    async with client_for(sandbox, timeout=0.3) as client:
        hung = await client.update_conversation("1", body({"read": True}))
    assert reset.status is None and reset.error_code == "connection_error"
    assert hung.status is None and hung.error_code == "timeout"


async def test_id_is_percent_encoded_into_one_path_segment(sandbox: Sandbox) -> None:
    async with client_for(sandbox) as client:
        response = await client.update_conversation("1/../../me", body({"read": True}))
    assert response.status == 404
    assert sandbox.state.paths == ["/conversations/1%2F..%2F..%2Fme"]


@pytest.mark.parametrize(
    ("version", "path"),
    [
        ("2.14", "/data_attributes?model=conversation&include_archived=true"),
        ("2.15", "/data_attributes?model=conversation&include_archived=true"),
        ("2.16", "/conversations/attributes?include_archived=true"),
        ("Preview", "/conversations/attributes?include_archived=true"),
    ],
)
async def test_the_listing_is_read_where_the_version_has_it_archived_ones_too(
    sandbox: Sandbox, version: str, path: str
) -> None:
    async with client_for(sandbox, api_version=version) as client:
        response = await fetch_listing(client)
    assert response.ok and sandbox.state.paths == [path]
    names = {item["name"] for item in response.data["data"]}
    assert "priority" in names and "legacy_code" in names


async def test_an_old_version_asked_of_an_intercom_past_2_16_reads_the_new_endpoint(
    sandbox: Sandbox,
) -> None:
    sandbox.config.answers_as_version = "2.16"
    async with client_for(sandbox) as client:
        response = await fetch_listing(client)
    assert response.ok and {item["type"] for item in response.data["data"]} == {
        "conversation_attribute"
    }
    assert sandbox.state.status_counts == {422: 1, 200: 1}
    assert sandbox.state.paths[-1] == "/conversations/attributes?include_archived=true"


async def test_a_new_version_asked_of_a_server_without_the_new_endpoint_reads_the_old(
    sandbox: Sandbox,
) -> None:
    sandbox.config.answers_as_version = "2.14"  # no /conversations/attributes: a 404
    async with client_for(sandbox, api_version="2.16") as client:
        response = await fetch_listing(client)
    assert response.ok and {item["type"] for item in response.data["data"]} == {"data_attribute"}
    assert sandbox.state.status_counts == {404: 1, 200: 1}


def test_client_repr_hides_the_token() -> None:
    client = IntercomClient(
        "https://api.intercom.io", Token(TOKEN), api_version="2.14", timeout=1, connections=1
    )
    assert TOKEN not in repr(client)
    assert TOKEN not in repr(Token(TOKEN)) and TOKEN not in f"{Token(TOKEN)}"


def test_plain_http_is_refused_except_to_loopback() -> None:
    from bulk_update.config import check_base_url
    from bulk_update.errors import UsageError

    assert check_base_url("http://127.0.0.1:8000/") == "http://127.0.0.1:8000"
    assert check_base_url("http://localhost:1") == "http://localhost:1"
    with pytest.raises(UsageError, match="clear text"):
        check_base_url("http://api.intercom.io")


async def test_the_attribute_read_waits_out_a_429_and_retries_5xx() -> None:
    from bulk_update.send.lookups import fetch_schema
    from bulk_update.send.retry import RetryPolicy

    clock = VirtualClock()  # at the start of a 1-second window, the same for both sides
    config = SandboxConfig(token=TOKEN, limit=1, window=1, seed=2)
    policy = RetryPolicy(max_retries=6, base_delay=0.01, max_delay=0.05)
    async with Sandbox(config, clock=clock) as sandbox, client_for(sandbox) as client:
        await client.update_conversation("1", body({"read": True}))  # spends the window
        schema = await fetch_schema(client, policy, clock=clock, sleep=clock.sleep)
        assert sandbox.state.status_counts[429] == 1 and 0.99 < clock.slept < 1.1  # to the reset
        config.limit, config.error_rate = 1000, 0.5
        again = await fetch_schema(client, policy, clock=clock, sleep=clock.sleep)
    assert "priority" in schema.attributes and "priority" in again.attributes
    assert sum(sandbox.state.status_counts[status] for status in (500, 502, 503, 504)) >= 1
