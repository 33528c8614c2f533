"""Conversation data attributes: the listing's shapes, saving/loading, and value typing.

Intercom lists conversation attributes in two shapes: the stable
``GET /data_attributes?model=conversation`` (``data_type`` in string/integer/float/boolean/
date, a list attribute being a string with ``options``) and, from 2.16,
``GET /conversations/attributes`` (``data_type`` in string/integer/list/decimal/boolean/
datetime/relationship/files, options as ``{"label": ...}`` objects, a relationship's
``reference.type`` one or many, and ``required`` and ``visible_to_team_ids``, kept here for
the library's callers). Both are accepted here.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from bulk_update.config import POINT, Conventions
from bulk_update.errors import InputError, StorageFailed, storage_reason
from bulk_update.sheet.values import (
    Converter,
    DateReader,
    OptionMatcher,
    ValueProblem,
    to_boolean,
    to_float,
    to_id_list,
    to_integer,
    to_one_id,
)

__all__ = ["Attribute", "AttributeType", "Schema", "ValueProblem", "converter_for"]


class AttributeType(StrEnum):
    STRING = "string"
    LIST = "list"
    INTEGER = "integer"
    FLOAT = "float"
    BOOLEAN = "boolean"
    DATE = "date"
    RELATIONSHIP = "relationship"
    UNKNOWN = "unknown"


_TYPE_ALIASES = {
    "string": AttributeType.STRING,
    "list": AttributeType.LIST,
    "integer": AttributeType.INTEGER,
    "float": AttributeType.FLOAT,
    "decimal": AttributeType.FLOAT,
    "boolean": AttributeType.BOOLEAN,
    "date": AttributeType.DATE,
    "datetime": AttributeType.DATE,
    "relationship": AttributeType.RELATIONSHIP,
}


# Types the API cannot write: a files attribute takes uploads, not a cell's text.
_UNWRITABLE_TYPES = frozenset({"files"})


@dataclass(frozen=True)
class Attribute:
    name: str
    type: AttributeType
    options: tuple[str, ...] = ()
    writable: bool = True
    declared_type: str = ""
    label: str = ""  # what the workspace shows people ("Issue type" for issue_type)
    archived: bool = False
    # A relationship's cardinality (2.16's reference.type): "one" takes a single id, "many"
    # (or unknown, as the stable listing does not say) any number.
    reference: str = ""
    required: bool = False
    visible_to_team_ids: tuple[str, ...] = ()

    @classmethod
    def from_listing(cls, item: dict[str, Any]) -> Attribute:
        name = str(item.get("name", ""))
        declared = str(item.get("data_type", "")).lower()
        options = tuple(_option_label(o) for o in item.get("options") or ())
        kind = _TYPE_ALIASES.get(declared, AttributeType.UNKNOWN)
        if kind is AttributeType.STRING and options:
            kind = AttributeType.LIST
        archived = item.get("archived", False) is True
        writable = (
            item.get("api_writable", True) is not False
            and not archived
            and item.get("custom", True) is not False
            and declared not in _UNWRITABLE_TYPES
        )
        reference = item.get("reference")
        return cls(
            name,
            kind,
            options,
            writable,
            declared,
            str(item.get("label") or ""),
            archived,
            str(reference.get("type") or "") if isinstance(reference, dict) else "",
            item.get("required", False) is True,
            tuple(str(team) for team in item.get("visible_to_team_ids") or ()),
        )


def _option_label(option: Any) -> str:
    if isinstance(option, dict):
        return str(option.get("label", option.get("value", "")))
    return str(option)


@dataclass(frozen=True)
class Schema:
    """The workspace's conversation attributes, by name, plus the listing they came from."""

    attributes: dict[str, Attribute]
    listing: dict[str, Any]

    @classmethod
    def from_listing(cls, listing: Any, *, source: object = "the attribute listing") -> Schema:
        if not isinstance(listing, dict) or not isinstance(listing.get("data"), list):
            raise InputError(source, 'is not an attribute listing (expected {"data": [...]})')
        # A listing may carry other models' attributes (a contact's "priority" is not a
        # conversation's); the Preview endpoint's items have no "model" and are all ours.
        items = [
            item
            for item in listing["data"]
            if isinstance(item, dict) and item.get("model", "conversation") == "conversation"
        ]
        listing = {**listing, "data": items}
        attributes = {}
        for item in items:
            if item.get("name"):
                attribute = Attribute.from_listing(item)
                # Archived duplicates must not shadow the live attribute of the same name.
                if attribute.name not in attributes or not attribute.archived:
                    attributes[attribute.name] = attribute
        return cls(attributes, listing)

    @classmethod
    def load(cls, path: Path) -> Schema:
        try:
            listing = json.loads(path.read_text(encoding="utf-8"))
        except OSError as error:
            raise InputError(path, f"cannot be read: {error.strerror}") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise InputError(path, f"is not valid JSON ({error})") from None
        return cls.from_listing(listing, source=path)

    def save(self, path: Path) -> None:
        try:
            path.write_text(json.dumps(self.listing, indent=2) + "\n", encoding="utf-8")
        except OSError as error:
            raise StorageFailed("schema file", path, storage_reason(error)) from None


# --- value conversion -------------------------------------------------------------------


def converter_for(attribute: Attribute, conventions: Conventions = POINT) -> Converter:
    """The function that turns a cell's text into the JSON value Intercom takes."""
    if attribute.type is AttributeType.LIST:
        return OptionMatcher(attribute.options)
    if attribute.type is AttributeType.RELATIONSHIP and attribute.reference == "one":
        return to_one_id
    return converter_for_type(attribute.type, conventions)


def converter_for_type(kind: AttributeType, conventions: Conventions = POINT) -> Converter:
    """The same for a value of a type with no options (a search field's, say)."""
    if kind is AttributeType.INTEGER:
        return functools.partial(to_integer, decimal_comma=conventions.decimal_comma)
    if kind is AttributeType.FLOAT:
        return functools.partial(to_float, decimal_comma=conventions.decimal_comma)
    if kind is AttributeType.BOOLEAN:
        return to_boolean
    if kind is AttributeType.DATE:
        return DateReader(conventions.date_order, conventions.zone)
    if kind is AttributeType.RELATIONSHIP:
        return to_id_list
    return str
