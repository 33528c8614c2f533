"""The paged ``POST /conversations/search`` (and ``POST /contacts/search``, the same query
language): one page per request, paced and retried like every request (a search changes
nothing), following Intercom's cursor."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, Literal

from bulk_update.models import wire_json
from bulk_update.send.client import ApiResponse, IntercomClient, unexpected
from bulk_update.send.retry import Caller, CallLabel

Query = dict[str, Any]
# Intercom's most conversations per search page.
MAX_PER_PAGE = 150
# What is searched, and the list its answers hold it in.
Model = Literal["conversations", "contacts"]
_LISTED_AS: dict[Model, str] = {"conversations": "conversations", "contacts": "data"}


def search_body(query: Query, per_page: int, starting_after: str | None = None) -> bytes:
    pagination: dict[str, Any] = {"per_page": min(per_page, MAX_PER_PAGE)}
    if starting_after:
        pagination["starting_after"] = starting_after
    body = {"query": query, "pagination": pagination}
    return wire_json(body)


async def post_search(
    client: IntercomClient,
    caller: Caller,
    body: bytes,
    checked: Callable[[ApiResponse], ApiResponse] = lambda answer: answer,
    model: Model = "conversations",
) -> tuple[ApiResponse, int] | None:
    """One ``POST /{model}/search``, paced and retried (a search changes nothing);
    ``checked`` turns an answer that is not what was asked for into one that did not come."""

    async def attempt() -> ApiResponse:
        return checked(await client.request("POST", f"/{model}/search", body))

    return await caller.call(attempt, CallLabel())


@dataclass
class Page:
    items: list[dict[str, Any]]  # the conversations (or the contacts) on the page
    total_count: int | None


class Walk:
    """Where a paged search has got to, and what makes an answer its next page.

    A 2xx that is not a page of this search is an answer that did not come (the one retry
    loop asks again; if it stays wrong, the walk stops with it): no JSON object, no
    ``conversations`` list (``{}``), a next cursor this walk has already followed (it goes
    round, or nowhere), a page with no conversations that still names a next one, or a last
    page (one without ``pages.next.starting_after``: Intercom's end of a search) that leaves
    the walk short of what the search counted.

    ``total_count`` is what matched when that page was answered; on a live workspace it moves
    while a long walk goes on (conversations start or stop matching), so the walk is held to
    the smallest count any page gave: it is short only when fewer came than even that. A
    conversation that a cursor passed over because it moved in the search's order mid-walk
    is missing, too; such a walk fails rather than pass for whole, and the next one reads
    it. A page without a whole-number ``total_count`` counts nothing.
    """

    def __init__(self, model: Model = "conversations") -> None:
        self._listed_as = _LISTED_AS[model]
        self.number = 1  # the page asked for next; 1 is the first
        self.received = 0  # conversations on the pages before it
        self.cursor: str | None = None  # what asks for it (None: the first page)
        self._followed: set[str] = set()
        self._least_total: int | None = None

    def checked(self, answer: ApiResponse) -> ApiResponse:
        """``answer``, or an answer that did not come when it is not the page asked for."""
        if not answer.ok:
            return answer
        wrong = self._wrong(answer.data)
        if wrong is None:
            return answer
        return unexpected(answer, f"to search page {self.number} {wrong}")

    def advance(self, data: dict[str, Any]) -> Page:
        """The page a checked answer holds; the walk moves on to the next."""
        page = Page(self._found(data), _total(data))
        self._least_total = _least(self._least_total, page.total_count)
        self.received += len(page.items)
        self.number += 1
        self.cursor = _next_cursor(data)
        if self.cursor is not None:
            self._followed.add(self.cursor)
        return page

    def _wrong(self, data: Any) -> str | None:
        if not isinstance(data, dict):
            return "that is no JSON object (an HTML page, or JSON cut short)"
        if not isinstance(data.get(self._listed_as), list):
            return f"without a {self._listed_as} list"
        found = len(self._found(data))
        following = _next_cursor(data)
        if following is not None:
            if following in self._followed:
                return "whose next page is one already read (a cursor that goes round)"
            return None if found else "with no conversations that names a next page"
        least = _least(self._least_total, _total(data))
        if least is not None and self.received + found < least:
            return (
                f"that ends the search after {self.received + found} of the {least} "
                "conversations it counts"
            )
        return None

    def _found(self, data: dict[str, Any]) -> list[dict[str, Any]]:
        return [item for item in data.get(self._listed_as) or [] if isinstance(item, dict)]


async def pages(
    client: IntercomClient,
    caller: Caller,
    query: Query,
    *,
    per_page: int = MAX_PER_PAGE,
    model: Model = "conversations",
) -> AsyncIterator[Page | ApiResponse]:
    """Every page of the search, following Intercom's cursor; the answer instead of a page
    when one is refused or stays wrong (see :class:`Walk`), and then no more."""
    walk = Walk(model)
    while True:
        body = search_body(query, per_page, walk.cursor)
        called = await post_search(client, caller, body, walk.checked, model)
        if called is None:
            return
        response, _attempts = called
        if not response.ok:
            yield response
            return
        yield walk.advance(response.data)
        if walk.cursor is None:
            return


def _total(data: dict[str, Any]) -> int | None:
    total = data.get("total_count")
    return total if isinstance(total, int) and not isinstance(total, bool) else None


def _least(held: int | None, given: int | None) -> int | None:
    return given if held is None else held if given is None else min(held, given)


def _next_cursor(data: dict[str, Any]) -> str | None:
    following = data.get("pages")
    following = following.get("next") if isinstance(following, dict) else None
    cursor = following.get("starting_after") if isinstance(following, dict) else None
    return str(cursor) if cursor not in (None, "") else None
