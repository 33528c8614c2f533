"""Searching conversations: ``--where`` expressions into Intercom's query objects (typed as
sheet cells are, friendly fields looked up), the sandbox's search answering them as Intercom
documents (each operator, 400s for what Intercom rejects), and pages followed to the end."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bulk_update.config import Rate, Token
from bulk_update.errors import UsageError
from bulk_update.sandbox import Sandbox, SandboxConfig, default_listing
from bulk_update.search.query import Condition, build_query, load_query
from bulk_update.send.client import ApiResponse, IntercomClient
from bulk_update.send.pacing import Pacer
from bulk_update.send.retry import Caller, RetryPolicy
from bulk_update.send.searching import Page, pages
from bulk_update.sheet.action_cells import Directory
from bulk_update.sheet.schema import Schema
from tests.conftest import TOKEN

SCHEMA = Schema.from_listing(default_listing())
DIRECTORY = Directory.from_listings(
    {"admins": [{"id": "101", "name": "Ada", "email": "ada@example.com"}]},
    {"teams": [{"id": "201", "name": "Support"}]},
    {"data": [{"id": "302", "name": "legacy"}, {"id": "303", "name": "VIP"}]},
)


def query(*expressions: str) -> Any:
    conditions = [Condition.parse(expression) for expression in expressions]
    return build_query(conditions, SCHEMA, DIRECTORY)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("state = open", {"field": "state", "operator": "=", "value": "open"}),
        ("state != closed", {"field": "state", "operator": "!=", "value": "closed"}),
        ("updated_at < 2026-01-01", {"field": "updated_at", "operator": "<", "value": 1767225600}),
        ("created_at > 1700000000", {"field": "created_at", "operator": ">", "value": 1700000000}),
        ("open = yes", {"field": "open", "operator": "=", "value": True}),
        ("read = FALSE", {"field": "read", "operator": "=", "value": False}),
        (
            "statistics.count_reopens >= 2",
            {"field": "statistics.count_reopens", "operator": ">=", "value": 2},
        ),
        (
            "statistics.count_reopens <= 1",
            {"field": "statistics.count_reopens", "operator": "<=", "value": 1},
        ),
        ("title ~ refund", {"field": "title", "operator": "~", "value": "refund"}),
        ("title !~ test", {"field": "title", "operator": "!~", "value": "test"}),
        ("source.subject ^ Re:", {"field": "source.subject", "operator": "^", "value": "Re:"}),
        (
            "source.author.email $ @acme.com",
            {"field": "source.author.email", "operator": "$", "value": "@acme.com"},
        ),
        (
            "state in open, snoozed",
            {"field": "state", "operator": "IN", "value": ["open", "snoozed"]},
        ),
        ("state NOT IN closed", {"field": "state", "operator": "NIN", "value": ["closed"]}),
        # attributes by name, typed by the workspace's schema
        (
            "issue_type = bug",
            {"field": "custom_attributes.issue_type", "operator": "=", "value": "Bug"},
        ),
        ("csat_score > 3", {"field": "custom_attributes.csat_score", "operator": ">", "value": 3}),
        ("vip = 1", {"field": "custom_attributes.vip", "operator": "=", "value": True}),
        (
            "due_date < 2026-12-01T09:30:00Z",
            {"field": "custom_attributes.due_date", "operator": "<", "value": 1796117400},
        ),
        (
            "orders = 21",
            {"field": "custom_attributes.orders", "operator": "=", "value": "21"},
        ),
        # friendly fields
        (
            "admin_assignee = ADA@example.com",
            {"field": "admin_assignee_id", "operator": "=", "value": 101},
        ),
        (
            "team_assignee in support",
            {"field": "team_assignee_id", "operator": "IN", "value": [201]},
        ),
        ("tag = vip", {"field": "tag_ids", "operator": "=", "value": "303"}),
        ("id in 1, 2", {"field": "id", "operator": "IN", "value": ["1", "2"]}),
    ],
)
def test_each_expression_becomes_intercoms_filter(expression: str, expected: Any) -> None:
    assert query(expression) == expected


def test_several_conditions_are_an_and_group() -> None:
    assert query("state = open", "tag = legacy") == {
        "operator": "AND",
        "value": [
            {"field": "state", "operator": "=", "value": "open"},
            {"field": "tag_ids", "operator": "=", "value": "302"},
        ],
    }


@pytest.mark.parametrize(
    ("expression", "says"),
    [
        ("state open", "is not FIELD OP VALUE"),
        ("state =", "is not FIELD OP VALUE"),
        ("stat = open", "did you mean 'state'?"),
        ("updated_at <= 2026-01-01", "searches with <, =, > only"),
        ("updated_at != 2026-01-01", "date field"),
        ("state > open", "string field"),
        ("updated_at < yesterday", "is not a date"),
        ("csat_score > many", "whole number"),
        ("issue_type = Bugz", "not one of the options"),
        ("tag = nope", "no tag 'nope'"),
        ("admin_assignee = bob@example.com", "no teammate"),
    ],
)
def test_an_expression_that_cannot_be_asked_says_why(expression: str, says: str) -> None:
    with pytest.raises(UsageError, match=says.replace("?", r"\?")):
        query(expression)


def test_unassigned_is_asked_for_in_both_forms_intercom_shows_nobody_in() -> None:
    """Null up to 2.15, 0 from 2.16: the form a version does not use matches nothing there."""

    def asked(expression: str) -> Any:
        return build_query([Condition.parse(expression)], SCHEMA, DIRECTORY)

    def filtered(operator: str, value: Any) -> dict[str, Any]:
        return {"field": "admin_assignee_id", "operator": operator, "value": value}

    either = {"operator": "OR", "value": [filtered("=", 0), filtered("=", None)]}
    assert asked("admin_assignee = unassigned") == either
    assert asked("admin_assignee = 0") == either  # the id of nobody
    assert asked("admin_assignee != Nobody") == {
        "operator": "AND",
        "value": [filtered("!=", 0), filtered("!=", None)],
    }
    assert asked("admin_assignee in unassigned") == {
        "operator": "OR",
        "value": [filtered("IN", [0]), filtered("=", None)],
    }
    assert asked("admin_assignee in ada@example.com, unassigned") == {
        "operator": "OR",
        "value": [filtered("IN", [101, 0]), filtered("=", None)],
    }
    assert asked("admin_assignee not in ada@example.com, unassigned") == {
        "operator": "AND",
        "value": [filtered("NIN", [101, 0]), filtered("!=", None)],
    }
    assert asked("admin_assignee = ada@example.com") == filtered("=", 101)
    with pytest.raises(UsageError, match="compared with =, !=, in or not in only"):
        asked("admin_assignee > unassigned")


def test_more_than_15_conditions_are_refused_before_asking() -> None:
    with pytest.raises(UsageError, match="at most 15"):
        query(*["state = open"] * 16)


def test_a_query_file_takes_intercoms_own_object_or_a_whole_body() -> None:
    group = {"operator": "OR", "value": [{"field": "state", "operator": "=", "value": "open"}]}
    assert load_query(json.dumps(group), "q.json") == group
    assert load_query(json.dumps({"query": group}), "q.json") == group
    with pytest.raises(UsageError, match="not JSON"):
        load_query("{", "q.json")
    with pytest.raises(UsageError, match="not a search query"):
        load_query("[1]", "q.json")


# --- the sandbox's search, over loopback ----------------------------------------------------


async def search(sandbox: Sandbox, body: Any, version: str = "2.14") -> ApiResponse:
    client = IntercomClient(
        sandbox.url, Token(TOKEN), api_version=version, timeout=5, connections=1
    )
    async with client:
        return await client.request("POST", "/conversations/search", json.dumps(body).encode())


@pytest.fixture
async def populated() -> Any:
    async with Sandbox(
        SandboxConfig(token=TOKEN, limit=100_000, seed=1, population=1000)
    ) as running:
        yield running


def ids(answer: ApiResponse) -> list[str]:
    return [c["id"] for c in answer.data["conversations"]]


ISSUE_TYPES = ["Billing", "Bug", "Feature request", "Account", "Other"]
FIRST = 215467900000  # the sandbox's population: numbers 0-999, but for the one ending in 404


def population(keep: Any) -> int:
    """How many of the population ``keep(n, id)`` holds for: counted here, independently."""
    return sum(1 for n in range(1000) if n != 404 and keep(n, FIRST + n))


@pytest.mark.parametrize(
    ("filter_", "keep"),
    [
        (
            {"field": "custom_attributes.issue_type", "operator": "=", "value": "Bug"},
            lambda n, i: ISSUE_TYPES[n % 5] == "Bug",
        ),
        (
            {"field": "custom_attributes.issue_type", "operator": "!=", "value": "Bug"},
            lambda n, i: ISSUE_TYPES[n % 5] != "Bug",
        ),
        (  # Intercom documents > as "greater (or equal) than"
            {"field": "custom_attributes.csat_score", "operator": ">", "value": 4},
            lambda n, i: n // 5 % 5 + 1 >= 4,
        ),
        (
            {"field": "custom_attributes.csat_score", "operator": "IN", "value": [1, 2]},
            lambda n, i: n // 5 % 5 + 1 in (1, 2),
        ),
        (
            {"field": "custom_attributes.csat_score", "operator": "NIN", "value": [1, 2]},
            lambda n, i: n // 5 % 5 + 1 not in (1, 2),
        ),
        (
            {"field": "title", "operator": "~", "value": "sation 99"},
            lambda n, i: "sation 99" in f"Conversation {n}",
        ),
        (
            {"field": "title", "operator": "!~", "value": "9"},
            lambda n, i: "9" not in f"Conversation {n}",
        ),
        (
            {"field": "title", "operator": "^", "value": "conversation 99"},
            lambda n, i: f"Conversation {n}".startswith("Conversation 99"),
        ),
        ({"field": "title", "operator": "$", "value": " 999"}, lambda n, i: n == 999),
        ({"field": "state", "operator": "=", "value": "closed"}, lambda n, i: i % 10 == 7),
        ({"field": "admin_assignee_id", "operator": "=", "value": 101}, lambda n, i: i % 4 == 1),
        ({"field": "tag_ids", "operator": "=", "value": "302"}, lambda n, i: i % 6 == 2),
    ],
)
async def test_each_operator_finds_what_it_says(
    populated: Sandbox, filter_: dict[str, Any], keep: Any
) -> None:
    answer = await search(populated, {"query": filter_, "pagination": {"per_page": 150}})
    assert answer.ok, answer.error_message
    assert answer.data["total_count"] == population(keep)


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"query": {"field": "nope", "operator": "=", "value": 1}}, "not a searchable field"),
        ({"query": {"field": "updated_at", "operator": "!=", "value": 1}}, "cannot be used"),
        (
            {
                "query": {"field": "state", "operator": "=", "value": "open"},
                "pagination": {"per_page": 151},
            },
            "150 or less",
        ),
        (
            {
                "query": {
                    "operator": "AND",
                    "value": [{"field": "state", "operator": "=", "value": "open"}] * 16,
                }
            },
            "at most 15",
        ),
        (
            {
                "query": {
                    "operator": "AND",
                    "value": [
                        {
                            "operator": "OR",
                            "value": [
                                {
                                    "operator": "AND",
                                    "value": [{"field": "state", "operator": "=", "value": "open"}],
                                }
                            ],
                        }
                    ],
                }
            },
            "2 levels",
        ),
        (
            {"query": {"field": "created_at", "operator": ">", "value": "yesterday"}},
            "not a date value",
        ),
        # null is a value for = and != only; an IN list holds strings or integers
        ({"query": {"field": "admin_assignee_id", "operator": "<", "value": None}}, "None"),
        ({"query": {"field": "admin_assignee_id", "operator": "IN", "value": [None]}}, "None"),
    ],
)
async def test_the_sandbox_refuses_what_intercom_refuses(
    populated: Sandbox, body: Any, says: str
) -> None:
    answer = await search(populated, body)
    assert (answer.status, answer.error_code) == (400, "parameter_invalid")
    assert says in answer.error_message


@pytest.mark.parametrize(
    ("version", "shown", "found_by"), [("2.14", None, (None,)), ("2.16", 0, (0, None))]
)
async def test_the_sandbox_finds_nobody_assigned_as_the_version_shows_it(
    populated: Sandbox, version: str, shown: Any, found_by: tuple[Any, ...]
) -> None:
    """Before 2.16 nobody is null, and a search for 0 finds no one; from 2.16 it is 0 (and
    null, inferred, finds it too)."""
    unassigned, assigned = population(lambda n, i: i % 4 != 1), population(lambda n, i: i % 4 == 1)

    async def total(operator: str, value: Any) -> int:
        query = {"field": "team_assignee_id", "operator": operator, "value": value}
        answer = await search(populated, {"query": query}, version)
        assert answer.ok, answer.error_message
        if answer.data["conversations"] and operator == "=":
            assert answer.data["conversations"][0]["team_assignee_id"] == shown
        return int(answer.data["total_count"])

    for value in (None, 0):
        assert await total("=", value) == (unassigned if value in found_by else 0)
    assert await total("!=", shown) == assigned
    assert await total("IN", [201, 0]) == assigned + (unassigned if shown == 0 else 0)


async def test_pages_follow_the_cursor_to_the_end_and_ids_in_find_any_id(
    populated: Sandbox,
) -> None:
    client = IntercomClient(
        populated.url, Token(TOKEN), api_version="2.14", timeout=5, connections=1
    )
    caller = Caller(Pacer(Rate(1000, 1)), RetryPolicy())
    found: list[str] = []
    async with client:
        async for page in pages(client, caller, {"field": "state", "operator": "!=", "value": "x"}):
            assert isinstance(page, Page) and page.total_count == 999
            found += [c["id"] for c in page.items]
        assert caller.stats.requests == 7  # ⌈999 / 150⌉
        assert len(found) == len(set(found)) == 999
        wanted = ["5", "77", "215467900404"]  # any all-digit id exists; ...404 is missing
        by_id = await search(
            populated, {"query": {"field": "id", "operator": "IN", "value": wanted}}
        )
    assert sorted(ids(by_id)) == ["5", "77"]
    assert "conversation_parts" not in by_id.data["conversations"][0]  # a list item
