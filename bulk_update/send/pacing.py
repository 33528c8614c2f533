"""Pacing: a static ceiling (aiolimiter) plus the budget Intercom's headers report.

Intercom counts requests in fixed 10-second windows and says, on every authenticated
answer, how many are left (``X-RateLimit-Remaining``) and when the window ends
(``X-RateLimit-Reset``, epoch seconds). The pacer keeps an estimate of the budget left in
the current window; when it reaches zero every worker waits for the reset instead of
spending requests on 429s. Another integration using the same budget shows up as a lower
``Remaining`` and is accounted for the same way.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable

from aiolimiter import AsyncLimiter

from bulk_update.config import Rate
from bulk_update.send.client import ApiResponse

log = logging.getLogger(__name__)

# Never wait longer than this on what a header says (a wrong clock or a malformed reset
# must not stall a run for hours); a longer pause is announced and capped.
MAX_HEADER_WAIT = 60.0
# With no usable header, a 429 pauses everyone this long.
DEFAULT_429_PAUSE = 2.0
# Waiting workers re-check this often, so an answer that frees budget wakes them early.
POLL_INTERVAL = 0.05


class Pacer:
    """Decides when the next request may go. Create it inside the running event loop."""

    def __init__(
        self,
        rate: Rate,
        *,
        headroom_percent: float = 0.0,
        max_wait: float = MAX_HEADER_WAIT,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ):
        self._limiter = AsyncLimiter(rate.requests, rate.seconds)
        self._turn = asyncio.Lock()
        self._headroom = headroom_percent / 100
        self._max_wait = max_wait
        self._clock = clock
        self._sleep = sleep
        self._paused_until = 0.0
        self._announced_until = 0.0
        self._first_answer = asyncio.Event()
        self._window_reset: float | None = None
        self._budget = math.inf
        self._limit = math.inf  # X-RateLimit-Limit, once an answer has told it
        self._lowest_remaining: float = math.inf  # the freshest count seen in this window
        self._in_flight = 0
        self.rate_limited = 0
        self.pauses = 0  # waits for the rate limit so far (a 429's pause, or a spent window)
        self._warned: set[str] = set()

    def _warn_once(self, header: str, message: str) -> None:
        """One warning per misbehaving header, not one per answer."""
        if header not in self._warned:
            self._warned.add(header)
            log.warning(message)

    def _seconds_to_wait(self, now: float) -> float:
        if self._paused_until > now:
            return self._paused_until - now
        if self._window_reset is not None:
            if now >= self._window_reset:
                # A new window: its whole limit (as last told) until an answer says more.
                self._window_reset = None
                self._budget = self._limit * (1 - self._headroom) - self._in_flight
                self._lowest_remaining = math.inf
            elif self._budget <= 0:
                return self._window_reset - now
        return 0.0

    async def acquire(self) -> None:
        """Wait for a turn. Every acquire is followed by one :meth:`observe` or :meth:`release`.

        Callers take turns in order: only the first one polls while a pause lasts, the
        others wait on the lock without waking up.
        """
        async with self._turn:
            if self._in_flight and not self._first_answer.is_set():
                # Until an answer tells the window's budget, one request probes it: a burst of
                # --concurrency requests into a nearly spent window would come back as 429s.
                await self._first_answer.wait()
            while True:
                while (wait := self._seconds_to_wait(self._clock())) > 0:
                    self._announce(wait)
                    await self._sleep(min(wait, POLL_INTERVAL))
                await self._limiter.acquire()
                # A pause may have begun while this caller waited inside the limiter.
                if self._seconds_to_wait(self._clock()) <= 0:
                    break
            self._in_flight += 1
            self._budget -= 1

    def _announce(self, wait: float) -> None:
        """Say once per pause that the run is waiting, and for how long (with -v)."""
        until = self._clock() + wait
        if until > self._announced_until + POLL_INTERVAL:
            self._announced_until = until
            self.pauses += 1
            shown = f"{wait:.0f}" if wait >= 1 else f"{wait:.1f}"
            log.info("waiting %s s for the next rate-limit window", shown)

    def release(self) -> None:
        """The turn taken by :meth:`acquire` was not used (the run is stopping)."""
        self._first_answer.set()  # nobody may wait for an answer that will not come
        self._in_flight -= 1
        self._budget += 1

    def observe(self, response: ApiResponse) -> None:
        """Learn from the answer (or the transport failure) of a request sent after acquire."""
        self._in_flight -= 1
        self._first_answer.set()
        now = self._clock()
        info = response.rate
        reset_at = info.reset_at if info else None
        if reset_at is not None and not now < reset_at <= now + self._max_wait:
            if reset_at > now + self._max_wait:
                self._warn_once(
                    "X-RateLimit-Reset",
                    f"X-RateLimit-Reset is {reset_at - now:.0f} s away (a wrong clock?); "
                    f"waiting at most {self._max_wait:.0f} s at a time",
                )
                reset_at = now + self._max_wait
            else:
                reset_at = None  # in the past: a stale window or a skewed clock
        if response.status == 429:
            self.rate_limited += 1
            self._pause_after_429(now, response, reset_at)
            if response.retry_after is not None:
                return  # the server said when to come back; that wins over the window
        if info is None or info.remaining is None or reset_at is None:
            return
        if self._window_reset is not None and reset_at < self._window_reset:
            return  # an answer from a window that has already ended
        if reset_at == self._window_reset and info.remaining >= self._lowest_remaining:
            # Answers overtake each other: one that reports no fewer left than an earlier
            # one was counted before it, and says nothing new.
            return
        self._lowest_remaining = info.remaining
        if info.limit:
            self._limit = info.limit
        reserve = self._headroom * info.limit if info.limit else 0.0
        # The server may not have counted the requests still in flight: assume it has not.
        # (Over-cautious by at most the concurrency, and only until their answers arrive.)
        estimate = info.remaining - reserve - self._in_flight
        if response.status == 429:
            estimate = min(estimate, 0)
        self._window_reset = reset_at
        self._budget = estimate

    def _pause_after_429(self, now: float, response: ApiResponse, reset_at: float | None) -> None:
        if response.retry_after is not None:
            pause = min(response.retry_after, self._max_wait)
            if response.retry_after > self._max_wait:
                self._warn_once(
                    "Retry-After",
                    f"Retry-After asks for {response.retry_after:.0f} s; "
                    f"waiting at most {self._max_wait:.0f} s at a time",
                )
        elif reset_at is not None:
            pause = reset_at - now
        else:
            pause = DEFAULT_429_PAUSE
        self._paused_until = max(self._paused_until, now + pause)
