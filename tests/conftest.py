"""Shared fixtures: the sandbox on a real loopback socket, in this loop or in a thread."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import logging
import os
import threading
import zipfile
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from bulk_update import api
from bulk_update.config import DateOrder
from bulk_update.sandbox import Sandbox, SandboxConfig
from bulk_update.sheet.values import DateReader

# CI replays the same examples every run (a red CI must mean a regression, not a new random
# draw); HYPOTHESIS_PROFILE=explore draws fresh ones, for looking for bugs.
settings.register_profile("ci", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
EXPLORING = os.environ.get("HYPOTHESIS_PROFILE") == "explore"


def examples(in_ci: int) -> int:
    """How many examples a property test draws: few in CI, where the suite must stay fast
    and a red run must mean a regression, and ten times as many when exploring."""
    return in_ci * 10 if EXPLORING else in_ci


ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DATA = ROOT / "sample_data"
TOKEN = "test-token-7c1f5e0a9b"
# Ids that must never reach the network: path escapes, spaces, non-ASCII digits, numbers.
HOSTILE_IDS = [
    "123/../admins",
    "../me",
    "%2e%2e/contacts",
    "123?x=1",
    "123#x",
    "1 23",
    " 12 3",
    "١٢٣",
    "+123",
    "-123",
    "1e6",
    "9" * 40,
    "1.23457E+17",
    "123.0",
    "0x1F",
    "12\t3",
    "\uff11\uff12\uff13",  # fullwidth digits
    "12\n3",
    "%00",
    "123;drop",
]


class VirtualClock:
    """Wall-clock time that passes only when someone sleeps on it: shared by the sandbox's
    rate-limit windows and the client's pacing, a 10-second window takes no real time."""

    def __init__(self, now: float = 1_700_000_000.0):
        self.now = now
        self.slept = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.slept += seconds
        await asyncio.sleep(0)


def to_unix_seconds(
    text: str, *, date_order: DateOrder | None = None, zone: dt.tzinfo = dt.UTC
) -> int:
    """A cell read as the sheet's date columns read it, with these conventions."""
    return DateReader(date_order, zone)(text)


def write_csv(path: Path, header: list[str], rows: list[list[str]], delimiter: str = ",") -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_zip_bomb(path: Path, *, parts: int = 1, megabytes: int = 50) -> Path:
    """A workbook-shaped zip whose worksheet parts are runs of zeros: each ``megabytes``
    long, packed about a thousand times smaller."""
    zeros = bytes(1 << 20)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        for number in range(1, parts + 1):
            with archive.open(f"xl/worksheets/sheet{number}.xml", "w") as part:
                for _ in range(megabytes):
                    part.write(zeros)
    return path


def read_report(path: Path) -> list[dict[str, str]]:
    """A CSV report's lines; it has the delimiter of the sheet it was made from."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        header = handle.readline()
        delimiter = max(",;\t", key=header.count)
        handle.seek(0)
        return list(csv.DictReader(handle, delimiter=delimiter))


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    """The simulator in the test's own event loop, with a fast rate limit by default."""
    async with Sandbox(SandboxConfig(token=TOKEN, limit=100_000, seed=1)) as running:
        yield running


async def run_on(sandbox: Sandbox, sheet: Any, **settings: Any) -> api.RunResult:
    """``sheet`` run against the sandbox over loopback (its attributes from the sample schema
    file, so that no listing is read)."""
    schema = SAMPLE_DATA / "schema.json"
    given = {"token": TOKEN, "base_url": sandbox.url, "schema_path": schema, **settings}
    return await api.run_async(sheet, **given)


class ThreadedSandbox:
    """The simulator in its own thread and loop, for code that calls ``asyncio.run``."""

    def __init__(self, config: SandboxConfig):
        self.sandbox = Sandbox(config)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def __enter__(self) -> Sandbox:
        self._thread.start()
        future: Future[str] = asyncio.run_coroutine_threadsafe(self.sandbox.start(), self._loop)
        future.result(timeout=10)
        return self.sandbox

    def __exit__(self, *exc_info: object) -> None:
        asyncio.run_coroutine_threadsafe(self.sandbox.stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()


@pytest.fixture
def threaded_sandbox() -> Iterator[Sandbox]:
    with ThreadedSandbox(SandboxConfig(token=TOKEN, limit=100_000, seed=1)) as running:
        yield running


@pytest.fixture
def token_env(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("INTERCOM_ACCESS_TOKEN", TOKEN)
    return TOKEN


@pytest.fixture(autouse=True)
def _fresh_logging() -> Iterator[None]:
    """The CLI configures the 'bulk_update' logger for its process; undo that per test."""
    yield
    logger = logging.getLogger("bulk_update")
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    logger.propagate = True
    logger.setLevel(logging.NOTSET)
