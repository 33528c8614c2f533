"""The page's steps as library calls, against the sandbox over loopback: the column choices,
the run's switches, and a report chosen again running in place."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import openpyxl
import pytest

from bulk_update import api
from bulk_update.errors import UsageError
from bulk_update.sandbox import SANDBOX_POPULATION, SANDBOX_TOKEN, Sandbox, SandboxConfig
from bulk_update.ui.choices import Choices, Connection
from bulk_update.ui.session import Session
from tests.conftest import SAMPLE_DATA, TOKEN


def session(tmp_path: Path, sandbox: Sandbox) -> Session:
    folder = tmp_path / "page"
    folder.mkdir()
    settings = {"base_url": sandbox.url, "schema_path": str(SAMPLE_DATA / "schema.json")}
    return Session(folder, Connection(settings, TOKEN))


async def test_a_renamed_column_is_read_as_its_attribute_and_an_ignored_one_not_at_all(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    page = session(tmp_path, sandbox)
    await page.choose("s.csv", b"id,Kind of issue,title\n7001,Bug,a\n7003,Billing,b\n")
    choices = Choices(renames=("Kind of issue=issue_type",), ignore_columns=("title",))
    checked = await page.check(choices)
    assert checked["columns_read"] == [["id", "id"], ["Kind of issue", "issue_type"]]
    assert checked["counts"] == {"would_update": 2}


async def test_skip_unchanged_sends_nothing_for_what_is_in_place_and_a_report_runs_in_place(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    page = session(tmp_path, sandbox)
    await page.choose("s.csv", b"id,issue_type\n7001,Bug\n7003,Billing\n")
    page.start_run(Choices())
    assert page.running is not None
    first = await page.running.task
    assert first.summary.counts == {"updated": 2}
    report = page.report
    assert report.name == "s.results.csv"
    await page.choose(report.name, report.read_bytes())
    assert page.report == page.sheet  # the loop: the report is rewritten in place
    sent = sandbox.state.puts_applied
    page.start_run(Choices(skip_unchanged=True))
    again = await page.running.task
    assert again.summary.counts == {"updated": 2}  # done before: kept, nothing sent
    assert sandbox.state.puts_applied == sent
    await page.choose("t.csv", b"id,issue_type\n7001,Bug\n7003,Account\n")
    page.start_run(Choices(skip_unchanged=True))
    third = await page.running.task
    assert third.summary.counts == {"skipped": 1, "updated": 1}
    assert sandbox.state.puts_applied == sent + 1


async def test_the_xlsx_report_edited_goes_back_as_the_report_itself(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    page = session(tmp_path, sandbox)
    await page.choose("s.csv", b"id,issue_type\n7001,Bug\n7003,Billing\n7005,Bug\n")
    page.start_run(Choices())
    assert page.running is not None
    await page.running.task
    workbook = openpyxl.load_workbook(page.report_file(".xlsx"))
    sheet = workbook.active
    header = [cell.value for cell in sheet[1]]
    sheet.cell(row=3, column=header.index("issue_type") + 1, value="Account")  # 7003
    edited = tmp_path / "s.results.xlsx"
    workbook.save(edited)
    sent = sandbox.state.puts_applied
    chosen = await page.choose(edited.name, edited.read_bytes())
    assert chosen["name"] == "s.results.csv" and chosen["is_report"]
    assert {"row", "status", "steps"} <= set(chosen["kept_by_the_tool"])
    assert "issue_type" not in chosen["kept_by_the_tool"]
    page.start_run(Choices())
    again = await page.running.task
    assert again.summary.counts == {"updated": 3}
    assert sandbox.state.puts_applied == sent + 1  # only the edited row
    assert sandbox.server.conversation("7003")["custom_attributes"]["issue_type"] == "Account"


async def test_the_progress_the_page_gets_counts_retries_and_waits(tmp_path: Path) -> None:
    from bulk_update.sandbox import SandboxConfig

    # Every third answer a 503, and a window of 40 a second: retries and waits both happen.
    config = SandboxConfig(token=TOKEN, limit=40, window=1, seed=5, error_rate=0.3)
    async with Sandbox(config) as sandbox:
        page = session(tmp_path, sandbox)
        rows = "".join(f"{7001 + 2 * n},Bug\n" for n in range(60))
        await page.choose("s.csv", f"id,issue_type\n{rows}".encode())
        page.start_run(Choices())
        assert page.running is not None
        with page.running.events.listening() as queue:
            result = await page.running.task
    events = [queue.get_nowait() for _ in range(queue.qsize())]
    progress = [event for event in events if event["kind"] == "progress"]
    assert events[-1]["kind"] == "done" and result.summary.counts == {"updated": 60}
    assert progress[-1]["done"] == 60
    assert progress[-1]["retries"] == result.summary.retries > 0
    assert progress[-1]["waits"] > 0


async def test_a_file_of_the_page_is_never_written_over_and_run_again_carries_on(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    page = session(tmp_path, sandbox)
    await page.choose("s.csv", b"id,issue_type\n7001,Bug\n7003,Billing\n7005,Bug\n")
    page.start_run(Choices())
    assert page.running is not None
    page.stop()  # before anything is sent: every row not attempted
    stopped = await page.running.task
    assert stopped.summary.counts == {"not_attempted": 3}
    page.start_run(Choices())  # Run again: the sheet's report carries on
    again = await page.running.task
    assert again.summary.counts == {"updated": 3}
    assert sorted(sandbox.state.put_counts.values()) == [1, 1, 1]  # each row sent once
    backup = page.folder / "s.backup.csv"
    kept = backup.read_bytes()
    with pytest.raises(UsageError, match="never written over"):
        await page.choose("s.backup.csv", b"id,issue_type\n7001,Account\n")
    with pytest.raises(UsageError, match="never written over"):
        await page.choose("s.csv", b"id,issue_type\n7001,Account\n")
    assert backup.read_bytes() == kept


async def test_check_and_preview_of_a_finished_sheet_chosen_again_apply_its_history(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    """Check and Preview say what Run would do: of a sheet whose run is done, what is done is
    told as done, and only what is left (a row that failed) would go."""
    page = session(tmp_path, sandbox)
    sheet = b"id,issue_type\n7001,Bug\n7003,Billing\n7404,Bug\n"  # ...404: no such one
    await page.choose("s.csv", sheet)
    page.start_run(Choices())
    assert page.running is not None
    assert (await page.running.task).summary.counts == {"updated": 2, "failed": 1}
    await page.choose("s.csv", sheet)
    for _again in range(2):  # as often as pressed: each a dry run of its own
        assert (await page.check(Choices()))["counts"] == {"updated": 2, "would_update": 1}
        previewed = await page.preview(Choices())
        assert previewed["counts"] == {"updated": 2, "failed": 1}
        assert previewed["review"]["conversations"] == 0
        assert (await page.plan(Choices()))["conversations"] == 0


async def test_undo_is_refused_while_a_run_of_the_sheet_is_sending(tmp_path: Path) -> None:
    from bulk_update.sandbox import SandboxConfig

    config = SandboxConfig(token=TOKEN, limit=100_000, seed=5)
    async with Sandbox(config) as sandbox:
        page = session(tmp_path, sandbox)
        rows = "".join(f"{7001 + 2 * n},Bug\n" for n in range(40))
        await page.choose("s.csv", f"id,issue_type\n{rows}".encode())
        page.start_run(Choices())  # the first round, with its backup
        assert page.running is not None and (await page.running.task).summary.rows == 40
        report = page.report
        report.write_text(report.read_text(encoding="utf-8-sig").replace("Bug", "Billing"))
        config.limit, config.window = 4, 1  # the next round goes slowly
        page.start_run(Choices())
        with page.running.events.listening() as queue:
            while (await queue.get())["kind"] != "progress":
                pass
            with pytest.raises(UsageError, match="in use by process"):
                await page.undo(Choices())
            page.stop()
            await page.running.task
        config.limit = 100_000
        undone = await page.undo(Choices())
    assert undone["counts"]["updated"] > 0
    assert undone["undone"]["restored"] == undone["counts"]["updated"]
    assert {
        c["custom_attributes"].get("issue_type") for c in sandbox.state.conversations.values()
    } <= {None}


async def test_one_job_at_a_time_whichever_tab_starts_it(tmp_path: Path) -> None:
    """While a slow Preview goes on, neither a Run nor another Check starts, and a sheet is
    not chosen over it; cancelled, it says how far it got."""
    from bulk_update.sandbox import SandboxConfig

    async with Sandbox(SandboxConfig(token=TOKEN, latency=0.2)) as sandbox:
        page = session(tmp_path, sandbox)
        rows = "".join(f"{7001 + 2 * n},Bug\n" for n in range(60))
        await page.choose("s.csv", f"id,issue_type\n{rows}".encode())
        page.start("preview", partial(page.preview, Choices(), whole=True))
        assert page.running is not None
        with page.running.events.listening() as queue:
            while (await queue.get()).get("done", 0) < 5:
                pass
            with pytest.raises(UsageError, match="Preview is going on: cancel it"):
                page.start_run(Choices())
            with pytest.raises(UsageError, match="Preview is going on"):
                page.start("check", partial(page.check, Choices()))
            with pytest.raises(UsageError, match="Preview is going on"):
                await page.choose("t.csv", b"id,issue_type\n7001,Bug\n")
            page.stop()
            previewed = await page.running.task
    assert previewed["interrupted"] and 0 < previewed["previewed"]["read"] < 60
    assert previewed["previewed"]["read"] + previewed["previewed"]["left"] == 60
    assert page.sheet is not None and page.sheet.name == "s.csv"


async def test_a_rows_message_names_the_pages_control_not_the_librarys_setting(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    """The page's words in a row's message: the Create missing tags switch, not create_tags."""
    page = session(tmp_path, sandbox)
    await page.choose("tags.csv", b"id,add_tags\n7001,no-such-tag\n")
    checked = await page.check(Choices(admin="ada@example.com"))
    said = " ".join(reason["message"] for reason in checked["reasons"])
    said += " ".join(row["error_message"] for row in checked["rows"])
    assert "Create missing tags" in said and "create_tags" not in said


async def test_a_header_the_library_reads_as_actions_is_actions_on_the_page(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    """``State`` and ``Note`` are the actions state and note to a run: the page asks for the
    Teammate just the same (it once compared the header with the names as written)."""
    page = session(tmp_path, sandbox)
    assert (await page.choose("acts.csv", b"id,State,Note\n7001,closed,Done.\n"))["acts"] is True
    assert (await page.choose("plain.csv", b"id,title\n7001,Hello\n"))["acts"] is False


async def test_the_plan_counts_what_the_run_then_sends(tmp_path: Path, sandbox: Sandbox) -> None:
    """The plan is a dry run of the round Run starts: a conversation already so is not
    counted as changed (its PUT is, in the requests), and after the round nothing is left."""
    page = session(tmp_path, sandbox)
    sandbox.server.conversation("7001")["custom_attributes"]["issue_type"] = "Bug"
    await page.choose("s.csv", b"id,issue_type\n7001,Bug\n7003,Billing\n7005,Account\n")
    plan = await page.plan(Choices())
    assert plan["conversations"] == 2 and plan["backup"] is True
    page.start_run(Choices())
    assert page.running is not None
    ran = await page.running.task
    # The backup's 3 reads were the plan's, kept for the run: it makes only the 3 PUTs.
    assert plan["read"] == 3 and plan["requests"] == ran.summary.requests == 3
    assert plan["seconds"] == round(3 * 10 / 1666, 1)
    await page.choose("s.csv", b"id,issue_type\n7001,Bug\n7003,Billing\n7005,Account\n")
    assert (await page.plan(Choices()))["conversations"] == 0


@pytest.mark.parametrize(
    ("sheet", "teammate"), [("conversations.csv", None), ("actions.csv", "ada@example.com")]
)
async def test_a_page_run_costs_no_more_requests_than_run_backup_on_the_command_line(
    tmp_path: Path, sheet: str, teammate: str | None
) -> None:
    """Preview, Run's review and Run read each conversation once, as ``run --backup`` does:
    the run uses what the review read (and the review what Preview read)."""
    config = SandboxConfig(population=SANDBOX_POPULATION)
    async with Sandbox(config) as alone:
        await api.run_async(
            SAMPLE_DATA / sheet,
            token=SANDBOX_TOKEN,
            base_url=alone.url,
            admin=teammate,
            report_path=tmp_path / "cli.csv",
            backup_path=tmp_path / "cli.backup.csv",
        )
        command_line = len(alone.state.paths)
    async with Sandbox(config) as sandbox:
        folder = tmp_path / "page"
        folder.mkdir()
        page = Session(folder, Connection({"base_url": sandbox.url}, SANDBOX_TOKEN))
        await page.choose(sheet, (SAMPLE_DATA / sheet).read_bytes())
        chosen = Choices(admin=teammate)
        await page.preview(chosen, whole=True)
        previewed = len(sandbox.state.paths)
        plan = await page.plan(chosen)
        assert len(sandbox.state.paths) == previewed  # the review read nothing again
        page.start_run(chosen)
        assert page.running is not None
        ran = await page.running.task
    assert ran.summary.backed_up > 0
    assert len(sandbox.state.paths) <= command_line
    assert plan["requests"] == ran.summary.requests


async def test_every_reason_shows_its_bad_value_and_what_to_do(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    """The reasons table: a grouped message hides each row's value ('…'); the page shows an
    example row's own message, and a "What to do" for every reason."""
    page = session(tmp_path, sandbox)
    sheet = b"id,csat_score,issue_type\n7001,abc,Bug\n7003,xyz,Bug\n7005,4,Nope\n7005,4,Bug\n"
    await page.choose("bad.csv", sheet)
    checked = await page.check(Choices())
    reasons = checked["reasons"]
    assert len(reasons) >= 2 and all(reason["hint"] for reason in reasons)
    numbers = next(reason for reason in reasons if "…" in reason["message"])
    assert "'abc'" in numbers["example"]


