"""Progress display: a protocol, a tqdm bar on stderr, and a silent one for tests and -q."""

from __future__ import annotations

from collections import Counter
from typing import Never, Protocol

from tqdm import tqdm

from bulk_update.models import RowStatus


class Progress(Protocol):
    def start(self, total: int, done: int) -> None: ...

    def advance(self, status: RowStatus) -> None: ...

    def close(self) -> None: ...


class SilentProgress:
    """Counts, shows nothing."""

    def __init__(self) -> None:
        self.counts: Counter[RowStatus] = Counter()
        self.total = 0
        self.initial = 0

    def start(self, total: int, done: int) -> None:
        self.total, self.initial = total, done

    def advance(self, status: RowStatus) -> None:
        self.counts[status] += 1

    def close(self) -> None:
        pass


class TqdmProgress:
    """rows done/total, rows/s, ETA, and updated/failed counts, on stderr."""

    REFRESH_SECONDS = 0.25

    def __init__(self) -> None:
        self._bar: tqdm[Never] | None = None
        self._updated = 0
        self._failed = 0
        self._unchanged = 0

    def start(self, total: int, done: int) -> None:
        self._bar = tqdm(
            total=total,
            initial=done,
            unit="row",
            dynamic_ncols=True,
            mininterval=self.REFRESH_SECONDS,
            smoothing=0.1,
        )

    def advance(self, status: RowStatus) -> None:
        if status is RowStatus.UPDATED:
            self._updated += 1
        elif status is RowStatus.FAILED:
            self._failed += 1
        elif status is RowStatus.SKIPPED:
            self._unchanged += 1
        if self._bar is not None:
            self._bar.update(1)
            if self._bar.n % 50 == 0:
                self._bar.set_postfix(self._counts(), refresh=False)

    def _counts(self) -> dict[str, int]:
        counts = {"updated": self._updated, "failed": self._failed}
        if self._unchanged:
            counts["unchanged"] = self._unchanged
        return counts

    def close(self) -> None:
        if self._bar is not None:
            self._bar.set_postfix(self._counts(), refresh=False)
            self._bar.close()
