"""``bulk-update export`` and batched reads, end to end against the sandbox over loopback: the
export → run round trip sends nothing, three edited cells send three writes, every read-first
mode reads 150 conversations a search, and the fall-backs to ``GET`` work."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest

import bulk_update
from bulk_update.cli.commands import main
from bulk_update.sandbox import Sandbox, SandboxConfig
from tests.conftest import TOKEN, ThreadedSandbox, read_report, write_csv

ADA = "ada@example.com"
POPULATION = 1000  # ids 215467900000 + n; the one ending in 404 is missing: 999 in all


@pytest.fixture
def populated() -> Iterator[Sandbox]:
    config = SandboxConfig(token=TOKEN, limit=100_000, seed=1, population=POPULATION)
    with ThreadedSandbox(config) as running:
        yield running


def cli(sandbox: Sandbox, *args: str) -> int:
    return main([*args, "--base-url", sandbox.url, "-q"])


def searches(sandbox: Sandbox) -> int:
    return sandbox.state.paths.count("/conversations/search")


def reads_by_get(sandbox: Sandbox) -> int:
    """GET /conversations/{id}: every such path that was not a PUT."""
    by_id = sum(1 for p in sandbox.state.paths if re.fullmatch(r"/conversations/\d+", p))
    return by_id - sandbox.state.puts_applied


def writes(sandbox: Sandbox) -> int:
    return sandbox.state.puts_applied + sum(sandbox.state.workspace.actions.values())


def test_export_writes_every_match_in_the_tools_own_format(
    populated: Sandbox, token_env: str, tmp_path: Path
) -> None:
    out = tmp_path / "bugs.csv"
    assert cli(populated, "export", str(out), "--where", "issue_type in Bug, Account") == 0
    lines = read_report(out)
    assert len(lines) == 400  # n % 5 in (1, 3)
    assert list(lines[0]) == [
        "id",
        "state",
        "snoozed_until",
        "admin_assignee",
        "team_assignee",
        "tags",
        "issue_type",
        "priority",
        "region",
        "csat_score",
        "monthly_spend",
        "vip",
        "due_date",
        "orders",
        "bulk_update_base",  # each row's cells as exported: only edits are sent back
    ]
    first = lines[0]
    assert (first["id"], first["issue_type"], first["csat_score"], first["vip"]) == (
        "215467900001",
        "Bug",
        "1",
        "false",
    )
    assert first["admin_assignee"] == ADA and first["team_assignee"] == "Support"  # id ≡ 1 mod 4
    snoozed = next(line for line in lines if line["state"] == "snoozed")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", snoozed["snoozed_until"])
    assert searches(populated) == math.ceil(400 / 150)
    assert len(populated.state.paths) <= math.ceil(400 / 150) + 5


def test_an_xlsx_export_keeps_ids_as_text_and_limit_stops_early(
    populated: Sandbox, token_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "some.xlsx"
    args = [
        "export",
        str(out),
        "--where",
        "state != x",
        "--columns",
        "title,state",
        "--limit",
        "160",
    ]
    assert cli(populated, *args) == 0
    rows = list(openpyxl.load_workbook(out).active.iter_rows(values_only=True))
    # state brings its time; the base last
    assert rows[0] == ("id", "title", "state", "snoozed_until", "bulk_update_base")
    assert len(rows) == 161 and rows[1][0] == "215467900000"
    assert searches(populated) == 2
    out_text = capsys.readouterr().out
    assert "exported 160 conversations of 999 matching" in out_text


def test_a_query_file_says_what_where_cannot(
    populated: Sandbox, token_env: str, tmp_path: Path
) -> None:
    query = tmp_path / "q.json"
    either = [
        {"field": "title", "operator": "=", "value": "Conversation 3"},
        {"field": "title", "operator": "=", "value": "Conversation 5"},
    ]
    query.write_text(json.dumps({"operator": "OR", "value": either}))
    out = tmp_path / "two.csv"
    assert cli(populated, "export", str(out), "--query", str(query), "--columns", "title") == 0
    assert [line["title"] for line in read_report(out)] == ["Conversation 3", "Conversation 5"]


@pytest.mark.parametrize("version", ["2.14", "2.16", "Preview"])
def test_unassigned_exports_exactly_the_unassigned_in_every_version(
    populated: Sandbox, token_env: str, tmp_path: Path, version: str
) -> None:
    """Nobody is null before 2.16 and 0 from it, in answers and in searches alike."""
    held = [int(i) for i in populated.state.conversations]
    unassigned = [i for i in held if i % 4 != 1]  # ids ≡ 1 (mod 4) start with Ada and Support

    def exported(where: str) -> list[dict[str, str]]:
        out = tmp_path / "out.csv"
        columns = "admin_assignee,team_assignee"
        args = ["--where", where, "--columns", columns, "--api-version", version]
        assert cli(populated, "export", str(out), *args) == 0
        return read_report(out)

    nobody = exported("admin_assignee = unassigned")
    assert [int(line["id"]) for line in nobody] == sorted(unassigned)
    assert {(line["admin_assignee"], line["team_assignee"]) for line in nobody} == {("", "")}
    somebody = exported("team_assignee != unassigned")
    assert [int(line["id"]) for line in somebody] == sorted(set(held) - set(unassigned))
    assert {(line["admin_assignee"], line["team_assignee"]) for line in somebody} == {
        (ADA, "Support")
    }
    assert len(exported("admin_assignee in ada@example.com, unassigned")) == len(held)
    assert exported("admin_assignee not in ada@example.com, nobody") == []


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--where", "updated_at <= 2026-01-01"], "date field"),
        (["--where", "isue_type = Bug"], "did you mean 'issue_type'?"),
        (["--where", "state = open", "--columns", "sla_breached"], "cannot write"),
        ([], "give --where conditions or a --query"),
    ],
)
def test_an_export_that_cannot_be_asked_exits_2_and_writes_nothing(
    populated: Sandbox,
    token_env: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    says: str,
) -> None:
    out = tmp_path / "x.csv"
    assert cli(populated, "export", str(out), *args) == 2
    assert says in capsys.readouterr().err
    assert not out.exists() and searches(populated) == 0


def test_the_round_trip_sends_nothing_and_three_edits_send_three_writes(
    populated: Sandbox, token_env: str, tmp_path: Path
) -> None:
    out = tmp_path / "all.csv"
    assert cli(populated, "export", str(out), "--where", "state != x") == 0
    before = len(populated.state.paths)
    args = ["--skip-unchanged", "--admin", ADA]
    assert cli(populated, "run", str(out), *args, "--report", str(tmp_path / "r1.csv")) == 0
    assert writes(populated) == 0
    # data_attributes, admins, teams, tags, me (which workspace, before any write); no read
    # at all: every cell is as exported
    assert len(populated.state.paths) - before == 5
    lines = read_report(tmp_path / "r1.csv")
    assert {line["status"] for line in lines} == {"skipped"}
    assert {line["changes"] for line in lines} == {"unchanged since the export"}

    with out.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv_rows(handle.read()))
    rows[1][rows[0].index("issue_type")] = "Account"  # was Billing
    rows[2][rows[0].index("state")] = "closed"  # was open
    rows[3][rows[0].index("tags")] = "VIP"  # was no tag
    edited = write_csv(tmp_path / "edited.csv", rows[0], rows[1:])
    after_first = len(populated.state.paths)
    assert cli(populated, "run", str(edited), *args, "--report", str(tmp_path / "r2.csv")) == 0
    assert populated.state.puts_applied == 1
    assert dict(populated.state.workspace.actions) == {"close": 1, "tag": 1}
    # the three edited rows read exactly, then their writes; nothing for the others
    assert len(populated.state.paths) - after_first <= 4 + 1 + 3 + 3  # +1: GET /me
    statuses = [line["status"] for line in read_report(tmp_path / "r2.csv")]
    assert statuses[:3] == ["updated"] * 3 and set(statuses[3:]) == {"skipped"}


def test_an_unedited_round_trip_leaves_a_value_that_reads_like_the_clear_marker(
    populated: Sandbox, token_env: str, tmp_path: Path
) -> None:
    populated.server.conversation("215467900002")["custom_attributes"]["region"] = "#N/A"
    out = tmp_path / "two.csv"
    assert cli(populated, "export", str(out), "--where", "id = 215467900002") == 0
    assert cli(populated, "run", str(out), "--admin", ADA) == 0
    assert populated.server.conversation("215467900002")["custom_attributes"]["region"] == "#N/A"
    assert writes(populated) == 0


def csv_rows(text: str) -> Iterator[list[str]]:
    import csv
    import io

    return csv.reader(io.StringIO(text))


@pytest.mark.parametrize(
    "mode",
    [
        ["--backup", "BACKUP"],
        ["--skip-unchanged"],
        ["--dry-run", "--live"],
        ["--admin", ADA],  # a sheet with an action column reads first
    ],
)
def test_every_read_first_mode_reads_150_conversations_a_search(
    populated: Sandbox, token_env: str, tmp_path: Path, mode: list[str]
) -> None:
    ids = [str(300_000 + n) for n in range(400)]
    header = ["id", "title"] + (["state"] if "--admin" in mode else [])
    rows = [[i, f"t {i}"] + (["closed"] if "--admin" in mode else []) for i in ids]
    sheet = write_csv(tmp_path / "in.csv", header, rows)
    mode = [str(tmp_path / "backup.csv") if part == "BACKUP" else part for part in mode]
    assert cli(populated, "run", str(sheet), *mode, "--read-via", "search") == 0
    assert searches(populated) == math.ceil(400 / 150)
    assert reads_by_get(populated) == 0


def test_ids_a_search_does_not_return_are_read_with_get(token_env: str, tmp_path: Path) -> None:
    unindexed = frozenset({"300007", "300123"})
    config = SandboxConfig(token=TOKEN, limit=100_000, seed=1, unindexed=unindexed)
    with ThreadedSandbox(config) as sandbox:
        sheet = write_csv(
            tmp_path / "in.csv", ["id", "title"], [[str(300_000 + n), "t"] for n in range(200)]
        )
        assert cli(sandbox, "run", str(sheet), "--skip-unchanged", "--read-via", "search") == 0
        assert searches(sandbox) == 2 and reads_by_get(sandbox) == 2
        assert sandbox.state.puts_applied == 200


def test_a_refused_search_falls_back_to_get_with_one_warning(
    token_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = SandboxConfig(token=TOKEN, limit=100_000, seed=1, search_refusal=400)
    with ThreadedSandbox(config) as sandbox:
        sheet = write_csv(
            tmp_path / "in.csv", ["id", "title"], [[str(300_000 + n), "t"] for n in range(200)]
        )
        assert cli(sandbox, "run", str(sheet), "--skip-unchanged", "--read-via", "search") == 0
        assert searches(sandbox) == 1 and reads_by_get(sandbox) == 200
    err = capsys.readouterr().err
    assert err.count("reading conversations through search failed") == 1
    assert "--read-via get" in err


def test_by_default_each_conversation_is_read_exactly(
    populated: Sandbox, token_env: str, tmp_path: Path
) -> None:
    sheet = write_csv(
        tmp_path / "in.csv", ["id", "title"], [[str(300_000 + n), "t"] for n in range(20)]
    )
    assert cli(populated, "run", str(sheet), "--skip-unchanged") == 0
    assert searches(populated) == 0 and reads_by_get(populated) == 20


def test_a_lagging_search_index_decides_nothing_by_default(token_env: str, tmp_path: Path) -> None:
    """A sheet that opens 40 conversations, run right after they were closed: read exactly,
    every one is opened; read through a lagging index, they would all look open already."""
    ids = [str(400_000 + n * 10) for n in range(40)]
    config = SandboxConfig(token=TOKEN, limit=100_000, seed=1, index_lag=3600)
    with ThreadedSandbox(config) as sandbox:
        closing = write_csv(tmp_path / "close.csv", ["id", "state"], [[i, "closed"] for i in ids])
        assert cli(sandbox, "run", str(closing), "--admin", ADA) == 0
        opening = write_csv(tmp_path / "open.csv", ["id", "state"], [[i, "open"] for i in ids])
        assert cli(sandbox, "run", str(opening), "--admin", ADA) == 0
        states = {sandbox.server.conversation(i)["state"] for i in ids}
        lines = read_report(tmp_path / "open.results.csv")
    assert states == {"open"}
    assert {line["status"] for line in lines} == {"updated"}


def test_export_from_a_notebook_returns_a_frame(tmp_path: Path) -> None:
    result = bulk_update.export(
        tmp_path / "vip.csv", where=["vip = true", "issue_type = Bug"], sandbox=True
    )
    assert result.written == result.matched == len(result.frame) > 0
    assert set(result.frame["vip"]) == {"true"} and set(result.frame["issue_type"]) == {"Bug"}
    assert result.frame["id"].str.fullmatch(r"\d+").all()


def test_a_search_intercom_refuses_is_exit_2_with_its_reason_and_no_file(
    token_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = SandboxConfig(token=TOKEN, limit=100_000, seed=1, search_refusal=400)
    with ThreadedSandbox(config) as sandbox:
        out = tmp_path / "x.csv"
        assert cli(sandbox, "export", str(out), "--where", "state = open") == 2
    assert "Intercom refused the search (400: Search is not available)" in capsys.readouterr().err
    assert not out.exists()


def test_a_round_trip_never_overwrites_what_changed_since_the_export(
    populated: Sandbox, token_env: str, tmp_path: Path
) -> None:
    out = tmp_path / "sheet.csv"
    assert (
        cli(
            populated,
            "export",
            str(out),
            "--where",
            "id in 215467900001, 215467900002, 215467900003",
            "--columns",
            "issue_type,priority,state",
        )
        == 0
    )
    a, b, c = "215467900001", "215467900002", "215467900003"
    # Meanwhile a teammate changes A's issue type and closes B.
    populated.server.conversation(a)["custom_attributes"]["issue_type"] = "Billing"
    populated.server.conversation(b).update(state="closed", open=False)
    with out.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv_rows(handle.read()))
    header = rows[0]
    by_id = {row[0]: row for row in rows[1:]}
    by_id[a][header.index("issue_type")] = "Account"  # edited here and there: a conflict
    by_id[b][header.index("priority")] = "Urgent"  # edited here only
    edited = write_csv(tmp_path / "edited.csv", header, rows[1:])
    assert cli(populated, "run", str(edited), "--admin", ADA) == 1
    lines = {line["id"]: line for line in read_report(tmp_path / "edited.results.csv")}
    assert lines[a]["status"] == "conflict"
    assert "issue_type: " in lines[a]["changes"] and "→ Billing → Account" in lines[a]["changes"]
    assert (lines[b]["status"], lines[c]["status"]) == ("updated", "skipped")
    live_a, live_b = populated.server.conversation(a), populated.server.conversation(b)
    assert live_a["custom_attributes"]["issue_type"] == "Billing"  # theirs, kept
    assert (live_b["state"], live_b["custom_attributes"]["priority"]) == ("closed", "Urgent")
    # Sent anyway when asked.
    report = tmp_path / "edited.results.csv"
    assert cli(populated, "run", str(report), "--admin", ADA, "--overwrite-conflicts") == 0
    assert populated.server.conversation(a)["custom_attributes"]["issue_type"] == "Account"


def test_rows_sorted_without_their_base_are_invalid_and_send_nothing(
    populated: Sandbox, token_env: str, tmp_path: Path
) -> None:
    """Excel's sort of the "current selection": ids and cells move, the base column stays. Each
    moved row would be compared with another row's base and revert a teammate's change."""
    out = tmp_path / "sheet.csv"
    a, b, c = "215467900001", "215467900002", "215467900003"
    where = ["--where", f"id in {a}, {b}, {c}", "--columns", "issue_type,priority"]
    assert cli(populated, "export", str(out), *where) == 0
    populated.server.conversation(a)["custom_attributes"]["issue_type"] = "Billing"  # teammate
    before = {i: json.dumps(populated.server.conversation(i), sort_keys=True) for i in (a, b)}
    with out.open(newline="", encoding="utf-8-sig") as handle:
        header, *rows = list(csv_rows(handle.read()))
    assert json.loads(rows[0][-1])["id"] == a  # the base names its conversation
    rows[0][:-1], rows[1][:-1] = rows[1][:-1], rows[0][:-1]  # sorted without the base
    sorted_file = write_csv(tmp_path / "sorted.csv", header, rows)
    assert cli(populated, "run", str(sorted_file), "--admin", ADA) == 1
    lines = read_report(tmp_path / "sorted.results.csv")
    assert [line["status"] for line in lines] == ["invalid", "invalid", "skipped"]
    assert {line["error_message"] for line in lines[:2]} == {
        "column 'bulk_update_base': the bulk_update_base cell is another conversation's: the rows "
        "look sorted or moved without their bulk_update_base column; sort all the columns "
        "together (or undo the sort), or export again"
    }
    after = {i: json.dumps(populated.server.conversation(i), sort_keys=True) for i in (a, b)}
    assert after == before and writes(populated) == 0


FORMULAS = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "'quoted"]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_formula_looking_text_is_inert_in_the_file_and_reads_back_exactly(
    populated: Sandbox, token_env: str, tmp_path: Path, suffix: str
) -> None:
    ids = [str(215467900000 + n) for n in range(len(FORMULAS))]
    for conversation_id, text in zip(ids, FORMULAS, strict=True):
        populated.server.conversation(conversation_id)["title"] = text
    out = tmp_path / f"all{suffix}"
    assert cli(populated, "export", str(out), "--where", "state != x", "--columns", "title") == 0
    if suffix == ".csv":
        with out.open(newline="", encoding="utf-8-sig") as handle:
            titles = [row[1] for row in list(csv_rows(handle.read()))[1 : len(ids) + 1]]
        assert titles == ["'" + text for text in FORMULAS]  # no spreadsheet runs them
    else:
        sheet = openpyxl.load_workbook(out).active
        cells = [sheet.cell(row=n + 2, column=2) for n in range(len(ids))]
        assert [(cell.value, cell.data_type) for cell in cells] == [(t, "s") for t in FORMULAS]
    report = tmp_path / f"r{suffix}"
    assert cli(populated, "run", str(out), "--report", str(report)) == 0
    assert writes(populated) == 0  # read back exactly: nothing looks edited
    frame = bulk_update.run(out, token=TOKEN, base_url=populated.url, dry_run=True).outcomes
    assert list(frame["title"][: len(ids)]) == FORMULAS


def test_a_conflict_takes_the_live_value_as_its_base_and_running_the_report_again_sends_yours(
    populated: Sandbox, token_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "sheet.csv"
    a, b, c = "215467900001", "215467900002", "215467900003"
    where = f"id in {a}, {b}, {c}"
    assert cli(populated, "export", str(out), "--where", where, "--columns", "issue_type") == 0
    for conversation_id, theirs in ((a, "Billing"), (b, "Billing"), (c, "Other")):
        populated.server.conversation(conversation_id)["custom_attributes"]["issue_type"] = theirs
    with out.open(newline="", encoding="utf-8-sig") as handle:
        header, *rows = list(csv_rows(handle.read()))
    for row in rows:
        row[header.index("issue_type")] = "Other"  # edited here; C's teammate did the same
    edited = write_csv(tmp_path / "edited.csv", header, rows)
    capsys.readouterr()
    assert main(["run", str(edited), "--admin", ADA, "--base-url", populated.url]) == 1
    out_text = capsys.readouterr().out
    report = tmp_path / "edited.results.csv"
    assert "their base in " in out_text and "is now the live value you have seen" in out_text
    lines = {line["id"]: line for line in read_report(report)}
    assert [lines[i]["status"] for i in (a, b, c)] == ["conflict", "conflict", "updated"]
    assert json.loads(lines[a]["bulk_update_base"])["issue_type"] == "Billing"  # the live value
    # B's teammate changes it again; A stays as seen. The report is run again as it is.
    populated.server.conversation(b)["custom_attributes"]["issue_type"] = "Bug"
    assert cli(populated, "run", str(report), "--admin", ADA) == 1
    lines = {line["id"]: line for line in read_report(report)}
    assert (lines[a]["status"], lines[b]["status"]) == ("updated", "conflict")
    assert "issue_type: Billing → Bug → Other" in lines[b]["changes"]
    assert populated.server.conversation(a)["custom_attributes"]["issue_type"] == "Other"
    assert populated.server.conversation(b)["custom_attributes"]["issue_type"] == "Bug"
    # Seen now, and still wanted: running the report once more sends it.
    assert cli(populated, "run", str(report), "--admin", ADA) == 0
    assert populated.server.conversation(b)["custom_attributes"]["issue_type"] == "Other"


def test_a_done_row_edited_again_is_compared_with_what_was_sent_not_with_the_export(
    populated: Sandbox, token_env: str, tmp_path: Path
) -> None:
    out = tmp_path / "sheet.csv"
    a = "215467900001"
    columns = "issue_type,priority"
    assert cli(populated, "export", str(out), "--where", f"id = {a}", "--columns", columns) == 0
    with out.open(newline="", encoding="utf-8-sig") as handle:
        header, row = list(csv_rows(handle.read()))
    row[header.index("issue_type")] = "Other"
    report = tmp_path / "report.csv"
    assert cli(populated, "run", str(write_csv(out, header, [row])), "--report", str(report)) == 0
    populated.server.conversation(a)["custom_attributes"]["priority"] = "Urgent"  # a teammate's
    (line,) = read_report(report)
    line["issue_type"] = "Account"  # edited again: Other, as sent, is its base now
    write_csv(report, list(line), [list(line.values())])
    assert cli(populated, "run", str(report)) == 0
    assert read_report(report)[0]["status"] == "updated"
    assert populated.state.last_bodies[a] == {"custom_attributes": {"issue_type": "Account"}}
    assert populated.server.conversation(a)["custom_attributes"]["priority"] == "Urgent"
