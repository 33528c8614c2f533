"""The analyst's loop: run a sheet, fix the report's bad rows in place, run the report
again. Against the sandbox through the command line; every request counted."""

from __future__ import annotations

import contextlib
import csv
import hashlib
import json
import sqlite3
import tempfile
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bulk_update
from bulk_update.cli.commands import main
from bulk_update.sandbox import Sandbox
from tests.conftest import SAMPLE_DATA, TOKEN, examples, read_report, write_csv

SCHEMA = str(SAMPLE_DATA / "schema.json")


def edit(report: Path, changes: dict[int, dict[str, str]]) -> None:
    """What the analyst does in the spreadsheet: change cells of some lines, save."""
    lines = read_report(report)
    for line in lines:
        line.update(changes.get(int(line["row"]), {}))
    with report.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(lines[0]))
        writer.writeheader()
        writer.writerows(lines)


def requests_for(sandbox: Sandbox, conversation_id: str) -> int:
    return sum(1 for path in sandbox.state.paths if path == f"/conversations/{conversation_id}")


def test_fix_the_report_and_run_it_again(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet = write_csv(
        tmp_path / "sheet.csv",
        ["id", "csat_score"],
        [["11", "3"], ["12", "twelve"], ["11", "4"], ["13404", "2"], ["14", "5"]],
    )
    report = tmp_path / "results.csv"
    url = threaded_sandbox.url
    run = ["--base-url", url, "--schema", SCHEMA, "-q"]
    assert main(["run", str(sheet), "--report", str(report), "--limit", "2", *run]) == 1
    first = {int(line["row"]): line["status"] for line in read_report(report)}
    assert first == {2: "updated", 3: "invalid", 4: "invalid", 5: "failed", 6: "not_attempted"}
    assert threaded_sandbox.state.put_counts == {"11": 1}

    # Fix the invalid rows in the report itself, and run the report.
    edit(report, {3: {"csat_score": "12"}, 4: {"id": "15"}})
    assert main(["run", str(report), *run]) == 1  # 13404 still does not exist
    # One PUT per fixed row, plus the rows not done yet; nothing for the row already done.
    assert threaded_sandbox.state.put_counts == {"11": 1, "12": 1, "15": 1, "14": 1}
    assert requests_for(threaded_sandbox, "13404") == 2
    lines = read_report(report)
    assert [(line["row"], line["id"], line["status"]) for line in lines] == [
        ("2", "11", "updated"),
        ("3", "12", "updated"),
        ("4", "15", "updated"),
        ("5", "13404", "failed"),
        ("6", "14", "updated"),
    ]
    assert lines[1]["csat_score"] == "12"
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith("journal")) == [
        "results.csv",
        "sheet.csv",
    ]  # one report, rewritten in place: no side files to stitch together

    # Run it once more, unchanged: only the failed row is tried again.
    assert main(["run", str(report), *run]) == 1
    assert threaded_sandbox.state.put_counts == {"11": 1, "12": 1, "15": 1, "14": 1}
    assert requests_for(threaded_sandbox, "13404") == 3

    # An updated row edited in the report is sent again, as it is now.
    edit(report, {2: {"csat_score": "1"}})
    main(["run", str(report), *run])
    assert threaded_sandbox.state.put_counts["11"] == 2
    assert threaded_sandbox.state.last_bodies["11"] == {"custom_attributes": {"csat_score": 1}}
    capsys.readouterr()


