"""``python -m bench page``: the page's way of running a sheet against the command line's, side
by side on one sheet, each against a fresh in-process sandbox at 1,666 requests per 10 s:

- the command line: ``bulk-update run SHEET --backup`` (``api.run_async`` with a backup);
- the page: Preview (its first rows, then Preview all rows), Run's review, then Run (with
  its backup), through :class:`bulk_update.ui.session.Session`, as the page's server calls it.

Then the page's server answering other requests while a zip bomb is uploaded."""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import Any, TypeVar

import aiohttp

from bench.harness import write_sheet
from bulk_update import api
from bulk_update.sandbox import SANDBOX_TOKEN, Sandbox, SandboxConfig
from bulk_update.ui import UiServer
from bulk_update.ui.choices import Choices, Connection
from bulk_update.ui.session import Session
from tests.conftest import write_zip_bomb

T = TypeVar("T")


async def _timed(step: Awaitable[T]) -> tuple[T, float]:
    started = time.perf_counter()
    done = await step
    return done, time.perf_counter() - started


def _line(what: str, requests: int, seconds: float) -> None:
    print(f"| {what} | {requests:,} | {seconds:.1f} |")


async def command_line(sheet: Path, folder: Path) -> int:
    async with Sandbox(SandboxConfig(token=SANDBOX_TOKEN)) as sandbox:
        _, seconds = await _timed(
            api.run_async(
                sheet,
                token=SANDBOX_TOKEN,
                base_url=sandbox.url,
                report_path=folder / "cli.results.csv",
                backup_path=folder / "cli.backup.csv",
            )
        )
        requests = len(sandbox.state.paths)
    _line("command line: `run --backup`", requests, seconds)
    return requests


async def page(sheet: Path, folder: Path) -> int:
    async with Sandbox(SandboxConfig(token=SANDBOX_TOKEN)) as sandbox:
        own = folder / "page"
        own.mkdir()
        session = Session(own, Connection({"base_url": sandbox.url}, SANDBOX_TOKEN))
        await session.choose(sheet.name, sheet.read_bytes())
        seen = 0
        total = 0.0

        def step(what: str, seconds: float) -> None:
            nonlocal seen, total
            _line(f"page: {what}", len(sandbox.state.paths) - seen, seconds)
            seen, total = len(sandbox.state.paths), total + seconds

        sample, seconds = await _timed(session.preview(Choices()))
        step(f"Preview (its first {sample['previewed']['read']} rows shown)", seconds)
        _, seconds = await _timed(session.preview(Choices(), whole=True))
        step("Preview all rows", seconds)
        plan, seconds = await _timed(session.plan(Choices()))
        step(f"Run's review ({plan['conversations']:,} conversations will be changed)", seconds)
        session.start_run(Choices())
        assert session.running is not None
        _, seconds = await _timed(session.running.task)
        step("Run (Confirm)", seconds)
        _line("page: all of it", seen, total)
    return seen


async def zip_bomb(folder: Path) -> None:
    """The largest wait of 20 requests to the page's server made while a zip bomb (a 50 MB
    part, packed to about 50 kB) is uploaded and refused."""
    bomb = write_zip_bomb(folder / "bomb.xlsx", parts=4, megabytes=50)
    async with Sandbox(SandboxConfig(token=SANDBOX_TOKEN)) as sandbox:
        server = UiServer(Connection({"base_url": sandbox.url}, SANDBOX_TOKEN))
        await server.start()
        headers = {"X-Key": server.key, "Origin": server.origin}
        async with aiohttp.ClientSession() as client:

            async def upload() -> Any:
                form = aiohttp.FormData()
                form.add_field("sheet", bomb.read_bytes(), filename="bomb.xlsx")
                async with client.post(
                    server.origin + "/api/sheet", data=form, headers=headers
                ) as answer:
                    return answer.status, (await answer.json())["error"]

            async def ask() -> float:
                started = time.perf_counter()
                async with client.get(server.origin + "/api/teammates", headers=headers):
                    return time.perf_counter() - started

            uploading = asyncio.create_task(_timed(upload()))
            waits = [await ask() for _ in range(20)]
            (status, said), seconds = await uploading
        await server.stop()
    print(
        f"\nzip bomb ({bomb.stat().st_size / 1e3:.0f} kB, 4 parts of 50 MB): answered {status} "
        f"in {seconds:.2f} s ({said[:60]}…); 20 other requests meanwhile, the slowest "
        f"{max(waits) * 1000:.0f} ms"
    )


async def main(rows: int) -> None:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        sheet = write_sheet(folder / "sheet.csv", rows)
        print(f"\n## page: {rows:,} rows, 1,666 requests per 10 s\n")
        print("| how | requests | seconds |\n|---|---|---|")
        cli = await command_line(sheet, folder)
        on_page = await page(sheet, folder)
        print(f"\npage / command line, requests: {on_page / cli:.3f}")
        await zip_bomb(folder)
