"""Bounded producer → workers → outcome sink.

Rows are pulled lazily from an iterator into a queue of ``2 * concurrency`` slots, so the
number of rows in memory does not depend on the file's size; with batched reads
(``readahead``), 150 at a time, their conversations read in one search before they go in.
What is done for each row is the caller's (``steps``); pacing, retries and stopping are the
:class:`Caller`'s. When the
caller stops (Ctrl-C, a 401, too many failures) no new row is started; requests already on
the wire finish. A row's work that raises (a full disk under the journal) stops the run the
same way, and :meth:`WorkerPool.run` raises it once every worker is done: no worker dies with
rows still queued for it, so nothing waits forever.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Iterable, Iterator

from bulk_update.models import PreparedUpdate, RowOutcome, RowStatus, SendStats
from bulk_update.send.progress import Progress
from bulk_update.send.reads import Reads
from bulk_update.send.retry import Caller
from bulk_update.send.update_row import RowWork


class WorkerPool:
    """Hands every row to ``work`` with ``concurrency`` rows at a time, and each outcome to
    ``record`` and ``progress``."""

    def __init__(
        self,
        caller: Caller,
        work: RowWork,
        record: Callable[[RowOutcome], None],
        progress: Progress,
        *,
        concurrency: int,
        max_failures: int | None = None,
        reads: Reads | None = None,
    ):
        self._caller = caller
        self._work = work
        self._record = record
        self._progress = progress
        self._concurrency = concurrency
        self._max_failures = max_failures
        self._failures = 0
        self._reads = reads
        self._error: BaseException | None = None

    def fail(self, error: Exception) -> None:
        """Something the run needs broke (a write to the journal, say): stop as after Ctrl-C,
        and raise ``error`` from :meth:`run` once the requests in flight are done."""
        if self._error is None:
            self._error = error
        self._caller.stop(str(error))

    async def run(self, updates: Iterable[PreparedUpdate]) -> SendStats:
        queue: asyncio.Queue[PreparedUpdate | None] = asyncio.Queue(maxsize=2 * self._concurrency)
        workers = [asyncio.create_task(self._worker(queue)) for _ in range(self._concurrency)]
        reads = self._reads
        try:
            for batch in _batches(updates, reads.batch_size if reads else 1):
                if reads is not None:
                    await reads.prefetch(batch)  # the rows' conversations, read ahead
                for update in batch:
                    if self._caller.stopping:
                        break
                    await queue.put(update)
                if self._caller.stopping:
                    break
        finally:
            # Drop what was queued but not taken, then tell every worker to finish.
            if self._caller.stopping:
                while not queue.empty():
                    queue.get_nowait()
            for _ in workers:
                await queue.put(None)
            await asyncio.gather(*workers)
        if self._error is not None:
            raise self._error
        stats = self._caller.stats
        stats.rate_limited = self._caller.pacer.rate_limited
        return stats

    async def _worker(self, queue: asyncio.Queue[PreparedUpdate | None]) -> None:
        while (update := await queue.get()) is not None:
            if self._caller.stopping:
                continue
            try:
                outcome = await self._work(update)
                if outcome is None:
                    continue
                self._record(outcome)
            except Exception as error:  # raised by run(), after the other workers finish
                self.fail(error)
                continue
            self._progress.tally(self._caller.stats.retries, self._caller.pacer.pauses)
            self._progress.advance(outcome.status)
            if outcome.status is RowStatus.FAILED:
                self._failures += 1
                limit = self._max_failures
                if limit is not None and self._failures >= limit:
                    self._caller.stop(f"{self._failures} rows failed, the most allowed ({limit})")


def _batches(updates: Iterable[PreparedUpdate], size: int) -> Iterator[list[PreparedUpdate]]:
    iterator = iter(updates)
    while batch := list(itertools.islice(iterator, size)):
        yield batch
