"""Reads for the read-first modes, over loopback: answers a dry run kept stand in for the run
that follows it (the page's review, then Run), once, and not past their age."""

from __future__ import annotations

from bulk_update.config import Rate, Token
from bulk_update.models import PreparedUpdate
from bulk_update.sandbox import Sandbox
from bulk_update.send.client import IntercomClient
from bulk_update.send.pacing import Pacer
from bulk_update.send.reads import KEPT_FOR_SECONDS, Reads, ReadsKept
from bulk_update.send.retry import Caller, RetryPolicy
from tests.conftest import TOKEN


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_a_dry_runs_answers_stand_in_once_for_the_run_after_it(sandbox: Sandbox) -> None:
    clock = Clock()
    kept = ReadsKept(clock)
    found, gone = PreparedUpdate(2, "7001", b"{}"), PreparedUpdate(3, "7404", b"{}")
    client = IntercomClient(sandbox.url, Token(TOKEN), api_version="2.14", timeout=5, connections=2)
    async with client:
        caller = Caller(Pacer(Rate(100_000, 1)), RetryPolicy())

        def reads(*, dry_run: bool) -> Reads:
            return Reads(client, caller, via="get", kept=kept, dry_run=dry_run)

        review = reads(dry_run=True)
        for update in (found, gone):
            assert await review.read(update) is not None
        assert len(sandbox.state.paths) == 2
        again = reads(dry_run=True)  # a dry run leaves what it uses for the run
        assert (await again.read(found)) == (kept.take("7001", leave=True), 0)
        assert len(sandbox.state.paths) == 2

        run = reads(dry_run=False)
        answer, _ = await run.read(found) or (None, 0)
        assert answer is not None and answer.data["id"] == "7001"
        answer, _ = await run.read(gone) or (None, 0)
        assert answer is not None and answer.status == 404  # found gone: not asked again
        assert len(sandbox.state.paths) == 2
        await run.read(found)  # used up: the run read it once already
        assert len(sandbox.state.paths) == 3

        await reads(dry_run=True).read(found)
        await reads(dry_run=False).read(found, exact=True)  # exact: always asked
        assert len(sandbox.state.paths) == 5
        clock.now += KEPT_FOR_SECONDS + 1  # past its age: read again
        await reads(dry_run=False).read(found)
        assert len(sandbox.state.paths) == 6
