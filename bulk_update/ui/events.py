"""A run's progress as events for the page: rows done by outcome, rate-limit waits and
retries so far, sent to every listener as it happens (at most ten times a second)."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bulk_update.models import RowStatus

EVENTS_PER_SECOND = 10


class Broadcast:
    """Events to every page listening; the last one is kept for a page that comes late."""

    def __init__(self) -> None:
        self._listeners: set[asyncio.Queue[dict[str, Any]]] = set()
        self.last: dict[str, Any] | None = None

    def send(self, event: dict[str, Any]) -> None:
        self.last = event
        for queue in self._listeners:
            queue.put_nowait(event)

    @contextmanager
    def listening(self) -> Iterator[asyncio.Queue[dict[str, Any]]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        if self.last is not None:
            queue.put_nowait(self.last)
        self._listeners.add(queue)
        try:
            yield queue
        finally:
            self._listeners.discard(queue)


class EventProgress:
    """The library's :class:`~bulk_update.send.progress.Progress`, as events."""

    def __init__(self, broadcast: Broadcast, clock: Any = time.monotonic):
        self._broadcast = broadcast
        self._clock = clock
        self.counts: Counter[str] = Counter()
        self.total = 0
        self.done = 0
        self.waits = 0
        self.retries = 0
        self._next = 0.0

    def start(self, total: int, done: int) -> None:
        self.total, self.done = total, done
        self._send(force=True)

    def advance(self, status: RowStatus | None = None) -> None:
        self.done += 1
        if status is not None:
            self.counts[status.value] += 1
        self._send(force=self.done == 1)

    def tally(self, retries: int, waits: int) -> None:
        self.retries, self.waits = retries, waits

    def close(self) -> None:
        self._send(force=True)

    def _send(self, *, force: bool) -> None:
        now = self._clock()
        if not force and now < self._next:
            return
        self._next = now + 1 / EVENTS_PER_SECOND
        self._broadcast.send(
            {
                "kind": "progress",
                "total": self.total,
                "done": self.done,
                "counts": dict(self.counts),
                "waits": self.waits,
                "retries": self.retries,
            }
        )
