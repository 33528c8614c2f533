"""Which answers are worth another try, how long to wait before it, and the one loop that
every request of a run goes through (:class:`Caller`)."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bulk_update.models import SendStats
from bulk_update.rules import is_fatal, is_retryable, may_have_landed
from bulk_update.send.client import ApiResponse
from bulk_update.send.pacing import Pacer

audit = logging.getLogger("bulk_update.audit")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter: wait uniform(0, min(cap, base * 2**n))."""

    max_retries: int = 6
    base_delay: float = 0.5
    max_delay: float = 30.0
    random: Callable[[], float] = field(default=random.random, compare=False)

    def allows_retry(self, response: ApiResponse, attempts: int) -> bool:
        """``attempts`` counts the tries made so far, the first one included."""
        return is_retryable(response.status) and attempts <= self.max_retries

    def backoff(self, attempts: int) -> float:
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempts - 1))
        return float(self.random() * ceiling)


@dataclass(frozen=True, slots=True)
class CallLabel:
    """What a request is for, in its audit log line."""

    row: int = 0
    conversation_id: str = ""
    body: bytes | None = None


class Caller:
    """Sends requests paced and retried, counts them, and stops the run on 401/403.

    ``stop()`` (Ctrl-C, a refused token, too many failures) makes every later call return
    None before putting anything on the wire; requests already sent finish.
    """

    def __init__(
        self,
        pacer: Pacer,
        policy: RetryPolicy,
        *,
        stats: SendStats | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ):
        self.pacer = pacer
        self._policy = policy
        self._sleep = sleep
        self.stats = stats or SendStats()
        self.stopping = False

    def stop(self, reason: str) -> None:
        if not self.stopping:
            self.stats.stop_reason = reason
            self.stopping = True

    async def call(
        self,
        request: Callable[[], Awaitable[ApiResponse]],
        label: CallLabel = CallLabel(),
        *,
        idempotent: bool = True,
        landed: Callable[[], Awaitable[ApiResponse | bool | None]] | None = None,
    ) -> tuple[ApiResponse, int] | None:
        """(the last answer, attempts made), or None when the run stopped before the first
        attempt. Retries what may succeed another time, unless the run is stopping.

        A request that is not ``idempotent`` is sent again after an answer that leaves
        unknown whether it took effect only when ``landed`` (a read) says it did not
        (False); an answer showing that it did is returned in place of the unsure one, and
        without one (None: the read failed too) the unsure answer is the last."""
        attempts = 0
        while True:
            await self.pacer.acquire()
            if self.stopping and attempts == 0:
                self.pacer.release()
                return None
            attempts += 1
            response = await request()
            self.pacer.observe(response)
            self.stats.requests += 1
            if audit.isEnabledFor(logging.INFO):
                _audit(label, response, attempts)
            if response.ok:
                return response, attempts
            if is_fatal(response.status):
                self.stats.credentials_refused = True
                self.stop(
                    f"Intercom answered {response.status} ({response.error_code or 'refused'}: "
                    f"{response.error_message}); check the access token and its permissions"
                )
            elif self._policy.allows_retry(response, attempts) and not self.stopping:
                if not idempotent and may_have_landed(response.status):
                    looked = await landed() if landed is not None else None
                    if isinstance(looked, ApiResponse):
                        return looked, attempts
                    if looked is None:
                        return response, attempts
                self.stats.retries += 1
                log.info(
                    "row %d: retrying after %s (attempt %d)",
                    label.row,
                    response.status or response.error_code,
                    attempts + 1,
                )
                if response.status != 429:  # a 429 already paused every worker (Pacer)
                    await self._sleep(self._policy.backoff(attempts))
                continue
            return response, attempts


def _audit(label: CallLabel, response: ApiResponse, attempt: int) -> None:
    audit.info(
        "row=%d id=%s status=%s attempt=%d request_id=%s latency_ms=%.0f%s%s",
        label.row,
        label.conversation_id or "-",
        response.status if response.status is not None else response.error_code,
        attempt,
        response.request_id or "-",
        response.latency * 1000,
        f" error={response.error_code}" if response.error_code else "",
        f" body={label.body.decode()}" if label.body is not None else "",
    )
