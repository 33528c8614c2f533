"""The page in a real headless Chromium (Debian's), driven by Playwright as a person would:
by the accessible names of its controls. The sample sheet goes through the whole loop:
choose → check → preview → run → download the report → fix two rows → resend → undo.

Screenshots of each step go to the test's folder, or to $BULK_UPDATE_SCREENSHOTS."""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bulk_update.sandbox import SANDBOX_POPULATION, SANDBOX_TOKEN, Sandbox, SandboxConfig
from bulk_update.ui import UiServer
from bulk_update.ui.choices import Connection
from tests.conftest import SAMPLE_DATA, write_zip_bomb

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    pytest.skip("Debian's chromium is not installed (.ci/run installs it)", allow_module_level=True)
playwright_api = pytest.importorskip("playwright.async_api")

# Flags a closed network needs (no background calls home), as root in a container.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
pytestmark = pytest.mark.timeout(240)
# A shared 2-core machine under a whole test run: the page's steps (a review reads every
# pending conversation) may take longer than Playwright's 5 s default to show.
playwright_api.expect.set_options(timeout=20_000)


@pytest.fixture
async def ui() -> AsyncIterator[tuple[UiServer, Sandbox]]:
    """What ``bulk-update ui --sandbox`` serves."""
    async with Sandbox(SandboxConfig(population=SANDBOX_POPULATION)) as sandbox:
        server = UiServer(Connection({"base_url": sandbox.url}, SANDBOX_TOKEN))
        await server.start()
        yield server, sandbox
        await server.stop()


@pytest.fixture
async def page(tmp_path: Path) -> AsyncIterator[Any]:
    async with playwright_api.async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        context = await browser.new_context(accept_downloads=True)
        opened = await context.new_page()
        problems: list[str] = []
        opened.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        opened.on("pageerror", lambda error: problems.append(str(error)))
        opened.problems = problems
        yield opened
        await browser.close()


