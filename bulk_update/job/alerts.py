"""Alerts for a run nobody watches: one when it ends (done, stopped or failed) and, when asked,
one as soon as its failed and invalid rows pass a share of the rows done so far. Each goes to
the run's webhooks (a JSON ``POST``, its ``text`` written for Slack and Teams incoming webhooks)
and to the library caller's callback.

An alert holds counts, reasons, paths and the workspace: never the token, nor a cell's
content. A webhook that fails or hangs is a warning after a short wait, never a failed run."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

import aiohttp

from bulk_update.config import JobSettings
from bulk_update.errors import BulkUpdateError
from bulk_update.job.validation import Validated
from bulk_update.models import RowStatus, RunResult, RunSummary, Workspace
from bulk_update.send.progress import Progress

log = logging.getLogger(__name__)

# How long a webhook may take to answer before the run goes on without it.
WEBHOOK_TIMEOUT_SECONDS = 5.0
Event = Literal["done", "stopped", "failed", "failure_share"]


@dataclass(frozen=True)
class Alert:
    """What an alert says (see the module's note); ``text`` is the same in a sentence."""

    event: Event
    text: str
    input: str
    report: str = ""
    workspace: Mapping[str, str] | None = None
    counts: Mapping[str, int] = field(default_factory=dict)
    failures_by_reason: tuple[Mapping[str, Any], ...] = ()

    def as_json(self) -> bytes:
        return json.dumps(asdict(self), ensure_ascii=False).encode()


def ended(result: RunResult) -> Alert:
    """The alert of a run that reported: done (every row went through), stopped, or failed
    (rows failed or were invalid)."""
    summary = result.summary
    event: Event = "done" if summary.all_succeeded else "failed"
    if summary.interrupted or summary.stop_reason:
        event = "stopped"
    counts = {status.value: summary.count(status) for status in RowStatus if summary.count(status)}
    told = ", ".join(f"{n} {status}" for status, n in counts.items()) or "no rows"
    why = f" ({summary.stop_reason})" if summary.stop_reason else ""
    return Alert(
        event,
        f"bulk-update {event}{why}: {summary.input_path}: {told}{_in(summary)}. "
        f"Report: {summary.report_path or 'none'}",
        summary.input_path,
        summary.report_path,
        summary.workspace.as_dict() if summary.workspace else None,
        counts,
        tuple(reason.as_dict() for reason in summary.reasons),
    )


def broke(error: BulkUpdateError, source: object) -> Alert:
    """The alert of a run that could not go on (an unusable sheet, a refused token)."""
    named = str(source) if isinstance(source, str | os.PathLike) else "<DataFrame>"
    return Alert("failed", f"bulk-update failed: {named}: {error}", named)


def _in(summary: RunSummary) -> str:
    return f" in {summary.workspace.described()}" if summary.workspace else ""


class Alerter:
    """Sends each alert to every webhook and to ``callback``; the webhooks' posts go on while
    the run does, and :meth:`settle` waits for them (each at most a few seconds)."""

    def __init__(self, urls: tuple[str, ...], callback: Callable[[Alert], None] | None):
        self._urls = urls
        self._callback = callback
        self._posts: set[asyncio.Task[None]] = set()

    def __call__(self, alert: Alert) -> None:
        if self._callback is not None:
            self._callback(alert)
        for url in self._urls:
            task = asyncio.get_running_loop().create_task(_post(url, alert))
            self._posts.add(task)
            task.add_done_callback(self._posts.discard)

    async def settle(self) -> None:
        if self._posts:
            await asyncio.gather(*self._posts)


def alerter_for(urls: tuple[str, ...], callback: Callable[[Alert], None] | None) -> Alerter | None:
    """What tells a run's alerts: none when nobody listens."""
    return Alerter(urls, callback) if urls or callback else None


async def told(alerter: Alerter | None, alert: Alert) -> None:
    """``alert`` told, its webhooks answered (or given up on)."""
    if alerter is not None:
        alerter(alert)
        await alerter.settle()


async def _post(url: str, alert: Alert) -> None:
    where = urlsplit(url).hostname  # a webhook's path is its secret: never logged
    timeout = aiohttp.ClientTimeout(total=WEBHOOK_TIMEOUT_SECONDS)
    headers = {"Content-Type": "application/json"}
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.post(url, data=alert.as_json(), headers=headers) as answer,
        ):
            if answer.status >= 300:
                log.warning("the %s alert to %s was answered %s", alert.event, where, answer.status)
    except (aiohttp.ClientError, TimeoutError, OSError) as problem:
        log.warning(
            "the %s alert to %s was not delivered (%s)",
            alert.event,
            where,
            type(problem).__name__,
        )


class FailureShareWatch:
    """A run's progress, watched: once the failed and invalid rows pass ``share`` of the rows
    done so far (the invalid ones found before sending count as done), ``alert`` is told,
    once."""

    def __init__(
        self,
        progress: Progress,
        share: float,
        invalid: int,
        alert: Callable[[Alert], None],
        told: Alert,
    ):
        self._progress = progress
        self._share = share
        self._failed = self._done = invalid
        self._alert: Callable[[Alert], None] | None = alert
        self._told = told  # what the alert says besides its figures

    def start(self, total: int, done: int) -> None:
        self._progress.start(total, done)

    def advance(self, status: RowStatus | None = None) -> None:
        self._progress.advance(status)
        self._done += 1
        self._failed += status in (RowStatus.FAILED, RowStatus.INVALID)
        if self._alert is not None and self._failed / self._done > self._share:
            alert, self._alert = self._alert, None
            where = self._told.workspace
            in_ = f" in {where['name']}" if where else ""
            alert(
                dataclasses.replace(
                    self._told,
                    text=f"bulk-update: {self._told.input}{in_}: {self._failed} of the "
                    f"{self._done} rows done so far failed or were invalid, more than "
                    f"{self._share:.0%}; the run goes on",
                    counts={"failed_or_invalid": self._failed, "done": self._done},
                )
            )

    def tally(self, retries: int, waits: int) -> None:
        self._progress.tally(retries, waits)

    def close(self) -> None:
        self._progress.close()


def watched(
    progress: Progress,
    settings: JobSettings,
    validated: Validated,
    alert: Callable[[Alert], None] | None,
    workspace: Workspace | None,
) -> Progress:
    """``progress``, watched for the failure share when one is asked and someone listens."""
    share = settings.unattended.alert_failure_share
    if share is None or alert is None:
        return progress
    told = Alert(
        "failure_share",
        "",
        str(settings.input_path or "<DataFrame>"),
        str(settings.report_path or ""),
        workspace.as_dict() if workspace else None,
    )
    return FailureShareWatch(progress, share, validated.invalid, alert, told)
