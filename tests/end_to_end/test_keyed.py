"""Sheets keyed by a conversation attribute (a migration's source ticket id) instead of
Intercom's ids, against the sandbox over loopback: each key resolved through the search, the
match policy made explicit, and one report line per input row."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import bulk_update
from bulk_update import api
from bulk_update.cli.commands import main
from bulk_update.errors import InputError, UsageError
from bulk_update.models import RowStatus
from bulk_update.sandbox import Sandbox, SandboxConfig
from tests.conftest import (
    SAMPLE_DATA,
    TOKEN,
    ThreadedSandbox,
    read_report,
    run_on,
    write_csv,
)
from tests.end_to_end.test_resume import wait_until


def _seed(sandbox: Sandbox, ticket_of: dict[str, str]) -> None:
    for conversation_id, ticket in ticket_of.items():
        sandbox.server.conversation(conversation_id)["custom_attributes"]["region"] = ticket


async def _run(sheet: Path, sandbox: Sandbox, **settings: object) -> api.RunResult:
    return await run_on(sandbox, sheet, **settings)


def _notes(sandbox: Sandbox, conversation_id: str) -> int:
    """How many notes the conversation holds."""
    parts = sandbox.server.conversation(conversation_id)["conversation_parts"]
    return sum(part.get("part_type") == "note" for part in parts["conversation_parts"])


async def test_an_attribute_key_updates_the_one_conversation_it_matches(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    _seed(sandbox, {"7001": "ZD-1", "7003": "ZD-2", "7005": "ZD-3", "7007": "ZD-3"})
    sheet = write_csv(
        tmp_path / "tickets.csv",
        ["region", "issue_type"],
        [[" ZD-1 ", "Bug"], ["ZD-2", "Billing"], ["ZD-3", "Bug"], ["ZD-9", "Bug"], ["", "Bug"]],
    )
    result = await _run(sheet, sandbox, key="region")
    lines = read_report(tmp_path / "tickets.results.csv")
    assert [line["status"] for line in lines] == [
        "updated",
        "updated",
        "ambiguous",
        "unmatched",
        "invalid",
    ]
    assert [line["conversation_ids"] for line in lines] == ["7001", "7003", "", "", ""]
    assert [line["matched"] for line in lines] == ["1", "1", "2", "0", "0"]
    assert "7005;7007" in lines[2]["error_message"]
    assert "ZD-9" in lines[3]["error_message"]
    assert lines[0]["region"] == " ZD-1 "  # the sheet's cell, as it was
    assert sorted(sandbox.state.put_counts) == ["7001", "7003"]
    assert result.summary.counts == {"updated": 2, "ambiguous": 1, "unmatched": 1, "invalid": 1}
    assert not result.summary.all_succeeded
    assert any("keyed by region" in notice for notice in result.summary.notices)
    assert any("1 keys had spaces around them" in notice for notice in result.summary.notices)
    # The sheet's log is its pairs' history's: the round, with the keyed sheet's own counts.
    [logged] = bulk_update.log(tmp_path / "tickets.results.csv").to_dict("records")
    assert logged["counts"] == result.summary.counts and logged["settings"]["key"] == "region"


@pytest.mark.parametrize(("match", "written"), [("all", ["7005", "7007"]), ("latest", ["7007"])])
async def test_match_all_fans_out_and_latest_takes_the_last_updated(
    sandbox: Sandbox, tmp_path: Path, match: str, written: list[str]
) -> None:
    _seed(sandbox, {"7005": "ZD-3", "7007": "ZD-3"})
    sandbox.server.conversation("7007")["updated_at"] += 1000
    sheet = write_csv(tmp_path / "t.csv", ["region", "title"], [["ZD-3", "Moved"]])
    result = await _run(sheet, sandbox, key="region", match=match)
    (line,) = read_report(tmp_path / "t.results.csv")
    assert line["status"] == "updated" and line["conversation_ids"] == ";".join(written)
    assert line["matched"] == "2"
    assert sorted(sandbox.state.put_counts) == written
    assert result.summary.counts == {"updated": 1}


async def test_a_dry_run_shows_what_each_key_matched_and_sends_nothing(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    _seed(sandbox, {"7001": "ZD-1"})
    sheet = write_csv(tmp_path / "t.csv", ["region", "title"], [["ZD-1", "New"]])
    result = await _run(sheet, sandbox, key="region", dry_run=True)
    (line,) = read_report(tmp_path / "t.dry-run.csv")
    assert (line["status"], line["conversation_ids"]) == ("would_update", "7001")
    assert result.summary.counts == {"would_update": 1}
    assert sandbox.state.puts_applied == 0


async def test_a_sheet_with_both_an_id_and_a_key_column_is_refused_unless_the_key_decides(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    sheet = write_csv(tmp_path / "t.csv", ["id", "email", "title"], [["7001", "a@b.co", "x"]])
    with pytest.raises(InputError, match="both an id column and the key column email"):
        await _run(sheet, sandbox)
    with pytest.raises(InputError, match="names 'zendesk_id', which is no column"):
        await _run(sheet, sandbox, key="zendesk_id")
    with pytest.raises(InputError, match="no conversation attribute"):
        await _run(
            write_csv(tmp_path / "u.csv", ["title", "x"], [["a", "b"]]), sandbox, key="title"
        )
    with pytest.raises(InputError, match="'legacy_code' is archived"):
        await _run(
            write_csv(tmp_path / "v.csv", ["legacy_code", "title"], [["a", "b"]]),
            sandbox,
            key="legacy_code",
        )


async def test_contact_keys_find_their_conversations_and_notes_go_once_to_each(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    """By email (one address on a lead and a user: both their conversations) and by
    external id; --match all closes every open conversation of a customer with one note
    each; an email typed in capitals finds its contact; a customer the search does not know
    yet says the index may lag."""
    sandbox.server.add_contact(email="ana@acme.test", conversations=["7001", "7003"])
    sandbox.server.add_contact(email="ana@acme.test", role="lead", conversations=["7005"])
    sandbox.server.add_contact(email="bo@acme.test", conversations=["7007"])
    sandbox.server.add_contact(email="new@acme.test", conversations=["7009"], searchable_after=600)
    sheet = write_csv(
        tmp_path / "customers.csv",
        ["contact_email", "state", "note"],
        [
            ["ana@acme.test", "closed", "Closed in the clean-up."],
            ["BO@Acme.test", "closed", "Closed in the clean-up."],  # found in lower case
            ["new@acme.test", "closed", "x"],
            ["not an email", "closed", "x"],
            ["bo@acme.test", "closed", "x"],
        ],
    )
    result = await _run(sheet, sandbox, match="all", admin="ada@example.com")
    lines = read_report(tmp_path / "customers.results.csv")
    assert [line["status"] for line in lines] == [
        "updated",
        "updated",
        "unmatched",
        "invalid",
        "invalid",
    ]
    assert lines[0]["conversation_ids"].split(";") == ["7001", "7003", "7005"]
    assert lines[0]["matched"] == "3"
    assert "may not be searchable yet" in lines[2]["error_message"]
    assert "duplicate of row 3" in lines[4]["error_message"]
    for conversation_id in ("7001", "7003", "7005", "7007"):
        assert sandbox.server.conversation(conversation_id)["state"] == "closed"
        assert _notes(sandbox, conversation_id) == 1
    assert sandbox.server.conversation("7009")["state"] == "open"
    assert result.summary.counts == {"updated": 2, "unmatched": 1, "invalid": 2}


async def test_an_external_id_key_with_one_match_each(sandbox: Sandbox, tmp_path: Path) -> None:
    sandbox.server.add_contact(external_id="crm 42", conversations=["7011"])
    sandbox.server.add_contact(external_id="crm-43", conversations=["7013", "7015"])
    sheet = write_csv(
        tmp_path / "crm.csv", ["external_id", "title"], [["crm 42", "A"], ["crm-43", "B"]]
    )
    await _run(sheet, sandbox)
    lines = read_report(tmp_path / "crm.results.csv")
    assert [(line["status"], line["matched"]) for line in lines] == [
        ("updated", "1"),
        ("ambiguous", "2"),
    ]
    assert sandbox.server.conversation("7011")["title"] == "A"


def test_the_command_line_says_which_key_it_read_and_what_matched_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The built-in sandbox's customers: cus_00001 has two conversations (ambiguous under
    one), cus_00003 one, cus_99999 none; a sheet with id and a key column is exit 2."""
    sheet = write_csv(
        tmp_path / "s.csv",
        ["external_id", "issue_type"],
        [["cus_00001", "Bug"], ["cus_00003", "Bug"], ["cus_99999", "Bug"]],
    )
    assert main(["run", str(sheet), "--sandbox", "--dry-run"]) == 1
    out = capsys.readouterr().out
    assert "1 would be updated, 0 invalid, 1 unmatched, 1 ambiguous" in out
    assert "keyed by external_id (a contact's external id)" in out
    assert main(["run", str(sheet), "--sandbox", "--match", "all"]) == 1
    out = capsys.readouterr().out
    assert "3 rows: 2 updated, 0 failed, 0 invalid, 0 not attempted, 1 unmatched" in out
    both = write_csv(tmp_path / "b.csv", ["id", "email", "title"], [["1", "a@b.co", "x"]])
    assert main(["run", str(both), "--sandbox"]) == 2
    assert "say which one decides with --key" in capsys.readouterr().err


