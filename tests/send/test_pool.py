"""The sending pipeline's mechanisms, over loopback: bounded read-ahead, progress on resume."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from bulk_update.config import JobSettings, Rate, SendOptions, Token
from bulk_update.job import Job
from bulk_update.job.hooks import RunHooks
from bulk_update.models import PreparedUpdate, RowOutcome
from bulk_update.sandbox import Sandbox
from bulk_update.send.client import IntercomClient
from bulk_update.send.pacing import Pacer
from bulk_update.send.pool import WorkerPool
from bulk_update.send.progress import SilentProgress
from bulk_update.send.retry import Caller, RetryPolicy
from bulk_update.send.update_row import UpdateRow
from tests.conftest import SAMPLE_DATA, TOKEN, write_csv


async def test_rows_are_pulled_no_further_ahead_than_the_queue_allows(sandbox: Sandbox) -> None:
    sandbox.config.latency = 0.002
    concurrency = 5
    recorded: list[RowOutcome] = []
    most_ahead = 0

    def updates() -> Iterator[PreparedUpdate]:
        nonlocal most_ahead
        for row in range(2, 502):
            most_ahead = max(most_ahead, (row - 2) - len(recorded))
            yield PreparedUpdate(row, str(row), b'{"read":true}')

    client = IntercomClient(sandbox.url, Token(TOKEN), api_version="2.14", timeout=5, connections=5)
    async with client:
        caller = Caller(Pacer(Rate(100_000, 1)), RetryPolicy())
        pool = WorkerPool(
            caller,
            UpdateRow(client, caller),
            recorded.append,
            SilentProgress(),
            concurrency=concurrency,
        )
        await pool.run(updates())
    assert len(recorded) == 500
    # the queue (2 x concurrency) plus one row in each worker's hands, plus the one being put
    assert most_ahead <= 3 * concurrency + 1


async def test_progress_on_resume_starts_from_the_rows_already_done(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "in.csv", ["id", "title"], [[str(n), "t"] for n in range(1, 11)])
    send = SendOptions(base_url=sandbox.url, rate=Rate(100_000, 1))
    first = JobSettings(
        path, tmp_path / "r.csv", send=send, limit=4, schema_path=SAMPLE_DATA / "schema.json"
    )
    await Job(first, Token(TOKEN)).run()
    progress = SilentProgress()
    resumed = JobSettings(
        path, tmp_path / "r.csv", send=send, resume=True, schema_path=SAMPLE_DATA / "schema.json"
    )
    await Job(resumed, Token(TOKEN), hooks=RunHooks(progress=progress)).run()
    assert (progress.initial, progress.total) == (4, 10)
    assert sum(progress.counts.values()) == 6