async def test_the_preview_counts_what_each_conversation_would_take_by_kind(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    """Typed counts from the dry run itself, not read back out of its report's text: a
    conversation counted once a kind; a put-back the row did not ask for is not counted."""
    page = session(tmp_path, sandbox)
    sheet = b"id,state,add_tags,note\n7000,closed,VIP,Done.\n7010,,VIP,\n7008,,,Hi.\n"
    await page.choose("acts.csv", sheet)
    previewed = await page.preview(Choices(admin="ada@example.com"))
    assert previewed["review"] == {"conversations": 3, "closed": 1, "tagged": 2, "noted": 2}


async def test_a_sheet_keyed_by_a_contact_is_checked_and_run_from_the_page(
    tmp_path: Path,
) -> None:
    """The built-in sandbox's customers: Check lists the rows whose key matched no
    conversation or several, beside the invalid ones; the review counts what is sent."""
    async with Sandbox(SandboxConfig(population=SANDBOX_POPULATION)) as sandbox:
        folder = tmp_path / "page"
        folder.mkdir()
        page = Session(folder, Connection({"base_url": sandbox.url}, SANDBOX_TOKEN))
        sheet = b"external_id,issue_type\ncus_00001,Bug\ncus_00003,Billing\ncus_99999,Bug\n"
        await page.choose("k.csv", sheet)
        checked = await page.check(Choices())
        assert checked["counts"] == {"ambiguous": 1, "would_update": 1, "unmatched": 1}
        assert [row["status"] for row in checked["rows"]] == ["ambiguous", "unmatched"]
        plan = await page.plan(Choices())
        assert plan["conversations"] == 1 and plan["read"] == 1
        page.start_run(Choices())
        assert page.running is not None
        ran = await page.running.task
    assert ran.summary.counts == {"ambiguous": 1, "updated": 1, "unmatched": 1}
    assert sandbox.state.puts_applied == 1


async def test_the_review_of_a_keyed_fan_out_counts_its_conversations(tmp_path: Path) -> None:
    """cus_00001 of the built-in sandbox has two conversations: with every one matched, the
    review counts conversations, not rows, and the run writes exactly those."""
    async with Sandbox(SandboxConfig(population=SANDBOX_POPULATION)) as sandbox:
        folder = tmp_path / "page"
        folder.mkdir()
        page = Session(folder, Connection({"base_url": sandbox.url}, SANDBOX_TOKEN))
        await page.choose("k.csv", b"external_id,title\ncus_00001,Both\ncus_00003,One\n")
        choices = Choices(match="all")
        plan = await page.plan(choices)
        page.start_run(choices)
        assert page.running is not None
        ran = await page.running.task
    assert ran.summary.counts == {"updated": 2}
    assert plan["conversations"] == len(sandbox.state.put_counts) == 3
