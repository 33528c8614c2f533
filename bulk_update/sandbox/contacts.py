"""The simulator's contacts (users and leads): who each conversation is with, ``POST
/contacts/search`` in conversation search's query language, and ``GET /contacts/{id}``, shaped
as Intercom's 2.14 description shows them (``contact``, ``contact_list``, a conversation's
``contacts``: ``shared/intercom-api.md`` §9.8).

Every conversation has its contact(s) from the start. The population's conversations belong
to contacts there from the start, by a fixed rule (``_population_contact``): among them some
with 12 conversations, some with none, several on one email domain, some without an email or
an external id, and one email on two contacts (contact 1, a user, and contact 2, a lead). A
conversation made on demand is with a contact of its own (``_walk_in``: ``ext-N``,
``customerN@…``); a contact search naming one makes its conversation, as a conversation search
naming an id does, so a sheet keyed by them finds them. A test adds contacts
of its own (``SandboxApp.add_contact``); the first it links to a conversation replaces the
conversation's contact from the start, a second joins it (a group conversation).

Search lags for a new contact, as Intercom's does ("a contact recently created may not yet be
available when searching … a few minutes"): one added with ``searchable_after`` seconds is
found by search only that long after, by the sandbox's clock; ``GET /contacts/{id}`` finds
it at once.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bulk_update.sandbox.query_language import (
    Invalid,
    QueryLanguage,
    narrowed,
    paged,
    read_search,
    values_named,
)
from bulk_update.search.searchable import CONTACT_SEARCH_FIELDS

Contact = dict[str, Any]
MANY_CONVERSATIONS = 12
_DOMAINS = ("acme.example", "globex.example", "initech.example", "umbrella.example")
_NAMES = ("Ada", "Alan", "Barbara", "Claude", "Edsger", "Frances", "Grace", "Ken", "Niklaus")
_WALK_IN_KEY = re.compile(r"ext-(\d+)|customer(\d+)@[a-z.]+")
_EPOCH = 1_690_000_000  # the population's contacts were made before its conversations


def contact(
    contact_id: str,
    *,
    role: str,
    email: str | None,
    external_id: str | None,
    created_at: int,
    name: str | None = None,
) -> Contact:
    """A contact as 2.14 shows one (the ``contact`` schema's fields the sandbox keeps)."""
    return {
        "type": "contact",
        "id": contact_id,
        "external_id": external_id,
        "role": role,
        "email": email,
        "email_domain": None if email is None else email.rpartition("@")[2],
        "name": name,
        "created_at": created_at,
        "updated_at": created_at,
    }


def _numbered(number: int) -> str:
    """A contact id shaped as Intercom's (24 hex digits)."""
    return f"6762{number:020x}"


def _population_contact(number: int) -> Contact:
    """Contact ``number`` of the population: leads have no external id, some users neither,
    some contacts no email; contact 2 is a lead on contact 1's email."""
    lead = number % 6 == 5 or number == 2
    first = _NAMES[number % len(_NAMES)]
    email = None if number % 8 == 7 else f"{first.lower()}.{number}@{_DOMAINS[number % 4]}"
    if number == 2:
        email = _population_contact(1)["email"]
    found = contact(
        _numbered(number),
        role="lead" if lead else "user",
        email=email,
        external_id=None if lead or number % 7 == 4 else f"cus_{number:05d}",
        created_at=_EPOCH + number * 3600,
        name=f"{first} {number}",
    )
    found["updated_at"] += 86_400
    return found


def _conversations_of(number: int) -> int:
    """How many of the population's conversations contact ``number`` has."""
    if number % 10 == 0:
        return MANY_CONVERSATIONS
    return 0 if number % 10 == 9 else 1 + number % 3


def _walk_in(conversation_id: str, created: int) -> Contact:
    """The contact a conversation made on demand is with, decided by its id."""
    number = int(conversation_id)
    lead = number % 5 == 4
    return contact(
        f"{number:024x}",
        role="lead" if lead else "user",
        email=None if number % 10 == 9 else f"customer{number}@{_DOMAINS[number % 4]}",
        external_id=None if lead else f"ext-{number}",
        created_at=created - 86_400,
    )


def reference(found: Contact) -> dict[str, Any]:
    """A contact as a conversation names it (``contact_reference``)."""
    return {"type": "contact", "id": found["id"], "external_id": found["external_id"]}


@dataclass
class ContactBook:
    """The contacts held, when search may find each, and whose conversations a test linked."""

    held: dict[str, Contact] = field(default_factory=dict)
    searchable_at: dict[str, float] = field(default_factory=dict)
    _first_id: int = 0
    _owners: list[Contact] = field(default_factory=list)  # by population number
    _linked: set[str] = field(default_factory=set)
    _next_number: int = 0
    # Indexes for search, each a superset of what a search finds (it still checks each):
    # (field, value) → contact ids; contact id → the ids of conversations it was ever in.
    _by_value: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    _conversations: dict[str, set[str]] = field(default_factory=dict)

    def populate(self, first_id: int, conversations: int) -> None:
        """The population's contacts, owning ``conversations`` conversations from
        ``first_id`` on (once: a restarted server keeps them)."""
        if self._owners or not conversations:
            return
        self._first_id = first_id
        while len(self._owners) < conversations:
            owner = self._hold(_population_contact(self._next_number), searchable_at=0.0)
            self._next_number += 1
            self._owners.extend([owner] * _conversations_of(self._next_number - 1))
        del self._owners[conversations:]

    def seeded(self, conversation_id: str, created: int) -> dict[str, Any]:
        """A new conversation's ``contacts``: its population owner, or a walk-in of its own."""
        number = int(conversation_id) - self._first_id
        if 0 <= number < len(self._owners):
            owner = self._owners[number]
        else:
            owner = self._hold(_walk_in(conversation_id, created), searchable_at=0.0)
        self._conversations.setdefault(owner["id"], set()).add(conversation_id)
        return {"type": "contact.list", "contacts": [reference(owner)]}

    def add(
        self,
        role: str,
        email: str | None,
        external_id: str | None,
        created_at: float,
        searchable_after: float,
    ) -> Contact:
        """A contact a test adds, found by search ``searchable_after`` seconds after
        ``created_at`` (the sandbox's clock)."""
        new = contact(
            _numbered(self._next_number),
            role=role,
            email=email,
            external_id=external_id,
            created_at=int(created_at),
        )
        self._next_number += 1
        return self._hold(new, searchable_at=created_at + searchable_after)

    def link(self, found: Contact, conversation: dict[str, Any]) -> None:
        """The conversation is with this contact: in place of its contact from the start,
        beside any a test linked before."""
        listed, conversation_id = conversation["contacts"]["contacts"], conversation["id"]
        if conversation_id not in self._linked:
            self._linked.add(conversation_id)
            listed.clear()
        if all(other["id"] != found["id"] for other in listed):
            listed.append(reference(found))
        self._conversations.setdefault(found["id"], set()).add(conversation_id)

    def contacts_named(self, field_name: str, values: list[Any]) -> set[str] | None:
        """The ids of the contacts whose ``field_name`` is one of ``values`` (a superset of
        what search finds: it still checks each); None when that field is not indexed."""
        if field_name == "id":
            return {str(value) for value in values}
        if field_name not in ("email", "external_id"):
            return None
        return set().union(*(self._by_value.get((field_name, str(v)), ()) for v in values))

    def conversations_with(self, contact_ids: list[Any]) -> set[str]:
        """The ids of the conversations any of these contacts is (or was) in."""
        return set().union(*(self._conversations.get(str(each), ()) for each in contact_ids))

    def _hold(self, found: Contact, *, searchable_at: float) -> Contact:
        self.held[found["id"]] = found
        self.searchable_at[found["id"]] = searchable_at
        for field_name in ("email", "external_id"):
            if found[field_name] is not None:
                self._by_value.setdefault((field_name, str(found[field_name])), set()).add(
                    found["id"]
                )
        return found


def _walk_ins_named(query: Any) -> list[str]:
    """The conversations made on demand whose own contacts a search names (by ``ext-N`` or
    ``customerN@…``): made to exist first, as conversation search does those an ``id``
    filter names, so a sheet keyed by them finds them."""
    named = [*values_named(query, "external_id"), *values_named(query, "email")]
    found = (_WALK_IN_KEY.fullmatch(str(value)) for value in named)
    return [match.group(1) or match.group(2) for match in found if match]


def _field_type(field_name: str) -> str:
    if field_name not in CONTACT_SEARCH_FIELDS:
        raise Invalid(f"{field_name} is not a searchable field")
    return CONTACT_SEARCH_FIELDS[field_name]


class ContactRoutes:
    """``POST /contacts/search`` and ``GET /contacts/{id}`` over ``book``; ``clock`` is the
    sandbox's, ``error`` builds an error body."""

    def __init__(
        self,
        book: ContactBook,
        clock: Callable[[], float],
        error: Callable[..., web.Response],
        conversation: Callable[[str], Any],
    ):
        self._book = book
        self._conversation = conversation
        self._clock = clock
        self._error = error
        self._language = QueryLanguage(_field_type, lambda found, name: [found.get(name)])

    def register(self, app: web.Application) -> None:
        app.router.add_route("POST", "/contacts/search", self._search)
        app.router.add_route("GET", "/contacts/{id}", self._get)

    async def _search(self, request: web.Request) -> web.Response:
        try:
            query, per_page, start = read_search(await request.read(), self._language)
        except Invalid as problem:
            return self._error(400, "parameter_invalid", str(problem))
        for walked_in in _walk_ins_named(query):
            with contextlib.suppress(web.HTTPNotFound):  # a missing one is not found
                self._conversation(walked_in)
        now, book = self._clock(), self._book
        named = narrowed(query, book.contacts_named)
        keys = book.held if named is None else [key for key in book.held if key in named]
        found = [
            held
            for held in (book.held[key] for key in keys)
            if book.searchable_at[held["id"]] <= now and self._language.matches(query, held)
        ]
        page, pages = paged(found, per_page, start, least_pages=0)
        answer = {"type": "list", "data": page, "total_count": len(found), "pages": pages}
        return web.json_response(answer)

    async def _get(self, request: web.Request) -> web.Response:
        found = self._book.held.get(request.match_info["id"])
        if found is None:
            raise web.HTTPNotFound()
        return web.json_response(found)