def test_a_report_without_its_journal_keeps_its_done_rows_and_says_so(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet = write_csv(tmp_path / "sheet.csv", ["id", "title"], [["21", "a"], ["22", "b"]])
    report = tmp_path / "results.csv"
    run = ["--base-url", threaded_sandbox.url, "--schema", SCHEMA, "-q"]
    assert main(["run", str(sheet), "--report", str(report), "--limit", "1", *run]) == 1
    Path(f"{report}.journal").unlink()
    edit(report, {2: {"title": "edited"}})
    capsys.readouterr()
    assert main(["run", str(report), *run]) == 0
    assert threaded_sandbox.state.put_counts == {"21": 1, "22": 1}
    assert "kept as they are" in capsys.readouterr().out
    assert [line["status"] for line in read_report(report)] == ["updated", "updated"]


def test_resume_force_after_an_edit_never_keeps_an_outcome_of_the_old_content(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path
) -> None:
    rows = [["31", "a"], ["31", "b"], ["33", "c"]]
    sheet = write_csv(tmp_path / "sheet.csv", ["id", "title"], rows)
    run = ["--base-url", threaded_sandbox.url, "--schema", SCHEMA, "-q"]
    assert main(["run", str(sheet), *run]) == 1
    assert read_report(tmp_path / "sheet.results.csv")[1]["error_message"].endswith(
        "duplicate of row 2"
    )
    write_csv(sheet, ["id", "title"], [["31", "a"], ["32", "b"], ["33", "c"]])
    assert main(["run", str(sheet), *run, "--resume", "--force"]) == 0
    lines = read_report(tmp_path / "sheet.results.csv")
    assert [line["status"] for line in lines] == ["updated"] * 3
    assert threaded_sandbox.state.put_counts == {"31": 1, "32": 1, "33": 1}


def test_a_dataframe_of_outcomes_run_again_keeps_duplicates_of_done_rows_invalid() -> None:
    import pandas as pd

    import bulk_update

    sheet = pd.DataFrame({"id": ["41", "42", "41"], "title": ["a", "b", "c"]})
    first = bulk_update.run(sheet, sandbox=True)
    assert first.outcomes["status"].tolist() == ["updated", "updated", "invalid"]
    again = bulk_update.run(first.outcomes, sandbox=True)
    assert again.outcomes["status"].tolist() == ["updated", "updated", "invalid"]
    assert again.outcomes["error_message"].tolist()[2] == "column 'id': duplicate of row 2"
    assert again.summary.requests == 0


@st.composite
def sheets_and_edits(draw: st.DrawFn) -> tuple[list[list[str]], list[dict[int, str]]]:
    """A sheet (id, csat_score) with good, bad and missing-conversation rows, then rounds of
    edits to the report's csat_score cells (row index → new value)."""
    score = st.sampled_from(["1", "2", "3", "bad"])
    count = draw(st.integers(2, 6))
    rows = [
        [str(8000 + n) + ("404" if draw(st.booleans()) and n % 3 == 0 else ""), draw(score)]
        for n in range(count)
    ]
    edits = draw(
        st.lists(st.dictionaries(st.integers(0, count - 1), score, max_size=3), max_size=3)
    )
    return rows, edits


@settings(
    max_examples=examples(25),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=sheets_and_edits())
def test_each_rerun_sends_exactly_the_rows_not_done_or_edited(
    threaded_sandbox: Sandbox, case: tuple[list[list[str]], list[dict[int, str]]]
) -> None:
    rows, rounds = case
    with tempfile.TemporaryDirectory() as folder:
        sheet = write_csv(Path(folder) / "sheet.csv", ["id", "csat_score"], rows)
        report = Path(folder) / "results.csv"
        options = {"token": TOKEN, "base_url": threaded_sandbox.url, "schema_path": SCHEMA}
        # Each row's cell and status as the last run left them (a model of the rule).
        last: dict[str, tuple[str, str]] = {}
        source: Path = sheet
        for changes in [{}, *rounds]:
            if changes:
                edit(report, {n + 2: {"csat_score": value} for n, value in changes.items()})
                for n, value in changes.items():
                    rows[n][1] = value
            expected = {
                cid
                for cid, value in rows
                if value != "bad" and (last.get(cid, ("", "")) != (value, "updated"))
            }
            before = len(threaded_sandbox.state.paths)
            bulk_update.run(source, report_path=report, **options)  # type: ignore[arg-type]
            sent = {
                path.rsplit("/", 1)[1]
                for path in threaded_sandbox.state.paths[before:]
                if path.startswith("/conversations/")
            }
            assert sent == expected
            statuses = [line["status"] for line in read_report(report)]
            assert statuses == [
                "invalid" if value == "bad" else "failed" if cid.endswith("404") else "updated"
                for cid, value in rows
            ]
            last = {
                cid: (value, status) for (cid, value), status in zip(rows, statuses, strict=True)
            }
            source = report
        threaded_sandbox.state.paths.clear()


def test_a_dry_run_of_the_report_says_what_running_it_would_send_and_changes_nothing(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [[str(7001 + 2 * n), f"t{n}"] for n in range(6)]
    sheet = write_csv(tmp_path / "in.csv", ["id", "title"], rows)
    report = tmp_path / "r.csv"
    flags = ["--base-url", threaded_sandbox.url, "--schema", SCHEMA, "-q"]
    assert main(["run", str(sheet), "--report", str(report), *flags]) == 0
    edit(report, {3: {"title": "edited"}})
    journal = report.with_name("r.csv.journal").read_bytes()
    sent = threaded_sandbox.state.puts_applied
    capsys.readouterr()
    assert main(["run", str(report), "--dry-run", *flags]) == 0
    out = capsys.readouterr().out
    assert "1 would be updated" in out and "no journal" not in out
    assert report.with_name("r.csv.journal").read_bytes() == journal  # its history untouched
    assert threaded_sandbox.state.puts_applied == sent
    assert main(["run", str(report), *flags]) == 0
    assert threaded_sandbox.state.puts_applied == sent + 1  # what the dry run said


def beside(report: Path) -> dict[str, bytes]:
    """Every file in the report's folder, with its bytes."""
    return {path.name: path.read_bytes() for path in sorted(report.parent.iterdir())}


def test_a_run_refused_by_the_token_leaves_an_earlier_report_as_it_was(
    threaded_sandbox: Sandbox,
    token_env: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sheet = write_csv(tmp_path / "sheet.csv", ["id", "title"], [["41", "a"], ["42", "b"]])
    report = tmp_path / "results.csv"
    run = ["--base-url", threaded_sandbox.url, "-q"]  # the schema is read: the 401 comes first
    assert main(["run", str(sheet), "--report", str(report), *run]) == 0
    edit(report, {2: {"title": "edited"}})
    before = beside(report)
    capsys.readouterr()
    monkeypatch.setenv("INTERCOM_ACCESS_TOKEN", "wrong-token")
    assert main(["run", str(report), *run]) == 1
    error = capsys.readouterr().err
    assert "401" in error and f"Nothing was sent; {report} is left as it was" in error
    assert beside(report) == before  # the report, its edit and its history: as they were
    assert [line["status"] for line in read_report(report)] == ["updated", "updated"]
    assert threaded_sandbox.state.put_counts == {"41": 1, "42": 1}


def test_a_first_run_refused_by_the_token_reports_every_row_not_attempted(
    threaded_sandbox: Sandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("INTERCOM_ACCESS_TOKEN", "wrong-token")
    sheet = write_csv(tmp_path / "sheet.csv", ["id", "title"], [["43", "a"]])
    report = tmp_path / "results.csv"
    assert (
        main(["run", str(sheet), "--report", str(report), "--base-url", threaded_sandbox.url]) == 1
    )
    assert "every row is not_attempted in" in capsys.readouterr().err
    assert [line["status"] for line in read_report(report)] == ["not_attempted"]


def test_a_finished_sheet_run_again_says_how_to_go_on_and_leaves_nothing_beside(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet = write_csv(tmp_path / "sheet.csv", ["id", "title"], [["51", "a"], ["52", "b"]])
    report = tmp_path / "results.csv"
    command = ["run", str(sheet), "--report", str(report), "--base-url", threaded_sandbox.url]
    command += ["--schema", SCHEMA, "-q"]
    assert main(command) == 0
    before = beside(report)
    requests = len(threaded_sandbox.state.paths)
    capsys.readouterr()
    assert main(command) == 2
    error = capsys.readouterr().err
    assert f"{sheet} was run already: {report} holds the outcome of each of its rows" in error
    carry = f"--base-url {threaded_sandbox.url} --schema {SCHEMA}"
    assert f"bulk-update run {report} {carry}" in error
    assert f"bulk-update run {sheet} --report NEW.csv {carry}" in error
    assert "--resume" not in error and "changed since" not in error
    assert len(threaded_sandbox.state.paths) == requests  # not even a read
    assert beside(report) == before  # no -wal, -shm or lock left; the history untouched


def test_a_sheet_whose_run_did_not_finish_names_resume(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet = write_csv(tmp_path / "sheet.csv", ["id", "title"], [["53", "a"], ["54", "b"]])
    report = tmp_path / "results.csv"
    command = ["run", str(sheet), "--report", str(report), "--base-url", threaded_sandbox.url]
    command += ["--schema", SCHEMA, "-q"]
    assert main([*command, "--limit", "1"]) == 1  # the second row is not attempted
    capsys.readouterr()
    assert main(command) == 2
    assert "set --resume to continue that run" in capsys.readouterr().err
    assert main([*command, "--resume"]) == 0
    assert threaded_sandbox.state.put_counts == {"53": 1, "54": 1}


def test_the_original_sheet_after_report_rounds_is_no_change_but_other_bytes_are(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet = write_csv(tmp_path / "sheet.csv", ["id", "title"], [["61", "a"], ["62", "b"]])
    report = tmp_path / "results.csv"
    run = ["--base-url", threaded_sandbox.url, "--schema", SCHEMA, "-q"]
    assert main(["run", str(sheet), "--report", str(report), *run]) == 0
    for title in ("edited", "edited again"):  # two report rounds
        edit(report, {2: {"title": title}})
        assert main(["run", str(report), *run]) == 0
    capsys.readouterr()
    assert main(["run", str(sheet), "--report", str(report), *run]) == 2
    error = capsys.readouterr().err
    assert "was run already" in error and "changed since" not in error
    # Resumed (even forced), the sheet would go over the report's rounds: refused the same way.
    for resume in (["--resume"], ["--resume", "--force"]):
        assert main(["run", str(sheet), "--report", str(report), *run, *resume]) == 2
        error = capsys.readouterr().err
        assert "was run already" in error and "--resume" not in error
    write_csv(sheet, ["id", "title"], [["61", "a"], ["62", "other"]])
    assert main(["run", str(sheet), "--report", str(report), *run]) == 2
    assert f"{sheet} changed since the run that wrote {report}" in capsys.readouterr().err
    assert threaded_sandbox.state.put_counts == {"61": 3, "62": 1}


ADA, GRACE = "ada@example.com", "grace@example.com"


def writes(sandbox: Sandbox) -> Counter[str]:
    """Every write the sandbox took, by kind: the PUTs and each kind of action."""
    return Counter(sandbox.state.workspace.actions) + Counter(put=sandbox.state.puts_applied)


def test_a_done_rows_assignee_edit_sends_the_reassignment_and_nothing_else(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path
) -> None:
    header = ["id", "issue_type", "admin_assignee", "add_tags", "state", "note"]
    rows = [["3000", "Bug", ADA, "migrated", "closed", "Moved."], ["3004", "Bug", "", "", "", ""]]
    sheet = write_csv(tmp_path / "sheet.csv", header, rows)
    report = tmp_path / "results.csv"
    run = ["--base-url", threaded_sandbox.url, "--admin", ADA, "-q"]
    assert main(["run", str(sheet), "--report", str(report), *run]) == 0
    # Meanwhile a teammate changes the issue type, reopens it and takes the tag off.
    found = threaded_sandbox.server.conversation("3000")
    found["custom_attributes"]["issue_type"] = "Account"
    found.update(state="open", open=True)
    found["tags"]["tags"] = []
    # Only the assignee is edited (and the note's cell emptied, which leaves it be); the
    # reassignment fails once, and the report is run again as it is.
    edit(report, {2: {"admin_assignee": GRACE, "note": ""}})
    threaded_sandbox.config.failing_paths = ("/parts",)
    assert main(["run", str(report), *run, "--max-retries", "0"]) == 1
    assert read_report(report)[0]["status"] == "failed"
    threaded_sandbox.config.failing_paths = ()
    before = writes(threaded_sandbox)
    assert main(["run", str(report), *run]) == 0
    assert writes(threaded_sandbox) - before == Counter(assignment=1)
    after = threaded_sandbox.server.conversation("3000")
    assert after["admin_assignee_id"] == 102
    assert (after["custom_attributes"]["issue_type"], after["state"]) == ("Account", "open")
    assert after["tags"]["tags"] == []  # the teammate's changes stand
    line = read_report(report)[0]
    assert (line["status"], line["steps"]) == ("updated", f"assign admin {GRACE}: done")


def test_a_done_rows_attribute_edit_sends_a_put_of_that_attribute_alone(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path
) -> None:
    header = ["id", "issue_type", "priority", "admin_assignee"]
    sheet = write_csv(tmp_path / "sheet.csv", header, [["3004", "Bug", "High", ADA]])
    report = tmp_path / "results.csv"
    run = ["--base-url", threaded_sandbox.url, "--admin", ADA, "-q"]
    assert main(["run", str(sheet), "--report", str(report), *run]) == 0
    assert threaded_sandbox.state.last_bodies["3004"] == {
        "custom_attributes": {"issue_type": "Bug", "priority": "High"}
    }
    found = threaded_sandbox.server.conversation("3004")
    found["custom_attributes"]["priority"] = "Low"  # a teammate's, since
    found["admin_assignee_id"] = 102
    edit(report, {2: {"issue_type": "Account"}})
    before = writes(threaded_sandbox)
    assert main(["run", str(report), *run]) == 0
    assert writes(threaded_sandbox) - before == Counter(put=1)
    assert threaded_sandbox.state.last_bodies["3004"] == {
        "custom_attributes": {"issue_type": "Account"}
    }
    after = threaded_sandbox.server.conversation("3004")
    assert (after["custom_attributes"]["priority"], after["admin_assignee_id"]) == ("Low", 102)


def test_a_journal_that_knows_only_each_rows_digest_sends_an_edited_row_whole(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path
) -> None:
    """A journal of an earlier version of the tool: what of a done row was sent is not known,
    so an edited row is sent as it is now (as that version did); a row it runs unedited is
    known from then on."""
    header = ["id", "issue_type", "priority"]
    rows = [["3004", "Bug", "High"], ["3012", "Bug", "High"]]
    sheet = write_csv(tmp_path / "sheet.csv", header, rows)
    report = tmp_path / "results.csv"
    run = ["--base-url", threaded_sandbox.url, "-q"]
    assert main(["run", str(sheet), "--report", str(report), *run]) == 0
    with contextlib.closing(sqlite3.connect(f"{report}.journal")) as db:
        db.execute("ALTER TABLE contents DROP COLUMN cells")
        db.execute("ALTER TABLE contents DROP COLUMN done")
        db.execute("DELETE FROM meta WHERE key = 'content_columns'")
        for number, cells in enumerate(rows, start=2):  # that version's digest: all the cells
            digest = hashlib.blake2b("\x1f".join(cells).encode(), digest_size=8).digest()
            db.execute("UPDATE contents SET digest = ? WHERE row = ?", (digest, number))
        db.commit()
    edit(report, {2: {"issue_type": "Account"}})
    assert main(["run", str(report), *run]) == 0
    bodies = threaded_sandbox.state.last_bodies
    assert bodies["3004"] == {"custom_attributes": {"issue_type": "Account", "priority": "High"}}
    assert threaded_sandbox.state.put_counts["3012"] == 1
    edit(report, {3: {"issue_type": "Account"}})
    assert main(["run", str(report), *run]) == 0
    assert bodies["3012"] == {"custom_attributes": {"issue_type": "Account"}}


def test_a_report_with_its_columns_moved_still_sends_only_the_edited_cell(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path
) -> None:
    sheet = write_csv(
        tmp_path / "sheet.csv", ["id", "issue_type", "priority"], [["3004", "Bug", "High"]]
    )
    report = tmp_path / "results.csv"
    run = ["--base-url", threaded_sandbox.url, "-q"]
    assert main(["run", str(sheet), "--report", str(report), *run]) == 0
    threaded_sandbox.server.conversation("3004")["custom_attributes"]["issue_type"] = "Other"
    (line,) = read_report(report)
    line["priority"] = "Low"  # the one edit; the columns swapped in the same save
    header = ["id", "priority", "issue_type", *list(line)[3:]]
    write_csv(report, header, [[line[name] for name in header]])
    assert main(["run", str(report), *run]) == 0
    assert threaded_sandbox.state.last_bodies["3004"] == {"custom_attributes": {"priority": "Low"}}
    assert (
        threaded_sandbox.server.conversation("3004")["custom_attributes"]["issue_type"] == "Other"
    )


def reorder(
    report: Path, first: list[str], changes: dict[int, dict[str, str]] | None = None
) -> None:
    """The analyst drags columns about (and edits cells), saves."""
    lines = read_report(report)
    for line in lines:
        line.update((changes or {}).get(int(line["row"]), {}))
    order = first + [name for name in lines[0] if name not in first]
    with report.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.DictWriter(handle, fieldnames=order)
        writer.writeheader()
        writer.writerows(lines)


def test_columns_moved_before_a_retry_keep_every_rows_edits_and_teammates_changes(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path
) -> None:
    rows = [["11", "EU", "Bug"], ["13404", "EU", "Bug"], ["14", "EU", "Bug"], ["15", "EU", "Bug"]]
    sheet = write_csv(tmp_path / "s.csv", ["id", "region", "issue_type"], rows)
    report = tmp_path / "r.csv"
    run = ["--base-url", threaded_sandbox.url, "--schema", SCHEMA, "-q"]
    assert main(["run", str(sheet), "--report", str(report), *run]) == 1  # 13404: not found
    reorder(report, ["id", "issue_type", "region"])
    assert main(["retry", str(report), *run]) == 1
    threaded_sandbox.server.conversation("11")["custom_attributes"]["region"] = "a teammate's"
    reorder(report, ["id", "issue_type", "region"], {5: {"region": "APAC"}})
    puts = dict(threaded_sandbox.state.put_counts)
    main(["run", str(report), *run])
    sent = {i: n - puts.get(i, 0) for i, n in threaded_sandbox.state.put_counts.items()}
    assert {i: n for i, n in sent.items() if n} == {"15": 1}  # the edited row alone
    assert threaded_sandbox.server.conversation("11")["custom_attributes"]["region"] == (
        "a teammate's"
    )
    assert threaded_sandbox.state.last_bodies["15"] == {"custom_attributes": {"region": "APAC"}}


def test_a_retry_of_a_report_whose_change_columns_changed_is_refused(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [["11", "EU", "Bug"], ["13404", "EU", "Bug"]]
    sheet = write_csv(tmp_path / "s.csv", ["id", "region", "issue_type"], rows)
    report = tmp_path / "r.csv"
    run = ["--base-url", threaded_sandbox.url, "--schema", SCHEMA, "-q"]
    assert main(["run", str(sheet), "--report", str(report), *run]) == 1
    lines = read_report(report)
    for line in lines:
        del line["issue_type"]
    write_csv(report, list(lines[0]), [list(line.values()) for line in lines])
    puts = threaded_sandbox.state.puts_applied
    capsys.readouterr()
    assert main(["retry", str(report), *run]) == 2
    assert "rather than retry" in capsys.readouterr().err
    assert threaded_sandbox.state.puts_applied == puts


def test_a_cell_cleared_then_edited_is_no_conflict_and_a_damaged_base_is_no_crash(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The cells a row was last done with are its base: a cleared one (the clear marker) is
    live as no value; and a base cell mangled since is left out of the report's rebasing."""
    found = threaded_sandbox.server.conversation("11")["custom_attributes"]
    found["region"] = "EU"
    base = json.dumps({"id": "11", "region": "EU"})
    sheet = write_csv(
        tmp_path / "s.csv", ["id", "region", "bulk_update_base"], [["11", "#N/A", base]]
    )
    report = tmp_path / "r.csv"
    run = ["--base-url", threaded_sandbox.url, "--schema", SCHEMA, "-q"]
    assert main(["run", str(sheet), "--report", str(report), *run]) == 0
    assert "region" not in found
    edit(report, {2: {"region": "US"}})
    assert main(["run", str(report), *run]) == 0
    assert found["region"] == "US"
    found["region"] = "a teammate's"
    edit(report, {2: {"region": "APAC", "bulk_update_base": "oops"}})
    capsys.readouterr()
    assert main(["run", str(report), *run]) == 1
    assert "bug" not in capsys.readouterr().err
    line = read_report(report)[0]
    assert (line["status"], found["region"]) == ("conflict", "a teammate's")
    assert json.loads(line["bulk_update_base"]) == {"region": "a teammate's"}
