"""Keys to conversations through Intercom's search, in batches: a contact's email or external
id to its contacts (``POST /contacts/search``, ``IN`` 50 keys a request), those contacts to
their conversations (``POST /conversations/search`` by ``contact_ids``, 50 contacts a
request); a conversation attribute's values straight to conversations. Each search is paced
and retried like every request, and narrowed by the run's conditions (``--where``)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from bulk_update.send.client import ApiResponse, IntercomClient
from bulk_update.send.retry import Caller
from bulk_update.send.searching import Model, Page, Query, pages
from bulk_update.sheet.keys import Key

# Keys (or contacts) a search asks for at once: a page holds 150, and a key may match a few.
KEYS_PER_SEARCH = 50
# Searches in flight at once (as many as the default requests in flight): a search takes a
# while to answer, and the pacer still decides.
SEARCHES_AT_ONCE = 20
# A contact id → the keys that named it.
Owners = Mapping[str, list[str]]
_Batch = TypeVar("_Batch")
# The contact fields a contact key is searched by.
_CONTACT_FIELDS = {"email": "email", "external_id": "external_id"}


@dataclass(frozen=True)
class Found:
    """A conversation a key matched: its id and when it was last updated."""

    id: str
    updated_at: int


@dataclass
class Resolved:
    """What each key matched (a key that matched nothing is absent), the contacts a contact
    key found, and the answer that stopped the search, if one did."""

    conversations: dict[str, list[Found]] = field(default_factory=lambda: defaultdict(list))
    contacts: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    refused: ApiResponse | None = None
    searches: int = 0


class Resolver:
    """Resolves one sheet's keys; ``narrowing`` is the conditions' query, ANDed to each."""

    def __init__(self, client: IntercomClient, caller: Caller, narrowing: Query | None = None):
        self._client = client
        self._caller = caller
        self._narrowing = _filters(narrowing) if narrowing is not None else []

    async def resolve(self, key: Key, values: Sequence[str]) -> Resolved:
        resolved = Resolved()
        distinct = list(dict.fromkeys(values))
        if key.kind == "attribute":
            assert key.attribute is not None
            field_name = f"custom_attributes.{key.attribute}"

            async def by_attribute(batch: list[str]) -> None:
                await self._conversations(resolved, field_name, batch, _by_attribute(key, batch))

            await _each(_batches(distinct), by_attribute)
            return _in_order(resolved)
        if key.kind == "contact_id":
            for value in distinct:
                resolved.contacts[value].append(value)
            searches = ({value: [value] for value in batch} for batch in _batches(distinct))
            await _each(searches, lambda owners: self._of_contacts(resolved, owners))
        else:
            # Each batch's conversations are searched as soon as its contacts are found.
            async def by_contacts(batch: list[str]) -> None:
                await self._of_contacts(resolved, await self._contacts(resolved, key, batch))

            await _each(_batches(distinct), by_contacts)
        return _in_order(resolved)

    async def _contacts(self, resolved: Resolved, key: Key, batch: list[str]) -> Owners:
        """The contacts a batch of keys names (an email may be a lead's and a user's), each
        with the keys that named it."""
        contact_field = _CONTACT_FIELDS[key.kind]
        by_value = {compared(key, value): value for value in batch}
        owners: Owners = defaultdict(list)
        # An email is asked as typed and in lower case: whether Intercom's search tells
        # case apart is not documented, and an address is one address in any case.
        asked = batch if key.kind != "email" else list(dict.fromkeys(_both_cases(batch)))
        query = {"field": contact_field, "operator": "IN", "value": asked}
        async for contact in self._walk(resolved, query, "contacts"):
            value = by_value.get(compared(key, str(contact.get(contact_field) or "")))
            if value is not None and "id" in contact:
                owners[str(contact["id"])].append(value)
                resolved.contacts[value].append(str(contact["id"]))
        return owners

    async def _of_contacts(self, resolved: Resolved, owners: Owners) -> None:
        """The conversations of these contacts, to the keys that named each contact."""
        for batch in _batches(list(owners)):
            await self._conversations(resolved, "contact_ids", batch, _by_contacts(owners))

    async def _conversations(
        self, resolved: Resolved, field_name: str, batch: list[str], keys_of: Any
    ) -> None:
        asked: Query = {"field": field_name, "operator": "IN", "value": batch}
        query = (
            {"operator": "AND", "value": [asked, *self._narrowing]} if self._narrowing else asked
        )
        async for conversation in self._walk(resolved, query, "conversations"):
            found = Found(str(conversation.get("id")), _number(conversation.get("updated_at")))
            for value in keys_of(conversation):
                if found not in resolved.conversations[value]:
                    resolved.conversations[value].append(found)

    async def _walk(self, resolved: Resolved, query: Query, model: Model) -> Any:
        """Every item the search finds; a refusal stops every later search."""
        if resolved.refused is not None:
            return
        async for page in pages(self._client, self._caller, query, model=model):
            resolved.searches += 1
            if not isinstance(page, Page):
                resolved.refused = page
                return
            for item in page.items:
                yield item


async def _each(batches: Iterable[_Batch], search: Callable[[_Batch], Awaitable[None]]) -> None:
    """Every batch searched, :data:`SEARCHES_AT_ONCE` at a time (each paced as usual)."""
    gate = asyncio.Semaphore(SEARCHES_AT_ONCE)

    async def one(batch: _Batch) -> None:
        async with gate:
            await search(batch)

    await asyncio.gather(*(one(batch) for batch in batches))


def _in_order(resolved: Resolved) -> Resolved:
    """Each key's conversations and contacts in id order, however the searches interleaved."""
    for found in resolved.conversations.values():
        found.sort(key=lambda each: (len(each.id), each.id))
    for contacts in resolved.contacts.values():
        contacts.sort()
    return resolved


def _batches(values: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), KEYS_PER_SEARCH):
        yield values[start : start + KEYS_PER_SEARCH]


def _filters(query: Query) -> list[Query]:
    """The conditions' filters, to AND beside the key's (one group, not a nested one)."""
    if query.get("operator") == "AND" and isinstance(query.get("value"), list):
        return list(query["value"])
    return [query]


def compared(key: Key, value: str) -> str:
    """A key as compared with what the search answers: emails in any case."""
    return value.strip().casefold() if key.kind == "email" else value.strip()


def _both_cases(emails: list[str]) -> Iterator[str]:
    for email in emails:
        yield email
        yield email.lower()


def _by_attribute(key: Key, batch: list[str]) -> Any:
    asked = set(batch)

    def keys_of(conversation: dict[str, Any]) -> list[str]:
        held = (conversation.get("custom_attributes") or {}).get(key.attribute)
        text = str(held) if not isinstance(held, float) or not held.is_integer() else str(int(held))
        return [text] if text in asked else []

    return keys_of


def _by_contacts(owners: Owners) -> Any:
    def keys_of(conversation: dict[str, Any]) -> list[str]:
        listed = (conversation.get("contacts") or {}).get("contacts") or []
        ids = [str(contact.get("id")) for contact in listed if isinstance(contact, dict)]
        return list(dict.fromkeys(value for id_ in ids for value in owners.get(id_, [])))

    return keys_of


def _number(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
