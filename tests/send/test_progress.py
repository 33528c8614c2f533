"""Progress displays: what a line display prints and when, in virtual time."""

import io

from bulk_update.models import RowStatus
from bulk_update.send.progress import LineProgress


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_line_progress_prints_at_most_once_per_interval_and_once_at_the_end() -> None:
    clock = FakeClock()
    stream = io.StringIO()
    progress = LineProgress(stream, interval=10.0, clock=clock)
    progress.start(total=1000, done=200)
    for n in range(300):
        clock.now += 0.125  # 8 rows a second
        progress.advance(RowStatus.FAILED if n % 100 == 0 else RowStatus.UPDATED)
    progress.close()
    lines = stream.getvalue().splitlines()
    # 37.5 s of rows: a line at 10 s, 20 s and 30 s, and the closing one.
    assert len(lines) == 4
    assert lines[0] == (
        "progress: 280/1,000 rows (28%): 79 updated, 1 failed; 8 rows/s, about 1 min 30 s left"
    )
    assert lines[-1].startswith("progress: 500/1,000 rows (50%): 297 updated, 3 failed;")
    assert "\r" not in stream.getvalue()


def test_line_progress_says_nothing_when_no_row_was_done() -> None:
    stream = io.StringIO()
    progress = LineProgress(stream, clock=FakeClock())
    progress.start(total=10, done=10)
    progress.close()
    assert stream.getvalue() == ""
