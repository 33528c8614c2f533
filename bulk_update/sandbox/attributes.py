"""The sandbox workspace's conversation attributes (also saved as sample_data/schema.json)."""

from __future__ import annotations

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
