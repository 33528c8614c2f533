"""A disk that fills mid-run: the run stops promptly, says which file and why, keeps what it
confirmed, and ``resume`` after space is freed finishes with every row once (every note
posted once). A real full filesystem: a small tmpfs, filled by the test at a chosen row."""

from __future__ import annotations

import asyncio
import csv
import errno
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from bulk_update import api
from bulk_update.cli.commands import main
from bulk_update.errors import StorageFailed
from bulk_update.job.hooks import RunHooks
from bulk_update.models import RowStatus
from bulk_update.sandbox import Sandbox
from bulk_update.send.progress import SilentProgress
from tests.conftest import SAMPLE_DATA, TOKEN, read_report, write_csv

ROWS = 600
ADA = "ada@example.com"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 32 MiB filesystem of its own (needs root, as CI has)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", str(disk)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    yield disk
    subprocess.run(["umount", "-l", str(disk)], check=True)


class FillsTheDisk(SilentProgress):
    """Fills the disk the moment the ``at``-th row is done: every later write finds it full."""

    def __init__(self, disk: Path, at: int):
        super().__init__()
        self.filler = disk / "filler"
        self._at = at
        self.done = 0

    def advance(self, status: RowStatus | None = None) -> None:
        super().advance(status)
        self.done += 1
        if self.done == self._at:
            with self.filler.open("wb", buffering=0) as handle:
                try:
                    while True:
                        handle.write(b"\0" * 65536)
                except OSError as error:
                    assert error.errno == errno.ENOSPC


def settings(sandbox: Sandbox, report: Path, **more: object) -> dict[str, object]:
    return {
        "report_path": report,
        "base_url": sandbox.url,
        "schema_path": SAMPLE_DATA / "schema.json",
        **more,
    }


async def test_a_full_journal_stops_the_run_and_resume_finishes_it(
    tmp_path: Path, small_disk: Path, sandbox: Sandbox
) -> None:
    ids = [str(7001 + 2 * n) for n in range(ROWS)]  # odd: none ends in 404
    sheet = write_csv(tmp_path / "in.csv", ["id", "issue_type"], [[i, "Bug"] for i in ids])
    report = small_disk / "results.csv"
    filling = FillsTheDisk(small_disk, at=100)
    running = api.run_async(
        sheet, token=TOKEN, hooks=RunHooks(progress=filling), **settings(sandbox, report)
    )
    with pytest.raises(StorageFailed) as stopped:
        await asyncio.wait_for(running, timeout=60)  # it used to wait forever, at 0% CPU
    message = str(stopped.value)
    assert stopped.value.sent
    assert f"{report}.journal" in message and "no space left on device" in message
    # Promptly: a batch of outcomes and the requests in flight, not the rest of the sheet.
    assert sandbox.state.puts_applied < 300

    filling.filler.unlink()
    result = await api.run_async(sheet, token=TOKEN, **settings(sandbox, report, resume=True))
    lines = read_report(report)
    assert [line["id"] for line in lines] == ids
    assert result.summary.counts == {"updated": ROWS}
    assert {line["status"] for line in lines} == {"updated"}


async def test_a_note_whose_intent_cannot_be_recorded_is_not_sent(
    tmp_path: Path, small_disk: Path, sandbox: Sandbox
) -> None:
    ids = [str(7000 + n) for n in range(200)]
    rows = [[i, f"checked {i}"] for i in ids]
    sheet = write_csv(tmp_path / "notes.csv", ["id", "note"], rows)
    report = small_disk / "results.csv"
    filling = FillsTheDisk(small_disk, at=40)
    with pytest.raises(StorageFailed):
        await api.run_async(
            sheet,
            token=TOKEN,
            hooks=RunHooks(progress=filling),
            **settings(sandbox, report, admin=ADA),
        )
    filling.filler.unlink()
    await api.run_async(sheet, token=TOKEN, **settings(sandbox, report, admin=ADA, resume=True))
    posted = Counter(
        conversation_id
        for conversation_id in ids
        for part in sandbox.server.conversation(conversation_id)["conversation_parts"][
            "conversation_parts"
        ]
        if part["part_type"] == "note"
    )
    assert posted == Counter(ids)  # every note once: none lost, none twice


