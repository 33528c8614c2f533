"""Intercom's search query language, as the simulator checks and matches it (conversation
and contact search alike): a filter, or AND/OR groups of them (at most 15 filters a group, 2
levels of nesting), each field's operators, ``per_page`` up to 150 and cursor pages; ``Invalid``
(a ``400 parameter_invalid``) for what Intercom rejects.

A filter's ``value`` may be null (``single_filter_search_request``: ``nullable: true``, every
version) with ``=`` and ``!=``: a field without a value."""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Callable
from typing import Any

from bulk_update.search.searchable import (
    BOOLEAN,
    DATE,
    INTEGER,
    MAX_FILTERS_PER_GROUP,
    MAX_NESTING,
    OPERATORS,
)
from bulk_update.send.searching import MAX_PER_PAGE

Record = dict[str, Any]


class Invalid(Exception):
    """A query Intercom would refuse: its message is the 400's."""


def narrowed(
    query: dict[str, Any], named: Callable[[str, list[Any]], set[str] | None]
) -> set[str] | None:
    """The keys of every record a query can find, when one of the filters it must pass asks
    for a field's values and ``named(field, values)`` looks them up (None: it cannot)."""
    together = query["value"] if "field" not in query and query["operator"] == "AND" else [query]
    for each in together:
        if "field" in each and each["operator"] in ("=", "IN") and each["value"] is not None:
            values = each["value"] if each["operator"] == "IN" else [each["value"]]
            keys = named(each["field"], values)
            if keys is not None:
                return keys
    return None


class QueryLanguage:
    """Intercom's query objects over one kind of record (conversations, contacts): a query
    checked as Intercom checks it (``Invalid`` with the 400's message) and a record matched.
    ``field_type`` names a searchable field's type (raising ``Invalid`` for any other),
    ``values_of`` a record's values of a field (a list: ``tag_ids`` has several)."""

    def __init__(
        self,
        field_type: Callable[[str], str],
        values_of: Callable[[Record, str], list[Any]],
    ):
        self._field_type = field_type
        self._values_of = values_of

    def kind(self, field: Any) -> str:
        if not isinstance(field, str):
            raise Invalid("field is required")
        return self._field_type(field)

    def check(self, query: Any, depth: int = 1) -> None:
        if not isinstance(query, dict):
            raise Invalid("a query is an object")
        if "field" in query:
            self._check_filter(query)
            return
        if query.get("operator") not in ("AND", "OR"):
            raise Invalid("a group's operator must be AND or OR")
        if depth > MAX_NESTING:
            raise Invalid(f"queries can be nested {MAX_NESTING} levels deep at most")
        filters = query.get("value")
        if not isinstance(filters, list) or not filters:
            raise Invalid("a group's value is a non-empty array of queries")
        if len(filters) > MAX_FILTERS_PER_GROUP:
            raise Invalid(f"a group holds at most {MAX_FILTERS_PER_GROUP} filters")
        for inner in filters:
            self.check(inner, depth + 1)

    def _check_filter(self, query: dict[str, Any]) -> None:
        field, operator, value = query.get("field"), query.get("operator"), query.get("value")
        kind = self.kind(field)
        if operator not in OPERATORS[kind]:
            raise Invalid(f"operator {operator!r} cannot be used with {field} ({kind})")
        values: list[Any] = [value]
        if value is None and operator in ("=", "!="):  # a field without a value
            return
        if operator in ("IN", "NIN"):
            if not isinstance(value, list):
                raise Invalid(f"{operator} takes an array of values")
            values = value
        for item in values:
            if not _fits(kind, item):
                raise Invalid(f"{item!r} is not a {kind} value for {field}")

    def matches(self, query: dict[str, Any], record: Record) -> bool:
        """Whether the record is found by a query that passed ``check``. The query is made a
        test once (kept in it, under no JSON key): a search over a big workspace stays quick."""
        test = query.get(_TEST)
        if test is None:
            test = query[_TEST] = self._test(query)
        return bool(test(record))

    def _test(self, query: dict[str, Any]) -> Callable[[Record], bool]:
        if "field" not in query:
            inner = [self._test(each) for each in query["value"]]
            together = all if query["operator"] == "AND" else any
            return lambda record: together(test(record) for test in inner)
        field, operator, wanted = query["field"], query["operator"], query["value"]
        kind, values_of = self.kind(field), self._values_of

        def held(record: Record) -> list[Any]:
            return [_plain(kind, item) for item in values_of(record, field)]

        if operator in ("IN", "NIN"):
            asked = frozenset(_plain(kind, item) for item in wanted)
            inside = operator == "IN"
            return lambda record: any(item in asked for item in held(record)) == inside
        target = _plain(kind, wanted)
        if operator in ("=", "!="):
            equal = operator == "="
            return lambda record: (target in held(record)) == equal
        return lambda record: _compared(operator, target, held(record))


