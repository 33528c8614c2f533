"""Conversation data attributes: the listing's shapes, saving/loading, and value typing.

Intercom lists conversation attributes in two shapes: the stable
``GET /data_attributes?model=conversation`` (``data_type`` in string/integer/float/boolean/
date, a list attribute being a string with ``options``) and the Preview
``GET /conversations/attributes`` (``data_type`` in string/integer/list/decimal/boolean/
datetime/relationship/files, options as ``{"label": ...}`` objects). Both are accepted here.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from bulk_update.errors import InputError, SettingNames


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


class ValueProblem(ValueError):
    """A cell's text cannot be converted to its attribute's type (the row is invalid).

    Made with :meth:`naming_settings`, the message names settings as ``{date_order}``, shown
    by :meth:`describe` as the caller calls them (a flag on the command line).
    """

    def __init__(self, message: str, *, template: str | None = None):
        super().__init__(message)
        self._template = template

    @classmethod
    def naming_settings(cls, template: str) -> ValueProblem:
        return cls(template.format_map(SettingNames({})), template=template)

    def describe(self, names: Mapping[str, str]) -> str:
        if self._template is None:
            return str(self)
        return self._template.format_map(SettingNames(names))


@dataclass(frozen=True)
class Attribute:
    name: str
    type: AttributeType
    options: tuple[str, ...] = ()
    writable: bool = True
    declared_type: str = ""

    @classmethod
    def from_listing(cls, item: dict[str, Any]) -> Attribute:
        name = str(item.get("name", ""))
        declared = str(item.get("data_type", "")).lower()
        options = tuple(_option_label(o) for o in item.get("options") or ())
        kind = _TYPE_ALIASES.get(declared, AttributeType.UNKNOWN)
        if kind is AttributeType.STRING and options:
            kind = AttributeType.LIST
        writable = (
            item.get("api_writable", True) is not False
            and not item.get("archived", False)
            and item.get("custom", True) is not False
        )
        return cls(name, kind, options, writable, declared)


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
                if attribute.name not in attributes or attribute.writable:
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
        path.write_text(json.dumps(self.listing, indent=2) + "\n", encoding="utf-8")


# --- value conversion -------------------------------------------------------------------

_INTEGER = re.compile(r"[+-]?\d+(?:\.0*)?")
_GROUPED_INTEGER = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+")
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_TRUE = {"true", "yes", "y", "t", "1", "1.0"}
_FALSE = {"false", "no", "n", "f", "0", "0.0"}
# Excel stores dates as days since 1899-12-30; a bare number below this is such a serial,
# anything larger is unix seconds (1,000,000 s is 12 January 1970, no real date).
_EXCEL_SERIAL_LIMIT = 1_000_000
_EXCEL_EPOCH = dt.datetime(1899, 12, 30, tzinfo=dt.UTC)
INTERCOM_INT_LIMIT = 2**63


def to_integer(text: str) -> int:
    value = text.strip()
    if _GROUPED_INTEGER.fullmatch(value):
        value = value.replace(",", "")
    if not _INTEGER.fullmatch(value):
        raise ValueProblem(f"{text!r} is not a whole number")
    number = int(value.split(".")[0])
    if abs(number) >= INTERCOM_INT_LIMIT:
        raise ValueProblem(f"{text!r} is too large for an integer attribute")
    return number


def to_float(text: str) -> float | int:
    value = text.strip()
    if _GROUPED_INTEGER.fullmatch(value):
        value = value.replace(",", "")
    if not _NUMBER.fullmatch(value):
        raise ValueProblem(f"{text!r} is not a number")
    number = float(value)
    if not math.isfinite(number):
        raise ValueProblem(f"{text!r} is not a finite number")
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


def to_boolean(text: str) -> bool:
    value = text.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueProblem(f"{text!r} is not true/false (also accepted: yes/no, 1/0)")


def to_unix_seconds(text: str) -> int:
    """ISO 8601 date or datetime, unix seconds, or an Excel date serial → unix seconds.

    A time without a zone is taken as UTC.
    """
    value = text.strip()
    if _NUMBER.fullmatch(value):
        number = float(value)
        if 0 < number < _EXCEL_SERIAL_LIMIT:
            return round((_EXCEL_EPOCH + dt.timedelta(days=number)).timestamp())
        return round(number)
    try:
        moment = dt.datetime.fromisoformat(value.replace(" ", "T", 1) if " " in value else value)
    except ValueError:
        raise ValueProblem(
            f"{text!r} is not a date: use ISO 8601 (2026-11-26 or 2026-11-26T14:30:00Z) "
            "or unix seconds"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return round(moment.timestamp())


def to_id_list(text: str) -> list[str]:
    """A relationship value: a JSON array of ids, or ids separated by ``;`` or ``,``."""
    value = text.strip()
    if value.startswith("["):
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            raise ValueProblem(f"{text!r} is not a valid JSON array of ids") from None
        if not isinstance(parsed, list) or not all(
            isinstance(item, str | int) and not isinstance(item, bool) for item in parsed
        ):
            raise ValueProblem(f"{text!r} must be an array of id strings")
        ids = [str(item).strip() for item in parsed]
    else:
        ids = [part.strip() for part in re.split(r"[;,]", value)]
    if not ids or any(not item for item in ids):
        raise ValueProblem(f"{text!r} has an empty id in it")
    return ids


def converter_for(attribute: Attribute) -> Callable[[str], Any]:
    """The function that turns a cell's text into the JSON value Intercom takes."""
    if attribute.type is AttributeType.LIST:
        return _list_converter(attribute)
    return _CONVERTERS.get(attribute.type, str)


def _list_converter(attribute: Attribute) -> Callable[[str], str]:
    options = set(attribute.options)
    by_folded = {option.strip().casefold(): option for option in attribute.options}

    def convert(text: str) -> str:
        if text in options:
            return text
        near = by_folded.get(text.strip().casefold()) or next(
            iter(difflib.get_close_matches(text, attribute.options, n=1, cutoff=0.6)), None
        )
        hint = f"; did you mean {near!r}?" if near else ""
        shown = ", ".join(repr(o) for o in attribute.options[:10])
        more = ", ..." if len(attribute.options) > 10 else ""
        raise ValueProblem(f"{text!r} is not one of the options ({shown}{more}){hint}")

    return convert


_CONVERTERS: dict[AttributeType, Callable[[str], Any]] = {
    AttributeType.STRING: str,
    AttributeType.INTEGER: to_integer,
    AttributeType.FLOAT: to_float,
    AttributeType.BOOLEAN: to_boolean,
    AttributeType.DATE: to_unix_seconds,
    AttributeType.RELATIONSHIP: to_id_list,
    AttributeType.UNKNOWN: str,
}
