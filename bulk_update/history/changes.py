"""A row's intended changes against the conversation as it is now: what is already in
place, what would change, and the values to restore (for ``--backup``)."""

from __future__ import annotations

import json
from typing import Any

from bulk_update.history.backup import as_cell
from bulk_update.sheet.columns import TOP_LEVEL_FIELDS

# An attribute the conversation has no value for (restoring it means clearing it).
UNSET: Any = None


def intended(payload: bytes) -> dict[str, Any]:
    """The row's changes by column name (top-level fields and custom attributes alike)."""
    body = json.loads(payload)
    changes = {key: value for key, value in body.items() if key != "custom_attributes"}
    changes.update(body.get("custom_attributes") or {})
    return changes


def current_values(conversation: dict[str, Any], names: list[str]) -> dict[str, Any]:
    """The conversation's present value of each named field; ``UNSET`` where it has none,
    left out where the answer does not show it."""
    custom = conversation.get("custom_attributes") or {}
    values = {}
    for name in names:
        if name == "company_id":
            company = _company_id(conversation)
            if company is not _NOT_SHOWN:
                values[name] = company
        elif name in TOP_LEVEL_FIELDS:
            values[name] = conversation.get(name, UNSET)
        else:
            values[name] = _plain(custom.get(name, UNSET))
    return values


_NOT_SHOWN: Any = object()


def _company_id(conversation: dict[str, Any]) -> Any:
    """The conversation's company id: shown as ``company`` from API 2.16 (before that, not
    at all, and then it is left out: an unknown value is neither compared nor backed up)."""
    if "company" in conversation:
        company = conversation["company"]
        return str(company["id"]) if isinstance(company, dict) and company.get("id") else UNSET
    return conversation.get("company_id", _NOT_SHOWN)


def _plain(value: Any) -> Any:
    """Relationship attributes come back expanded (``{"instances": [{"id": ...}]}``)."""
    if isinstance(value, dict) and isinstance(value.get("instances"), list):
        return [str(item.get("id")) for item in value["instances"] if isinstance(item, dict)]
    return value


def same(before: Any, after: Any) -> bool:
    if isinstance(before, bool) or isinstance(after, bool):
        return before is after
    return bool(before == after)


def differences(
    before: dict[str, Any], after: dict[str, Any], dates: frozenset[str] = frozenset()
) -> list[str]:
    """``name: old → new`` for every field whose value would change, as a person reads it
    (dates in ISO 8601, ``unset`` for no value)."""
    return [
        f"{name}: {shown(before.get(name), name in dates)} → {shown(value, name in dates)}"
        for name, value in after.items()
        if not same(before.get(name), value)
    ]


def shown(value: Any, is_date: bool = False, *, unset: str = "unset") -> str:
    """A value as a person reads it: as a backup cell would hold it, but ``unset`` for no
    value and a relationship's ids as ``21;34`` (both as a sheet cell reads them back)."""
    if isinstance(value, list):
        return ";".join(str(item) for item in value)
    return as_cell(value, unset, is_date=is_date)
