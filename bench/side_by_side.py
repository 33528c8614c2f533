"""Two installed builds of the tool, side by side: interleaved rounds against a fresh sandbox
each run (no limit, no latency), the CPU and peak RSS of the client alone (``os.wait4``), and
the requests per row the sandbox took. Modes: plain, ``--skip-unchanged`` and ``--backup``.

    python -m bench.side_by_side OLD/bin/bulk-update NEW/bin/bulk-update [ROWS] [ROUNDS]

For a before/after figure: ``git worktree add /tmp/before REV``, a venv there with
``pip install -e .``, and its ``bulk-update`` as OLD.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.harness import TOKEN, sandbox, sandbox_stats


def write_sheet(path: Path, rows: int) -> Path:
    lines = ["id,priority,csat_score"]
    lines += [f"{n},{'High' if n % 2 else 'Low'},{n % 5 + 1}" for n in range(1, rows + 1)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def one_run(
    tool: str, sheet: Path, folder: Path, extra: list[str]
) -> tuple[float, float, float, int]:
    """(wall s, CPU s, peak RSS MB, requests) of one run of ``tool``."""
    with sandbox(10_000_000, 10, 0.0) as url:
        report = folder / f"r-{time.monotonic_ns()}.csv"
        command = [tool, "run", str(sheet), "--base-url", url, "-q", "--report", str(report)]
        if extra == ["--backup"]:
            extra = ["--backup", str(folder / f"b-{time.monotonic_ns()}.csv")]
        env = {**os.environ, "INTERCOM_ACCESS_TOKEN": TOKEN}
        started = time.monotonic()
        process = subprocess.Popen(
            [*command, "--rate", "10000000/1", *extra],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _pid, _status, usage = os.wait4(process.pid, 0)
        wall = time.monotonic() - started
        counts = sandbox_stats(url)["status_counts"]
        requests = sum(counts.values()) if isinstance(counts, dict) else 0
        return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, requests


def main() -> None:
    old, new = sys.argv[1], sys.argv[2]
    rows = int(sys.argv[3]) if len(sys.argv) > 3 else 20_000
    rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 5
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        sheet = write_sheet(folder / "sheet.csv", rows)
        modes = (
            ("plain", []),
            ("--skip-unchanged", ["--skip-unchanged"]),
            ("--backup", ["--backup"]),
        )
        for label, extra in modes:
            runs: dict[str, list[tuple[float, float, float, int]]] = {"old": [], "new": []}
            for _round in range(rounds):
                for key, tool in (("old", old), ("new", new)):
                    runs[key].append(one_run(tool, sheet, folder, extra))
            print(f"## {rows} rows, {label}, median of {rounds} interleaved rounds")
            cpu = {}
            for key, measured in runs.items():
                wall = statistics.median(m[0] for m in measured)
                cpu[key] = statistics.median(m[1] for m in measured)
                rss = statistics.median(m[2] for m in measured)
                per_row = cpu[key] / rows * 1e6
                requests = statistics.median(m[3] for m in measured) / rows
                print(
                    f"{key}: wall {wall:.2f} s, CPU {cpu[key]:.2f} s ({per_row:.0f} µs/row), "
                    f"peak RSS {rss:.0f} MB, {requests:.3f} requests/row"
                )
            print(f"new/old CPU: {cpu['new'] / cpu['old']:.3f}x")


if __name__ == "__main__":
    main()
