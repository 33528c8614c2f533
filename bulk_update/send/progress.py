"""Progress display: a protocol; a tqdm bar for a terminal; plain lines for a file or a CI log;
and a silent one for tests, notebooks and -q.

Every display counts rows as they finish and draws only now and then: ``advance`` is called
once per row on the event loop, so it does no more than add and compare a clock reading.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Never, Protocol, TextIO

from bulk_update.models import RowStatus

if TYPE_CHECKING:
    from tqdm import tqdm


class Progress(Protocol):
    def start(self, total: int, done: int) -> None: ...

    def advance(self, status: RowStatus | None = None) -> None:
        """One row done (an export's rows have no status)."""
        ...

    def tally(self, retries: int, waits: int) -> None:
        """What sending has met so far: retries, and waits for the rate limit."""
        ...

    def close(self) -> None: ...


class SilentProgress:
    """Counts, shows nothing."""

    def __init__(self) -> None:
        self.counts: Counter[RowStatus | None] = Counter()
        self.total = 0
        self.initial = 0
        self.retries = 0
        self.waits = 0

    def start(self, total: int, done: int) -> None:
        self.total, self.initial = total, done

    def advance(self, status: RowStatus | None = None) -> None:
        self.counts[status] += 1

    def tally(self, retries: int, waits: int) -> None:
        self.retries, self.waits = retries, waits

    def close(self) -> None:
        pass


class Throttled(SilentProgress):
    """Counts every row; calls :meth:`_draw` at most once per ``interval`` seconds."""

    def __init__(self, interval: float, clock: Callable[[], float]) -> None:
        super().__init__()
        self._interval = interval
        self._clock = clock
        self._next_draw = 0.0
        self.done = 0
        self._started = 0.0
        self._first = 0  # rows done before this run (a resumed one's)

    def start(self, total: int, done: int) -> None:
        super().start(total, done)
        self.done = done
        self._started = self._clock()
        self._first = done
        self._next_draw = self._started + self._interval

    def pace(self, now: float) -> tuple[float, float | None]:
        """Rows a second so far in this run, and about how many seconds are left (None
        until there is a pace to tell it by)."""
        elapsed = now - self._started
        pace = (self.done - self._first) / elapsed if elapsed > 0 else 0.0
        left = (self.total - self.done) / pace if pace > 0 and self.total > self.done else None
        return pace, left

    def advance(self, status: RowStatus | None = None) -> None:
        self.counts[status] += 1
        self.done += 1
        now = self._clock()
        if now >= self._next_draw:
            self._next_draw = now + self._interval
            self._draw(now)

    def _draw(self, now: float) -> None:
        raise NotImplementedError

    def _tally(self) -> dict[str, int]:
        if not any(status is not None for status in self.counts):
            return {}  # rows without a status (an export): nothing to tell apart
        tally = {
            "updated": self.counts[RowStatus.UPDATED],
            "failed": self.counts[RowStatus.FAILED],
        }
        if self.counts[RowStatus.SKIPPED]:
            tally["unchanged"] = self.counts[RowStatus.SKIPPED]
        if self.counts[RowStatus.WOULD_UPDATE]:
            tally["would_update"] = self.counts[RowStatus.WOULD_UPDATE]
        return tally


class TqdmProgress(Throttled):
    """rows done/total, rows/s, ETA, and updated/failed counts, on a terminal's stderr."""

    REFRESH_SECONDS = 0.25

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(self.REFRESH_SECONDS, clock)
        self._bar: tqdm[Never] | None = None
        self._drawn = 0

    def start(self, total: int, done: int) -> None:
        from tqdm import tqdm  # deferred: ~80 ms that -q and non-terminal runs never need

        super().start(total, done)
        self._drawn = done
        self._bar = tqdm(
            total=total,
            initial=done,
            unit="row",
            dynamic_ncols=True,
            mininterval=self.REFRESH_SECONDS,
            smoothing=0.1,
        )

    def _draw(self, now: float) -> None:
        if self._bar is not None:
            self._bar.set_postfix(self._tally(), refresh=False)
            self._bar.update(self.done - self._drawn)
            self._drawn = self.done

    def close(self) -> None:
        if self._bar is not None:
            self._draw(self._clock())
            self._bar.close()


class LineProgress(Throttled):
    """A plain line every ``interval`` seconds, for stderr that is a file or a CI log:
    no carriage returns, no redrawing."""

    def __init__(
        self,
        stream: TextIO,
        *,
        interval: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(interval, clock)
        self._stream = stream

    def _draw(self, now: float) -> None:
        share = f" ({100 * self.done / self.total:.0f}%)" if self.total else ""
        tally = ", ".join(f"{count} {name}" for name, count in self._tally().items())
        tally = f": {tally};" if tally else ";"
        pace, seconds_left = self.pace(now)
        left = f", about {_duration(seconds_left)} left" if seconds_left is not None else ""
        print(
            f"progress: {self.done:,}/{self.total:,} rows{share}{tally} {pace:.0f} rows/s{left}",
            file=self._stream,
            flush=True,
        )

    def close(self) -> None:
        if self.done > self._first:
            self._draw(self._clock())


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"
