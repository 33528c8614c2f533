"""Faults from the server side, over loopback against the sandbox: nothing is lost."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bulk_update.config import JobSettings, Rate, SendOptions, Token
from bulk_update.job import Job
from bulk_update.models import RowStatus, RunResult
from bulk_update.sandbox import Sandbox, SandboxConfig
from bulk_update.send.retry import RetryPolicy
from tests.conftest import SAMPLE_DATA, TOKEN, VirtualClock, read_report, write_csv

QUICK_RETRIES = RetryPolicy(max_retries=10, base_delay=0.002, max_delay=0.05)


def sheet(tmp_path: Path, rows: int) -> Path:
    return write_csv(
        tmp_path / "in.csv", ["id", "issue_type"], [[str(7000 + n), "Bug"] for n in range(rows)]
    )


def settings(url: str, path: Path, tmp_path: Path, **send: object) -> JobSettings:
    options = {"base_url": url, "rate": Rate(100_000, 1), "concurrency": 20, "timeout": 5.0, **send}
    return JobSettings(
        input_path=path,
        report_path=tmp_path / "report.csv",
        send=SendOptions(**options),  # type: ignore[arg-type]
        schema_path=SAMPLE_DATA / "schema.json",
    )


async def run(
    job_settings: JobSettings,
    policy: RetryPolicy = QUICK_RETRIES,
    clock: VirtualClock | None = None,
) -> RunResult:
    if clock is None:
        return await Job(job_settings, Token(TOKEN), retry_policy=policy).run()
    job = Job(job_settings, Token(TOKEN), retry_policy=policy, clock=clock)
    return await job.run()


def assert_every_row_updated_once_in_report(tmp_path: Path, rows: int) -> None:
    lines = read_report(tmp_path / "report.csv")
    assert [int(line["row"]) for line in lines] == list(range(2, rows + 2))
    assert {line["status"] for line in lines} == {"updated"}
    assert all(line["http_status"] == "200" for line in lines)


async def test_10000_rows_through_5xx_resets_and_hangs(sandbox: Sandbox, tmp_path: Path) -> None:
    sandbox.config.missing_suffix = ""
    sandbox.config.error_rate = 0.03  # 500/502/503/504, HTML bodies from the "proxy" among them
    sandbox.config.reset_rate = 0.02
    sandbox.config.hang_rate = 0.01
    sandbox.config.hang_seconds = 30
    path = sheet(tmp_path, 10_000)
    result = await run(settings(sandbox.url, path, tmp_path, timeout=0.3, concurrency=50))
    assert_every_row_updated_once_in_report(tmp_path, 10_000)
    assert result.summary.retries >= 400
    assert sandbox.state.status_counts[502] > 0 and sandbox.state.status_counts[500] > 0


async def test_a_429_storm_slows_the_run_but_loses_nothing(tmp_path: Path) -> None:
    clock = VirtualClock()
    config = SandboxConfig(token=TOKEN, limit=400, window=10, missing_suffix="")
    async with Sandbox(config, clock=clock) as sandbox:
        path = sheet(tmp_path, 1500)

        async def storm() -> None:
            while sandbox.state.puts_applied < 300:
                await asyncio.sleep(0)
            config.limit = 40  # a tenth, as when another integration floods the app
            calm_at = clock.now + 20
            while clock.now < calm_at:
                await asyncio.sleep(0)
            config.limit = 400

        storm_task = asyncio.create_task(storm())
        result = await run(settings(sandbox.url, path, tmp_path), clock=clock)
        await storm_task
    assert_every_row_updated_once_in_report(tmp_path, 1500)
    assert result.summary.rate_limited <= 0.05 * result.summary.requests
    # Windows of 400, 400, then two of 40 (the storm), then 400s: the run waited them out.
    assert min(sandbox.state.window_history.values()) <= 40


@pytest.mark.parametrize(
    ("reset_header", "retry_after"),
    [
        ("past", None),
        ("far_future", None),
        ("malformed", None),
        ("missing", None),
        ("normal", "-5"),
        ("normal", "99999"),
        ("normal", "soon"),
        ("normal", "Wed, 21 Oct 2015 07:28:00 GMT"),
    ],
)
async def test_hostile_rate_limit_headers_never_stall_the_run(
    tmp_path: Path, reset_header: str, retry_after: str | None
) -> None:
    clock = VirtualClock()
    config = SandboxConfig(
        token=TOKEN,
        limit=60,
        window=1,
        missing_suffix="",
        reset_header=reset_header,
        retry_after=retry_after,
    )
    async with Sandbox(config, clock=clock) as sandbox:
        path = sheet(tmp_path, 100)
        job_settings = settings(sandbox.url, path, tmp_path, max_wait=1.0)
        result = await run(job_settings, clock=clock)
    assert_every_row_updated_once_in_report(tmp_path, 100)
    assert result.summary.count(RowStatus.UPDATED) == 100
    # 100 rows at 60 a second need a second or two; no header may make it wait much longer
    # (a far-future reset or Retry-After: 99999 is capped at max_wait, 1 s, each time).
    assert clock.slept < 10, clock.slept


async def test_the_server_going_away_and_coming_back(tmp_path: Path) -> None:
    config = SandboxConfig(token=TOKEN, limit=100_000, latency=0.001, missing_suffix="")
    first = Sandbox(config)
    url = await first.start()
    port = int(url.rsplit(":", 1)[1])
    path = sheet(tmp_path, 2000)
    # Full jitter has no minimum wait: enough retries that their sum surely outlasts 1.5 s.
    patient = RetryPolicy(max_retries=20, base_delay=0.2, max_delay=1.0)
    job = asyncio.create_task(run(settings(url, path, tmp_path, rate=Rate(1000, 1)), patient))
    while first.state.puts_applied < 300:
        await asyncio.sleep(0.01)
    await first.stop()
    await asyncio.sleep(1.5)  # the outage
    second = Sandbox(config, port=port, state=first.state)
    await second.start()
    try:
        result = await job
    finally:
        await second.stop()
    assert_every_row_updated_once_in_report(tmp_path, 2000)
    assert result.summary.retries > 0


async def test_rows_out_of_retries_fail_with_a_reason_and_retry_picks_them_up(
    tmp_path: Path,
) -> None:
    config = SandboxConfig(token=TOKEN, limit=100_000, missing_suffix="")
    path = sheet(tmp_path, 50)
    async with Sandbox(config) as server:
        url = server.url
    # The server is gone: every row runs out of retries.
    impatient = RetryPolicy(max_retries=1, base_delay=0.001)
    result = await run(settings(url, path, tmp_path), impatient)
    lines = read_report(tmp_path / "report.csv")
    assert result.summary.count(RowStatus.FAILED) == 50
    assert {line["error_code"] for line in lines} == {"connection_error"}
    assert (
        "cannot connect" in lines[0]["error_message"] and "2 attempts" in lines[0]["error_message"]
    )
    # Back up: 'retry' sends exactly those rows again.
    async with Sandbox(config, port=int(url.rsplit(":", 1)[1])) as server:
        retry_settings = JobSettings(
            input_path=tmp_path / "report.csv",
            report_path=tmp_path / "retried.csv",
            send=SendOptions(base_url=server.url, rate=Rate(100_000, 1)),
            schema_path=SAMPLE_DATA / "schema.json",
            only_statuses=frozenset({"failed", "not_attempted"}),
        )
        await run(retry_settings)
        assert server.state.puts_applied == 50
    assert {line["status"] for line in read_report(tmp_path / "retried.csv")} == {"updated"}