def _compared(operator: str, target: Any, held: list[Any]) -> bool:
    """Whether a record's values pass an ordering or text filter."""
    if not held or held[0] is None:
        return operator == "!~"
    value = held[0]
    if operator in ("<", "<="):  # Intercom documents < as "lower (or equal) than"
        return bool(value <= target)
    if operator in (">", ">="):
        return bool(value >= target)
    text, part = str(value).casefold(), str(target).casefold()
    verdicts = {
        "~": part in text,
        "!~": part not in text,
        "^": text.startswith(part),
        "$": text.endswith(part),
    }
    return verdicts[operator]


def values_named(query: Any, field: str) -> list[Any]:
    """The values a query's ``field`` filters (in any group) ask for."""
    if not isinstance(query, dict):
        return []
    if query.get("field") == field:
        value = query.get("value")
        return value if isinstance(value, list) else [value]
    inner = query.get("value") if "field" not in query else None
    if not isinstance(inner, list):
        return []
    return [named for part in inner for named in values_named(part, field)]


_TEST = "\0test"  # where a checked query keeps its test (no JSON key)


def read_search(body: bytes, language: QueryLanguage) -> tuple[dict[str, Any], int, int]:
    """A search request's (query, per_page, where its page starts), checked as Intercom
    checks them (``Invalid`` for a 400)."""
    try:
        request = json.loads(body or b"null")
    except ValueError:
        raise Invalid("Request body is not valid JSON") from None
    if not isinstance(request, dict) or "query" not in request:
        raise Invalid("query is required")
    per_page, start = _pagination(request.get("pagination"))
    language.check(request["query"])
    return request["query"], per_page, start


def paged(
    found: list[Record], per_page: int, start: int, *, least_pages: int
) -> tuple[list[Record], dict[str, Any]]:
    """One page of what a search found, and its ``pages`` (``cursor_pages``): a next cursor
    while more are left; ``total_pages`` at least ``least_pages`` (Intercom's examples show 1
    for conversations, 0 for contacts found none)."""
    pages: dict[str, Any] = {
        "type": "pages",
        "page": start // per_page + 1,
        "per_page": per_page,
        "total_pages": max(least_pages, math.ceil(len(found) / per_page)),
    }
    if start + per_page < len(found):
        pages["next"] = {"per_page": per_page, "starting_after": cursor(start + per_page)}
    return found[start : start + per_page], pages


def _plain(kind: str, value: Any) -> Any:
    """Values compared as their type: ``101`` and ``"101"`` are one assignee."""
    if value is None or kind in (BOOLEAN, DATE):
        return value
    if kind == INTEGER:
        try:
            return float(value)
        except (TypeError, ValueError):
            return value
    return str(value)


def _fits(kind: str, value: Any) -> bool:
    if kind == BOOLEAN:
        return isinstance(value, bool)
    if kind in (INTEGER, DATE):
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, str | int) and not isinstance(value, bool)


def _pagination(given: Any) -> tuple[int, int]:
    """(per_page, where the page starts)."""
    given = given or {}
    if not isinstance(given, dict):
        raise Invalid("pagination is an object")
    per_page = given.get("per_page", 20)
    if not isinstance(per_page, int) or isinstance(per_page, bool) or per_page < 1:
        raise Invalid("per_page must be a positive integer")
    if per_page > MAX_PER_PAGE:
        raise Invalid(f"per_page must be {MAX_PER_PAGE} or less")
    cursor = given.get("starting_after")
    if cursor is None:
        return per_page, 0
    try:
        return per_page, int(base64.urlsafe_b64decode(str(cursor)).decode())
    except ValueError:
        raise Invalid("starting_after is not a cursor this search gave") from None


def cursor(position: int) -> str:
    return base64.urlsafe_b64encode(str(position).encode()).decode()
