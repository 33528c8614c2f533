"""What a run is given besides its settings: how it shows progress, what its messages call a
setting, how it is asked to stop, and what its summary says besides; and its clock."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from bulk_update.job.alerts import Alert
from bulk_update.models import Workspace
from bulk_update.send.progress import Progress, SilentProgress
from bulk_update.send.reads import ReadsKept


class Interruption:
    """Asked once, it tells every run listening: they stop sending, let the requests in flight
    finish and write their report, as after a Ctrl-C."""

    def __init__(self) -> None:
        self.requested = False
        self._listeners: list[Callable[[], None]] = []

    def request(self) -> None:
        if self.requested:
            return
        self.requested = True
        for listener in self._listeners:
            listener()

    def listen(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)
        if self.requested:
            listener()


@dataclass(frozen=True)
class RunHooks:
    """How a run meets whoever started it."""

    progress: Progress = field(default_factory=SilentProgress)
    # What a row's message calls a setting (the command line passes its flags).
    setting_names: Mapping[str, str] = field(default_factory=dict)
    interruption: Interruption | None = None
    # Said in the summary besides what the run itself notices (what an undo cannot undo).
    notices: tuple[str, ...] = ()
    # Answers a dry run read, for the run confirmed after it (the page's review, then Run).
    reads_kept: ReadsKept | None = None
    # Asked before a run changes conversations of a workspace (None: not known), and how
    # many: False stops it with nothing sent (the command line asks a person to type its name).
    confirm: Callable[[Workspace | None, int], bool] | None = None
    # Told each alert (the run's end; the failure share passed): a notebook's or a
    # scheduler's own handler, beside the webhooks of ``notify_url``.
    alert: Callable[[Alert], None] | None = None
    # The command as typed, for the sheet's log ("": a library call, logged as one).
    command: str = ""


class Clock(Protocol):
    """Wall-clock time and a way to wait: what pacing and backoff use (a test's virtual
    time passes only when someone sleeps on it)."""

    def __call__(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def __call__(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
