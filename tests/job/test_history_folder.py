"""A scheduler's task (the Airflow recipe's callable, a Dagster partition) keeps its sheet's
report and history in a folder: run again after it was stopped, it resumes that history
exactly; given a changed sheet, it starts a new one and keeps the earlier. Over loopback."""

from __future__ import annotations

from pathlib import Path

import bulk_update
from bulk_update.sandbox import SandboxConfig
from tests.conftest import SAMPLE_DATA, TOKEN, ThreadedSandbox, write_csv


def test_a_task_run_again_resumes_and_a_changed_sheet_starts_anew(tmp_path: Path) -> None:
    sheet = write_csv(tmp_path / "in.csv", ["id", "note"], [["7001", "a"], ["7003", "b"]])
    folder = tmp_path / "history" / "eu"
    with ThreadedSandbox(SandboxConfig(token=TOKEN)) as server:
        given = {"token": TOKEN, "base_url": server.url, "admin": "ada@example.com"}
        given["schema_path"] = SAMPLE_DATA / "schema.json"
        stop = bulk_update.Interruption()
        stop.request()  # a worker stopped before it sent anything
        first = bulk_update.run_in_folder(
            sheet, folder, hooks=bulk_update.RunHooks(interruption=stop), **given
        )
        assert first.summary.interrupted and first.report_path == folder / "results.csv"
        again = bulk_update.run_in_folder(sheet, folder, **given)  # the retry: a resume
        assert again.summary.counts == {"updated": 2}
        assert bulk_update.run_in_folder(sheet, folder, **given).summary.requests == 0
        notes = [
            len(server.state.conversations[i]["conversation_parts"]["conversation_parts"])
            for i in ("7001", "7003")
        ]
        assert notes == [1, 1]
        changed = write_csv(tmp_path / "in.csv", ["id", "note"], [["7005", "c"]])
        fresh = bulk_update.run_in_folder(changed, folder, **given)
        assert fresh.summary.counts == {"updated": 1}
    [earlier] = (folder / "earlier").iterdir()
    assert (earlier / "results.csv").exists() and (earlier / "results.csv.journal").exists()
    assert len(bulk_update.log(folder / "results.csv")) == 1  # the new history's one round


def test_a_keyed_sheet_s_task_run_again_sends_nothing_twice(tmp_path: Path) -> None:
    """A keyed sheet's history is its pairs': the task run again resumes it too."""
    sheet = write_csv(
        tmp_path / "keyed.csv",
        ["contact_external_id", "note"],
        [["ext-7001", "a"], ["ext-7003", "b"]],
    )
    with ThreadedSandbox(SandboxConfig(token=TOKEN)) as server:
        given = {"token": TOKEN, "base_url": server.url, "admin": "ada@example.com"}
        given["schema_path"] = SAMPLE_DATA / "schema.json"
        first = bulk_update.run_in_folder(sheet, tmp_path / "f", **given)
        assert first.summary.counts == {"updated": 2}
        writes = dict(server.state.workspace.actions)
        again = bulk_update.run_in_folder(sheet, tmp_path / "f", **given)
        assert dict(server.state.workspace.actions) == writes  # no note twice
        assert again.summary.counts == {"updated": 2}
    assert not (tmp_path / "f" / "earlier").exists()
