"""Which answers are worth another try, and how long to wait before it."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bulk_update.client import ApiResponse
from bulk_update.ratelimit import Pacer

# 408 and 5xx gateway errors are momentary; 429 waits for the window (see ratelimit).
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# The run cannot go on with this token: stop instead of hammering a revoked credential.
FATAL_STATUSES = frozenset({401, 403})


def is_retryable(response: ApiResponse) -> bool:
    return response.status is None or response.status in RETRYABLE_STATUSES


def is_fatal(response: ApiResponse) -> bool:
    return response.status in FATAL_STATUSES


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter: wait uniform(0, min(cap, base * 2**n))."""

    max_retries: int = 6
    base_delay: float = 0.5
    max_delay: float = 30.0
    random: Callable[[], float] = field(default=random.random, compare=False)

    def allows_retry(self, response: ApiResponse, attempts: int) -> bool:
        """``attempts`` counts the tries made so far, the first one included."""
        return is_retryable(response) and attempts <= self.max_retries

    def backoff(self, attempts: int) -> float:
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempts - 1))
        return float(self.random() * ceiling)


async def call_with_retries(
    call: Callable[[], Awaitable[ApiResponse]],
    policy: RetryPolicy,
    pacer: Pacer,
    *,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> ApiResponse:
    """Repeat a one-off request until it succeeds or may not retry. The pacer waits out 429s
    and spent windows exactly as it does for the pipeline's requests."""
    attempts = 0
    while True:
        await pacer.acquire()
        response = await call()
        pacer.observe(response)
        attempts += 1
        if not policy.allows_retry(response, attempts):
            return response
        if response.status != 429:  # the pacer already holds the next call until the reset
            await sleep(policy.backoff(attempts))
