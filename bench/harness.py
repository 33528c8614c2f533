"""Run the sandbox and each client as separate processes, and measure each client alone.

CPU time and peak RSS come from ``os.wait4`` on the client process, so the sandbox's own
work (in its own process) is never counted against a client.
"""

from __future__ import annotations

import contextlib
import csv
import itertools
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

TOKEN = "sandbox-token"
ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Measurement:
    name: str
    rows: int
    wall: float
    cpu: float
    peak_rss_mb: float
    exit_code: int
    stats: dict[str, object]
    limit: int
    window: int

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.wall

    @property
    def cpu_ms_per_row(self) -> float:
        return 1000 * self.cpu / self.rows

    @property
    def status_counts(self) -> dict[str, int]:
        return self.stats.get("status_counts", {})  # type: ignore[return-value]

    @property
    def rate_limited(self) -> int:
        return self.status_counts.get("429", 0)

    @property
    def requests(self) -> int:
        return sum(self.status_counts.values())

    def window_use(self) -> tuple[float, float]:
        """(mean, min) share of the limit used over the full windows of the run."""
        history = {int(k): v for k, v in self.stats.get("window_history", {}).items()}  # type: ignore[union-attr]
        if not history:
            return 0.0, 0.0
        first, last = min(history), max(history)
        full = [history.get(index, 0) / self.limit for index in range(first + 1, last)]
        if not full:
            return sum(history.values()) / self.limit, 0.0
        return sum(full) / len(full), min(full)


@contextmanager
def sandbox(limit: int, window: int, latency: float, conversations: int = 0) -> Iterator[str]:
    command = [
        sys.executable,
        "-m",
        "bulk_update",
        "sandbox",
        "--port",
        "0",
        "--limit",
        str(limit),
        "--window",
        str(window),
        "--latency",
        str(latency),
        "--seed",
        "1",
        "--conversations",
        str(conversations),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert process.stdout is not None
    line = process.stdout.readline()
    url = line.split()[3]
    try:
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # a sandbox holding a million conversations
            process.kill()
            process.wait()


def sandbox_stats(url: str) -> dict[str, object]:
    with urllib.request.urlopen(f"{url}/_sandbox/stats") as response:  # loopback only
        return json.loads(response.read())  # type: ignore[no-any-return]


def measure(
    command: list[str], *, cwd: Path = ROOT, stderr: str = "none", this_checkout: bool = True
) -> tuple[float, float, float, int, str]:
    """(wall seconds, CPU seconds, peak RSS MB, exit code, stdout) of one child process.

    ``stderr``: "none" (discarded), "file" (a file, as in a CI log) or "terminal" (a
    pseudo-terminal, drained by a thread, as a person at a terminal sees it).
    ``this_checkout``: the child imports this checkout's code; False for an installed build
    run by its own path (``bench.side_by_side``), which must import its own.
    """
    env = {**os.environ, "INTERCOM_ACCESS_TOKEN": TOKEN}
    if this_checkout:
        env["PYTHONPATH"] = str(ROOT)
    else:
        env.pop("PYTHONPATH", None)
    with contextlib.ExitStack() as stack:
        target: int | IO[bytes] = subprocess.DEVNULL
        if stderr == "file":
            target = stack.enter_context(tempfile.TemporaryFile())
        elif stderr == "terminal":
            primary, secondary = os.openpty()
            stack.callback(os.close, primary)
            drain = threading.Thread(target=_drain, args=(primary,), daemon=True)
            drain.start()
            target = secondary
        started = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=target, text=True
        )
        if stderr == "terminal":
            os.close(secondary)
        assert process.stdout is not None
        output = process.stdout.read()
        _pid, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, process.returncode, output


def _drain(descriptor: int) -> None:
    """Read a pseudo-terminal until its last writer closes it, so the child never blocks."""
    with contextlib.suppress(OSError):
        while os.read(descriptor, 65536):
            pass


def write_sheet(path: Path, rows: int, *, wide: bool = False) -> Path:
    """A bench sheet. Ids are distinct; none ends in 404, so every row can be updated."""
    rng = random.Random(rows)
    header = ["id", "issue_type", "csat_score", "monthly_spend", "vip"]
    if wide:
        header += ["priority", "region", "due_date", "orders", "title"]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for n in range(rows):
            cells = [
                str(10_000_000 + n * 10 + 1),
                rng.choice(["Billing", "Bug", "Other"]),
                str(rng.randint(1, 5)),
                f"{rng.randint(0, 99999) / 100}",
                rng.choice(["true", "false"]),
            ]
            if wide:
                cells += [rng.choice(["Low", "High"]), "EMEA", "2026-12-01", "21;34", f"Title {n}"]
            writer.writerow(cells)
    return path


def write_action_sheet(path: Path, rows: int) -> tuple[Path, int, int]:
    """A sheet asking each conversation's state, both assignees and its exact tags, where
    every other asked change (alternating by row and column) is already in place in the
    sandbox's starting situations. (path, changes asked, changes already in place)."""
    from bulk_update.sandbox.actions import initial_situation

    header = ["id", "state", "admin_assignee", "team_assignee", "tags"]
    asked = in_place = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        # Not snoozed (asking for that needs a time), and none ending in 404 (missing).
        ids = (str(20_000_000 + n) for n in itertools.count() if n % 10 != 8 and n % 1000 != 404)
        for n, conversation_id in zip(range(rows), ids, strict=False):
            now = initial_situation(conversation_id, 0, time.time())
            closed = now["state"] == "closed"
            assigned = now["admin_assignee_id"] is not None
            tagged = bool(now["tags"]["tags"])
            choices = [
                ("closed", "open") if closed else ("open", "closed"),
                ("ada@example.com", "grace@example.com")
                if assigned
                else ("unassigned", "grace@example.com"),
                ("Support", "Billing") if assigned else ("unassigned", "Billing"),
                ("legacy", "migrated") if tagged else ("#N/A", "migrated"),
            ]
            cells = [conversation_id]
            for column, (same, other) in enumerate(choices):
                keep = (n + column) % 2 == 0
                cells.append(same if keep else other)
                asked += 1
                in_place += keep
            writer.writerow(cells)
    return path, asked, in_place
