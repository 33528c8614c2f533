"""Asking Intercom which conversations: ``--where 'FIELD OP VALUE'`` expressions into a search
query, typed as sheet cells are (the paged search that answers it is ``send.searching``).

Fields are Intercom's conversation search fields (``search_fields``), a conversation
attribute's name (sent as ``custom_attributes.NAME``), or the friendly ``admin_assignee``
(email → id), ``team_assignee`` (name → id) and ``tag`` (name → ``tag_ids``).

``unassigned`` is asked for in both forms Intercom shows nobody in, on every version: null
(up to 2.15: ``admin_assignee_id`` "will return null") or ``0`` (from 2.16: "will return 0");
a search filter's ``value`` is ``nullable`` in both descriptions, and the form a version does
not use matches nothing there. So ``= unassigned`` is ``= null OR = 0``, and ``in X,
unassigned`` is ``IN [X, 0] OR = null`` (an IN list holds no null).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bulk_update.config import POINT, Conventions
from bulk_update.errors import UsageError, escape
from bulk_update.search.searchable import (
    BOOLEAN,
    CUSTOM_PREFIX,
    DATE,
    INTEGER,
    MAX_FILTERS_PER_GROUP,
    OPERATORS,
    SEARCH_FIELDS,
    STRING,
    custom_name,
)
from bulk_update.send.searching import Query
from bulk_update.sheet.directory import UNASSIGNED, UNASSIGNED_WORDS, Directory
from bulk_update.sheet.schema import AttributeType, Schema, converter_for, converter_for_type
from bulk_update.sheet.values import ValueProblem, did_you_mean

FRIENDLY_FIELDS = {"admin_assignee": "admin_assignee_id", "team_assignee": "team_assignee_id"}
_EQUALITY = ("=", "!=", "IN", "NIN")  # what an assignee is compared with
_WHERE = re.compile(
    r"\s*(?P<field>[A-Za-z_][\w.]*)\s*"
    r"(?P<op>not\s+in\b|in\b|!=|<=|>=|!~|=|<|>|~|\^|\$)\s*(?P<value>.*?)\s*",
    re.IGNORECASE | re.DOTALL,
)
# A search field's type → the type of value its cells are read as.
_VALUE_TYPES = {
    STRING: AttributeType.STRING,
    INTEGER: AttributeType.INTEGER,
    BOOLEAN: AttributeType.BOOLEAN,
    DATE: AttributeType.DATE,
}
_ATTRIBUTE_KINDS = {
    AttributeType.INTEGER: INTEGER,
    AttributeType.FLOAT: INTEGER,
    AttributeType.BOOLEAN: BOOLEAN,
    AttributeType.DATE: DATE,
}


@dataclass(frozen=True)
class Condition:
    """One ``--where``: a field, an operator and the value as written."""

    field: str
    operator: str
    text: str

    @classmethod
    def parse(cls, expression: str) -> Condition:
        match = _WHERE.fullmatch(expression)
        if match is None or not match.group("value"):
            raise UsageError.naming_settings(
                f"{{where}} {escape(repr(expression))} is not FIELD OP VALUE (for example "
                "'state = open', 'updated_at < 2026-01-01', 'tag in VIP,Billing')"
            )
        operator = " ".join(match.group("op").split()).upper()
        operator = {"IN": "IN", "NOT IN": "NIN"}.get(operator, operator)
        return cls(match.group("field"), operator, match.group("value"))

    @property
    def needs_directory(self) -> bool:
        return self.field in (*FRIENDLY_FIELDS, "tag")


def build_query(
    conditions: Sequence[Condition],
    schema: Schema,
    directory: Directory | None = None,
    conventions: Conventions = POINT,
) -> Query:
    """Intercom's query object: one filter, or an AND group of them. UsageError names the
    expression that cannot be asked and why."""
    if not conditions:
        raise UsageError.naming_settings("give at least one {where} (or a {query_path})")
    if len(conditions) > MAX_FILTERS_PER_GROUP:
        raise UsageError.naming_settings(
            f"Intercom's search takes at most {MAX_FILTERS_PER_GROUP} conditions together; "
            "narrow the {where} list (or write the query yourself with {query_path})"
        )
    filters = [_filter(each, schema, directory, conventions) for each in conditions]
    return filters[0] if len(filters) == 1 else {"operator": "AND", "value": filters}


def _filter(
    condition: Condition,
    schema: Schema,
    directory: Directory | None,
    conventions: Conventions,
) -> Query:
    shown = escape(f"{condition.field} {condition.operator} {condition.text}")
    field, kind, convert = _field(condition.field, schema, directory, conventions)
    operator = condition.operator
    if condition.field in FRIENDLY_FIELDS and operator not in _EQUALITY:
        raise UsageError.naming_settings(
            f"{{where}} '{shown}': an assignee is compared with =, !=, in or not in only"
        )
    if operator not in OPERATORS[kind]:
        allowed = ", ".join(sorted(OPERATORS[kind]))
        hint = " (Intercom's < and > on dates include the time given)" if kind == DATE else ""
        raise UsageError.naming_settings(
            f"{{where}} '{shown}': {escape(field)} is a {kind} field, which Intercom searches "
            f"with {escape(allowed)} only{hint}"
        )
    try:
        if operator in ("IN", "NIN"):
            value: Any = [convert(part.strip()) for part in condition.text.split(",")]
        else:
            value = convert(condition.text)
    except ValueProblem as problem:
        raise UsageError.naming_settings(f"{{where}} '{shown}': " + problem.as_template()) from None
    return _asked(field, operator, value)


def _asked(field: str, operator: str, value: Any) -> Query:
    """The filter; an assignee that is nobody (None) is asked in both forms (see the
    module): ``0`` beside the others, and null in a filter of its own (an IN list holds no
    null: the schema's array items are strings or integers)."""
    listed = value if isinstance(value, list) else [value]
    if None not in listed:
        return {"field": field, "operator": operator, "value": value}
    others = [item for item in listed if item is not None] + [int(UNASSIGNED)]
    with_zero = others if isinstance(value, list) else int(UNASSIGNED)
    positive = operator in ("=", "IN")
    null = {"field": field, "operator": "=" if positive else "!=", "value": None}
    zero = {"field": field, "operator": operator, "value": with_zero}
    return {"operator": "OR" if positive else "AND", "value": [zero, null]}


def _field(
    name: str,
    schema: Schema,
    directory: Directory | None,
    conventions: Conventions,
) -> tuple[str, str, Callable[[str], Any]]:
    """(the search field, its type, what turns a value's text into the value to send)."""
    if name in FRIENDLY_FIELDS:
        assert directory is not None
        lookup = directory.admin if name == "admin_assignee" else directory.team
        return FRIENDLY_FIELDS[name], INTEGER, lambda text: _assignee(lookup, text)
    if name == "tag":
        assert directory is not None

        def tag_id(text: str) -> str:
            tag = directory.tag(text)
            if tag is None:
                raise directory.missing_tag(text, creatable=False)
            return tag.id

        return "tag_ids", STRING, tag_id
    attribute_name = custom_name(name) or name
    if name in SEARCH_FIELDS and name in schema.attributes:
        raise UsageError.naming_settings(
            f"{{where}}: {escape(repr(name))} is both Intercom's own search field and a "
            f"conversation attribute of this workspace: write "
            f"{escape(CUSTOM_PREFIX + name)} for the attribute, or ask for Intercom's field "
            f"{escape(repr(name))} in a query object of your own with {{query_path}}"
        )
    if name not in SEARCH_FIELDS and attribute_name in schema.attributes:
        attribute = schema.attributes[attribute_name]
        kind = _ATTRIBUTE_KINDS.get(attribute.type, STRING)
        if attribute.type is AttributeType.RELATIONSHIP:  # one related id at a time
            return CUSTOM_PREFIX + attribute_name, STRING, str.strip
        return CUSTOM_PREFIX + attribute_name, kind, converter_for(attribute, conventions)
    if name in SEARCH_FIELDS:
        kind = SEARCH_FIELDS[name]
        return name, kind, converter_for_type(_VALUE_TYPES[kind], conventions)
    known = [*SEARCH_FIELDS, *FRIENDLY_FIELDS, "tag", *schema.attributes]
    raise UsageError.naming_settings(
        f"{{where}}: {escape(repr(name))} is not a conversation search field or attribute"
        f"{escape(did_you_mean(name, known))}"
    )


def _assignee(lookup: Callable[[str], Any], text: str) -> int | None:
    """An assignee's id, or None for nobody (an id of 0 is nobody too)."""
    if text.strip().isdigit():
        return None if int(text) == int(UNASSIGNED) else int(text)
    if text.strip().casefold() in UNASSIGNED_WORDS:
        return None
    return int(lookup(text).id)


def load_query(text: str, source: str) -> Query:
    """A query object written by hand (``--query FILE``)."""
    try:
        query = json.loads(text)
    except json.JSONDecodeError as error:
        raise UsageError(f"{source} is not JSON ({error.msg}, line {error.lineno})") from None
    if isinstance(query, dict) and "query" in query:  # a whole search body
        query = query["query"]
    if not isinstance(query, dict) or not ("field" in query or "operator" in query):
        raise UsageError(f"{source} is not a search query object (field/operator/value)")
    return query
