"""The built-in Intercom simulator: the endpoints bulk-update uses, Intercom's error bodies,
fixed 10-second rate-limit windows with ``X-RateLimit-*`` headers, and fault injection.

Every all-digit conversation id exists except those ending in ``404`` (configurable), so
any sheet of ids can be tried without seeding data.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bulk_update.config.versions import has_since
from bulk_update.sandbox.actions import ActionRoutes, Workspace, initial_situation
from bulk_update.sandbox.answers import as_version, priority_refused, version_of
from bulk_update.sandbox.attributes import (
    body_refused,
    conversation_attributes,
    data_attributes,
    rendered,
    varied_values,
)
from bulk_update.sandbox.config import POPULATION_FIRST_ID, SandboxConfig
from bulk_update.sandbox.contacts import Contact, ContactBook, ContactRoutes
from bulk_update.sandbox.faults import Faults, conversation_named
from bulk_update.sandbox.faults import error_response as _error
from bulk_update.sandbox.search import LaggingIndex, SearchRefused, SearchRoute


@dataclass
class SandboxState:
    """What the simulator holds and saw: tests read it to check what arrived."""

    conversations: dict[str, dict[str, Any]] = field(default_factory=dict)
    put_counts: Counter[str] = field(default_factory=Counter)
    puts_applied: int = 0  # the sum of put_counts, readable from another thread
    paths: list[str] = field(default_factory=list)
    last_bodies: dict[str, Any] = field(default_factory=dict)
    status_counts: Counter[int] = field(default_factory=Counter)
    window_index: int = -1
    window_used: int = 0
    # Requests let through in each window (by window index): what a client achieved.
    window_history: Counter[int] = field(default_factory=Counter)
    # What a lagging search index shows of conversations changed lately.
    index: LaggingIndex = field(default_factory=lambda: LaggingIndex())
    # Teammates, teams and tags, and the actions taken on conversations.
    workspace: Workspace = field(default_factory=Workspace)
    # The contacts (users and leads) conversations are with.
    contacts: ContactBook = field(default_factory=ContactBook)

    def stats(self) -> dict[str, Any]:
        return {
            "puts_applied": self.puts_applied,
            "distinct_ids": len(self.put_counts),
            "status_counts": {str(k): v for k, v in sorted(self.status_counts.items())},
            "window_history": {str(k): v for k, v in sorted(self.window_history.items())},
            "actions": dict(self.workspace.actions),
        }


class SandboxApp:
    """The simulator's routes. ``state`` may be shared with an earlier server (a restart)."""

    def __init__(
        self,
        config: SandboxConfig | None = None,
        state: SandboxState | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ):
        self.config = config or SandboxConfig()
        self.state = state or SandboxState()
        # The rate-limit windows' clock: a test can share a virtual one with the client.
        self._clock = clock
        self._random = random.Random(self.config.seed)
        self._faults = Faults(lambda: self.config, self._random, self.conversation)
        self.app = web.Application(middlewares=[self._middleware])
        # Before /conversations/{id}, which would take "attributes" for an id.
        self.app.router.add_route("GET", "/conversations/attributes", self._conversation_attributes)
        self.app.router.add_route("PUT", "/conversations/{id}", self._put_conversation)
        self.app.router.add_route("GET", "/conversations/{id}", self._get_conversation)
        self.app.router.add_route("GET", "/data_attributes", self._data_attributes)
        self.app.router.add_route("GET", "/me", self._me)
        self.app.router.add_route("GET", "/_sandbox/stats", self._stats)
        ActionRoutes(self.state.workspace, self.conversation, self.shown, _error, clock).register(
            self.app
        )
        SearchRoute(
            self._searchable,
            self.conversation,
            self._attributes,
            self.shown,
            _error,
            self._faults.search_page,
            self.state.contacts.conversations_with,
        ).register(self.app)
        ContactRoutes(self.state.contacts, clock, _error, self.conversation).register(self.app)
        self.state.contacts.populate(POPULATION_FIRST_ID, self.config.population)
        for number in range(self.config.population):
            with contextlib.suppress(web.HTTPNotFound):  # an id that is missing by design
                self._populate(number)

    # --- the request path: auth → rate limit → faults → latency → handler -------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path == "/_sandbox/stats":
            response: web.StreamResponse = await handler(request)
            return response
        self.state.paths.append(request.raw_path)
        self._index_before_change(request)
        response = await self._answer(request, handler)
        self.state.status_counts[response.status] += 1
        return response

    async def _answer(self, request: web.Request, handler: Any) -> web.StreamResponse:
        config = self.config
        if request.headers.get("Authorization", "") != f"Bearer {config.token}":
            return _error(401, "unauthorized", "Access Token Invalid")
        rate_headers, allowed = self._count_request()
        if not allowed:
            return _error(
                429,
                "rate_limit_exceeded",
                f"Exceeded rate limit of {config.limit} in {config.window}_seconds",
                headers=rate_headers,
            )
        failed = await self._faults.injected(request, rate_headers)
        if failed is not None:
            return failed
        if config.latency > 0:
            await asyncio.sleep(self._random.expovariate(1 / config.latency))
        if config.answers_as_version is not None:
            headers = {**request.headers, "Intercom-Version": config.answers_as_version}
            request = request.clone(headers=headers)
        try:
            response: web.StreamResponse = await handler(request)
        except web.HTTPNotFound:
            response = _error(404, "not_found", "Resource Not Found")
        except web.HTTPMethodNotAllowed:
            response = _error(404, "not_found", "Resource Not Found")
        if config.wrong_answer_rate and self._random.random() < config.wrong_answer_rate:
            return self._faults.wrong_answer(request, response)
        if config.lost_answer_rate and self._random.random() < config.lost_answer_rate:
            if request.transport is not None:
                request.transport.abort()
            raise asyncio.CancelledError  # done, but the client never hears of it
        response.headers.update(rate_headers)
        return response

    def _count_request(self) -> tuple[dict[str, str], bool]:
        config, state = self.config, self.state
        now = self._clock()
        index = math.floor(now / config.window)
        if index != state.window_index:
            state.window_index, state.window_used = index, 0
        reset = (index + 1) * config.window
        allowed = state.window_used < config.limit
        if allowed:
            state.window_used += 1
            state.window_history[index] += 1
        told_reset = {
            "past": str(reset - 3600),
            "far_future": str(reset + 86_400),
            "malformed": "soon",
        }.get(config.reset_header, str(reset))
        headers = {
            "X-RateLimit-Limit": str(config.limit),
            "X-RateLimit-Remaining": str(max(0, config.limit - state.window_used)),
            "X-RateLimit-Reset": told_reset,
        }
        if config.reset_header == "missing":
            headers = {}
        if not allowed and config.retry_after is not None:
            auto = str(max(1, math.ceil(reset - now)))
            headers["Retry-After"] = auto if config.retry_after == "auto" else config.retry_after
        return headers, allowed

    # --- handlers ------------------------------------------------------------------------

    def conversation(self, conversation_id: str) -> dict[str, Any]:
        """The conversation as the sandbox holds it, made as it starts out on first use: a
        test seeds one by changing what this returns."""
        if not conversation_id.isascii() or not conversation_id.isdigit():
            raise web.HTTPNotFound()
        if self.config.missing_suffix and conversation_id.endswith(self.config.missing_suffix):
            raise web.HTTPNotFound()
        if conversation_id not in self.state.conversations:
            created = 1700000000 + int(conversation_id[-6:])
            self.state.conversations[conversation_id] = {
                "type": "conversation",
                "id": conversation_id,
                "title": None,
                "created_at": created,
                "updated_at": created,
                "state": "open",
                "open": True,
                "read": False,
                "priority": "none",  # held as 2.16's enum (see sandbox/answers.py)
                "custom_attributes": {},
                **initial_situation(conversation_id, created, self._clock()),
                "contacts": self.state.contacts.seeded(conversation_id, created),
            }
        return self.state.conversations[conversation_id]

    def add_contact(
        self,
        *,
        email: str | None = None,
        external_id: str | None = None,
        role: str = "user",
        conversations: tuple[str, ...] | list[str] = (),
        searchable_after: float = 0.0,
    ) -> Contact:
        """A contact a test seeds, with these conversations (see ``sandbox/contacts.py``):
        search finds it ``searchable_after`` seconds of the sandbox's clock from now."""
        contacts = self.state.contacts
        added = contacts.add(role, email, external_id, self._clock(), searchable_after)
        for conversation_id in conversations:
            contacts.link(added, self.conversation(conversation_id))
        return added

    def shown(self, conversation: dict[str, Any], version: str) -> dict[str, Any]:
        """The conversation as an answer in Intercom-Version ``version`` shows it."""
        return rendered(as_version(conversation, version), self._attributes())

    def _searchable(self) -> dict[str, dict[str, Any]]:
        """The conversations a search can find (refusing it, when configured to)."""
        if self.config.search_refusal is not None:
            raise SearchRefused(self.config.search_refusal)
        unindexed = self.config.unindexed
        shown = self.state.index.view(
            self.state.conversations, self._clock(), self.config.index_lag
        )
        if not unindexed:
            return shown
        return {key: found for key, found in shown.items() if key not in unindexed}

    def _index_before_change(self, request: web.Request) -> None:
        """What the lagging search index still shows of a conversation about to change."""
        named = conversation_named(request)
        if request.method == "GET" or named is None:
            return
        found = self.state.conversations.get(named)
        if found is not None:
            self.state.index.before_change(named, found, self._clock(), self.config.index_lag)

    def _populate(self, number: int) -> None:
        """One of the conversations there from the start, its attributes varied by number."""
        conversation = self.conversation(str(POPULATION_FIRST_ID + number))
        conversation["custom_attributes"].update(varied_values(number, self.config.listing))
        conversation["title"] = f"Conversation {number}"
        conversation["updated_at"] = conversation["created_at"] + number * 3600

    async def _get_conversation(self, request: web.Request) -> web.Response:
        conversation = self.conversation(request.match_info["id"])
        return web.json_response(self.shown(conversation, version_of(request)))

    async def _put_conversation(self, request: web.Request) -> web.Response:
        conversation_id = request.match_info["id"]
        conversation = self.conversation(conversation_id)
        try:
            body = json.loads(await request.read())
        except ValueError:
            return _error(400, "parameter_invalid", "Request body is not valid JSON")
        if not isinstance(body, dict):
            return _error(400, "parameter_invalid", "Body is required")
        attributes = self._attributes()
        problem = body_refused(body, attributes) or priority_refused(body, version_of(request))
        if problem:
            return _error(400, "parameter_invalid", problem)
        self.state.put_counts[conversation_id] += 1
        self.state.puts_applied += 1
        self.state.last_bodies[conversation_id] = body
        for key in ("read", "title", "priority"):
            if key in body:
                conversation[key] = body[key]
        if "company_id" in body:  # shown as the API 2.16 shows it
            company = body["company_id"]
            conversation["company"] = (
                None if company is None else {"type": "company", "id": company}
            )
        for name, value in (body.get("custom_attributes") or {}).items():
            if value is None:
                conversation["custom_attributes"].pop(name, None)
            else:
                conversation["custom_attributes"][name] = value
        conversation["updated_at"] = int(self._clock())
        return web.json_response(self.shown(conversation, version_of(request)))

    def _attributes(self) -> dict[str, dict[str, Any]]:
        return {a["name"]: a for a in self.config.listing["data"] if not a.get("archived", False)}

    async def _data_attributes(self, request: web.Request) -> web.Response:
        if request.query.get("model") != "conversation":
            return _error(
                400, "parameter_invalid", "model must be one of contact, company, conversation"
            )
        if _since_2_16(request):
            return _error(
                422,
                "parameter_invalid",
                "model=conversation is no longer supported. Use GET /conversations/attributes "
                "instead",
            )
        archived = _include_archived(request)
        return web.json_response(data_attributes(self.config.listing, include_archived=archived))

    async def _conversation_attributes(self, request: web.Request) -> web.Response:
        """2.16's own endpoint for conversation attributes (none before it)."""
        if not _since_2_16(request):
            raise web.HTTPNotFound()
        archived = _include_archived(request)
        listing = conversation_attributes(self.config.listing, include_archived=archived)
        return web.json_response(listing)

    async def _stats(self, request: web.Request) -> web.Response:
        """Not Intercom's: what the sandbox saw, for benchmarks and manual checks."""
        return web.json_response(self.state.stats())

    async def _me(self, request: web.Request) -> web.Response:
        app = {"type": "app", "id_code": "sandbox", "name": "bulk-update sandbox", "region": "US"}
        operator = {"type": "admin", "id": "1", "email": "sandbox@example.invalid"}
        return web.json_response({**operator, "name": "Sandbox Operator", "app": app})


def _since_2_16(request: web.Request) -> bool:
    """Whether the request's Intercom-Version lists conversation attributes on their own."""
    return has_since(version_of(request), "2.16")


def _include_archived(request: web.Request) -> bool:
    return request.query.get("include_archived", "").lower() == "true"


class Sandbox:
    """Runs :class:`SandboxApp` on a loopback port inside the current event loop."""

    def __init__(
        self,
        config: SandboxConfig | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        state: SandboxState | None = None,
        clock: Callable[[], float] = time.time,
    ):
        self.server = SandboxApp(config, state, clock=clock)
        self._host = host
        self._port = port
        self._runner: web.AppRunner | None = None
        self.url = ""

    @property
    def config(self) -> SandboxConfig:
        return self.server.config

    @property
    def state(self) -> SandboxState:
        return self.server.state

    async def start(self) -> str:
        self._runner = web.AppRunner(self.server.app, access_log=None, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://{self._host}:{port}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Sandbox:
        await self.start()
        return self

    async def __aexit__(self, *_exc_info: object) -> None:
        await self.stop()
