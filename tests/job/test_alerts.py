"""Alerts over loopback: a local receiver takes the JSON a run posts when it ends (done,
stopped, failed) and, when asked, once as soon as its failure share passes a threshold; a
receiver that hangs is a warning, never a failed run; an alert holds no token and no cell."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bulk_update import api
from bulk_update.errors import UsageError
from bulk_update.job.alerts import Alert
from bulk_update.job.hooks import RunHooks
from bulk_update.sandbox import Sandbox
from tests.conftest import TOKEN, run_on, write_csv


class Receiver:
    """A webhook on loopback: what it was posted, in order; ``hang`` keeps it from answering."""

    def __init__(self) -> None:
        self.posted: list[dict[str, Any]] = []
        self.hang = False
        self.url = ""
        self._never = asyncio.Event()

    async def handle(self, request: web.Request) -> web.Response:
        self.posted.append(json.loads(await request.read()))
        if self.hang:
            await self._never.wait()
        return web.Response(text="ok")


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    taken = Receiver()
    app = web.Application()
    app.router.add_post("/hooks/T000/secret-path", taken.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    taken.url = f"http://127.0.0.1:{port}/hooks/T000/secret-path"
    yield taken
    taken._never.set()
    await runner.cleanup()


def _sheet(tmp_path: Path, failing: int, working: int) -> Path:
    """``failing`` rows first (ids the sandbox does not have), then ``working`` rows."""
    rows = [[f"{n}404", "Secret title"] for n in range(1, failing + 1)]
    rows += [[str(8001 + 2 * n), "Secret title"] for n in range(working)]
    return write_csv(tmp_path / "in.csv", ["id", "title"], rows)


async def _run(sandbox: Sandbox, sheet: Path, **settings: Any) -> api.RunResult:
    return await run_on(sandbox, sheet, concurrency=1, **settings)  # rows in order


async def test_the_end_of_a_run_is_posted_with_counts_reasons_and_workspace(
    sandbox: Sandbox, receiver: Receiver, tmp_path: Path
) -> None:
    result = await _run(sandbox, _sheet(tmp_path, 1, 2), notify_url=[receiver.url])
    [posted] = receiver.posted
    assert posted["event"] == "failed"
    assert posted["counts"] == {"updated": 2, "failed": 1} == result.summary.counts
    assert posted["report"] == str(tmp_path / "in.results.csv")
    assert posted["workspace"]["name"] == "bulk-update sandbox"
    assert posted["failures_by_reason"][0]["count"] == 1
    assert "bulk-update failed" in posted["text"] and "2 updated, 1 failed" in posted["text"]
    body = json.dumps(posted)
    assert TOKEN not in body and "Secret title" not in body


async def test_the_failure_share_alerts_once_as_soon_as_it_passes(
    sandbox: Sandbox, receiver: Receiver, tmp_path: Path
) -> None:
    told: list[Alert] = []
    await _run(
        sandbox,
        _sheet(tmp_path, 3, 20),
        notify_url=[receiver.url],
        alert_failure_share=0.5,
        hooks=RunHooks(alert=told.append),
    )
    assert [alert.event for alert in told] == ["failure_share", "failed"]
    assert [posted["event"] for posted in receiver.posted] == ["failure_share", "failed"]
    share = receiver.posted[0]
    assert share["counts"] == {"failed_or_invalid": 1, "done": 1}  # the first row: 100%
    assert share["report"] == str(tmp_path / "in.results.csv")
    assert share["workspace"]["name"] == "bulk-update sandbox"
    assert "more than 50%" in share["text"]


async def test_a_run_that_goes_well_is_done_and_never_alerts_the_share(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    told: list[Alert] = []
    result = await _run(
        sandbox, _sheet(tmp_path, 0, 5), alert_failure_share=0.0, hooks=RunHooks(alert=told.append)
    )
    assert result.summary.all_succeeded
    assert [(alert.event, dict(alert.counts)) for alert in told] == [("done", {"updated": 5})]


async def test_a_webhook_that_hangs_is_a_warning_after_a_short_wait(
    sandbox: Sandbox,
    receiver: Receiver,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr("bulk_update.job.alerts.WEBHOOK_TIMEOUT_SECONDS", 0.2)
    receiver.hang = True
    with caplog.at_level(logging.WARNING, logger="bulk_update"):
        result = await _run(sandbox, _sheet(tmp_path, 0, 2), notify_url=[receiver.url])
    assert result.summary.all_succeeded and len(receiver.posted) == 1
    warned = [record.getMessage() for record in caplog.records]
    assert any("done alert to 127.0.0.1 was not delivered" in line for line in warned)
    assert not any("secret-path" in line for line in warned)  # a webhook's path is its secret


async def test_a_run_that_cannot_start_alerts_failed(
    sandbox: Sandbox, receiver: Receiver, tmp_path: Path
) -> None:
    empty = write_csv(tmp_path / "empty.csv", ["id", "title"], [])
    with pytest.raises(UsageError):
        await _run(sandbox, empty, notify_url=[receiver.url])
    assert [posted["event"] for posted in receiver.posted] == ["failed"]
    assert "header but no data rows" in receiver.posted[0]["text"]


@pytest.mark.parametrize("url", ["http://example.com/hook", "ftp://127.0.0.1/x", "hooks"])
async def test_a_webhook_takes_https_or_loopback_only(
    sandbox: Sandbox, tmp_path: Path, url: str
) -> None:
    with pytest.raises(UsageError, match="https://"):
        await _run(sandbox, _sheet(tmp_path, 0, 1), notify_url=[url])
    assert sandbox.state.paths == []
