"""The simulator's conversation actions and the workspace they name: close, open, snooze and
assign (``POST /conversations/{id}/parts``), notes (``/reply``), tags attached and detached,
and the teammates, teams and tags to look names up in (``GET /admins``, ``/teams``, ``/tags``,
``POST /tags``). Request shapes as in Intercom's OpenAPI description (see
``shared/intercom-api.md`` §9); every accepted action adds a part to the conversation.

Conversations start in varied situations, decided by their id, so that a test can show that
nothing redundant is sent: ids ending in 7 are closed, in 8 snoozed; ids ≡ 1 (mod 4) are
assigned to teammate 101 and team 201; ids ≡ 2 (mod 6) carry the tag ``legacy``.
"""

from __future__ import annotations

import html
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bulk_update.config.versions import has_since
from bulk_update.sandbox.answers import version_of
from bulk_update.sheet.action_types import FLAGS_SINCE

Error = Callable[..., web.Response]


def _default_admins() -> list[dict[str, Any]]:
    return [
        _admin("101", "Ada Lovelace", "ada@example.com", team_ids=[201]),
        _admin("102", "Grace Hopper", "grace@example.com", team_ids=[202]),
    ]


def _admin(admin_id: str, name: str, email: str, *, team_ids: list[int]) -> dict[str, Any]:
    """A teammate as ``GET /admins`` lists one (the ``admin`` schema's fields)."""
    return {
        "type": "admin",
        "id": admin_id,
        "name": name,
        "email": email,
        "job_title": "Support",
        "away_mode_enabled": False,
        "away_mode_reassign": False,
        "has_inbox_seat": True,
        "team_ids": team_ids,
    }


def _default_teams() -> list[dict[str, Any]]:
    return [
        {"type": "team", "id": "201", "name": "Support", "admin_ids": [101]},
        {"type": "team", "id": "202", "name": "Billing", "admin_ids": [102]},
    ]


def _default_tags() -> list[dict[str, Any]]:
    return [
        {"type": "tag", "id": "301", "name": "migrated"},
        {"type": "tag", "id": "302", "name": "legacy"},
        {"type": "tag", "id": "303", "name": "VIP"},
    ]


@dataclass
class Workspace:
    """Who and what the actions can name. Mutable: ``POST /tags`` adds tags."""

    admins: list[dict[str, Any]] = field(default_factory=_default_admins)
    teams: list[dict[str, Any]] = field(default_factory=_default_teams)
    tags: list[dict[str, Any]] = field(default_factory=_default_tags)
    # Accepted actions by kind ("close", "note", "tag", ...): what a test counts.
    actions: Counter[str] = field(default_factory=Counter)
    # Called with the kind of each action once it took effect, before it is answered (a
    # test stops the client there: the worst moment for doing something exactly once).
    on_action: Callable[[str], None] | None = None

    def count(self, kind: str) -> None:
        self.actions[kind] += 1
        if self.on_action is not None:
            self.on_action(kind)

    def admin(self, admin_id: object) -> dict[str, Any] | None:
        return next((a for a in self.admins if a["id"] == str(admin_id)), None)

    def team(self, team_id: object) -> dict[str, Any] | None:
        return next((t for t in self.teams if t["id"] == str(team_id)), None)

    def tag(self, tag_id: object) -> dict[str, Any] | None:
        return next((t for t in self.tags if t["id"] == str(tag_id)), None)


def initial_situation(conversation_id: str, created: int, now: float) -> dict[str, Any]:
    """State, assignees and tags a new sandbox conversation starts with (see the module). A
    snoozed one wakes in 30 days from ``now`` (a conversation still snoozed has a time ahead)."""
    number = int(conversation_id)
    closed, snoozed = number % 10 == 7, number % 10 == 8
    assigned = number % 4 == 1
    tags = [dict(_default_tags()[1], applied_at=created)] if number % 6 == 2 else []
    return {
        "state": "closed" if closed else "snoozed" if snoozed else "open",
        "open": not closed,
        "snoozed_until": int(now) + 30 * 86_400 if snoozed else None,
        "admin_assignee_id": 101 if assigned else None,
        "team_assignee_id": "201" if assigned else None,
        "tags": {"type": "tag.list", "tags": tags},
        "conversation_parts": {
            "type": "conversation_part.list",
            "conversation_parts": [],
            "total_count": 0,
        },
    }


