"""python -m bench [SCENARIO ...] — see bench/README.md."""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.harness import (
    TOKEN,
    Measurement,
    measure,
    sandbox,
    sandbox_stats,
    write_action_sheet,
    write_sheet,
)

PY = sys.executable
CONCURRENCY = 20
# Where a client's stderr goes ("none" unless named): the progress display differs.
STDERR = {"bulk-update, terminal": "terminal", "bulk-update, stderr file": "file"}


def client_commands(sheet: Path, url: str, report: Path, rate: str) -> dict[str, list[str]]:
    tool = [
        PY,
        "-m",
        "bulk_update",
        "run",
        str(sheet),
        "--base-url",
        url,
        "--report",
        str(report),
        "--rate",
        rate,
        "--concurrency",
        str(CONCURRENCY),
    ]
    script = [str(sheet), url, TOKEN, str(CONCURRENCY)]
    return {
        "bulk-update": [*tool, "-q"],
        "bulk-update, terminal": tool,
        "bulk-update, stderr file": tool,
        "bulk-update --backup": [*tool, "-q", "--backup", str(report.with_suffix(".backup.csv"))],
        "--backup --read-via search": [
            *tool,
            "-q",
            "--backup",
            str(report.with_suffix(".backup.csv")),
            "--read-via",
            "search",
        ],
        "bulk-update, no journal": [PY, "-m", "bench.clients.without_journal", *script, rate],
        "gather+aiohttp": [PY, "-m", "bench.clients.gather_aiohttp", *script, rate],
        "floor (aiohttp)": [PY, "-m", "bench.clients.floor_aiohttp", *script],
        "sequential requests": [PY, "-m", "bench.clients.sequential_requests", *script[:3]],
    }


@dataclass(frozen=True)
class Load:
    """A scenario's load: rows per client, the sandbox's limit per window and its latency,
    and the rate the clients are told."""

    rows: int
    limit: int
    window: int
    latency: float
    rate: str


