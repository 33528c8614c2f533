"""Every action of the table, end to end on Preview (the version that writes them all): its
example cells are read, planned, told in a dry run, sent to the sandbox (which simulates
them), backed up, exported and undone. An action added to the table is covered here by its
entry alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bulk_update.cli.commands import main
from bulk_update.sandbox import Sandbox
from bulk_update.sheet.action_table import ACTIONS
from bulk_update.sheet.action_types import Action
from bulk_update.sheet.conversations import working_copy
from tests.conftest import read_report, write_csv

ADA = "ada@example.com"


def at(sandbox: Sandbox, *, acting: bool = True) -> list[str]:
    """Where and how: the sandbox, in Preview, as Ada (export acts as nobody)."""
    return ["--base-url", sandbox.url, "--api-version", "Preview", "-q"] + (
        ["--admin", ADA] if acting else []
    )


def kept(action: Action, conversation: dict[str, Any]) -> dict[str, Any]:
    """The action's part of the conversation, as Preview answers with it."""
    return action.live(working_copy(conversation))


@pytest.mark.parametrize("action", ACTIONS, ids=lambda action: action.name)
def test_every_action_is_read_planned_told_sent_backed_up_exported_and_undone(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path, action: Action
) -> None:
    conversation_id = "7000"  # open, nobody assigned, no tags, no priority
    header = ["id", *action.example]
    path = write_csv(tmp_path / "sheet.csv", header, [[conversation_id, *action.example.values()]])
    answered = threaded_sandbox.server.conversation
    before = kept(action, {**answered(conversation_id), "priority": "none"})

    assert main(["run", str(path), "--dry-run", "--live", *at(threaded_sandbox)]) == 0
    told = read_report(tmp_path / "sheet.dry-run.csv")[0]
    assert told["status"] == "would_update" and told["changes"] not in ("", "unchanged")

    backup = tmp_path / "backup.csv"
    assert main(["run", str(path), "--backup", str(backup), *at(threaded_sandbox)]) == 0
    done = read_report(tmp_path / "sheet.results.csv")[0]
    assert (done["status"], done["changes"]) == ("updated", told["changes"].replace("will be ", ""))
    assert threaded_sandbox.state.workspace.actions or threaded_sandbox.state.puts_applied

    if action.kept:
        after = kept(action, answered(conversation_id))
        assert after != before
        exported = tmp_path / "export.csv"
        columns = ",".join(action.kept)
        export = ["export", str(exported), "--where", f"id = {conversation_id}"]
        assert main([*export, "--columns", columns, *at(threaded_sandbox, acting=False)]) == 0
        row = read_report(exported)[0]
        assert any(row[column] for column in action.kept)
        undo = ["undo", str(backup), "--yes", *at(threaded_sandbox)]
        assert main(undo) == 0
        assert kept(action, answered(conversation_id)) == before
