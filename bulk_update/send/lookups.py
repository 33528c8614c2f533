"""What a run reads about the workspace before it starts: which workspace it is, its
conversation attributes, and (for a sheet with action columns) its teammates, teams and tags."""

from __future__ import annotations

import asyncio
import functools
import json
import time
from collections.abc import Awaitable, Callable
from typing import NoReturn

from bulk_update.config import Rate
from bulk_update.errors import AuthenticationFailed, UsageError, escape
from bulk_update.models import Workspace
from bulk_update.send.client import ApiResponse, IntercomClient, fetch_listing
from bulk_update.send.pacing import Pacer
from bulk_update.send.retry import Caller, RetryPolicy
from bulk_update.sheet.directory import Directory, Named
from bulk_update.sheet.schema import Schema


async def fetch_schema(
    client: IntercomClient,
    policy: RetryPolicy,
    *,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> Schema:
    """The workspace's conversation attributes, read once at the start of a run."""
    # One request: the pacer is there for what the answer's rate-limit headers say.
    caller = _lookup_caller(policy, clock, sleep)
    response = await _answer(caller, lambda: fetch_listing(client))
    if not response.ok:
        _refused(response, client, "conversation attributes")
    source = f"{client.base_url}'s conversation attribute listing"
    return Schema.from_listing(response.data, source=source)


async def fetch_workspace(
    client: IntercomClient,
    policy: RetryPolicy,
    *,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> Workspace | ApiResponse:
    """The workspace the token belongs to (``GET /me``), or the answer that did not tell
    it (a token refused included: the run's first write then stops the run as it does)."""
    caller = _lookup_caller(policy, clock, sleep)
    response = await _answer(caller, functools.partial(client.get_json, "/me"))
    app = response.data.get("app") if response.ok and isinstance(response.data, dict) else None
    if not isinstance(app, dict) or not (app.get("id_code") or app.get("name")):
        return response
    me = response.data
    return Workspace(
        name=str(app.get("name") or ""),
        app_id=str(app.get("id_code") or ""),
        region=str(app.get("region") or ""),
        teammate=str(me.get("email") or me.get("name") or me.get("id") or ""),
    )


async def fetch_directory(
    client: IntercomClient,
    policy: RetryPolicy,
    *,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> Directory:
    """The teammates, teams and tags that action cells name, read once per run."""
    caller = _lookup_caller(policy, clock, sleep)
    listings = []
    for path in ("/admins", "/teams", "/tags"):
        response = await _answer(caller, functools.partial(client.get_json, path))
        if not response.ok:
            _refused(response, client, path.strip("/"))
        listings.append(response.data)
    return Directory.from_listings(*listings)


async def create_tag(client: IntercomClient, caller: Caller, name: str) -> Named | ApiResponse:
    """``POST /tags``: the tag created (or the one of that name already there), or the
    answer that refused it."""
    body = json.dumps({"name": name}, ensure_ascii=False).encode()
    called = await caller.call(lambda: client.request("POST", "/tags", body))
    if called is None:
        return ApiResponse(None, "interrupted", "the run stopped")
    response, _attempts = called
    data = response.data
    if not response.ok or not isinstance(data, dict) or "id" not in data:
        return response
    return Named(str(data["id"]), str(data.get("name") or name))


def _lookup_caller(
    policy: RetryPolicy, clock: Callable[[], float], sleep: Callable[[float], Awaitable[None]]
) -> Caller:
    # A few requests: the pacer is there for what the answers' rate-limit headers say.
    return Caller(Pacer(Rate(10, 1), clock=clock, sleep=sleep), policy, sleep=sleep)


async def _answer(caller: Caller, request: Callable[[], Awaitable[ApiResponse]]) -> ApiResponse:
    answered = await caller.call(request)
    assert answered is not None  # nothing stops this caller before its first attempt
    return answered[0]


def _refused(response: ApiResponse, client: IntercomClient, what: str) -> NoReturn:
    if response.status in (401, 403):
        raise AuthenticationFailed(
            f"Intercom refused the access token ({response.status} "
            f"{response.error_code}: {response.error_message}); check the access token and "
            "that it belongs to this region's workspace"
        )
    reason = response.error_message or f"HTTP {response.status}"
    offline = ", or work offline with {schema_path}" if what.startswith("conv") else ""
    raise UsageError.naming_settings(
        f"could not read the workspace's {escape(what)} from {escape(client.base_url)} "
        f"({escape(reason)}); try again{offline}"
    )