def compare(
    title: str, load: Load, clients: list[str], folder: Path, args: argparse.Namespace
) -> None:
    """Each client in turn, ``--repeat`` rounds interleaved; then each client's median run."""
    rows, limit, window, latency, rate = load.rows, load.limit, load.window, load.latency, load.rate
    print(
        f"\n## {title}: {rows} rows, sandbox {limit}/{window}s, latency {latency * 1000:.0f} ms, "
        f"clients told --rate {rate}",
        flush=True,
    )
    runs: dict[str, list[Measurement]] = {name: [] for name in clients}
    for _round in range(args.repeat):
        for name in clients:
            count = args.sequential_rows if name == "sequential requests" else rows
            sheet = folder / f"sheet-{count}.csv"
            if not sheet.exists():
                write_sheet(sheet, count)
            report = folder / f"report-{time.monotonic_ns()}.csv"
            with sandbox(limit, window, latency) as url:
                command = client_commands(sheet, url, report, rate)[name]
                wall, cpu, rss, code, _out = measure(command, stderr=STDERR.get(name, "none"))
                stats = sandbox_stats(url)
            result = Measurement(name, count, wall, cpu, rss, code, stats, limit, window)
            runs[name].append(result)
            if args.repeat > 1:
                print_row(result, prefix="  ")
    if args.repeat > 1:
        print(f"median of {args.repeat} rounds (by CPU per row):")
    medians = {
        name: sorted(results, key=lambda m: m.cpu_ms_per_row)[len(results) // 2]
        for name, results in runs.items()
    }
    for median in medians.values():
        print_row(median)
    for other in ("floor (aiohttp)", "bulk-update, no journal"):
        for tool in ("bulk-update", *STDERR):
            if other in medians and tool in medians:
                ratio = medians[tool].cpu_ms_per_row / medians[other].cpu_ms_per_row
                print(f"{tool} CPU per row / {other}'s: {ratio:.2f}x")


def print_header() -> None:
    print(
        f"{'client':<24}{'rows':>8}{'requests':>9}{'rows/s':>9}{'limit used (mean/min)':>23}"
        f"{'429s':>7}"
        f"{'429 %':>7}{'CPU s/1k rows':>15}{'CPU ms/req':>12}{'peak RSS MB':>13}{'exit':>6}"
    )


def print_row(m: Measurement, prefix: str = "") -> None:
    mean, low = m.window_use()
    share = 100 * m.rate_limited / m.requests if m.requests else 0.0
    print(
        f"{prefix}{m.name:<24}{m.rows:>8}{m.requests:>9}{m.rows_per_second:>9.1f}"
        f"{f'{mean:.1%} / {low:.1%}':>23}"
        f"{m.rate_limited:>7}{share:>6.2f}%{m.cpu_ms_per_row:>15.3f}"
        f"{1000 * m.cpu / max(1, m.requests):>12.3f}{m.peak_rss_mb:>13.1f}"
        f"{m.exit_code:>6}",
        flush=True,
    )


ALL = ["bulk-update", "gather+aiohttp", "floor (aiohttp)", "sequential requests"]


def easy(args: argparse.Namespace, folder: Path) -> None:
    print_header()
    compare("easy day", Load(args.rows, 1666, 10, 0.05, "1666/10"), ALL, folder, args)


def half(args: argparse.Namespace, folder: Path) -> None:
    print_header()
    compare(
        "half the budget (another integration uses the rest)",
        Load(args.rows, 833, 10, 0.05, "1666/10"),
        ["bulk-update", "gather+aiohttp"],
        folder,
        args,
    )


def cpu(args: argparse.Namespace, folder: Path) -> None:
    print_header()
    compare(
        "CPU: zero latency, no rate limit",
        Load(args.rows, 10_000_000, 10, 0.0, "10000000/1"),
        [
            "bulk-update",
            "bulk-update, terminal",
            "bulk-update, stderr file",
            "floor (aiohttp)",
            "gather+aiohttp",
        ],
        folder,
        args,
    )


def journal(args: argparse.Namespace, folder: Path) -> None:
    print_header()
    compare(
        "journal cost: zero latency, no rate limit",
        Load(args.rows, 10_000_000, 10, 0.0, "10000000/1"),
        ["bulk-update", "bulk-update, no journal"],
        folder,
        args,
    )


def backup(args: argparse.Namespace, folder: Path) -> None:
    print_header()
    compare(
        "--backup cost: the sandbox's default limit",
        Load(5000, 1666, 10, 0.0, "1666/10"),
        ["bulk-update", "bulk-update --backup", "--backup --read-via search"],
        folder,
        args,
    )


def memory(args: argparse.Namespace, folder: Path) -> None:
    print("\n## memory")
    big = write_sheet(folder / "wide-1m.csv", args.dry_run_rows, wide=True)
    wall, _cpu, rss, code, _ = measure(
        [
            PY,
            "-m",
            "bulk_update",
            "run",
            str(big),
            "--dry-run",
            "-q",
            "--schema",
            "sample_data/schema.json",
            "--report",
            str(folder / "dry.csv"),
        ]
    )
    print(
        f"dry run, {args.dry_run_rows} rows x 10 columns: peak RSS {rss:.1f} MB, "
        f"{wall:.1f} s, exit {code}"
    )
    peaks = {}
    for rows in (20_000, 200_000):
        sheet = write_sheet(folder / f"mem-{rows}.csv", rows)
        with sandbox(10_000_000, 10, 0.0) as url:
            report = folder / f"mem-{rows}-report.csv"
            command = client_commands(sheet, url, report, "10000000/1")["bulk-update"]
            wall, _cpu, rss, code, _ = measure(command)
        peaks[rows] = rss
        print(f"real run, {rows} rows: peak RSS {rss:.1f} MB, {wall:.1f} s, exit {code}")
    print(f"peak RSS ratio 200k/20k: {peaks[200_000] / peaks[20_000]:.2f}")


def actions(args: argparse.Namespace, folder: Path) -> None:
    """Requests per row for a sheet of actions where half the asked changes are in place."""
    sheet, asked, in_place = write_action_sheet(folder / "actions.csv", args.action_rows)
    print(
        f"\n## actions: {args.action_rows} rows asking state, admin_assignee, team_assignee and "
        f"tags: {asked} asked changes, {in_place} of them already in place"
    )
    summary = folder / "actions-summary.json"
    with sandbox(1666, 10, 0.05) as url:
        report = folder / "actions-report.csv"
        command = client_commands(sheet, url, report, "1666/10")["bulk-update"]
        command += ["--admin", "ada@example.com", "--summary-json", str(summary)]
        wall, cpu, rss, code, _out = measure(command)
        stats = sandbox_stats(url)
    figures = json.loads(summary.read_text())
    rows = args.action_rows
    print_header()
    print_row(Measurement("bulk-update (actions)", rows, wall, cpu, rss, code, stats, 1666, 10))
    requests = sum(stats["status_counts"].values())  # type: ignore[attr-defined]
    acted = sum(stats["actions"].values())  # type: ignore[attr-defined]
    print(
        f"bulk-update: {requests} requests ({requests / rows:.2f} per row: {acted / rows:.2f} "
        f"actions + {(requests - acted) / rows:.3f} reads and lookups), "
        f"{figures['steps_done']} steps done, "
        f"{figures['steps_in_place']} already in place, exit {code}, {wall:.1f} s, "
        f"CPU {cpu:.2f} s, peak RSS {rss:.0f} MB; actions by kind {stats['actions']}"
    )
    print(f"a script sending every asked change: {asked} requests ({asked / rows:.2f} per row)")


def versions(args: argparse.Namespace, folder: Path) -> None:
    """Requests per row in each Intercom-Version, side by side, for notes on snoozed
    conversations and assignments of closed ones, each to stay as it was."""
    rows = args.action_rows
    sheet = folder / "versions.csv"
    with sheet.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "note", "admin_assignee"])
        for n in range(rows):  # ids ending in 8 start snoozed, in 7 closed (sandbox/actions.py)
            snoozed = n % 2 == 0
            conversation_id = str(30_000_000 + 10 * n + (8 if snoozed else 7))
            writer.writerow(
                [
                    conversation_id,
                    "Checked." if snoozed else "",
                    "" if snoozed else "grace@example.com",
                ]
            )
    print(
        f"\n## versions: {rows} rows, half a note on a snoozed conversation, half an "
        "assignment of a closed one; sandbox 1666/10 s, 50 ms"
    )
    for version in ("2.14", "2.15", "2.16", "Preview"):
        summary = folder / f"versions-{version}.json"
        with sandbox(1666, 10, 0.05) as url:
            report = folder / f"versions-{version}.csv"
            command = client_commands(sheet, url, report, "1666/10")["bulk-update"]
            command += ["--admin", "ada@example.com", "--api-version", version]
            command += ["--summary-json", str(summary)]
            wall, cpu, _rss, code, _out = measure(command)
            stats = sandbox_stats(url)
        requests = sum(stats["status_counts"].values())  # type: ignore[attr-defined]
        spared = json.loads(summary.read_text())["requests_spared"]
        print(
            f"{version:>8}: {requests} requests ({requests / rows:.2f} per row), "
            f"{spared} spared by skip_unsnooze/skip_reopen, {wall:.1f} s, CPU {cpu:.2f} s, "
            f"exit {code}; actions by kind {dict(stats['actions'])}"  # type: ignore[call-overload]
        )


