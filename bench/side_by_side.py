"""Two installed builds of the tool, side by side: interleaved rounds against a fresh sandbox
each run (no limit, no latency), the CPU and peak RSS of the client alone (``os.wait4``), and
the requests per row the sandbox took. Modes: plain, ``--skip-unchanged`` and ``--backup``;
with ``--output``, instead, the three ways progress is shown (``-q``; stderr a terminal,
drawing the bar; stderr a file, printing progress lines), each build's CPU per row against
the floor client's in the same round.

    python -m bench.side_by_side OLD/bin/bulk-update NEW/bin/bulk-update [ROWS] [ROUNDS]
    python -m bench.side_by_side OLD/bin/bulk-update NEW/bin/bulk-update 20000 5 --output

For a before/after figure: ``git worktree add /tmp/before REV``, a venv there with
``pip install -e .``, and its ``bulk-update`` as OLD.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.harness import TOKEN, measure, sandbox, sandbox_stats, write_sheet

CONCURRENCY = 20
# How each output mode runs: its extra flags and where its stderr goes (bench.harness.measure).
OUTPUTS = {"-q": (["-q"], "none"), "bar": ([], "terminal"), "progress to a file": ([], "file")}


def one_run(
    tool: str, sheet: Path, folder: Path, extra: list[str], stderr: str = "none"
) -> tuple[float, float, float, int]:
    """(wall s, CPU s, peak RSS MB, requests) of one run of ``tool``."""
    with sandbox(10_000_000, 10, 0.0) as url:
        report = folder / f"r-{time.monotonic_ns()}.csv"
        command = [tool, "run", str(sheet), "--base-url", url, "--report", str(report)]
        if "--backup" in extra:
            extra = [*extra, str(folder / f"b-{time.monotonic_ns()}.csv")]
        command += ["--rate", "10000000/1", "--concurrency", str(CONCURRENCY), *extra]
        wall, cpu, rss, code, _out = measure(command, stderr=stderr, this_checkout=False)
        if code != 0:
            sys.exit(f"{' '.join(command)} exited {code}")
        counts = sandbox_stats(url)["status_counts"]
        requests = sum(counts.values()) if isinstance(counts, dict) else 0
        return wall, cpu, rss, requests


def floor_cpu(sheet: Path) -> float:
    """CPU seconds of the floor client (bench/clients/floor_aiohttp.py) over ``sheet``."""
    with sandbox(10_000_000, 10, 0.0) as url:
        command = [sys.executable, "-m", "bench.clients.floor_aiohttp", str(sheet), url, TOKEN]
        _wall, cpu, _rss, _code, _out = measure([*command, str(CONCURRENCY)])
    return cpu


def requests_modes(
    builds: dict[str, str], sheet: Path, folder: Path, rows: int, rounds: int
) -> None:
    modes = (
        ("plain", []),
        ("--skip-unchanged", ["--skip-unchanged"]),
        ("--backup", ["--backup"]),
    )
    for label, extra in modes:
        runs: dict[str, list[tuple[float, float, float, int]]] = {key: [] for key in builds}
        for _round in range(rounds):
            for key, tool in builds.items():
                runs[key].append(one_run(tool, sheet, folder, ["-q", *extra]))
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
        print(f"new/old CPU: {cpu['new'] / cpu['old']:.3f}x", flush=True)


def output_modes(builds: dict[str, str], sheet: Path, folder: Path, rows: int, rounds: int) -> None:
    """Each round: the floor client, every build in every output mode (their order turned
    round by round), the floor again; a run's ratio is against the mean of its round's two
    floor runs, so that the machine's load, which drifts, weighs on both sides alike."""
    runs = [(mode, key) for mode in OUTPUTS for key in builds]
    ratios: dict[tuple[str, str], list[float]] = {run: [] for run in runs}
    cpus: dict[tuple[str, str], list[float]] = {run: [] for run in runs}
    floors: list[float] = []
    print(f"## {rows} rows, CPU per row against the floor client, {rounds} rounds", flush=True)
    for index in range(rounds):
        first = floor_cpu(sheet)
        measured = {}
        for mode, key in runs if index % 2 == 0 else reversed(runs):
            flags, stderr = OUTPUTS[mode]
            measured[mode, key] = one_run(builds[key], sheet, folder, flags, stderr)[1]
        floor = (first + floor_cpu(sheet)) / 2
        floors.append(floor)
        shown = ", ".join(
            f"{key} {mode} {cpu / floor:.2f}x" for (mode, key), cpu in measured.items()
        )
        print(f"round {index + 1}: floor {floor / rows * 1e6:.0f} µs/row; {shown}", flush=True)
        for run, cpu in measured.items():
            ratios[run].append(cpu / floor)
            cpus[run].append(cpu)
    floor = statistics.median(floors) / rows * 1e6
    print(f"\nmedian of {rounds} rounds; floor client {floor:.0f} µs/row")
    print(
        f"{'mode':<22}" + "".join(f"{key + ' µs/row':>14}{key + ' / floor':>14}" for key in builds)
    )
    for mode in OUTPUTS:
        cells = "".join(
            f"{statistics.median(cpus[mode, key]) / rows * 1e6:>14.0f}"
            f"{statistics.median(ratios[mode, key]):>13.2f}x"
            for key in builds
        )
        print(f"{mode:<22}{cells}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.side_by_side", description=__doc__)
    parser.add_argument("old", help="the older build's bulk-update")
    parser.add_argument("new", help="the newer build's bulk-update")
    parser.add_argument("rows", nargs="?", type=int, default=20_000)
    parser.add_argument("rounds", nargs="?", type=int, default=5)
    parser.add_argument(
        "--output", action="store_true", help="compare the output modes against the floor client"
    )
    args = parser.parse_args()
    builds = {"old": args.old, "new": args.new}
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        sheet = write_sheet(folder / "sheet.csv", args.rows)
        compare = output_modes if args.output else requests_modes
        compare(builds, sheet, folder, args.rows, args.rounds)


if __name__ == "__main__":
    main()
