"""A 200 that is not the conversation asked for (another one, an HTML page, JSON cut short,
``{}``) is never planned against: it is retried as an answer that did not come, and a row
ends as stated or failed saying what was wrong, never ``updated`` on the strength of it."""

from __future__ import annotations

from pathlib import Path

from bulk_update.cli.commands import main
from bulk_update.sandbox import SandboxConfig
from tests.conftest import TOKEN, ThreadedSandbox, read_report, write_csv

ADA = "ada@example.com"
# Ids ending in 7 start closed, in 8 snoozed; the sheet changes only a title, state kept.
IDS = [str(8000 + n) for n in range(7, 200, 10)] + [str(8000 + n) for n in range(8, 200, 10)]


def test_wrong_answers_are_retried_and_never_planned_against(
    tmp_path: Path, token_env: str
) -> None:
    rows = [[i, f"t {i}", ADA] for i in IDS]
    sheet = write_csv(tmp_path / "in.csv", ["id", "title", "admin_assignee"], rows)
    config = SandboxConfig(token=TOKEN, limit=100_000, seed=2, wrong_answer_rate=0.3)
    with ThreadedSandbox(config) as sandbox:
        first = {i: sandbox.server.conversation(i)["state"] for i in IDS}
        flags = ["--admin", ADA, "--max-retries", "12", "-q"]
        code = main(["run", str(sheet), "--base-url", sandbox.url, *flags])
        states = {i: sandbox.server.conversation(i)["state"] for i in IDS}
        titles = {i: sandbox.server.conversation(i)["title"] for i in IDS}
    assert code == 0
    assert states == first  # closed stays closed, snoozed stays snoozed
    assert titles == {i: f"t {i}" for i in IDS}


def test_a_row_whose_every_answer_is_wrong_fails_saying_so(tmp_path: Path, token_env: str) -> None:
    sheet = write_csv(tmp_path / "in.csv", ["id", "title"], [["8001", "a"], ["8002", "b"]])
    config = SandboxConfig(
        token=TOKEN, limit=100_000, seed=2, wrong_answer_rate=1.0, wrong_answers=("other",)
    )
    with ThreadedSandbox(config) as sandbox:
        schema = tmp_path / "schema.json"
        assert main(["schema", "--out", str(schema), "--base-url", sandbox.url, "-q"]) == 0
        flags = ["--schema", str(schema), "--max-retries", "1", "-q"]
        code = main(["run", str(sheet), "--base-url", sandbox.url, *flags])
    lines = read_report(tmp_path / "in.results.csv")
    assert code == 1
    assert {line["status"] for line in lines} == {"failed"}
    assert all("not conversation" in line["error_message"] for line in lines)