def rerun(args: argparse.Namespace, folder: Path) -> None:
    """--skip-unchanged run again over a sheet already applied: reads only, in batches."""
    rows = 5000
    sheet = write_sheet(folder / f"rerun-{rows}.csv", rows)
    print(f"\n## --skip-unchanged re-run of an applied {rows}-row sheet, sandbox 1666/10 s")
    with sandbox(1666, 10, 0.0) as url:
        first = client_commands(sheet, url, folder / "rerun-1.csv", "1666/10")["bulk-update"]
        measure(first)
        applied = sum(sandbox_stats(url)["status_counts"].values())  # type: ignore[attr-defined]
        again = client_commands(sheet, url, folder / "rerun-2.csv", "1666/10")["bulk-update"]
        wall, _cpu, _rss, code, _out = measure([*again, "--skip-unchanged"])
        total = sum(sandbox_stats(url)["status_counts"].values())  # type: ignore[attr-defined]
    print(
        f"re-run: {total - applied} requests (bound: ceil({rows}/150) + 5 = "
        f"{-(-rows // 150) + 5}), {wall:.1f} s, exit {code}"
    )


def export(args: argparse.Namespace, folder: Path) -> None:
    """An export of every conversation of a sandbox holding --export-rows of them."""
    count = args.export_rows
    print(f"\n## export of {count} matching conversations, sandbox 1666/10 s, 50 ms latency")
    with sandbox(1666, 10, 0.05, conversations=count) as url:
        before = sum(sandbox_stats(url)["status_counts"].values())  # type: ignore[attr-defined]
        out = folder / "export.csv"
        command = [PY, "-m", "bulk_update", "export", str(out), "--where", "state != x"]
        wall, cpu, rss, code, printed = measure([*command, "--base-url", url, "-q"])
        stats = sandbox_stats(url)
        total = sum(stats["status_counts"].values())  # type: ignore[attr-defined]
    print(printed.strip().splitlines()[0] if printed.strip() else "(no output)")
    print_header()
    print_row(Measurement("bulk-update export", count, wall, cpu, rss, code, stats, 1666, 10))
    print(
        f"export: {total - before} requests (bound: ceil({count}/150) + 5 = "
        f"{-(-count // 150) + 5}), {wall:.1f} s, CPU {cpu:.2f} s, peak RSS {rss:.0f} MB, "
        f"exit {code}"
    )


