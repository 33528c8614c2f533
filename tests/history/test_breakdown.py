"""Why rows were not updated, grouped: through the command line, and the grouping itself."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bulk_update.cli.commands import main
from bulk_update.history.breakdown import Tally, normalised
from bulk_update.models import RowOutcome, RowStatus
from bulk_update.sandbox import Sandbox
from tests.conftest import SAMPLE_DATA, write_csv


def test_messages_lose_what_differs_from_row_to_row() -> None:
    assert normalised("column 'csat_score': 'twelve' is not a whole number") == (
        "column 'csat_score': '…' is not a whole number"
    )
    assert normalised("column 'id': duplicate of row 17") == "column 'id': duplicate of row N"
    assert (
        normalised(
            "column 'priority': 'Hgh' is not one of the options ('Low', 'High'); "
            "did you mean 'High'?"
        )
        == "column 'priority': '…' is not one of the options ('Low', 'High')"
    )


def test_reasons_are_counted_with_three_examples_most_frequent_first() -> None:
    tally = Tally()
    for row in range(2, 8):
        tally.add(RowOutcome(row, RowStatus.FAILED, 404, "not_found", "Resource Not Found"))
    tally.add(RowOutcome(9, RowStatus.INVALID, None, "invalid", "column 'id': the id is empty"))
    tally.add(RowOutcome(10, RowStatus.UPDATED, 200))
    first, second = tally.reasons()
    assert (first.count, first.example_rows, first.http_status) == (6, (2, 3, 4), 404)
    assert "does not exist" in first.hint
    assert (second.count, second.example_rows) == (1, (9,))
    assert tally.counts == {"failed": 6, "invalid": 1, "updated": 1}


def test_the_summary_explains_and_says_the_next_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report, summary = tmp_path / "r.csv", tmp_path / "s.json"
    sample = str(SAMPLE_DATA / "conversations.csv")
    code = main(
        ["run", sample, "--sandbox", "--report", str(report), "--summary-json", str(summary)]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert "why rows were not updated:" in out
    assert (
        "2 x failed 404 not_found: Resource Not Found (rows 41, 94); the id does not exist" in out
    )
    assert f"next: fix those rows in {report}, then run: bulk-update run {report}" in out
    reasons = json.loads(summary.read_text())["failures_by_reason"]
    assert reasons[0] == {
        "status": "failed",
        "http_status": 404,
        "error_code": "not_found",
        "message": "Resource Not Found",
        "count": 2,
        "example_rows": [41, 94],
        "hint": "the id does not exist in this workspace and region: check the id and region",
        "example": "Resource Not Found",
    }
    assert sum(reason["count"] for reason in reasons) == 10  # 2 failed + 8 invalid


def test_after_a_limit_the_summary_says_how_to_do_the_rest(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv(tmp_path / "in.csv", ["id", "title"], [[str(n), "t"] for n in range(1, 6)])
    assert main(["run", str(path), "--base-url", threaded_sandbox.url, "-q", "--limit", "2"]) == 1
    report = tmp_path / "in.results.csv"
    again = f"bulk-update run {report} --base-url {threaded_sandbox.url}"
    out = capsys.readouterr().out
    assert f"next: {again} sends the 3 rows not attempted yet" in out
    assert "--resume" not in out  # the run finished: there is nothing to resume
    assert main(["run", str(report), "--base-url", threaded_sandbox.url, "-q"]) == 0
    assert threaded_sandbox.state.put_counts == {str(n): 1 for n in range(1, 6)}
