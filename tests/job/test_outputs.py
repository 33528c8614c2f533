"""Outputs are checked before anything is read or sent: a report, backup or summary that is a
folder or the input sheet itself stops the run with exit 2 and nothing sent; the input is never
written over (a report run again is: that is the loop); a start refused by the input leaves no
journal behind, so the same command works once the input is fixed."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from bulk_update.cli.commands import main
from bulk_update.sandbox import Sandbox
from tests.conftest import write_csv


def run(sandbox: Sandbox, *args: str) -> int:
    return main(["run", *args, "--base-url", sandbox.url, "-q"])


def test_an_output_that_is_a_folder_or_the_input_stops_before_anything_is_sent(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path
) -> None:
    sheet = write_csv(tmp_path / "in.csv", ["id", "title"], [["1", "a"]])
    workbook = tmp_path / "in.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["id", "title"])
    book.active.append(["2", "b"])
    book.save(workbook)
    before = workbook.read_bytes()
    folder = tmp_path / "a folder"
    folder.mkdir()
    assert run(threaded_sandbox, str(sheet), "--report", str(folder)) == 2
    assert run(threaded_sandbox, str(sheet), "--summary-json", str(folder)) == 2
    assert run(threaded_sandbox, str(sheet), "--backup", str(sheet)) == 2
    assert run(threaded_sandbox, str(workbook), "--report", str(workbook)) == 2
    assert workbook.read_bytes() == before
    assert threaded_sandbox.state.paths == []


def test_a_refused_start_leaves_no_journal_and_the_same_command_then_works(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path
) -> None:
    sheet = write_csv(tmp_path / "in.csv", ["id", "title"], [])
    assert run(threaded_sandbox, str(sheet)) == 2  # a header but no data rows
    assert not (tmp_path / "in.results.csv.journal").exists()
    write_csv(sheet, ["id", "title"], [["1", "a"]])
    assert run(threaded_sandbox, str(sheet)) == 0
