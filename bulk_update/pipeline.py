"""Bounded producer → workers → outcome sink, over one client, paced and retried.

Rows are pulled lazily from an iterator into a queue of ``2 * concurrency`` slots, so the
number of rows in memory does not depend on the file's size. ``stop()`` (Ctrl-C, a 401,
too many failures) stops new requests; requests already on the wire finish.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from bulk_update.backup import BackupWriter
from bulk_update.changes import current_values, differences, intended
from bulk_update.client import ApiResponse, IntercomClient
from bulk_update.models import PreparedUpdate, RowOutcome, RowStatus, SendStats
from bulk_update.progress import Progress
from bulk_update.ratelimit import Pacer
from bulk_update.retry import RetryPolicy, is_fatal

audit = logging.getLogger("bulk_update.audit")


@dataclass(frozen=True)
class ReadFirst:
    """Read each conversation before writing it: to skip what is already in place, to
    back up what is about to change, or (a live dry run) only to report the difference."""

    skip_unchanged: bool = False
    dry_run: bool = False
    backup: BackupWriter | None = None


@dataclass(frozen=True)
class SendControls:
    concurrency: int
    max_failures: int | None = None
    log_bodies: bool = False


class Sender:
    """Sends every request it is given and hands each row's outcome to ``record``."""

    def __init__(
        self,
        client: IntercomClient,
        pacer: Pacer,
        policy: RetryPolicy,
        controls: SendControls,
        record: Callable[[RowOutcome], None],
        progress: Progress,
        *,
        read_first: ReadFirst | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ):
        self._client = client
        self._pacer = pacer
        self._policy = policy
        self._controls = controls
        self._record = record
        self._progress = progress
        self._sleep = sleep
        self._read_first = read_first
        self.stopping = False
        self._failures = 0
        self.stats = SendStats()

    def stop(self, reason: str) -> None:
        if not self.stopping:
            self.stats.stop_reason = reason
            self.stopping = True

    async def run(self, requests: Iterable[PreparedUpdate]) -> SendStats:
        queue: asyncio.Queue[PreparedUpdate | None] = asyncio.Queue(
            maxsize=2 * self._controls.concurrency
        )
        workers = [
            asyncio.create_task(self._work(queue)) for _ in range(self._controls.concurrency)
        ]
        try:
            for request in requests:
                if self.stopping:
                    break
                await queue.put(request)
        finally:
            # Drop what was queued but not taken, then tell every worker to finish.
            if self.stopping:
                while not queue.empty():
                    queue.get_nowait()
            for _ in workers:
                await queue.put(None)
            await asyncio.gather(*workers)
        self.stats.rate_limited = self._pacer.rate_limited
        return self.stats

    async def _work(self, queue: asyncio.Queue[PreparedUpdate | None]) -> None:
        while (request := await queue.get()) is not None:
            if self.stopping:
                continue
            outcome = await self._send(request)
            if outcome is None:
                continue
            self._record(outcome)
            self._progress.advance(outcome.status)
            if outcome.status is RowStatus.FAILED:
                self._failures += 1
                limit = self._controls.max_failures
                if limit is not None and self._failures >= limit:
                    self.stop(f"{self._failures} rows failed, the most allowed ({limit})")

    async def _send(self, request: PreparedUpdate) -> RowOutcome | None:
        """Send one row until it succeeds, fails for good, or the run stops (reading the
        conversation first when asked to). None: nothing was put on the wire for it."""
        if self._read_first is not None:
            read = await self._call(
                request, lambda: self._client.get_conversation(request.conversation_id)
            )
            if read is None:
                return None
            response, attempts = read
            if not response.ok:
                return _failure(request.row, response, attempts)
            decided = self._compare(request, response.data, attempts)
            if decided is not None:
                return decided
        sent = await self._call(
            request,
            lambda: self._client.update_conversation(request.conversation_id, request.payload),
        )
        if sent is None:
            return None
        response, attempts = sent
        if not response.ok:
            return _failure(request.row, response, attempts)
        return RowOutcome(
            request.row,
            RowStatus.UPDATED,
            response.status,
            attempts=attempts,
            request_id=response.request_id,
        )

    def _compare(
        self, request: PreparedUpdate, conversation: Any, attempts: int
    ) -> RowOutcome | None:
        """What the read shows: a finished outcome (unchanged, or a live dry run's verdict),
        or None to go on and write (after the backup line is safely out)."""
        settings = self._read_first
        assert settings is not None
        after = intended(request.payload)
        before = current_values(conversation if isinstance(conversation, dict) else {}, list(after))
        changed = differences(before, after)
        if settings.dry_run:
            status = RowStatus.WOULD_UPDATE if changed else RowStatus.SKIPPED
            message = "; ".join(changed) or "unchanged"
            return RowOutcome(request.row, status, error_message=message, attempts=attempts)
        if not changed and settings.skip_unchanged:
            return RowOutcome(
                request.row, RowStatus.SKIPPED, error_message="unchanged", attempts=attempts
            )
        backup = settings.backup
        if backup is not None and not backup.has(request.conversation_id):
            backup.write(request.conversation_id, before)
            self.stats.backed_up += 1
        return None

    async def _call(
        self, request: PreparedUpdate, call: Callable[[], Awaitable[ApiResponse]]
    ) -> tuple[ApiResponse, int] | None:
        """One request, paced and retried: (the last answer, attempts), or None when the
        run stopped before the first attempt."""
        attempts = 0
        while True:
            await self._pacer.acquire()
            if self.stopping and attempts == 0:
                self._pacer.release()
                return None
            attempts += 1
            started = time.monotonic()
            response = await call()
            self._pacer.observe(response)
            self.stats.requests += 1
            if audit.isEnabledFor(logging.INFO):
                latency = time.monotonic() - started
                _audit(request, response, attempts, latency, self._controls.log_bodies)
            if response.ok:
                return response, attempts
            if is_fatal(response):
                self.stats.credentials_refused = True
                self.stop(
                    f"Intercom answered {response.status} ({response.error_code or 'refused'}: "
                    f"{response.error_message}); check the access token and its permissions"
                )
            elif self._policy.allows_retry(response, attempts) and not self.stopping:
                self.stats.retries += 1
                if response.status != 429:  # a 429 already paused every worker (Pacer)
                    await self._sleep(self._policy.backoff(attempts))
                continue
            return response, attempts


def _failure(row: int, response: ApiResponse, attempts: int) -> RowOutcome:
    message = response.error_message or "no error message"
    if response.status is None:
        message = f"{message} (after {attempts} attempts)"
    return RowOutcome(
        row,
        RowStatus.FAILED,
        response.status,
        response.error_code,
        message,
        attempts,
        response.request_id,
    )


def _audit(
    request: PreparedUpdate,
    response: ApiResponse,
    attempt: int,
    latency: float,
    with_body: bool,
) -> None:
    audit.info(
        "row=%d id=%s status=%s attempt=%d request_id=%s latency_ms=%.0f%s%s",
        request.row,
        request.conversation_id,
        response.status if response.status is not None else response.error_code,
        attempt,
        response.request_id or "-",
        latency * 1000,
        f" error={response.error_code}" if response.error_code else "",
        f" body={request.payload.decode()}" if with_body else "",
    )