def roundtrip(args: argparse.Namespace, folder: Path) -> None:
    """Export every conversation, run the file back unedited, then with 50 cells edited."""
    count = args.export_rows // 2
    print(f"\n## export of {count} conversations -> run back, sandbox 1666/10 s, no latency")
    with sandbox(1666, 10, 0.0, conversations=count) as url:
        out = folder / "roundtrip.csv"
        connect = ["--base-url", url, "-q"]
        everything = ["--where", "state != x", "--columns", "title"]
        measure([PY, "-m", "bulk_update", "export", str(out), *everything, *connect])
        for edited in (0, 50):
            lines = out.read_text(encoding="utf-8-sig").splitlines()
            for index in range(1, edited + 1):  # the title cell, right after the id
                cells = lines[index].split(",", 2)
                lines[index] = ",".join([cells[0], f"Edited {index}", cells[2]])
            sheet = folder / f"roundtrip-{edited}.csv"
            sheet.write_text("\n".join(lines) + "\n", encoding="utf-8")
            before = sandbox_stats(url)
            run = [PY, "-m", "bulk_update", "run", str(sheet), *connect]
            wall, _cpu, _rss, code, _out = measure(run)
            after = sandbox_stats(url)
            requests = sum(after["status_counts"].values()) - sum(  # type: ignore[attr-defined]
                before["status_counts"].values()  # type: ignore[attr-defined]
            )
            writes = after["puts_applied"] - before["puts_applied"]  # type: ignore[operator]
            print(
                f"{edited} cells edited: {requests} requests, {writes} writes, "
                f"{requests - writes} reads and lookups, {wall:.1f} s, exit {code}"
            )


def help_time(args: argparse.Namespace, folder: Path) -> None:
    times = [measure([PY, "-m", "bulk_update", "--help"])[0] for _ in range(5)]
    print(f"\n## bulk-update --help: best {min(times):.3f} s, median {sorted(times)[2]:.3f} s")


def page(args: argparse.Namespace, _folder: Path) -> None:
    from bench import page as on_page

    asyncio.run(on_page.main(args.rows))


def keyed(args: argparse.Namespace, _folder: Path) -> None:
    from bench import keyed as by_key

    asyncio.run(by_key.main(args.rows))


def keyed_cpu(args: argparse.Namespace, folder: Path) -> None:
    from bench import keyed as by_key

    by_key.cpu(args.rows, folder)


def orchestrated(args: argparse.Namespace, folder: Path) -> None:
    from bench import orchestrated as by_dagster

    by_dagster.main(args.dagster_rows, folder)


def keyed_memory(args: argparse.Namespace, folder: Path) -> None:
    from bench import keyed as by_key

    by_key.memory(args.dry_run_rows, folder)


SCENARIOS: dict[str, Callable[[argparse.Namespace, Path], None]] = {
    "easy": easy,
    "half": half,
    "cpu": cpu,
    "journal": journal,
    "backup": backup,
    "memory": memory,
    "actions": actions,
    "versions": versions,
    "rerun": rerun,
    "export": export,
    "roundtrip": roundtrip,
    "help": help_time,
    "page": page,
    "keyed": keyed,
    "keyed-memory": keyed_memory,
    "keyed-cpu": keyed_cpu,
    "dagster": orchestrated,
}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "scenarios",
        nargs="*",
        choices=[*SCENARIOS, []],
        default=[],
        help=f"which to run (default: all of {', '.join(SCENARIOS)})",
    )
    parser.add_argument(
        "--rows", type=int, default=20_000, help="rows per client run (default 20000)"
    )
    parser.add_argument(
        "--sequential-rows",
        type=int,
        default=1000,
        help="rows for the sequential requests loop, which is slow (default 1000)",
    )
    parser.add_argument("--dry-run-rows", type=int, default=1_000_000)
    parser.add_argument("--action-rows", type=int, default=2000)
    parser.add_argument("--export-rows", type=int, default=10_000)
    parser.add_argument("--dagster-rows", type=int, default=2000)
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="rounds of each comparison, interleaved; the median is shown",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for name in args.scenarios or list(SCENARIOS):
            SCENARIOS[name](args, Path(folder))


if __name__ == "__main__":
    main()
