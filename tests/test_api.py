"""The library's face: bulk_update.run/undo/save_schema from a script, a notebook's running
event loop and a DataFrame, against the sandbox over loopback."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import bulk_update
from bulk_update import RowStatus
from bulk_update.errors import UsageError
from bulk_update.models import OUTCOME_COLUMNS
from bulk_update.sandbox import Sandbox
from tests.conftest import ROOT, TOKEN, read_report, write_csv


def changes() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": ["000123", "456", "7404", None, "456"],
            "csat_score": [3, 4.0, None, 2, math.nan],
            "title": ["NA", "", "x", "y", "again"],
        }
    )


def test_run_takes_a_dataframe_and_returns_outcomes_as_a_dataframe() -> None:
    result = bulk_update.run(changes(), sandbox=True, concurrency=4)
    outcomes = result.outcomes
    assert list(outcomes.columns[:3]) == ["id", "csat_score", "title"]
    assert list(outcomes.columns[3:]) == list(OUTCOME_COLUMNS)
    assert outcomes["row"].tolist() == [2, 3, 4, 5, 6]
    assert outcomes["status"].tolist() == ["updated", "updated", "failed", "invalid", "invalid"]
    # Cells as text, as from a file: ids keep their zeros, NaN/None are empty, and a float
    # column's 3 is str(3.0) (which an integer attribute accepts).
    assert outcomes["id"].tolist() == ["000123", "456", "7404", "", "456"]
    assert outcomes["csat_score"].tolist() == ["3.0", "4.0", "", "2.0", ""]
    assert outcomes["title"].tolist()[0] == "NA"
    assert outcomes.loc[2, "http_status"] == 404 and outcomes.loc[0, "attempts"] == 1
    assert "duplicate of row 3" in outcomes.loc[4, "error_message"]
    assert result.report_path is None  # a DataFrame needs no report file
    assert result.summary.count(RowStatus.UPDATED) == 2


async def test_run_works_inside_a_running_event_loop() -> None:
    # What a Jupyter cell does: call the plain function while the notebook's loop runs.
    result = bulk_update.run(changes(), sandbox=True)
    assert result.summary.count(RowStatus.UPDATED) == 2


async def test_run_async_is_the_coroutine() -> None:
    result = await bulk_update.run_async(changes(), sandbox=True, dry_run=True)
    assert result.outcomes["status"].tolist()[:2] == ["would_update", "would_update"]


def test_run_takes_a_path_and_writes_its_report(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "in.csv", ["id", "title"], [["1", "a"], ["2", "b"]])
    result = bulk_update.run(path, sandbox=True)
    assert result.report_path == tmp_path / "in.results.csv"
    assert [line["status"] for line in read_report(tmp_path / "in.results.csv")] == [
        "updated",
        "updated",
    ]
    assert result.outcomes["status"].tolist() == ["updated", "updated"]


def test_settings_errors_name_settings_not_flags(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="report_path") as refused:
        bulk_update.run(changes(), sandbox=True, report_path=tmp_path / "missing" / "r.csv")
    assert "--" not in str(refused.value)
    with pytest.raises(UsageError, match="sandbox and base_url"):
        bulk_update.run(changes(), sandbox=True, base_url="http://127.0.0.1:9")


def test_undo_puts_back_what_a_backed_up_run_changed(tmp_path: Path) -> None:
    # One sandbox for both runs: the undo must see what the first run wrote.
    from bulk_update.sandbox import Sandbox, SandboxConfig
    from tests.conftest import TOKEN, ThreadedSandbox

    path = write_csv(tmp_path / "in.csv", ["id", "title"], [["11", "new"], ["12", "new"]])
    with ThreadedSandbox(SandboxConfig(token=TOKEN)) as server:
        assert isinstance(server, Sandbox)
        server.server.conversation("11")["title"] = "old"
        report = tmp_path / "r.csv"
        bulk_update.run(
            path,
            token=TOKEN,
            base_url=server.url,
            report_path=report,
            backup_path=tmp_path / "b.csv",
        )
        assert server.state.conversations["11"]["title"] == "new"
        undone = bulk_update.undo(report, token=TOKEN, base_url=server.url)
        assert undone.summary.count(RowStatus.UPDATED) == 2
        assert server.state.conversations["11"]["title"] == "old"
        assert server.state.last_bodies["12"] == {"title": None}


def test_save_schema_writes_the_listing(tmp_path: Path) -> None:
    schema = bulk_update.save_schema(tmp_path / "schema.json", sandbox=True)
    assert "priority" in schema.attributes
    assert bulk_update.Schema.load(tmp_path / "schema.json").attributes.keys() == (
        schema.attributes.keys()
    )


def test_type_checkers_see_the_real_signatures(tmp_path: Path) -> None:
    script = tmp_path / "user.py"
    script.write_text(
        "import bulk_update\n"
        "import pandas as pd\n"
        "result = bulk_update.run(pd.DataFrame({'id': ['1']}), sandbox=True, concurrency=2)\n"
        "frame: pd.DataFrame = result.outcomes\n"
        "bulk_update.run(1, 2, 3)\n"
        "bulk_update.run('x.csv', concurency=3)\n"
    )
    checked = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent", str(script)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "MYPYPATH": str(ROOT)},
    )
    errors = [line for line in checked.stdout.splitlines() if ": error:" in line]
    assert {line.split(":")[1] for line in errors} == {"5", "6"}, checked.stdout
    assert any("Too many positional arguments" in line for line in errors)
    assert any('"concurency"' in line for line in errors)


def test_actions_from_a_notebook_need_a_teammate_and_report_each_step() -> None:
    sheet = pd.DataFrame(
        {"id": ["3000", "3007"], "state": ["closed", "closed"], "note": ["Why.", None]}
    )
    with pytest.raises(UsageError, match="made as with admin "):
        bulk_update.run(sheet, sandbox=True)
    result = bulk_update.run(sheet, sandbox=True, admin="ada@example.com")
    outcomes = result.outcomes
    assert outcomes["status"].tolist() == ["updated", "skipped"]
    assert outcomes["steps"].tolist() == ["note: done; close: done", "close: in place"]
    assert (result.summary.sent.steps_done, result.summary.sent.steps_in_place) == (2, 1)


def test_a_misspelt_setting_is_refused_before_anything_is_sent(threaded_sandbox: Sandbox) -> None:
    frame = pd.DataFrame({"id": ["1"], "title": ["x"]})
    with pytest.raises(TypeError, match="unknown setting 'dryrun'; did you mean 'dry_run'"):
        bulk_update.run(frame, token=TOKEN, base_url=threaded_sandbox.url, dryrun=True)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="'wehre'; did you mean 'where'"):
        bulk_update.export("x.csv", token=TOKEN, base_url=threaded_sandbox.url, wehre=["a = 1"])  # type: ignore[call-arg]
    assert threaded_sandbox.state.paths == []


def test_undo_names_a_misspelt_setting_before_it_looks_at_the_file(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="unknown setting 'bogus'"):
        bulk_update.undo(tmp_path / "no such file.csv", bogus=1)  # type: ignore[call-arg]


def test_undo_of_a_sheet_names_the_setting_not_a_flag(tmp_path: Path) -> None:
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("id,title\n1,a\n", encoding="utf-8")
    with pytest.raises(bulk_update.UsageError) as refused:
        bulk_update.undo(sheet, sandbox=True)
    assert "backup_path" in str(refused.value) and "--backup" not in str(refused.value)
