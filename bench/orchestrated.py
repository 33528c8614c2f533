"""``python -m bench dagster``: the Dagster integration's cost. Three workspaces, each a
sandbox of its own (its own process, 1,666 requests per 10 s, 50 ms mean latency), the bench
sheet of ``--rows`` rows applied to each: by three command-line runs one after another, then by
the Dagster asset's three partitions at once (each a process of its own, as Dagster's
multiprocess executor or run launcher runs them). Per partition, the integration's overhead
is the process's wall time less the run's own (start-up, definitions, metadata). Then a
partition killed with ``kill -9`` mid-run and retried: the writes sent twice and the notes
doubled (the sandbox's counts)."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bench.harness import ROOT, TOKEN, measure, sandbox, sandbox_stats, write_sheet

PY = sys.executable
PARTITIONS = ("us", "eu", "au")
PARTITION = [PY, "-m", "bench.clients.dagster_partition"]


def main(rows: int, folder: Path) -> None:
    sheet = write_sheet(folder / "sheet.csv", rows)
    print(f"\n## dagster: {rows:,} rows in each of 3 workspaces (1,666 per 10 s, 50 ms)\n")
    cli_walls, cli_overheads = [], []
    for partition in PARTITIONS:
        with sandbox(1666, 10, 0.05) as url:
            summary = folder / f"cli-{partition}.json"
            command = [PY, "-m", "bulk_update", "run", str(sheet), "--base-url", url, "-q"]
            command += ["--rate", "1666/10", "--schema", "sample_data/schema.json"]
            command += ["--report", str(folder / f"cli-{partition}.csv")]
            wall, _cpu, _rss, _code, _ = measure([*command, "--summary-json", str(summary)])
        cli_walls.append(wall)
        cli_overheads.append(wall - json.loads(summary.read_text())["elapsed_seconds"])
    with contextlib.ExitStack() as stack:
        urls = [stack.enter_context(sandbox(1666, 10, 0.05)) for _ in PARTITIONS]
        env = {**os.environ, "INTERCOM_ACCESS_TOKEN": TOKEN, "PYTHONPATH": str(ROOT)}
        started = time.perf_counter()
        workers = [
            subprocess.Popen(
                [
                    PY,
                    "-m",
                    "bench.clients.dagster_partition",
                    str(sheet),
                    str(folder / "h"),
                    key,
                    url,
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
            )
            for key, url in zip(PARTITIONS, urls, strict=True)
        ]
        ended = []
        for worker in workers:
            out, _ = worker.communicate()
            ended.append((time.perf_counter() - started, json.loads(out.splitlines()[-1])))
        together = time.perf_counter() - started
    overheads = [wall - told["elapsed"] for wall, told in ended]
    print("| how | wall seconds | overhead a run (s) |")
    print("|---|---|---|")
    print(
        f"| 3 CLI runs, one after another | {sum(cli_walls):.1f} | "
        f"{sum(cli_overheads) / 3:.2f} (process start, lookups, report) |"
    )
    print(
        f"| 3 Dagster partitions at once | {together:.1f} | "
        f"{sum(overheads) / 3:.2f} (process start, Dagster, metadata) |"
    )
    ratio = together / sum(cli_walls)
    print(f"\nwall time, Dagster against the CLI runs one after another: {ratio:.2f}x")
    _killed_and_retried(folder, min(rows, 1000))


def _killed_and_retried(folder: Path, rows: int) -> None:
    sheet = folder / "notes.csv"
    with sheet.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "note", "issue_type"])
        writer.writerows([str(10_000_001 + 10 * n), f"Migrated #{n}", "Bug"] for n in range(rows))
    env = {**os.environ, "INTERCOM_ACCESS_TOKEN": TOKEN, "PYTHONPATH": str(ROOT)}
    command = [*PARTITION, str(sheet), str(folder / "k"), "us"]
    with sandbox(1666, 10, 0.05) as url:
        worker = subprocess.Popen(
            [*command, url, "ada@example.com"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        while sandbox_stats(url)["puts_applied"] < rows // 3:
            time.sleep(0.05)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
        at_kill = sandbox_stats(url)
        retried = subprocess.run(
            [*command, url, "ada@example.com"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        stats = sandbox_stats(url)
    notes = stats["actions"].get("note", 0)
    print(
        f"\nkill -9 after {at_kill['puts_applied']} of {rows} rows' writes, then a retry "
        f"({json.loads(retried.stdout.splitlines()[-1])['elapsed']:.1f} s): "
        f"writes sent twice {stats['puts_applied'] - stats['distinct_ids']}, "
        f"notes {notes} for {rows} rows (doubled: {notes - rows}), "
        f"{stats['distinct_ids']} conversations written"
    )
