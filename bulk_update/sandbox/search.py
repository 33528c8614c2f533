"""The simulator's ``POST /conversations/search``, in Intercom's query language
(``sandbox/query_language.py``, the contacts' search's too). Conversations are matched as the
request's version shows them (``sandbox/answers.py``): nobody assigned is found by null before
2.16 (not by 0, which that version does not show) and by 0 from 2.16 (and, inferred, by null).

It searches the conversations the sandbox holds, looking those an ``id`` or ``contact_ids``
filter names up rather than scanning every one. Ids named by an ``id`` filter are made to
exist first, as every all-digit id does in the sandbox (except the missing ones).
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable
from typing import Any

from aiohttp import web

from bulk_update.sandbox.answers import ASSIGNEES, as_version, version_of
from bulk_update.sandbox.query_language import (
    Invalid,
    QueryLanguage,
    Record,
    cursor,
    narrowed,
    paged,
    read_search,
    values_named,
)
from bulk_update.search.searchable import (
    BOOLEAN,
    DATE,
    INTEGER,
    SEARCH_FIELDS,
    STRING,
    custom_name,
)

Conversation = Record
_CUSTOM_TYPES = {
    "integer": INTEGER,
    "float": INTEGER,
    "decimal": INTEGER,
    "boolean": BOOLEAN,
    "date": DATE,
    "datetime": DATE,
}


class SearchRefused(Exception):
    """The sandbox is told to refuse searches: with this status."""

    def __init__(self, status: int):
        super().__init__(status)
        self.status = status


class SearchRoute:
    """``conversations()`` is every conversation held; ``conversation(id)`` makes one exist
    (or raises 404); ``attributes()`` the workspace's; ``render`` a conversation as a version
    answers it; ``with_contacts(ids)`` the ids of the conversations of these contacts."""

    def __init__(
        self,
        conversations: Callable[[], dict[str, Conversation]],
        conversation: Callable[[str], Conversation],
        attributes: Callable[[], dict[str, dict[str, Any]]],
        render: Callable[[Conversation, str], Conversation],
        error: Callable[..., web.Response],
        wrong_page: Callable[[int], str | None],
        with_contacts: Callable[[list[Any]], set[str]],
    ):
        self._conversations = conversations
        self._with_contacts = with_contacts
        self._wrong_page = wrong_page
        self._conversation = conversation
        self._attributes = attributes
        self._render = render
        self._error = error
        self._language = QueryLanguage(self._field_type, _values_of)

    def register(self, app: web.Application) -> None:
        app.router.add_route("POST", "/conversations/search", self._search)

    async def _search(self, request: web.Request) -> web.Response:
        try:
            query, per_page, start = read_search(await request.read(), self._language)
        except Invalid as problem:
            return self._error(400, "parameter_invalid", str(problem))
        for named in values_named(query, "id"):
            if str(named).isdigit():
                with contextlib.suppress(web.HTTPNotFound):  # a missing one is not found
                    self._conversation(str(named))
        try:
            held = self._conversations()
        except SearchRefused as refused:
            return self._error(refused.status, "parameter_invalid", "Search is not available")
        version = version_of(request)
        # What every version shows alike (ids, contacts, custom attributes) is matched on the
        # conversation as held first: only those it lets through are shown as the version.
        quick = _same_in_every_version(query)
        indexed = narrowed(query, self._conversations_named)
        candidates = held.values() if indexed is None else (held[k] for k in indexed if k in held)
        found = [
            c
            for c in candidates
            if all(self._language.matches(each, c) for each in quick)
            and self._language.matches(query, as_version(c, version))
        ]
        found.sort(key=lambda conversation: int(conversation["id"]))
        page, pages = paged(found, per_page, start, least_pages=1)
        answer = {
            "type": "conversation.list",
            "conversations": [_list_item(self._render(c, version)) for c in page],
            "total_count": len(found),
            "pages": pages,
        }
        wrong = self._wrong_page(start // per_page + 1)
        return web.json_response(answer if wrong is None else _wrongly(wrong, answer, start))

    def _conversations_named(self, field: str, values: list[Any]) -> set[str] | None:
        if field == "id":
            return {str(value) for value in values}
        return self._with_contacts(values) if field == "contact_ids" else None

    def _field_type(self, field: str) -> str:
        if field in SEARCH_FIELDS:
            return SEARCH_FIELDS[field]
        name = custom_name(field)
        attribute = self._attributes().get(name or "")
        if attribute is None:
            raise Invalid(f"{field} is not a searchable field")
        return _CUSTOM_TYPES.get(str(attribute.get("data_type")), STRING)


def _same_in_every_version(query: dict[str, Any]) -> list[dict[str, Any]]:
    """The filters a conversation must pass that read what every version shows alike."""
    together = query["value"] if "field" not in query and query["operator"] == "AND" else [query]
    return [
        each
        for each in together
        if "field" in each
        and each["operator"] in ("=", "IN")
        and (each["field"] in ("id", "contact_ids") or custom_name(each["field"]) is not None)
    ]


def _values_of(conversation: Conversation, field: str) -> list[Any]:
    """The field's values in the conversation (a list: tag_ids has several)."""
    if field == "tag_ids":
        return [tag.get("id") for tag in conversation["tags"]["tags"]]
    if field == "contact_ids":
        return [contact["id"] for contact in conversation["contacts"]["contacts"]]
    if field == "teammate_ids":
        return []
    name = custom_name(field)
    if name is not None:
        held = conversation["custom_attributes"].get(name)
        return list(held) if isinstance(held, list) else [held]
    value: Any = conversation
    for key in field.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    if field in ASSIGNEES and value == 0:
        return [0, None]  # shown as 0 from 2.16; null, inferred, still means nobody
    return [value]


def _wrongly(kind: str, answer: dict[str, Any], start: int) -> dict[str, Any]:
    """A search page as a bad day answers it (see ``SandboxConfig.wrong_search_pages``)."""
    if kind == "empty":
        return {}
    pages = dict(answer["pages"])
    if kind == "repeat":
        pages["next"] = {"per_page": pages["per_page"], "starting_after": cursor(start)}
        return {**answer, "pages": pages}
    pages.pop("next", None)
    found = answer["conversations"]
    return {**answer, "conversations": found[: len(found) // 2], "pages": pages}


def _list_item(conversation: Conversation) -> Conversation:
    """A search result: the conversation without its parts (``conversation_list_item``)."""
    return {key: value for key, value in conversation.items() if key != "conversation_parts"}


class LaggingIndex:
    """What Intercom's search index shows, near-real-time but not instant: a conversation
    changed less than ``lag`` seconds ago is found as it was before that change."""

    def __init__(self) -> None:
        self._before: dict[str, tuple[Conversation, float]] = {}

    def before_change(self, key: str, conversation: Conversation, now: float, lag: float) -> None:
        """Called before a request changes the conversation."""
        if not lag:
            return
        old = self._before.get(key)
        if old is None or now - old[1] >= lag:
            self._before[key] = (copy.deepcopy(conversation), now)

    def view(
        self, conversations: dict[str, Conversation], now: float, lag: float
    ) -> dict[str, Conversation]:
        stale = {key: old for key, (old, at) in self._before.items() if now - at < lag}
        if not stale:
            return conversations
        return {key: stale.get(key, live) for key, live in conversations.items()}