def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("BULK_UPDATE_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


async def test_the_whole_loop_of_the_sample_sheet_from_the_page(
    ui: tuple[UiServer, Sandbox], page: Any, tmp_path: Path
) -> None:
    server, sandbox = ui
    expect = playwright_api.expect
    folder = shots(tmp_path)
    first_id = "215467800000"
    original_title = sandbox.server.conversation(first_id)["title"]
    await page.goto(server.url)

    await page.get_by_label("Sheet", exact=True).set_input_files(
        str(SAMPLE_DATA / "conversations.csv")
    )
    await expect(page.get_by_role("status").first).to_contain_text("conversations.csv")
    await page.get_by_role("button", name="Check", exact=True).click()
    checked = page.get_by_role("region", name="Check result")
    await expect(checked).to_contain_text("8 invalid")
    await expect(checked).to_contain_text("is not a whole number")
    await expect(checked.get_by_role("table", name="Invalid rows")).to_contain_text("csat_score")
    await page.screenshot(path=folder / "ui-1-check.png", full_page=True)

    await page.get_by_role("button", name="Preview", exact=True).click()
    previewed = page.get_by_role("region", name="Preview result")
    await expect(previewed.get_by_role("table", name="Preview rows")).to_contain_text("→")
    await expect(previewed).to_contain_text("conversations will be changed")
    await page.screenshot(path=folder / "ui-2-preview.png", full_page=True)

    await page.get_by_role("button", name="Run", exact=True).click()
    await page.get_by_role("button", name="Confirm", exact=True).first.click()
    ran = page.get_by_role("region", name="Run result")
    await expect(ran).to_contain_text("290 updated", timeout=60_000)
    await expect(ran).to_contain_text("2 failed")
    await expect(ran).to_contain_text("8 invalid")
    await page.screenshot(path=folder / "ui-3-run.png", full_page=True)
    times = await page.evaluate("window.bulkTimes")
    assert times["first"] >= times["confirm"]  # progress came while the run went on
    print(
        f"Confirm → first progress event: {times['first'] - times['confirm']:.0f} ms, "
        f"→ first row done: {times['firstRow'] - times['confirm']:.0f} ms"
    )
    assert sandbox.server.conversation(first_id)["title"] != original_title

    report = await downloaded(page, "Download report", tmp_path)
    lines = list(csv.reader(io.StringIO(report.read_text(encoding="utf-8-sig"))))
    assert len(lines) == 301 and report.name == "conversations.results.csv"

    fixed = _fix_two_rows(lines)
    report.write_text(fixed, encoding="utf-8-sig")
    await page.get_by_label("Sheet", exact=True).set_input_files(str(report))
    await expect(page.get_by_role("status").first).to_contain_text("a report of this sheet")
    # The review counts the two rows fixed (the two whose conversations are gone are not
    # changed), and the run writes exactly those.
    assert await _reviewed_then_run(page, sandbox, "") == (2, 2)
    await expect(checked).to_contain_text("6 invalid")
    await expect(ran).to_contain_text("292 updated", timeout=60_000)
    await expect(ran).to_contain_text("6 invalid")
    await page.screenshot(path=folder / "ui-4-resend.png", full_page=True)

    await page.get_by_role("button", name="Undo", exact=True).click()
    await (
        page.get_by_role("dialog", name="Undo review")
        .get_by_role("button", name="Confirm", exact=True)
        .click()
    )
    await expect(page.get_by_role("region", name="Undo result")).to_contain_text("restored")
    run_card = page.get_by_role("region", name="Run result")
    await expect(run_card).not_to_contain_text("updated")  # the run's figures are past
    await page.screenshot(path=folder / "ui-5-undo.png", full_page=True)
    assert sandbox.server.conversation(first_id)["title"] == original_title
    assert page.problems == []  # nothing went wrong in the page's console


async def downloaded(page: Any, link: str, folder: Path) -> Path:
    """The file the link of that name downloads, saved in ``folder`` under its own name."""
    async with page.expect_download() as download_info:
        await page.get_by_role("link", name=link).click()
    download = await download_info.value
    path = folder / download.suggested_filename
    await download.save_as(path)
    return path


def _fix_two_rows(lines: list[list[str]]) -> str:
    """The report with two of its invalid rows fixed, as an analyst would in a spreadsheet."""
    header = lines[0]
    status, message = header.index("status"), header.index("error_message")
    fixes = {"priority": "High", "csat_score": "4"}
    for line in lines[1:]:
        for column, value in list(fixes.items()):
            if line[status] == "invalid" and f"'{column}'" in line[message]:
                line[header.index(column)] = value
                del fixes[column]
    assert not fixes
    out = io.StringIO()
    csv.writer(out).writerows(lines)
    return out.getvalue()


async def test_the_page_without_its_key_is_refused(ui: tuple[UiServer, Sandbox], page: Any) -> None:
    server, _sandbox = ui
    answer = await page.goto(server.origin + "/")
    assert answer.status == 403
    assert "Sheet" not in await page.content()


async def test_a_sheet_with_actions_offers_the_teammates_and_reviews_what_it_does(
    ui: tuple[UiServer, Sandbox], page: Any, tmp_path: Path
) -> None:
    server, sandbox = ui
    expect = playwright_api.expect
    await page.goto(server.url)
    await page.get_by_label("Sheet", exact=True).set_input_files(str(SAMPLE_DATA / "actions.csv"))
    offered = page.locator("#admins option[value='ada@example.com']")
    await expect(offered).to_have_count(1)
    await page.get_by_label("Teammate").fill("ada@example.com")
    await page.get_by_role("button", name="Check", exact=True).click()
    await expect(page.get_by_role("region", name="Check result")).to_contain_text("rows")
    await page.get_by_role("button", name="Preview", exact=True).click()
    previewed = page.get_by_role("region", name="Preview result")
    review = previewed.get_by_label("Preview summary", exact=True)
    for kind in ("closed", "assigned", "tagged", "noted", "as ada@example.com"):
        await expect(review).to_contain_text(kind)
    await page.screenshot(path=shots(tmp_path) / "ui-actions-preview.png", full_page=True)
    await page.get_by_role("button", name="Run", exact=True).click()
    await page.get_by_role("button", name="Confirm", exact=True).first.click()
    await expect(page.get_by_role("region", name="Run result")).to_contain_text("updated")
    assert sum(sandbox.state.workspace.actions.values()) > 0
    await page.get_by_role("button", name="Undo", exact=True).click()
    undo = page.get_by_role("dialog", name="Undo review")
    await undo.get_by_role("button", name="Confirm", exact=True).click()
    undone = page.get_by_role("region", name="Undo result")
    await expect(undone).to_contain_text("restored")
    await expect(undone).to_contain_text("note")  # notes cannot be taken back: it says so
    assert page.problems == []


async def test_the_review_says_how_many_conversations_the_run_then_writes(
    ui: tuple[UiServer, Sandbox], page: Any
) -> None:
    """Run's review, from the run's plan, against what the sandbox then saw written: the
    sample's first round (its missing conversations not counted), the finished sheet chosen
    again (nothing: no Confirm), and an actions sheet with no Preview before it."""
    server, sandbox = ui
    expect = playwright_api.expect
    await page.goto(server.url)
    sample, actions = str(SAMPLE_DATA / "conversations.csv"), str(SAMPLE_DATA / "actions.csv")
    await page.get_by_label("Sheet", exact=True).set_input_files(sample)
    # 292 valid rows, 2 of whose conversations do not exist: 290 written.
    assert await _reviewed_then_run(page, sandbox, "") == (290, 290)

    await page.get_by_label("Sheet", exact=True).set_input_files(sample)  # finished: chosen again
    await page.get_by_role("button", name="Check", exact=True).click()
    await page.get_by_role("button", name="Run", exact=True).click()
    review = page.get_by_role("dialog", name="Review")
    await expect(review).to_contain_text("Nothing will be sent")
    await expect(review.get_by_role("button", name="Confirm")).to_have_count(0)
    await review.get_by_role("button", name="Cancel", exact=True).click()

    await page.get_by_label("Sheet", exact=True).set_input_files(actions)
    await page.get_by_label("Teammate").fill("ada@example.com")
    said, written = await _reviewed_then_run(page, sandbox, "ada@example.com")
    assert said == written > 0
    assert page.problems == []


async def _reviewed_then_run(page: Any, sandbox: Sandbox, teammate: str) -> tuple[int, int]:
    """The review's count of conversations to change, and how many the sandbox saw written
    (a PUT that landed, or an action's request) once the run was confirmed and done (a
    sheet chosen next clears the run's result)."""
    expect = playwright_api.expect
    await page.get_by_role("button", name="Check", exact=True).click()
    await expect(page.get_by_role("region", name="Check result")).to_contain_text("rows")
    await page.get_by_role("button", name="Run", exact=True).click()
    review = page.get_by_role("dialog", name="Review")
    await expect(review).to_contain_text("conversations will be changed")
    await expect(review).to_contain_text("requests")
    await expect(review).to_contain_text("a backup is taken")  # every round carries it on
    # Which workspace, as GET /me told it (the header says it too).
    await expect(review).to_contain_text("in the workspace bulk-update sandbox (app sandbox, US)")
    await expect(page.get_by_label("Workspace")).to_contain_text("token of sandbox@example.invalid")
    if teammate:
        await expect(review).to_contain_text(f"as {teammate}")
    said = re.search(r"(\d+) conversations will be changed", await review.inner_text())
    assert said is not None
    put_before, paths_before = dict(sandbox.state.put_counts), len(sandbox.state.paths)
    await review.get_by_role("button", name="Confirm", exact=True).click()
    # Run is disabled from Confirm until the run's last event, when its result shows.
    await expect(page.get_by_role("button", name="Run", exact=True)).to_be_enabled(timeout=60_000)
    await expect(page.get_by_role("region", name="Run result")).to_contain_text("updated")
    written = {key for key, n in sandbox.state.put_counts.items() if n > put_before.get(key, 0)}
    acted = (
        re.match(r"/conversations/(\d+)/", path) for path in sandbox.state.paths[paths_before:]
    )
    written |= {match.group(1) for match in acted if match}
    return int(said.group(1)), len(written)


@pytest.fixture
async def slow_ui() -> AsyncIterator[tuple[UiServer, Sandbox]]:
    config = SandboxConfig(population=SANDBOX_POPULATION, latency=0.3)
    async with Sandbox(config) as sandbox:
        server = UiServer(Connection({"base_url": sandbox.url}, SANDBOX_TOKEN))
        await server.start()
        yield server, sandbox
        await server.stop()


async def sample_checked(page: Any, url: str) -> None:
    """The page open, the sample sheet chosen and checked (its 8 invalid rows told)."""
    await page.goto(url)
    await page.get_by_label("Sheet", exact=True).set_input_files(
        str(SAMPLE_DATA / "conversations.csv")
    )
    await page.get_by_role("button", name="Check", exact=True).click()
    check = page.get_by_role("region", name="Check result")
    await playwright_api.expect(check).to_contain_text("8 invalid")


async def test_stop_drains_the_run_and_reports_what_was_not_attempted(
    slow_ui: tuple[UiServer, Sandbox], page: Any
) -> None:
    expect = playwright_api.expect
    await sample_checked(page, slow_ui[0].url)
    await page.get_by_role("button", name="Run", exact=True).click()
    await page.get_by_role("button", name="Confirm", exact=True).first.click()
    await expect(page.locator("#progress-text")).to_contain_text("updated", timeout=30_000)
    await expect(page.locator("#progress-text")).to_contain_text("rows/s")
    # While the run goes, nothing that would start another job can be pressed; Stop can.
    for name in ("Check", "Preview", "Run", "Undo"):
        await expect(page.get_by_role("button", name=name, exact=True)).to_be_disabled()
    await expect(page.locator("#find-button")).to_be_disabled()  # Find, folded away
    await page.get_by_role("button", name="Stop", exact=True).click()
    ran = page.get_by_role("region", name="Run result")
    await expect(ran).to_contain_text("Stopped", timeout=30_000)
    await expect(ran).to_contain_text("not attempted")
    # The Check before the run said what it would do then: marked out of date now.
    await expect(page.get_by_role("region", name="Check result")).to_contain_text("Out of date")
    for name in ("Check", "Preview", "Run", "Undo"):
        await expect(page.get_by_role("button", name=name, exact=True)).to_be_enabled()
    await expect(page.locator("#find-button")).to_be_enabled()
    # Run again: the review counts what is left, and the run writes exactly that.
    said, written = await _reviewed_then_run(page, slow_ui[1], "")
    assert said == written > 0
    assert page.problems == []


async def test_a_review_takes_the_focus_and_escape_cancels_it(
    ui: tuple[UiServer, Sandbox], page: Any
) -> None:
    server, sandbox = ui
    expect = playwright_api.expect
    await sample_checked(page, server.url)
    await page.get_by_role("button", name="Run", exact=True).click()
    review = page.get_by_role("dialog", name="Review")
    await expect(review).to_be_visible()
    await expect(review.get_by_role("button", name="Confirm", exact=True)).to_be_focused()
    await page.keyboard.press("Escape")
    await expect(review).to_be_hidden()
    await expect(page.get_by_role("button", name="Run", exact=True)).to_be_focused()
    assert sandbox.state.puts_applied == 0  # cancelled: nothing sent
    assert page.problems == []


async def test_a_page_of_another_origin_cannot_drive_the_tool(
    ui: tuple[UiServer, Sandbox], page: Any
) -> None:
    """Even knowing the key, a page served from elsewhere is refused: nothing is chosen."""
    from aiohttp import web

    server, _sandbox = ui
    target = f"{server.origin}/api/sheet?key={server.key}"
    script = (
        "const form = new FormData(); form.append('sheet', new Blob(['id,title\\n5,x\\n']), "
        f"'a.csv'); fetch('{target}', {{method: 'POST', body: form, mode: 'no-cors'}})"
        ".then(() => document.title = 'sent', () => document.title = 'refused');"
    )
    evil = web.Application()
    html = f"<!doctype html><title>evil</title><script>{script}</script>"

    async def evil_page(_request: web.Request) -> web.Response:
        return web.Response(text=html, content_type="text/html")

    evil.router.add_get("/", evil_page)
    runner = web.AppRunner(evil)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        await page.goto(f"http://127.0.0.1:{runner.addresses[0][1]}/")
        await playwright_api.expect(page).not_to_have_title("evil")
    finally:
        await runner.cleanup()
    assert server.session.sheet is None


async def test_find_conversations_counts_them_and_downloads_the_sheet(
    ui: tuple[UiServer, Sandbox], page: Any, tmp_path: Path
) -> None:
    server, _sandbox = ui
    expect = playwright_api.expect
    await page.goto(server.url)
    await page.get_by_text("Or find conversations").click()
    await page.get_by_label("Conditions").fill("state = open\nadmin_assignee = unassigned")
    await page.get_by_role("button", name="Find", exact=True).click()
    await expect(page.locator("#find-status")).to_contain_text("conversations match")
    sheet = await downloaded(page, "Download sheet", tmp_path)
    lines = list(csv.DictReader(io.StringIO(sheet.read_text(encoding="utf-8-sig"))))
    assert lines and {line["state"] for line in lines} == {"open"}
    assert {line["admin_assignee"] for line in lines} == {""}
    await page.get_by_role("button", name="Use as the sheet", exact=True).click()
    await expect(page.get_by_role("status").first).to_contain_text("columns")
    # Found again with other conditions, and used again: a sheet of its own, not refused.
    await page.get_by_label("Conditions").fill("state = closed")
    await page.get_by_role("button", name="Find", exact=True).click()
    await expect(page.locator("#find-status")).to_contain_text("conversations match")
    await page.get_by_role("button", name="Use as the sheet", exact=True).click()
    await expect(page.get_by_role("status").first).to_contain_text("conversations-2")
    alerts = page.get_by_role("region", name="1. Choose a sheet").get_by_role("alert")
    assert "".join(await alerts.all_text_contents()) == ""
    assert page.problems == []


async def test_an_error_shows_in_the_step_that_caused_it_in_the_pages_words(
    ui: tuple[UiServer, Sandbox], page: Any, tmp_path: Path
) -> None:
    """Check on a sheet headed ``id,State,Note`` (actions, as a run reads it) with no
    Teammate: the refusal is an alert in the Check step, naming the Teammate field, not a
    setting; with one, the columns read as the actions they are."""
    server, _sandbox = ui
    expect = playwright_api.expect
    await page.goto(server.url)
    acts = tmp_path / "acts.csv"
    acts.write_text("id,State,Note\n215467800000,closed,Done.\n", encoding="utf-8")
    await page.get_by_label("Sheet", exact=True).set_input_files(str(acts))
    await expect(page.get_by_role("button", name="Check", exact=True)).to_be_enabled()
    await page.get_by_role("button", name="Check", exact=True).click()
    alert = page.get_by_role("region", name="2. Check").get_by_role("alert")
    await expect(alert).to_contain_text("the Teammate")
    assert "admin" not in (await alert.text_content() or "").split()
    await page.get_by_label("Teammate").fill("ada@example.com")
    await page.get_by_role("button", name="Check", exact=True).click()
    await expect(page.get_by_role("region", name="Check result")).to_contain_text("rows")
    await expect(alert).to_have_text("")  # a step that went through clears its own error
    for header, read_as in (("State", "state"), ("Note", "note")):
        line = page.locator("#mapping-rows tr", has=page.get_by_role("cell", name=header))
        await expect(line.get_by_role("cell").nth(1)).to_have_text(read_as)


async def test_preview_reads_a_sample_first_and_a_whole_preview_shows_progress_and_cancels(
    slow_ui: tuple[UiServer, Sandbox], page: Any
) -> None:
    """Preview reads the first rows to send and says how far it got; Preview all rows is a
    job with a progressbar and Cancel, during which nothing else can start; cancelled, it
    says how many rows it read."""
    expect = playwright_api.expect
    await sample_checked(page, slow_ui[0].url)
    step = page.get_by_role("region", name="3. Preview")
    await page.get_by_role("button", name="Preview", exact=True).click()
    await expect(step).to_contain_text("In the first 100 rows to send (a sample)")
    await expect(step).to_contain_text("100 rows read, 192 not read yet")
    rows = step.get_by_role("table", name="Preview rows").locator("tbody tr")
    await expect(rows).to_have_count(108)  # the sample's, with the 8 invalid rows told

    await page.get_by_role("button", name="Preview all rows", exact=True).click()
    await expect(step.get_by_role("progressbar")).to_be_visible()
    await expect(step.get_by_role("status").first).to_contain_text("rows done")
    for name in ("Check", "Preview", "Preview all rows", "Run", "Undo"):
        await expect(page.get_by_role("button", name=name, exact=True)).to_be_disabled()
    await step.get_by_role("button", name="Cancel", exact=True).click()
    await expect(step).to_contain_text("rows read before Cancel")
    await expect(step).to_contain_text("not read yet (cancelled)")
    await expect(step.get_by_role("progressbar")).to_be_hidden()
    said = await step.inner_text()
    read = re.search(r"(\d+) rows read, (\d+) not read yet", said)
    assert read is not None and int(read.group(2)) > 0
    assert int(read.group(1)) + int(read.group(2)) == 292
    for name in ("Check", "Preview", "Run"):
        await expect(page.get_by_role("button", name=name, exact=True)).to_be_enabled()
    assert page.problems == []


async def test_a_zip_bomb_is_refused_at_the_sheet_while_the_page_answers(
    ui: tuple[UiServer, Sandbox], page: Any, tmp_path: Path
) -> None:
    """A workbook whose parts would expand past the limit: refused before it is unpacked, the
    refusal at the Sheet control, with no server path; the page's other steps answer."""
    server, _sandbox = ui
    expect = playwright_api.expect
    await page.goto(server.url)
    bomb = write_zip_bomb(tmp_path / "bomb.xlsx", megabytes=50)
    await page.get_by_label("Sheet", exact=True).set_input_files(str(bomb))
    alert = page.get_by_role("region", name="1. Choose a sheet").get_by_role("alert")
    await expect(alert).to_contain_text("refused before unpacking")
    assert str(tmp_path) not in (await alert.text_content() or "")
    assert "/tmp" not in (await alert.text_content() or "")
    await page.get_by_label("Sheet", exact=True).set_input_files(
        str(SAMPLE_DATA / "conversations.csv")
    )
    await expect(page.get_by_role("status").first).to_contain_text("conversations.csv")
    await expect(alert).to_have_text("")  # the sheet chosen next clears the refusal
    # The console tells the refused upload's 400, and nothing else went wrong.
    assert [problem for problem in page.problems if "400" not in problem] == []


async def test_the_key_column_is_chosen_on_the_page_and_the_review_counts_its_matches(
    ui: tuple[UiServer, Sandbox], page: Any, tmp_path: Path
) -> None:
    """A migration's sheet keyed by a conversation attribute: the Key column chosen, Check
    tells what matched nothing, and the run writes what the review counted."""
    server, sandbox = ui
    expect = playwright_api.expect
    for number, conversation_id in enumerate(("215467900001", "215467900002"), start=1):
        sandbox.server.conversation(conversation_id)["custom_attributes"]["region"] = f"T-{number}"
    sheet = tmp_path / "tickets.csv"
    sheet.write_text("region,title\nT-1,Moved\nT-2,Moved\nT-9,Moved\n", encoding="utf-8")
    await page.goto(server.url)
    await page.get_by_label("Sheet", exact=True).set_input_files(str(sheet))
    await page.get_by_label("Key column").select_option("region")
    checked = page.get_by_role("region", name="Check result")
    said, written = await _reviewed_then_run(page, sandbox, "")
    await expect(checked).to_contain_text("1 unmatched")
    not_sent = checked.get_by_role("table", name="Invalid rows")
    await expect(not_sent).to_contain_text("T-9")
    await page.get_by_role("button", name="Preview", exact=True).click()  # the matches shown
    previewed = page.get_by_role("region", name="Preview result")
    await expect(previewed.get_by_role("table", name="Preview rows")).to_contain_text(
        "215467900002"
    )
    assert said == written == 2
    assert sandbox.server.conversation("215467900002")["title"] == "Moved"
    assert page.problems == []
