"""The page's jobs: Check, Preview, the review's plan, Run, Undo and Find each run as a task of
their own, one at a time (whichever tab started it), with their progress as events for every
page listening and a way to stop them (Stop for a run, Cancel for the others)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from bulk_update.job.hooks import Interruption, RunHooks
from bulk_update.ui.events import Broadcast, EventProgress
from bulk_update.ui.shown import PAGE_NAMES

JobKind = Literal["check", "preview", "plan", "run", "undo", "find"]
# What the page calls a job in a message.
JOB_NAMES: dict[JobKind, str] = {
    "check": "Check",
    "preview": "Preview",
    "plan": "Run's review",
    "run": "Run",
    "undo": "Undo",
    "find": "Find",
}
Work = Callable[[RunHooks], Awaitable[Any]]
LAST_EVENTS = frozenset({"done", "error", "cancelled"})  # a job's events end with one


@dataclass
class Running:
    """The job going on: its task, how to stop it, and its events."""

    kind: JobKind
    task: asyncio.Task[Any]
    interruption: Interruption
    events: Broadcast = field(default_factory=Broadcast)

    @property
    def going(self) -> bool:
        return not self.task.done()

    def stop(self) -> None:
        """A run (or a dry run) drains what is in flight and writes its report; a find (a
        search, which writes nothing of the sheet's) is abandoned."""
        self.interruption.request()
        if self.kind == "find":
            self.task.cancel()


def started(
    kind: JobKind,
    work: Work,
    shown: Callable[[Any], dict[str, Any]],
    message: Callable[[BaseException], str],
) -> Running:
    """``work`` started as the page's job ``kind``: it is given the hooks that report its
    progress and stop it; its last event is ``done`` (with what the page shows of its
    result), ``error`` (with the message) or ``cancelled``."""
    interruption = Interruption()
    events = Broadcast()
    hooks = RunHooks(EventProgress(events), PAGE_NAMES, interruption)
    events.send({"kind": "started", "job": kind})

    async def job() -> Any:
        try:
            result = await work(hooks)
        except asyncio.CancelledError:
            events.send({"kind": "cancelled", "job": kind})
            raise
        except Exception as error:
            events.send({"kind": "error", "job": kind, "message": message(error)})
            raise
        events.send({"kind": "done", "job": kind, "result": shown(result)})
        return result

    task = asyncio.create_task(job())
    task.add_done_callback(_retrieved)
    return Running(kind, task, interruption, events)


def _retrieved(task: asyncio.Task[Any]) -> None:
    """A job's failure is told to the page as an event; nobody else awaits it."""
    if not task.cancelled():
        task.exception()
