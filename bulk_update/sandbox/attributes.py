"""The sandbox workspace's conversation attributes (also saved as sample_data/schema.json), and
which values Intercom takes for each and how it shows them.

The attributes are defined in the stable ``GET /data_attributes`` shape, with what only
2.16's ``GET /conversations/attributes`` says beside it where a test needs it (``reference``:
a relationship's ``one|many``; ``required``, ``visible_to_team_ids``); each endpoint shows
them in its own shape."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

# What only the 2.16 shape says: the stable listing leaves these out.
_NEWER_KEYS = ("reference", "required", "visible_to_team_ids", "multiline")
# The stable data_type → 2.16's (a string with options is a list).
_NEWER_TYPES = {"float": "decimal", "date": "datetime"}


def defined_attribute(
    number: int, name: str, data_type: str, *, options: list[str] | None = None, **extra: Any
) -> dict[str, Any]:
    """A conversation attribute of the sandbox workspace, as the stable listing shows it
    (``extra`` may add ``archived``, ``api_writable`` or a relationship's ``reference``)."""
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
    """The sandbox workspace's conversation attributes (as ``GET /data_attributes`` shows
    them, archived ones too)."""
    return {
        "type": "list",
        "data": [
            defined_attribute(
                1,
                "issue_type",
                "string",
                options=["Billing", "Bug", "Feature request", "Account", "Other"],
            ),
            defined_attribute(2, "priority", "string", options=["Low", "Medium", "High", "Urgent"]),
            defined_attribute(3, "region", "string"),
            defined_attribute(4, "csat_score", "integer"),
            defined_attribute(5, "monthly_spend", "float"),
            defined_attribute(6, "vip", "boolean"),
            defined_attribute(7, "due_date", "date"),
            defined_attribute(8, "orders", "relationship"),
            defined_attribute(9, "legacy_code", "string", archived=True),
            defined_attribute(10, "sla_breached", "boolean", api_writable=False),
        ],
    }


def data_attributes(definitions: dict[str, Any], *, include_archived: bool) -> dict[str, Any]:
    """``GET /data_attributes?model=conversation`` (before 2.16)."""
    data = [
        {key: value for key, value in item.items() if key not in _NEWER_KEYS}
        for item in _shown(definitions, include_archived)
    ]
    return {**definitions, "data": data}


def conversation_attributes(
    definitions: dict[str, Any], *, include_archived: bool
) -> dict[str, Any]:
    """``GET /conversations/attributes`` (2.16 on): each as a ``conversation_attribute``."""
    return {
        "type": "list",
        "data": [_conversation_attribute(item) for item in _shown(definitions, include_archived)],
    }


def _shown(definitions: dict[str, Any], include_archived: bool) -> list[dict[str, Any]]:
    """By default Intercom lists only attributes that are not archived."""
    return [a for a in definitions["data"] if include_archived or not a.get("archived", False)]


def _conversation_attribute(item: dict[str, Any]) -> dict[str, Any]:
    data_type = item.get("data_type", "string")
    options = item.get("options") or []
    if data_type == "string" and options:
        data_type = "list"
    shown: dict[str, Any] = {
        "type": "conversation_attribute",
        "id": item.get("id"),
        "name": item.get("name"),
        "description": item.get("description", ""),
        "data_type": _NEWER_TYPES.get(data_type, data_type),
        "required": item.get("required", False),
        "visible_to_team_ids": item.get("visible_to_team_ids", []),
        "archived": item.get("archived", False),
        "created_at": item.get("created_at"),
        "updated_at": item.get("updated_at"),
        "admin_id": item.get("admin_id"),
    }
    if data_type == "string":
        shown["multiline"] = item.get("multiline", False)
    if data_type == "list":
        shown["options"] = [_option(item["name"], option) for option in options]
    if data_type == "relationship":
        default = {"type": "many", "object_type_id": _object_type(item["name"])}
        shown["reference"] = {**default, **item.get("reference", {})}
    return shown


def _option(name: str, option: Any) -> dict[str, Any]:
    """A list option as 2.16 shows it: its own uuid (the same every time), label, archived."""
    label = option["label"] if isinstance(option, dict) else option
    archived = option.get("archived", False) if isinstance(option, dict) else False
    return {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{name}/{label}")),
        "label": label,
        "archived": archived,
    }


def _object_type(name: str) -> str:
    """The custom object type a relationship attribute names (``orders`` → ``Order``)."""
    return name.rstrip("s").capitalize() or "Object"


def body_refused(body: dict[str, Any], attributes: dict[str, dict[str, Any]]) -> str | None:
    """Why Intercom refuses a ``PUT /conversations/{id}`` body's values (the 400's message),
    or None; ``attributes`` are the workspace's, by name."""
    if "read" in body and not isinstance(body["read"], bool):
        return f"'{body['read']}' is not a valid value for 'read'"
    if "title" in body and not isinstance(body["title"], str | None):
        return f"'{body['title']}' is not a valid value for 'title'"
    custom = body.get("custom_attributes")
    if custom is None:
        return None
    if not isinstance(custom, dict):
        return "custom_attributes must be an object"
    for name, value in custom.items():
        attribute = attributes.get(name)
        if attribute is None:
            return f"Conversation attribute '{name}' does not exist"
        if attribute.get("api_writable") is False:
            return f"Conversation attribute '{name}' is not writable through the API"
        if value is not None and not value_fits(attribute, value):
            return f"'{value}' is not a valid value for '{name}'"
    return None


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
        one = (attribute.get("reference") or {}).get("type") == "one"
        return (
            isinstance(value, list)
            and all(isinstance(item, str) for item in value)
            and (len(value) == 1 or not one)
        )
    return True


def rendered(conversation: dict[str, Any], attributes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The conversation as Intercom returns it: relationship attributes expanded."""
    rendered = dict(conversation)
    custom = {}
    for name, value in conversation["custom_attributes"].items():
        if attributes.get(name, {}).get("data_type") == "relationship":
            object_type = _object_type(name)
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
