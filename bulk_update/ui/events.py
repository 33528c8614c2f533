"""A run's progress as events for the page: rows done by outcome, the rate and about how
long is left (as the command line's progress tells them), rate-limit waits and retries so far,
sent to every listener as it happens (at most ten times a second)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from bulk_update.models import RowStatus
from bulk_update.send.progress import Throttled

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


class EventProgress(Throttled):
    """The library's :class:`~bulk_update.send.progress.Progress`, as events: when the send
    starts, when its first row is done, then as often as the page takes them, and at the end."""

    def __init__(self, broadcast: Broadcast, clock: Callable[[], float] = time.monotonic):
        super().__init__(1 / EVENTS_PER_SECOND, clock)
        self._broadcast = broadcast

    def start(self, total: int, done: int) -> None:
        super().start(total, done)
        self._draw(self._clock())

    def advance(self, status: RowStatus | None = None) -> None:
        first = self.done == self.initial
        super().advance(status)
        if first:
            self._draw(self._clock())

    def close(self) -> None:
        self._draw(self._clock())

    def _draw(self, now: float) -> None:
        pace, left = self.pace(now)
        self._broadcast.send(
            {
                "kind": "progress",
                "total": self.total,
                "done": self.done,
                "counts": {status.value: n for status, n in self.counts.items() if status},
                "waits": self.waits,
                "retries": self.retries,
                "rows_per_second": round(pace, 1),
                "seconds_left": None if left is None else round(left),
            }
        )
