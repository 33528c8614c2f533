"""What a run reads about the workspace before it starts: its conversation attributes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from bulk_update.client import IntercomClient, fetch_listing
from bulk_update.config import Rate
from bulk_update.errors import AuthenticationFailed, UsageError, escape
from bulk_update.ratelimit import Pacer
from bulk_update.retry import Caller, RetryPolicy
from bulk_update.schema import Schema


async def fetch_schema(
    client: IntercomClient,
    policy: RetryPolicy,
    *,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> Schema:
    """The workspace's conversation attributes, read once at the start of a run."""
    # One request: the pacer is there for what the answer's rate-limit headers say.
    caller = Caller(Pacer(Rate(10, 1), clock=clock, sleep=sleep), policy, sleep=sleep)
    answered = await caller.call(lambda: fetch_listing(client))
    assert answered is not None  # nothing stops this caller before its first attempt
    response, _attempts = answered
    if response.status in (401, 403):
        raise AuthenticationFailed(
            f"Intercom refused the access token ({response.status} "
            f"{response.error_code}: {response.error_message}); check the access token and "
            "that it belongs to this region's workspace"
        )
    if not response.ok:
        reason = response.error_message or f"HTTP {response.status}"
        raise UsageError.naming_settings(
            "could not read the workspace's conversation attributes from "
            f"{escape(client.base_url)} ({escape(reason)}); try again, or work offline with "
            "{schema_path}"
        )
    return Schema.from_listing(response.data, source=f"{client.base_url}/data_attributes")
