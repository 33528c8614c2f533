"""The page's jobs: each ends with one last event (its result, its error or its cancel)."""

from __future__ import annotations

import asyncio

from bulk_update.errors import UsageError
from bulk_update.job.hooks import RunHooks
from bulk_update.ui.jobs import LAST_EVENTS, started


async def test_a_job_ends_with_its_result_or_its_error_in_the_pages_words() -> None:
    async def works(hooks: RunHooks) -> int:
        assert hooks.interruption is not None and hooks.setting_names["admin"] == "the Teammate"
        return 3

    done = started("check", works, lambda n: {"rows": n}, str)
    assert await done.task == 3
    assert done.events.last == {"kind": "done", "job": "check", "result": {"rows": 3}}

    async def fails(_hooks: RunHooks) -> int:
        raise UsageError("set the Teammate")

    failed = started("plan", fails, dict, lambda error: f"said: {error}")
    await asyncio.wait([failed.task])
    assert failed.events.last == {
        "kind": "error",
        "job": "plan",
        "message": "said: set the Teammate",
    }
    assert {"done", "error", "cancelled"} == LAST_EVENTS


async def test_cancel_asks_a_run_to_drain_and_abandons_a_find() -> None:
    asked = asyncio.Event()

    async def drains(hooks: RunHooks) -> str:
        assert hooks.interruption is not None
        hooks.interruption.listen(asked.set)
        await asked.wait()
        return "drained"

    run = started("undo", drains, lambda said: {"said": said}, str)
    await asyncio.sleep(0)  # the job is going
    assert run.going
    run.stop()
    assert await run.task == "drained"

    async def searches(_hooks: RunHooks) -> None:
        await asyncio.Event().wait()  # a search that would never end

    find = started("find", searches, dict, str)
    await asyncio.sleep(0)
    find.stop()
    await asyncio.wait([find.task])
    assert find.task.cancelled() and find.events.last == {"kind": "cancelled", "job": "find"}