class ActionRoutes:
    """The routes; ``conversation`` finds (or 404s) a conversation, ``shown`` renders one as
    a version answers it, ``error`` builds an error body, ``clock`` gives the time."""

    def __init__(
        self,
        workspace: Workspace,
        conversation: Callable[[str], dict[str, Any]],
        shown: Callable[[dict[str, Any], str], dict[str, Any]],
        error: Error,
        clock: Callable[[], float],
    ):
        self.workspace = workspace
        self._conversation = conversation
        self._shown = shown
        self._error = error
        self._clock = clock

    def register(self, app: web.Application) -> None:
        add = app.router.add_route
        add("POST", "/conversations/{id}/parts", self._parts)
        add("POST", "/conversations/{id}/reply", self._reply)
        add("POST", "/conversations/{id}/tags", self._attach_tag)
        add("DELETE", "/conversations/{id}/tags/{tag_id}", self._detach_tag)
        add("GET", "/admins", self._admins)
        add("GET", "/teams", self._teams)
        add("GET", "/tags", self._tags)
        add("POST", "/tags", self._create_tag)

    # --- conversation actions -------------------------------------------------------------

    async def _parts(self, request: web.Request) -> web.Response:
        conversation = self._conversation(request.match_info["id"])
        body = await self._admin_body(request)
        if isinstance(body, web.Response):
            return body
        kind = body.get("message_type")
        if kind == "close":
            conversation.update(state="closed", open=False, snoozed_until=None)
        elif kind == "open":
            conversation.update(state="open", open=True, snoozed_until=None)
        elif kind == "snoozed":
            until = body.get("snoozed_until")
            if not isinstance(until, int) or isinstance(until, bool):
                return self._invalid("snoozed_until must be a unix timestamp")
            conversation.update(state="snoozed", open=True, snoozed_until=until)
        elif kind == "assignment":
            refused = self._assign(conversation, body)
            if refused is not None:
                return refused
        else:
            return self._invalid("message_type must be one of close, open, snoozed, assignment")
        self._add_part(conversation, str(kind), body)
        return web.json_response(self._shown(conversation, version_of(request)))

    def _assign(self, conversation: dict[str, Any], body: dict[str, Any]) -> web.Response | None:
        kind, assignee = body.get("type"), str(body.get("assignee_id", ""))
        if kind not in ("admin", "team"):
            return self._invalid("type must be admin or team")
        key = "admin_assignee_id" if kind == "admin" else "team_assignee_id"
        if assignee == "0":
            conversation[key] = None
        else:
            found = self.workspace.admin(assignee) if kind == "admin" else None
            found = found or (self.workspace.team(assignee) if kind == "team" else None)
            if found is None:
                return self._error(404, "assignee_not_found", "Assignee not found")
            conversation[key] = int(assignee) if kind == "admin" else assignee
        if conversation["state"] == "closed":  # documented: assigning reopens
            if body.get("skip_reopen") is True:  # Preview
                self.workspace.count("reopen skipped")
            else:
                conversation.update(state="open", open=True, snoozed_until=None)
        return None

    async def _reply(self, request: web.Request) -> web.Response:
        conversation = self._conversation(request.match_info["id"])
        body = await self._admin_body(request)
        if isinstance(body, web.Response):
            return body
        if body.get("message_type") not in ("note", "comment") or body.get("type") != "admin":
            return self._invalid("message_type must be note or comment, from type admin")
        if not isinstance(body.get("body"), str) or not body["body"]:
            return self._invalid("body is required")
        if body.get("skip_notifications") is True:
            self.workspace.count("notifications skipped")
        if conversation["state"] == "snoozed":  # a reply wakes a snoozed conversation
            if body.get("skip_unsnooze") is True:  # Preview
                self.workspace.count("unsnooze skipped")
            else:
                conversation.update(state="open", open=True, snoozed_until=None)
        self._add_part(conversation, str(body["message_type"]), body)
        return web.json_response(self._shown(conversation, version_of(request)))

    async def _attach_tag(self, request: web.Request) -> web.Response:
        conversation = self._conversation(request.match_info["id"])
        body = await self._admin_body(request)
        if isinstance(body, web.Response):
            return body
        if "id" not in body:
            return self._invalid("id is required")
        tag = self.workspace.tag(body["id"])
        if tag is None:
            return self._error(404, "tag_not_found", "Tag not found")
        carried = conversation["tags"]["tags"]
        applied = {
            **tag,
            "applied_at": int(self._clock()),
            "applied_by": {"type": "admin", "id": str(body["admin_id"])},
        }
        if all(t["id"] != tag["id"] for t in carried):
            carried.append(applied)
        self.workspace.count("tag")
        return web.json_response(applied)

    async def _detach_tag(self, request: web.Request) -> web.Response:
        conversation = self._conversation(request.match_info["id"])
        refused = await self._admin_body(request)
        if isinstance(refused, web.Response):
            return refused
        tag = self.workspace.tag(request.match_info["tag_id"])
        if tag is None:
            return self._error(404, "tag_not_found", "Tag not found")
        carried = conversation["tags"]["tags"]
        carried[:] = [t for t in carried if t["id"] != tag["id"]]
        self.workspace.count("untag")
        return web.json_response(tag)

    # --- lookups ------------------------------------------------------------------------------

    async def _admins(self, request: web.Request) -> web.Response:
        return web.json_response({"type": "admin.list", "admins": self.workspace.admins})

    async def _teams(self, request: web.Request) -> web.Response:
        return web.json_response({"type": "team.list", "teams": self.workspace.teams})

    async def _tags(self, request: web.Request) -> web.Response:
        return web.json_response({"type": "list", "data": self.workspace.tags})

    async def _create_tag(self, request: web.Request) -> web.Response:
        body = await _json_object(request)
        name = body.get("name") if body else None
        if not isinstance(name, str) or not name.strip():
            return self._invalid("name is required")
        existing = next((t for t in self.workspace.tags if t["name"] == name), None)
        if existing is not None:
            return web.json_response(existing)
        tag = {"type": "tag", "id": str(301 + len(self.workspace.tags)), "name": name}
        self.workspace.tags.append(tag)
        return web.json_response(tag)

    # --- shared -----------------------------------------------------------------------------

    async def _admin_body(self, request: web.Request) -> dict[str, Any] | web.Response:
        """The request's JSON object naming an existing teammate as ``admin_id`` (every
        action needs one), or the error answer."""
        body = await _json_object(request)
        if body is None:
            return self._invalid("the body must be a JSON object with admin_id")
        if "admin_id" not in body:
            return self._invalid("admin_id is required")
        version = version_of(request)
        for flag, since in FLAGS_SINCE.items():  # the table of actions' flags
            if flag in body and not has_since(version, since):
                return self._invalid(f"{flag} is not a parameter of Intercom-Version {version}")
            if flag in body and not isinstance(body[flag], bool):
                return self._invalid(f"{flag} must be a boolean")
        if self.workspace.admin(body["admin_id"]) is None:
            return self._error(404, "admin_not_found", "Admin not found")
        return body

    def _invalid(self, message: str) -> web.Response:
        return self._error(400, "parameter_invalid", message)

    def _add_part(self, conversation: dict[str, Any], kind: str, body: dict[str, Any]) -> None:
        parts = conversation["conversation_parts"]
        parts["conversation_parts"].append(
            {
                "type": "conversation_part",
                "id": str(len(parts["conversation_parts"]) + 1),
                "part_type": kind,
                "body": as_intercom_renders(str(body.get("body") or "")),
                "created_at": int(self._clock()),
                "author": {"type": "admin", "id": str(body["admin_id"])},
            }
        )
        parts["total_count"] = len(parts["conversation_parts"])
        conversation["updated_at"] = int(self._clock())
        self.workspace.count(kind)


def as_intercom_renders(text: str) -> str:
    """A note's text as Intercom shows it back: HTML, each line a paragraph, the text's own
    ``<``, ``>`` and ``&`` escaped (so ``&amp;`` typed comes back ``&amp;amp;``)."""
    return "".join(f"<p>{html.escape(line, quote=False)}</p>" for line in text.split("\n"))


async def _json_object(request: web.Request) -> dict[str, Any] | None:
    try:
        body = json.loads(await request.read() or b"null")
    except ValueError:
        return None
    return body if isinstance(body, dict) else None