async def test_a_full_disk_before_anything_is_sent_leaves_no_journal(
    tmp_path: Path, small_disk: Path, sandbox: Sandbox
) -> None:
    sheet = write_csv(tmp_path / "in.csv", ["id", "issue_type"], [["7001", "Bug"]])
    report = small_disk / "results.csv"
    filler = small_disk / "filler"
    FillsTheDisk(small_disk, at=1).advance()
    with pytest.raises(StorageFailed) as stopped:
        await api.run_async(sheet, token=TOKEN, **settings(sandbox, report))
    assert not stopped.value.sent
    assert "Nothing was sent" in str(stopped.value)
    assert sandbox.state.puts_applied == 0
    filler.unlink()
    result = await api.run_async(sheet, token=TOKEN, **settings(sandbox, report))
    assert result.summary.counts == {"updated": 1}


def test_the_command_line_exits_2_when_nothing_was_sent(
    tmp_path: Path,
    small_disk: Path,
    threaded_sandbox: Sandbox,
    token_env: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sheet = write_csv(tmp_path / "in.csv", ["id", "issue_type"], [["7001", "Bug"]])
    FillsTheDisk(small_disk, at=1).advance()
    report = small_disk / "results.csv"
    flags = ["--base-url", threaded_sandbox.url, "--schema", str(SAMPLE_DATA / "schema.json")]
    code = main(["run", str(sheet), "--report", str(report), *flags, "-q"])
    error = capsys.readouterr().err
    assert code == 2
    assert error.count("\n") == 1 and "no space left on device" in error
    assert "bug" not in error


async def test_no_update_is_sent_without_its_backup_line(
    tmp_path: Path, small_disk: Path, sandbox: Sandbox
) -> None:
    # More lines than the page of the backup file that a full disk still has room in.
    ids = [str(7001 + 2 * n) for n in range(ROWS * 2)]
    sheet = write_csv(tmp_path / "in.csv", ["id", "issue_type"], [[i, "Bug"] for i in ids])
    backup = small_disk / "before.csv"
    report = tmp_path / "results.csv"
    filling = FillsTheDisk(small_disk, at=50)
    with pytest.raises(StorageFailed) as stopped:
        await api.run_async(
            sheet,
            token=TOKEN,
            hooks=RunHooks(progress=filling),
            **settings(sandbox, report, backup_path=backup),
        )
    assert f"backup {backup}" in str(stopped.value)
    backed_up = {line["id"] for line in read_report(backup)}
    assert set(sandbox.state.put_counts) <= backed_up
    filling.filler.unlink()
    more = {"backup_path": backup, "resume": True}
    result = await api.run_async(sheet, token=TOKEN, **settings(sandbox, report, **more))
    assert result.summary.counts == {"updated": len(ids)}
    # Rows sent again on resume add lines; the first of each is what the run found.
    assert {line["id"] for line in read_report(backup)} == set(ids)


def test_a_full_disk_before_sending_leaves_an_earlier_report_as_it_was(
    tmp_path: Path,
    small_disk: Path,
    threaded_sandbox: Sandbox,
    token_env: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sheet = write_csv(tmp_path / "in.csv", ["id", "issue_type"], [["7001", "Bug"], ["7003", "Bug"]])
    report = small_disk / "results.csv"
    flags = ["--base-url", threaded_sandbox.url, "--schema", str(SAMPLE_DATA / "schema.json")]
    assert main(["run", str(sheet), "--report", str(report), *flags, "-q"]) == 0
    lines = read_report(report)
    lines[0]["issue_type"] = "Feature"
    with report.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(lines[0]))
        writer.writeheader()
        writer.writerows(lines)
    before = report.read_bytes()
    FillsTheDisk(small_disk, at=1).advance()
    capsys.readouterr()
    assert main(["run", str(report), *flags, "-q"]) == 2
    assert "no space left on device" in capsys.readouterr().err
    assert report.read_bytes() == before
    assert threaded_sandbox.state.put_counts == {"7001": 1, "7003": 1}
    assert sorted(path.name for path in small_disk.iterdir()) == [
        "filler",
        "results.csv",
        "results.csv.journal",
    ]
