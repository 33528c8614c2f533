"""A conversation as each Intercom-Version shows it (``shared/intercom-api.md`` §9.7, from
Intercom's OpenAPI descriptions). The sandbox holds one form and renders it per version at
the edge, in every answer (GET, PUT, actions, search):

- nobody assigned is held as None: before 2.16 it is shown null, from 2.16 (and Preview) ``0``;
- the conversation's own ``priority`` is held as 2.16's enum (``none`` by default): from 2.16
  it is shown as it is, before 2.16 as ``priority`` or ``not_priority``.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bulk_update.config.versions import has_since
from bulk_update.sheet.inbox_actions import PRIORITIES, PRIORITY

# The version a request without an Intercom-Version header is answered in (a workspace's
# default is set in its developer hub; the sandbox's is the tool's default).
WORKSPACE_VERSION = "2.14"
ASSIGNEES = ("admin_assignee_id", "team_assignee_id")


def version_of(request: web.Request) -> str:
    """The Intercom-Version a request asks for."""
    return request.headers.get("Intercom-Version", WORKSPACE_VERSION)


def as_version(conversation: dict[str, Any], version: str) -> dict[str, Any]:
    """The conversation's fields as ``version`` shows them (a copy; the rest shared)."""
    shown = dict(conversation)
    enum = has_since(version, "2.16")
    for key in ASSIGNEES:
        if shown.get(key) in (None, 0):
            shown[key] = 0 if enum else None
    priority = conversation.get("priority", "none")
    if not enum:
        priority = "not_priority" if priority == "none" else "priority"
    shown["priority"] = priority
    return shown


def priority_refused(body: dict[str, Any], version: str) -> str | None:
    """Why a ``PUT`` body's ``priority`` is refused: Preview alone takes it (with the teammate
    credited as ``admin_id``), as one of 2.16's enum."""
    if "priority" not in body:
        return None
    if not has_since(version, PRIORITY.writes_since):
        return f"priority is not a parameter of Intercom-Version {version}"
    if body["priority"] not in PRIORITIES:
        return f"'{body['priority']}' is not a valid value for 'priority'"
    return None
