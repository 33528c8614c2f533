"""The page's progress events: what the command line's progress tells, rate and time left
included, from the run's own clock."""

from __future__ import annotations

from bulk_update.models import RowStatus
from bulk_update.ui.events import Broadcast, EventProgress


def test_progress_events_tell_the_rate_and_about_how_long_is_left() -> None:
    now = [100.0]
    broadcast = Broadcast()
    progress = EventProgress(broadcast, clock=lambda: now[0])
    progress.start(total=100, done=20)  # a resumed run: 20 done before it
    assert broadcast.last is not None and broadcast.last["seconds_left"] is None
    for _ in range(10):
        now[0] += 0.2
        progress.advance(RowStatus.UPDATED)
    progress.close()
    event = broadcast.last
    assert event["done"] == 30 and event["counts"] == {"updated": 10}
    assert event["rows_per_second"] == 5.0  # 10 rows of this run in 2 s
    assert event["seconds_left"] == 14  # 70 rows at 5 a second
