"""The paged ``POST /conversations/search``: one page per request, paced and retried like
every request (a search changes nothing), following Intercom's cursor."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from bulk_update.models import wire_json
from bulk_update.send.client import ApiResponse, IntercomClient
from bulk_update.send.retry import Caller, CallLabel

Query = dict[str, Any]
# Intercom's most conversations per search page.
MAX_PER_PAGE = 150


def search_body(query: Query, per_page: int, starting_after: str | None = None) -> bytes:
    pagination: dict[str, Any] = {"per_page": min(per_page, MAX_PER_PAGE)}
    if starting_after:
        pagination["starting_after"] = starting_after
    body = {"query": query, "pagination": pagination}
    return wire_json(body)


async def post_search(
    client: IntercomClient, caller: Caller, body: bytes
) -> tuple[ApiResponse, int] | None:
    """One ``POST /conversations/search``, paced and retried (a search changes nothing)."""
    return await caller.call(
        lambda: client.request("POST", "/conversations/search", body), CallLabel()
    )


@dataclass
class Page:
    conversations: list[dict[str, Any]]
    total_count: int | None


async def pages(
    client: IntercomClient, caller: Caller, query: Query, *, per_page: int = MAX_PER_PAGE
) -> AsyncIterator[Page | ApiResponse]:
    """Every page of the search, following Intercom's cursor; the refusing answer instead
    of a page when one is refused (and then no more)."""
    cursor: str | None = None
    while True:
        called = await post_search(client, caller, search_body(query, per_page, cursor))
        if called is None:
            return
        response, _attempts = called
        data = response.data
        if not response.ok or not isinstance(data, dict):
            yield response
            return
        found = [c for c in data.get("conversations") or [] if isinstance(c, dict)]
        total = data.get("total_count")
        yield Page(found, total if isinstance(total, int) else None)
        following = ((data.get("pages") or {}).get("next") or {}).get("starting_after")
        if not following or not found:
            return
        cursor = str(following)
