"""The sandbox workspace's conversation attributes (also saved as sample_data/schema.json), and
which values Intercom takes for each and how it shows them."""

from __future__ import annotations

import datetime as dt
from typing import Any


def _attribute(
    number: int, name: str, data_type: str, *, options: list[str] | None = None, **extra: Any
) -> dict[str, Any]:
    attribute: dict[str, Any] = {
        "type": "data_attribute",
        "id": 1000 + number,
        "model": "conversation",
        "name": name,
        "full_name": f"custom_attributes.{name}",
        "label": name.replace("_", " ").capitalize(),
        "description": "",
        "data_type": data_type,
        "api_writable": True,
        "ui_writable": True,
        "messenger_writable": False,
        "custom": True,
        "archived": False,
        "created_at": 1700000000,
        "updated_at": 1700000000,
        "admin_id": "1",
    }
    if options is not None:
        attribute["options"] = options
    attribute.update(extra)
    return attribute


def default_listing() -> dict[str, Any]:
    """``GET /data_attributes?model=conversation`` of the sandbox workspace."""
    return {
        "type": "list",
        "data": [
            _attribute(
                1,
                "issue_type",
                "string",
                options=["Billing", "Bug", "Feature request", "Account", "Other"],
            ),
            _attribute(2, "priority", "string", options=["Low", "Medium", "High", "Urgent"]),
            _attribute(3, "region", "string"),
            _attribute(4, "csat_score", "integer"),
            _attribute(5, "monthly_spend", "float"),
            _attribute(6, "vip", "boolean"),
            _attribute(7, "due_date", "date"),
            _attribute(8, "orders", "relationship"),
            _attribute(9, "legacy_code", "string", archived=True),
            _attribute(10, "sla_breached", "boolean", api_writable=False),
        ],
    }


def value_fits(attribute: dict[str, Any], value: Any) -> bool:
    """Whether Intercom would take ``value`` for this attribute (else 400 parameter_invalid)."""
    data_type = attribute.get("data_type")
    options = attribute.get("options")
    if options:
        return value in [o["label"] if isinstance(o, dict) else o for o in options]
    if data_type in ("string", "files"):
        return isinstance(value, str)
    if data_type == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if data_type in ("float", "decimal"):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if data_type == "boolean":
        return isinstance(value, bool)
    if data_type in ("date", "datetime"):
        if isinstance(value, int) and not isinstance(value, bool):
            return True
        try:
            dt.datetime.fromisoformat(str(value))
        except ValueError:
            return False
        return True
    if data_type == "relationship":
        return isinstance(value, list) and all(isinstance(item, str) for item in value)
    return True


def rendered(conversation: dict[str, Any], attributes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The conversation as Intercom returns it: relationship attributes expanded."""
    rendered = dict(conversation)
    custom = {}
    for name, value in conversation["custom_attributes"].items():
        if attributes.get(name, {}).get("data_type") == "relationship":
            object_type = name.rstrip("s").capitalize() or "Object"
            value = {
                "type": f"{object_type}.list",
                "instances": [{"id": item, "type": object_type} for item in value],
            }
        custom[name] = value
    rendered["custom_attributes"] = custom
    return rendered


def varied_values(number: int, listing: dict[str, Any]) -> dict[str, Any]:
    """The attribute values of the sandbox's ``number``-th conversation there from the start:
    varied so that searches and exports find some and not others."""
    options = {a["name"]: a.get("options") or [] for a in listing["data"]}
    values: dict[str, Any] = {}
    if options.get("issue_type"):
        values["issue_type"] = options["issue_type"][number % len(options["issue_type"])]
    if options.get("priority") and number % 3:
        values["priority"] = options["priority"][number % len(options["priority"])]
    values["csat_score"] = number // 5 % 5 + 1
    values["vip"] = number % 4 == 0
    return values