async def test_a_keyed_report_run_again_acts_on_what_it_recorded_and_sends_only_what_is_left(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    """Round 1: a bad value makes a row invalid, another is unmatched (its customer is not
    searchable yet). Fixed in the report and run again: the recorded conversations are not
    searched again, what was done is not sent again (one note each), the fixed row is sent,
    and the row that matched nothing is searched again and found."""
    sandbox.server.add_contact(email="ana@acme.test", conversations=["7001", "7003"])
    sandbox.server.add_contact(email="bo@acme.test", conversations=["7007"])
    sheet = write_csv(
        tmp_path / "c.csv",
        ["contact_email", "issue_type", "note"],
        [
            ["new@acme.test", "Bug", "Hi"],
            ["ana@acme.test", "Nonsense", "Hi"],
            ["bo@acme.test", "Bug", "Hi"],
        ],
    )
    first = await _run(sheet, sandbox, match="all", admin="ada@example.com")
    assert first.summary.counts == {"invalid": 1, "updated": 1, "unmatched": 1}
    report = tmp_path / "c.results.csv"
    lines = read_report(report)
    assert lines[1]["conversation_ids"] == "7001;7003"
    sandbox.server.add_contact(email="new@acme.test", conversations=["7009"])
    report.write_text(report.read_text(encoding="utf-8-sig").replace("Nonsense", "Billing"))

    again = await _run(report, sandbox, match="all", admin="ada@example.com")
    assert again.summary.counts == {"updated": 3}
    assert [line["conversation_ids"] for line in read_report(report)] == [
        "7009",
        "7001;7003",
        "7007",
    ]
    assert dict(sandbox.state.put_counts) == {"7001": 1, "7003": 1, "7007": 1, "7009": 1}
    for conversation_id in ("7001", "7003", "7007", "7009"):
        assert _notes(sandbox, conversation_id) == 1
    assert any(
        "2 rows acted on the conversations they recorded" in n for n in again.summary.notices
    )


def start_cli(sandbox: Sandbox, argv: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "bulk_update", *argv, "--base-url", sandbox.url, "-q"],
        env={**os.environ, "INTERCOM_ACCESS_TOKEN": TOKEN},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_a_fan_out_killed_midway_resumes_with_one_note_to_each_conversation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """100 customers with 3 conversations each, a note to every one (--match all); the run
    is killed (kill -9) after about 100 notes; --resume leaves exactly one note on each."""
    config = SandboxConfig(token=TOKEN, limit=400, window=1, latency=0.002, seed=3)
    with ThreadedSandbox(config) as sandbox:
        owned = {}
        for n in range(100):
            ids = [str(20_000 + 3 * n + k) for k in range(3)]
            sandbox.server.add_contact(email=f"c{n}@acme.test", conversations=ids)
            owned[f"c{n}@acme.test"] = ids
        sheet = write_csv(
            tmp_path / "c.csv",
            ["contact_email", "note"],
            [[email, "Moved to the new plan."] for email in owned],
        )
        argv = ["run", str(sheet), "--match", "all", "--admin", "ada@example.com"]
        argv += ["--schema", str(SAMPLE_DATA / "schema.json"), "--rate", "400/1"]
        process = start_cli(sandbox, argv)
        wait_until(lambda: sum("/reply" in path for path in sandbox.state.paths) >= 100)
        process.kill()
        process.wait()
        monkeypatch.setenv("INTERCOM_ACCESS_TOKEN", TOKEN)
        assert main([*argv, "--resume", "--base-url", sandbox.url, "-q"]) == 0
        for ids in owned.values():
            for conversation_id in ids:
                assert _notes(sandbox, conversation_id) == 1, conversation_id
    # A note that landed before the kill but was never confirmed is found in place: skipped.
    statuses = {line["status"] for line in read_report(tmp_path / "c.results.csv")}
    assert statuses <= {"updated", "skipped"}


async def test_undo_of_a_keyed_report_puts_every_conversation_back(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    """A fan-out backed up: undoing the keyed report itself (its pairs kept the history)
    restores each conversation, and leaves one a teammate changed since as it is."""
    sandbox.server.add_contact(external_id="crm-1", conversations=["7021", "7023", "7025"])
    for conversation_id in ("7021", "7023", "7025"):
        sandbox.server.conversation(conversation_id)["title"] = f"Old {conversation_id}"
    sheet = write_csv(tmp_path / "crm.csv", ["contact_external_id", "title"], [["crm-1", "New"]])
    await _run(sheet, sandbox, match="all", backup_path=tmp_path / "crm.backup.csv")
    assert sandbox.server.conversation("7021")["title"] == "New"
    sandbox.server.conversation("7025")["title"] = "A teammate's"
    undone = await api.undo_async(tmp_path / "crm.results.csv", token=TOKEN, base_url=sandbox.url)
    assert undone.summary.counts == {"updated": 2, "conflict": 1}
    titles = [sandbox.server.conversation(c)["title"] for c in ("7021", "7023", "7025")]
    assert titles == ["Old 7021", "Old 7023", "A teammate's"]


async def test_a_sheet_whose_keys_match_nothing_and_a_dataframe_keyed_in_a_notebook(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    import pandas as pd

    sheet = write_csv(tmp_path / "n.csv", ["contact_external_id", "title"], [["nobody", "x"]])
    nothing = await _run(sheet, sandbox)
    assert nothing.summary.counts == {"unmatched": 1}
    assert read_report(tmp_path / "n.results.csv")[0]["matched"] == "0"

    sandbox.server.add_contact(external_id="crm-7", conversations=["7031"])
    frame = pd.DataFrame({"contact_external_id": ["crm-7", "nobody"], "title": ["Y", "Z"]})
    result = await api.run_async(frame, token=TOKEN, base_url=sandbox.url)
    assert list(result.outcomes["status"]) == ["updated", "unmatched"]
    assert list(result.outcomes["conversation_ids"]) == ["7031", ""]
    assert result.report_path is None and sandbox.server.conversation("7031")["title"] == "Y"


async def test_a_live_dry_run_of_a_fan_out_shows_each_conversation_before_and_after(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    sandbox.server.add_contact(email="ana@acme.test", conversations=["7041", "7043"])
    sandbox.server.conversation("7041")["title"] = "One"
    sandbox.server.conversation("7043")["title"] = "Two"
    sheet = write_csv(tmp_path / "c.csv", ["email", "title"], [["ana@acme.test", "Both"]])
    await _run(sheet, sandbox, match="all", dry_run=True, live=True)
    (line,) = read_report(tmp_path / "c.dry-run.csv")
    assert line["status"] == "would_update" and line["matched"] == "2"
    assert "7041: " in line["changes"] and "One" in line["changes"]
    assert "7043: " in line["changes"] and "Two" in line["changes"]
    assert sandbox.state.puts_applied == 0


async def test_an_export_writes_whose_conversations_they_are_and_runs_back_by_id(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    """contact_email and contact_external_id beside id (one contacts search a page for the
    emails); the file runs back unedited with nothing sent, and an edited title alone is
    sent: the key columns are information, id decides."""
    sandbox.server.add_contact(email="ana@acme.test", external_id="crm-1", conversations=["7051"])
    sandbox.server.add_contact(email="bo@acme.test", conversations=["7053"])
    out = tmp_path / "open.csv"
    await api.export_async(
        out,
        where=["state = open"],
        columns=["contact_email", "contact_external_id", "title"],
        token=TOKEN,
        base_url=sandbox.url,
    )
    lines = read_report(out)
    assert list(lines[0])[:4] == ["id", "contact_email", "contact_external_id", "title"]
    by_id = {line["id"]: line for line in lines}
    assert by_id["7051"]["contact_email"] == "ana@acme.test"
    assert by_id["7051"]["contact_external_id"] == "crm-1"
    assert by_id["7053"]["contact_email"] == "bo@acme.test"
    assert sum("/contacts/search" in path for path in sandbox.state.paths) == 1

    unedited = await _run(out, sandbox, report_path=tmp_path / "back.csv")
    assert sandbox.state.puts_applied == 0 and unedited.summary.count(RowStatus.UPDATED) == 0
    text = out.read_text(encoding="utf-8-sig").replace(
        "ana@acme.test,crm-1,", "ana@acme.test,crm-1,Renamed"
    )
    edited = tmp_path / "edited.csv"
    edited.write_text(text, encoding="utf-8")
    await _run(edited, sandbox, skip_unchanged=True)
    assert dict(sandbox.state.put_counts) == {"7051": 1}
    assert sandbox.state.last_bodies["7051"] == {"title": "Renamed"}


async def test_resolve_again_includes_a_customers_new_conversation_and_nothing_twice(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    sandbox.server.add_contact(email="ana@acme.test", conversations=["7061"])
    sheet = write_csv(tmp_path / "c.csv", ["contact_email", "title"], [["ana@acme.test", "A"]])
    await _run(sheet, sandbox, match="all")
    sandbox.server.add_contact(email="ana@acme.test", role="lead", conversations=["7065"])
    report = tmp_path / "c.results.csv"
    again = await _run(report, sandbox, match="all")  # the recorded one only: nothing left
    assert sandbox.state.puts_applied == 1 and again.summary.counts == {"updated": 1}
    widened = await _run(report, sandbox, match="all", resolve_again=True)
    assert dict(sandbox.state.put_counts) == {"7061": 1, "7065": 1}
    (line,) = read_report(report)
    assert line["conversation_ids"] == "7061;7065" and line["status"] == "updated"
    assert widened.summary.counts == {"updated": 1}


async def test_a_keyed_report_away_from_its_pairs_is_refused_and_another_report_sends_nothing_twice(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    sandbox.server.add_contact(external_id="crm-1", conversations=["7071", "7073"])
    sheet = write_csv(tmp_path / "k.csv", ["contact_external_id", "note"], [["crm-1", "Once"]])
    await _run(sheet, sandbox, match="all", admin="ada@example.com")
    report = tmp_path / "k.results.csv"
    moved = tmp_path / "moved"
    moved.mkdir()
    (moved / report.name).write_bytes(report.read_bytes())
    paths = len(sandbox.state.paths)
    with pytest.raises(UsageError, match=r"pairs' history .* is not beside it"):
        await _run(moved / report.name, sandbox, match="all", admin="ada@example.com")
    elsewhere = tmp_path / "again.csv"
    again = await _run(report, sandbox, match="all", admin="ada@example.com", report_path=elsewhere)
    assert again.summary.counts == {"updated": 1}
    assert not any("/reply" in path for path in sandbox.state.paths[paths:])  # no note twice


async def test_the_key_decides_over_an_id_column_and_the_summary_is_the_sheets(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    """--key with an id column: the id is information; --summary-json tells the sheet's rows
    and reasons (the sheet's row numbers), not the pairs'; keys other than emails keep case."""
    sandbox.server.add_contact(external_id="cus_ABC", conversations=["7081"])
    sandbox.server.add_contact(external_id="cus_abc", conversations=["7083"])
    sheet = write_csv(
        tmp_path / "both.csv",
        ["id", "contact_external_id", "title", "csat_score"],
        [["1", "cus_ABC", "A", "4"], ["2", "cus_abc", "B", "x"], ["3", "", "C", "4"]],
    )
    result = await _run(sheet, sandbox, key="contact_external_id", summary_json=tmp_path / "s.json")
    assert result.summary.counts == {"updated": 1, "invalid": 2}
    assert dict(sandbox.state.put_counts) == {"7081": 1}
    told = json.loads((tmp_path / "s.json").read_text())
    assert told["rows"] == 3 and told["updated"] == 1 and told["invalid"] == 2
    assert told["input"] == str(sheet)
    rows = sorted(row for reason in result.summary.reasons for row in reason.example_rows)
    assert rows == [3, 4]
    with pytest.raises(InputError, match="header but no data rows"):
        await _run(write_csv(tmp_path / "e.csv", ["contact_email", "title"], []), sandbox)


async def test_an_attribute_key_is_named_in_any_case_as_headers_are(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    _seed(sandbox, {"7091": "ZD-91"})
    sheet = write_csv(tmp_path / "t.csv", ["Region", "title"], [["ZD-91", "Found"]])
    result = await _run(sheet, sandbox, key="Region")
    assert result.summary.counts == {"updated": 1}
    assert sandbox.server.conversation("7091")["title"] == "Found"


async def test_a_match_gone_and_back_is_not_sent_twice_and_a_dry_run_leaves_the_pairs(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    sandbox.server.add_contact(email="ana@acme.test", conversations=["7101"])
    sheet = write_csv(tmp_path / "c.csv", ["contact_email", "title"], [["ana@acme.test", "A"]])
    await _run(sheet, sandbox)
    report, pairs = tmp_path / "c.results.csv", tmp_path / "c.results.pairs.results.csv"
    held = pairs.read_bytes()
    edited = report.read_text(encoding="utf-8-sig").replace("ana@acme.test,A,", "ana@acme.test,B,")
    report.write_text(edited, encoding="utf-8")
    dry = await _run(report, sandbox, dry_run=True)
    assert dry.summary.counts == {"would_update": 1}
    assert pairs.read_bytes() == held  # a dry run works on a copy
    report.write_text(edited.replace(",B,", ",A,"), encoding="utf-8")
    gone = await _run(report, sandbox, resolve_again=True, where=["state = closed"])
    assert gone.summary.counts == {"unmatched": 1}
    back = await _run(report, sandbox, resolve_again=True)
    assert back.summary.counts == {"updated": 1}
    assert dict(sandbox.state.put_counts) == {"7101": 1}  # done once, not sent again


async def test_a_sheet_longer_than_a_chunk_is_matched_chunk_by_chunk(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows are matched a few at a time (kept on disk between): a duplicate key in a later
    chunk is still a duplicate, and every row comes back once, in order, with its own ids."""
    monkeypatch.setattr("bulk_update.search.matching.ROWS_AT_ONCE", 2)
    tickets = {str(7001 + 2 * n): f"ZD-{n}" for n in range(5)}
    _seed(sandbox, tickets)
    rows = [[ticket, "Bug"] for ticket in tickets.values()] + [["ZD-1", "Billing"]]
    sheet = write_csv(tmp_path / "tickets.csv", ["region", "issue_type"], rows)
    result = await _run(sheet, sandbox, key="region")
    lines = read_report(tmp_path / "tickets.results.csv")
    assert [line["row"] for line in lines] == ["2", "3", "4", "5", "6", "7"]
    assert [line["conversation_ids"] for line in lines] == [*tickets, ""]
    assert lines[-1]["status"] == "invalid" and "duplicate of row 3" in lines[-1]["error_message"]
    assert sorted(sandbox.state.put_counts) == sorted(tickets)
    assert result.summary.counts == {"updated": 5, "invalid": 1}


async def test_a_ragged_row_of_a_keyed_sheet_is_invalid_and_not_sent(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    """A row with more cells than the header (an unquoted comma) shifts its values: invalid,
    as in a sheet of ids."""
    sandbox.server.add_contact(external_id="crm-1", conversations=["7001"])
    sandbox.server.add_contact(external_id="crm-2", conversations=["7003"])
    sheet = tmp_path / "ragged.csv"
    sheet.write_text("contact_external_id,issue_type\ncrm-1,Bug\ncrm-2,Bug,extra\n", "utf-8")
    result = await _run(sheet, sandbox)
    lines = read_report(tmp_path / "ragged.results.csv")
    assert [line["status"] for line in lines] == ["updated", "invalid"]
    assert "more cell" in lines[1]["error_message"]
    assert sorted(sandbox.state.put_counts) == ["7001"] and result.summary.counts["invalid"] == 1


async def test_a_sheet_whose_id_decides_reads_its_key_columns_as_information(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    """--key id, as the refusal of a sheet with both says: the email column is information,
    never read as a change (nor refused as an unknown attribute)."""
    sheet = write_csv(
        tmp_path / "both.csv", ["id", "Contact email", "title"], [["7001", "ana@acme.test", "Hi"]]
    )
    with pytest.raises(InputError, match="say which one decides"):
        await _run(sheet, sandbox)
    result = await _run(sheet, sandbox, key="id")
    assert result.summary.counts == {"updated": 1}
    assert sandbox.state.last_bodies["7001"] == {"title": "Hi"}
