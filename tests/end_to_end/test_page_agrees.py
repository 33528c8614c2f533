"""The page is a view of the library: on every sheet of sample_data and of these tests, what
the page's steps say (Check's counts, whether the sheet acts, Run's review) is what the library
says and does on the same sheet; and after the run, the page counts nothing left."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bulk_update import api
from bulk_update.config import ReadOptions, pick
from bulk_update.config.settings import JobSettings
from bulk_update.job.preparation import actions_asked
from bulk_update.sandbox import SANDBOX_POPULATION, SANDBOX_TOKEN, Sandbox, SandboxConfig
from bulk_update.sheet.reader import Table
from bulk_update.ui.choices import Choices, Connection
from bulk_update.ui.session import Session
from tests.conftest import SAMPLE_DATA

FIRST = 215467900000  # the sandbox population's first conversation
TEAMMATE = "ada@example.com"
# Sheets of these tests' own: how analysts write them (a ';' sheet with decimal commas and
# day-first dates, headers in another case, a clear marker, actions in any case).
OWN_SHEETS = {
    "semicolons.csv": (
        "id;monthly_spend;due_date;Issue_Type\n"
        f"{FIRST};1.234,5;31/12/2026;Bug\n{FIRST + 1};12,5;01/02/2026;#N/A\n"
        f"{FIRST + 2};abc;01/02/2026;Bug\n"
    ),
    "acts.csv": f"id,State,Note\n{FIRST + 3},closed,Done.\n{FIRST + 4},open,\n",
    "tags.csv": f"id,tags,title\n{FIRST + 5},VIP;legacy,First\n{FIRST + 6},,Second\n",
}
SHEETS = ["conversations.csv", "conversations.xlsx", "actions.csv", *OWN_SHEETS]


def _sheet(name: str, folder: Path) -> Path:
    if name in OWN_SHEETS:
        path = folder / name
        path.write_text(OWN_SHEETS[name], encoding="utf-8")
        return path
    return SAMPLE_DATA / name


def _written(sandbox: Sandbox, puts_before: dict[str, int], paths_before: int) -> set[str]:
    """The conversations the sandbox saw written since: a PUT that landed, or an action."""
    written = {key for key, n in sandbox.state.put_counts.items() if n > puts_before.get(key, 0)}
    acted = (re.match(r"/conversations/(\d+)/", p) for p in sandbox.state.paths[paths_before:])
    return written | {match.group(1) for match in acted if match}


@pytest.mark.parametrize("name", SHEETS)
async def test_the_page_and_the_library_agree_on_the_sheet(name: str, tmp_path: Path) -> None:
    sheet = _sheet(name, tmp_path)
    teammate = TEAMMATE if name in ("actions.csv", "acts.csv", "tags.csv") else None
    choices = Choices(admin=teammate, date_order="dayfirst")
    settings = {"admin": teammate, "date_order": "dayfirst"}
    async with Sandbox(SandboxConfig(population=SANDBOX_POPULATION)) as sandbox:
        library = await api.run_async(
            sheet,
            token=SANDBOX_TOKEN,
            base_url=sandbox.url,
            dry_run=True,
            report_path=tmp_path / "library.dry-run.csv",
            **settings,
        )
        folder = tmp_path / "page"
        folder.mkdir()
        page = Session(folder, Connection({"base_url": sandbox.url}, SANDBOX_TOKEN))
        chosen = await page.choose(sheet.name, sheet.read_bytes())
        table = Table(sheet, ReadOptions())
        run_settings = JobSettings(sheet, **pick(JobSettings, settings))
        assert chosen["acts"] is bool(actions_asked(table, run_settings))
        checked = await page.check(choices)
        assert checked["counts"] == library.summary.counts
        assert checked["columns_read"] == [list(pair) for pair in library.summary.columns_read]

        plan = await page.plan(choices)
        puts, paths = dict(sandbox.state.put_counts), len(sandbox.state.paths)
        page.start_run(choices)
        assert page.running is not None
        ran = await page.running.task
        assert plan["conversations"] == len(_written(sandbox, puts, paths)) > 0
        assert plan["requests"] == ran.summary.requests

        await page.choose(sheet.name, sheet.read_bytes())  # the finished sheet chosen again
        again = await page.plan(choices)
        puts, paths = dict(sandbox.state.put_counts), len(sandbox.state.paths)
        if again["conversations"]:
            page.start_run(choices)
            await page.running.task
        assert again["conversations"] == len(_written(sandbox, puts, paths)) == 0
