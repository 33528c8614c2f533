"""Action columns end to end, over loopback against the sandbox: a mixed sheet ends in exactly
the stated states, nothing already in place is sent, invalid names never reach the API,
lost answers do not double a note, and backup → undo puts state, assignees and tags back.

The sandbox's conversations start in varied situations (see ``sandbox/actions.py``): ids
ending in 7 closed, in 8 snoozed; ids ≡ 1 (mod 4) assigned to Ada (101) and Support (201);
ids ≡ 2 (mod 6) tagged ``legacy``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bulk_update.cli.commands import main
from bulk_update.sandbox import Sandbox
from bulk_update.sheet.notes import read_as_text
from tests.conftest import read_report, write_csv

ADA, GRACE = "ada@example.com", "grace@example.com"
LATER = "2031-01-01T09:00:00Z"
LATER_SECONDS = 1925024400
HEADER = ["id", "state", "snoozed_until", "admin_assignee", "team_assignee", "add_tags", "note"]


def run(sandbox: Sandbox, *args: str) -> int:
    return main(["run", *args, "--base-url", sandbox.url, "-q"])


def conversation(sandbox: Sandbox, conversation_id: str) -> dict[str, Any]:
    return sandbox.server.conversation(conversation_id)


def tag_names(sandbox: Sandbox, conversation_id: str) -> list[str]:
    return sorted(t["name"] for t in conversation(sandbox, conversation_id)["tags"]["tags"])


def notes(sandbox: Sandbox, conversation_id: str) -> list[str]:
    parts = conversation(sandbox, conversation_id)["conversation_parts"]["conversation_parts"]
    return [read_as_text(part["body"]) for part in parts if part["part_type"] == "note"]


def situation(sandbox: Sandbox, conversation_id: str) -> tuple[Any, ...]:
    """What undo puts back: state, snooze, both assignees and the tags."""
    found = conversation(sandbox, conversation_id)
    keys = ("state", "snoozed_until", "admin_assignee_id", "team_assignee_id")
    return (*(found[key] for key in keys), tag_names(sandbox, conversation_id))


def touched(sandbox: Sandbox) -> set[str]:
    """Conversation ids that any request named (the schema read, 2.16's
    ``/conversations/attributes``, names none)."""
    return {
        path.split("/")[2]
        for path in sandbox.state.paths
        if path.count("/") >= 2 and not path.startswith("/conversations/attributes")
    }


MIXED = [
    # id, state, snoozed_until, admin, team, add_tags, note
    ["3000", "closed", "", ADA, "", "migrated", "Moved from the old helpdesk."],
    ["3007", "Closed", "", "", "", "", ""],  # already closed: nothing to send
    ["3001", "", "", ADA, "Support", "", ""],  # already assigned to both: nothing
    ["3002", "", "", "", "", "Legacy", ""],  # already tagged (any case): nothing
    ["3017", "", "", GRACE, "", "", ""],  # closed: assigning reopens, so it is closed again
    ["3008", "open", "", "", "", "", ""],  # snoozed → open
    ["3004", "", LATER, "", "", "", ""],  # a time alone means snooze
    ["3005", "", "", "", "unassigned", "", ""],  # team 201 → nobody
    ["3009", "", "", "nobody@example.com", "", "", ""],  # invalid: no such teammate
    ["3011", "", "", "", "", "migratd", ""],  # invalid: no such tag
    ["3013", "closd", "", "", "", "", ""],  # invalid: no such state
]


def test_a_mixed_sheet_ends_as_stated_and_sends_nothing_already_in_place(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "actions.csv", HEADER, MIXED)
    report = tmp_path / "report.csv"
    assert run(threaded_sandbox, str(path), "--admin", ADA, "--report", str(report)) == 1

    def state(conversation_id: str) -> tuple[Any, ...]:
        found = conversation(threaded_sandbox, conversation_id)
        return (found["state"], found["admin_assignee_id"], found["team_assignee_id"])

    assert state("3000") == ("closed", 101, None)
    assert tag_names(threaded_sandbox, "3000") == ["migrated"]
    assert notes(threaded_sandbox, "3000") == ["Moved from the old helpdesk."]
    assert state("3007")[0] == "closed"
    assert state("3001") == ("open", 101, "201")
    assert state("3017") == ("closed", 102, "201")  # ends closed *and* assigned
    assert state("3008")[0] == "open"
    found = conversation(threaded_sandbox, "3004")
    assert (found["state"], found["snoozed_until"]) == ("snoozed", LATER_SECONDS)
    assert state("3005")[2] is None
    # Exactly the requests needed: nothing for what was in place, nothing for invalid rows.
    assert dict(threaded_sandbox.state.workspace.actions) == {
        "tag": 1,
        "note": 1,
        "assignment": 3,  # 3000's and 3017's teammate, 3005's team
        "close": 2,  # 3000, and 3017 again after its assignment reopened it
        "open": 1,
        "snoozed": 1,
    }
    assert touched(threaded_sandbox).isdisjoint({"3009", "3011", "3013"})

    lines = {line["id"]: line for line in read_report(report)}
    assert [lines[i]["status"] for i in ("3007", "3001", "3002")] == ["skipped"] * 3
    assert lines["3001"]["steps"] == (
        f"assign admin {ADA}: in place; assign team Support: in place"
    )
    assert lines["3017"]["steps"] == f"assign admin {GRACE}: done; close: done"
    assert lines["3000"]["steps"] == (
        f"tag +migrated: done; note: done; assign admin {ADA}: done; close: done"
    )
    assert "did you mean 'ada@example.com'?" in lines["3009"]["error_message"]
    assert "did you mean 'migrated'?" in lines["3011"]["error_message"]
    assert lines["3013"]["status"] == "invalid"


def test_the_summary_counts_steps_done_and_already_in_place(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv(tmp_path / "actions.csv", HEADER, MIXED[:4])
    assert main(["run", str(path), "--admin", ADA, "--base-url", threaded_sandbox.url]) == 0
    out = capsys.readouterr().out
    # 3000: 4 done; 3007: close in place; 3001: two assignments; 3002: the tag.
    assert "actions: 4 done, 4 already in place" in out
    assert "customers see a bulk close" in out


def test_tags_sets_the_exact_tags_in_any_case(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "tags.csv",
        ["id", "tags"],
        [["3002", "migrated; vip"], ["3008", '["VIP"]'], ["3014", "#N/A"]],
    )
    assert run(threaded_sandbox, str(path), "--admin", "101") == 0
    assert tag_names(threaded_sandbox, "3002") == ["VIP", "migrated"]  # legacy removed
    assert tag_names(threaded_sandbox, "3008") == ["VIP"]
    assert tag_names(threaded_sandbox, "3014") == []  # 3014 ≡ 2 (mod 6): was legacy
    # 3008 ≡ 2 (mod 6) carried legacy too.
    assert threaded_sandbox.state.workspace.actions == {"tag": 3, "untag": 3}


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ((), "--admin"),
        (("--admin", "adda@example.com"), "did you mean 'ada@example.com'?"),
    ],
)
def test_actions_without_a_known_teammate_to_act_as_exit_2_before_any_change(
    threaded_sandbox: Sandbox,
    token_env: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: tuple[str, ...],
    says: str,
) -> None:
    path = write_csv(tmp_path / "actions.csv", HEADER, MIXED[:2])
    assert run(threaded_sandbox, str(path), *args) == 2
    assert says in capsys.readouterr().err
    assert not touched(threaded_sandbox)  # only lookups, if anything
    assert not threaded_sandbox.state.workspace.actions


def test_tags_with_add_tags_is_refused_before_anything_is_sent(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv(tmp_path / "both.csv", ["id", "tags", "add_tags"], [["3000", "a", "b"]])
    assert run(threaded_sandbox, str(path), "--admin", ADA) == 2
    assert "'tags'" in capsys.readouterr().err
    assert not touched(threaded_sandbox)


def test_whole_file_validation_of_action_cells(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path
) -> None:
    rows = [
        ["3000", "snoozed", "", "", "", "", ""],  # snoozed needs a time
        ["3001", "", "2020-01-01", "", "", "", ""],  # in the past
        ["3002", "closed", LATER, "", "", "", ""],  # a time goes with snoozed only
        ["3003", "", "", "", "", "", "   "],  # a note of spaces
    ]
    path = write_csv(tmp_path / "bad.csv", HEADER, rows)
    report = tmp_path / "report.csv"
    assert run(threaded_sandbox, str(path), "--admin", ADA, "--report", str(report)) == 1
    messages = [line["error_message"] for line in read_report(report)]
    assert "needs a time in 'snoozed_until'" in messages[0]
    assert "is in the past" in messages[1]
    assert "goes with the state snoozed" in messages[2]
    assert "only spaces" in messages[3]
    assert not touched(threaded_sandbox)


def test_create_tags_creates_what_is_missing_and_a_dry_run_only_says_so(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv(tmp_path / "new.csv", ["id", "add_tags"], [["3000", "Q4 cleanup"]])
    assert run(threaded_sandbox, str(path), "--admin", ADA, "--dry-run", "--create-tags") == 0
    assert "would create the tags: Q4 cleanup" in capsys.readouterr().out
    assert [t["name"] for t in threaded_sandbox.state.workspace.tags][-1] == "VIP"
    without = str(tmp_path / "without.csv")
    assert run(threaded_sandbox, str(path), "--admin", ADA, "--report", without) == 1  # invalid
    assert run(threaded_sandbox, str(path), "--admin", ADA, "--create-tags") == 0
    assert "created the tags: Q4 cleanup" in capsys.readouterr().out
    assert tag_names(threaded_sandbox, "3000") == ["Q4 cleanup"]


def test_a_live_dry_run_reads_and_says_what_would_change(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv(
        tmp_path / "live.csv",
        ["id", "state", "add_tags", "remove_tags", "note"],
        [["3002", "closed", "migrated", "legacy", "Done."], ["3007", "closed", "", "", ""]],
    )
    report = tmp_path / "live.dry-run.csv"
    assert run(threaded_sandbox, str(path), "--admin", ADA, "--dry-run", "--live") == 0
    lines = read_report(report)
    assert lines[0]["changes"] == (
        "state: open → closed; tags: +migrated \u2212legacy; note: will be added"
    )
    assert lines[0]["status"] == "would_update"
    assert (lines[1]["status"], lines[1]["changes"]) == ("skipped", "unchanged")
    assert "customers see a bulk close" in capsys.readouterr().out
    assert not threaded_sandbox.state.workspace.actions
    # Reads only: lookups and an exact read of each conversation, no action path.
    paths = threaded_sandbox.state.paths
    conversations = [
        p
        for p in paths
        if p.startswith("/conversations") and not p.startswith("/conversations/attributes")
    ]
    assert sorted(conversations) == ["/conversations/3002", "/conversations/3007"]


def test_lost_answers_never_double_a_note_or_an_action(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path
) -> None:
    ids = [str(4000 + n) for n in range(60)]
    rows = [[i, "closed", "", GRACE, "", "migrated", f"note for {i}"] for i in ids]
    path = write_csv(tmp_path / "notes.csv", HEADER, rows)
    threaded_sandbox.config.lost_answer_rate = 0.3  # carried out, but never answered
    assert run(threaded_sandbox, str(path), "--admin", ADA, "--max-retries", "12") == 0
    for conversation_id in ids:
        assert notes(threaded_sandbox, conversation_id) == [f"note for {conversation_id}"]
        found = conversation(threaded_sandbox, conversation_id)
        assert (found["state"], found["admin_assignee_id"]) == ("closed", 102)
    actions = threaded_sandbox.state.workspace.actions
    # Once each: an unanswered one was looked for before it was sent again.
    assert actions["note"] == actions["assignment"] == actions["close"] == len(ids)
    assert threaded_sandbox.state.status_counts[200] < len(threaded_sandbox.state.paths)


def test_backup_then_undo_restores_state_assignees_and_tags(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = [str(5000 + n) for n in range(24)]  # every starting situation, several times
    before = {i: situation(threaded_sandbox, i) for i in ids}
    rows = [[i, "closed", "", GRACE, "Billing", "migrated", ""] for i in ids]
    path = write_csv(tmp_path / "change.csv", HEADER, rows)
    backup = tmp_path / "before.csv"
    assert run(threaded_sandbox, str(path), "--admin", ADA, "--backup", str(backup)) == 0
    undo = f"bulk-update undo {backup} --base-url {threaded_sandbox.url} --admin {ADA}"
    assert f"(undo with: {undo})" in capsys.readouterr().out
    assert all(conversation(threaded_sandbox, i)["state"] == "closed" for i in ids)
    code = main(
        ["undo", str(backup), "--yes", "--admin", ADA, "--base-url", threaded_sandbox.url, "-q"]
    )
    assert code == 0
    assert {i: situation(threaded_sandbox, i) for i in ids} == before
    assert "notes cannot be taken back" in capsys.readouterr().out


def test_company_id_is_a_field_of_the_put_body_and_the_marker_removes_it(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path
) -> None:
    rows = [["3000", "c-1"], ["3001", "#N/A"]]
    path = write_csv(tmp_path / "company.csv", ["id", "company_id"], rows)
    assert run(threaded_sandbox, str(path)) == 0
    bodies = threaded_sandbox.state.last_bodies
    assert bodies == {"3000": {"company_id": "c-1"}, "3001": {"company_id": None}}


def test_a_failed_note_leaves_the_tag_done_and_a_retry_does_only_the_rest(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "note.csv",
        ["id", "state", "add_tags", "note"],
        [["3000", "closed", "migrated", "Why."]],
    )
    report = tmp_path / "report.csv"
    config = threaded_sandbox.config

    def fail_from_now_on(kind: str) -> None:
        if kind == "tag":  # answered as usual; every request after it gets a 5xx
            config.error_rate = 1.0

    threaded_sandbox.state.workspace.on_action = fail_from_now_on
    args = ["--admin", ADA, "--max-retries", "0", "--report", str(report)]
    assert run(threaded_sandbox, str(path), *args) == 1
    (line,) = read_report(report)
    assert line["status"] == "failed" and line["error_message"].startswith("note: ")
    assert line["steps"] == "tag +migrated: done; note: failed; close: not done"
    threaded_sandbox.state.workspace.on_action = None
    config.error_rate = 0.0
    again = tmp_path / "again.csv"
    assert (
        main(
            [
                "retry",
                str(report),
                "--admin",
                ADA,
                "--report",
                str(again),
                "--base-url",
                threaded_sandbox.url,
                "-q",
            ]
        )
        == 0
    )
    (line,) = read_report(again)
    assert line["steps"] == "tag +migrated: in place; note: done; close: done"
    assert threaded_sandbox.state.workspace.actions == {"tag": 1, "note": 1, "close": 1}
    assert notes(threaded_sandbox, "3000") == ["Why."]


def test_the_sample_sheet_of_actions_runs_as_its_readme_says(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.conftest import SAMPLE_DATA

    report = tmp_path / "actions.results.csv"
    args = ["run", str(SAMPLE_DATA / "actions.csv"), "--sandbox", "--admin", ADA]
    assert main([*args, "--report", str(report), "-q"]) == 1
    statuses = [line["status"] for line in read_report(report)]
    assert statuses.count("updated") == 7 and statuses.count("skipped") == 2
    assert statuses.count("invalid") == 4


def test_no_notify_sends_notes_quietly_from_2_15_and_stops_before_sending_on_2_14(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [["5100", "", "", "", "", "", "Checked quietly."]]
    path = write_csv(tmp_path / "quiet.csv", HEADER, rows)
    quiet = ["--admin", ADA, "--no-notify"]
    assert run(threaded_sandbox, str(path), *quiet, "--api-version", "2.14") == 2
    assert "2.15" in capsys.readouterr().err
    assert threaded_sandbox.state.paths == []  # nothing sent, not even a lookup
    assert run(threaded_sandbox, str(path), *quiet, "--api-version", "2.15") == 0
    assert "nobody was notified" in capsys.readouterr().out
    assert notes(threaded_sandbox, "5100") == ["Checked quietly."]
    assert threaded_sandbox.state.workspace.actions["notifications skipped"] == 1


@pytest.mark.parametrize("version", ["2.14", "2.16"])
def test_unassigned_is_read_described_backed_up_and_undone_in_every_version(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path, version: str
) -> None:
    """Nobody is null before 2.16 and 0 from it: either is unassigned on every path."""
    rows = [
        ["6000", "", "", ADA, "", "", ""],  # nobody → Ada
        ["6001", "", "", "unassigned", "unassigned", "", ""],  # Ada and Support → nobody
        ["6004", "", "", "unassigned", "", "", ""],  # nobody already: nothing to send
    ]
    path = write_csv(tmp_path / "assign.csv", HEADER, rows)
    before = {row[0]: situation(threaded_sandbox, row[0]) for row in rows}
    at = ["--admin", ADA, "--api-version", version]
    assert run(threaded_sandbox, str(path), *at, "--dry-run", "--live") == 0
    planned = read_report(tmp_path / "assign.dry-run.csv")
    assert [(line["status"], line["changes"]) for line in planned] == [
        ("would_update", f"admin_assignee: unassigned → {ADA}"),
        (
            "would_update",
            f"admin_assignee: {ADA} → unassigned; team_assignee: Support → unassigned",
        ),
        ("skipped", "unchanged"),
    ]
    backup = tmp_path / "before.csv"
    assert run(threaded_sandbox, str(path), *at, "--backup", str(backup)) == 0
    kept = {line["id"]: line for line in read_report(backup) if line["state"]}
    assert (kept["6000"]["admin_assignee"], kept["6000"]["team_assignee"]) == ("unassigned",) * 2
    assert (kept["6001"]["admin_assignee"], kept["6001"]["team_assignee"]) == ("101", "201")
    assert "6004" not in kept
    assert situation(threaded_sandbox, "6001")[2:4] == (None, None)
    assert main(["undo", str(backup), "--yes", *at, "--base-url", threaded_sandbox.url, "-q"]) == 0
    # Undo unassigned 6000 again (assignee_id "0": the sandbox takes no other id for nobody).
    assert {i: situation(threaded_sandbox, i) for i in before} == before
    assert threaded_sandbox.state.workspace.actions["assignment"] == 3 + 3
