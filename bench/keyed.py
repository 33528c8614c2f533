"""``python -m bench keyed``: what resolving keys costs. One sheet of ``--rows`` conversations
(the bench sheet), run three ways side by side, each against a fresh in-process sandbox at
1,666 requests per 10 s holding the same conversations: by conversation id; keyed 1:1 by each
conversation's contact's external id; keyed by a conversation attribute (``region``).

``python -m bench keyed-memory``: peak RSS of a ``--dry-run`` of ``--dry-run-rows`` rows keyed
by external id against the same sheet by id, each a process of its own against a sandbox of
its own (its own process, no limit) that answers every key. ``python -m bench keyed-cpu``:
the same two sheets run for real (``--rows``), each client's CPU a request."""

from __future__ import annotations

import csv
import sys
import tempfile
import time
from pathlib import Path

from bench.harness import measure, sandbox, sandbox_stats, write_sheet
from bulk_update import api
from bulk_update.sandbox import SANDBOX_TOKEN, Sandbox, SandboxConfig


def _keyed(sheet: Path, out: Path, header: str, key_of: str) -> list[str]:
    """The sheet with its id column as a key column; the ids, in order."""
    with sheet.open(newline="", encoding="utf-8") as source:
        lines = list(csv.reader(source))
    ids = [line[0] for line in lines[1:]]
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([header, *lines[0][1:]])
        writer.writerows([key_of.format(line[0]), *line[1:]] for line in lines[1:])
    return ids


async def _run(name: str, sheet: Path, ids: list[str], folder: Path, **settings: str) -> float:
    async with Sandbox(SandboxConfig(token=SANDBOX_TOKEN)) as sandbox:
        for conversation_id in ids:  # each with a contact of its own: ext-<id>
            sandbox.server.conversation(conversation_id)["custom_attributes"]["region"] = (
                f"T-{conversation_id}"
            )
        started = time.perf_counter()
        result = await api.run_async(
            sheet,
            token=SANDBOX_TOKEN,
            base_url=sandbox.url,
            report_path=folder / f"{name}.results.csv",
            **settings,  # type: ignore[arg-type]
        )
        seconds = time.perf_counter() - started
        requests = len(sandbox.state.paths)
    rows = len(ids)
    extra = requests - rows - 1  # beyond one PUT a row and the attribute listing
    print(
        f"| {name} | {result.summary.counts} | {requests:,} | {extra / rows:.3f} | {seconds:.1f} |"
    )
    return seconds


async def main(rows: int) -> None:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        sheet = write_sheet(folder / "ids.csv", rows)
        external = folder / "external.csv"
        ids = _keyed(sheet, external, "contact_external_id", "ext-{}")
        attribute = folder / "tickets.csv"
        _keyed(sheet, attribute, "region", "T-{}")
        print(f"\n## keyed: {rows:,} rows, 1,666 requests per 10 s\n")
        print("| sheet | rows | requests | requests a row beyond the writes | seconds |")
        print("|---|---|---|---|---|")
        by_id = await _run("by id", sheet, ids, folder)
        by_external = await _run("by external id", external, ids, folder)
        by_attribute = await _run("by attribute", attribute, ids, folder, key="region")
        print(
            f"\ntime against the id sheet: external id {by_external / by_id:.2f}x, "
            f"attribute {by_attribute / by_id:.2f}x"
        )


def memory(rows: int, folder: Path) -> None:
    """Peak RSS of a keyed dry run against the id sheet's."""
    title = f"keyed-memory: --dry-run of {rows:,} rows"
    peaks = _processes(rows, folder, ["--dry-run"], title)
    print(f"\npeak RSS, keyed against id: {peaks[1] / peaks[0]:.2f}x")


def cpu(rows: int, folder: Path) -> None:
    """CPU a request of a keyed real run (its searches included) against the id sheet's."""
    _processes(rows, folder, [], f"keyed-cpu: a real run of {rows:,} rows, no limit")


def _processes(rows: int, folder: Path, extra: list[str], title: str) -> list[float]:
    """The bench sheet by id, then keyed 1:1 by external id, each run as a process of its own
    against a sandbox of its own (its own process, no limit); their peak RSS."""
    sheet = write_sheet(folder / f"ids-{rows}.csv", rows)
    external = folder / f"external-{rows}.csv"
    _keyed(sheet, external, "contact_external_id", "ext-{}")
    print(f"\n## {title}, each against a sandbox of its own\n")
    print("| sheet | peak RSS MB | seconds | CPU seconds | requests | CPU ms a request | exit |")
    print("|---|---|---|---|---|---|---|")
    peaks = []
    for name, path in (("by id", sheet), ("by external id", external)):
        with sandbox(10_000_000, 10, 0.0) as url:
            command = [sys.executable, "-m", "bulk_update", "run", str(path), *extra, "-q"]
            command += ["--base-url", url, "--rate", "10000000/1"]
            command += ["--report", str(folder / f"{path.stem}{''.join(extra)}.results.csv")]
            wall, seconds, rss, code, _ = measure(command)
            requests = sum(sandbox_stats(url)["status_counts"].values())  # type: ignore[union-attr]
        peaks.append(rss)
        per_request = 1000 * seconds / max(requests, 1)
        print(
            f"| {name} | {rss:.1f} | {wall:.1f} | {seconds:.1f} | {requests:,} | "
            f"{per_request:.2f} | {code} |"
        )
    return peaks
