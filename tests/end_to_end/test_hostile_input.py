"""Hostile and broken input: a clear message naming file, row and column, never a trace;
file-level problems exit 2 before any request; row-level ones are invalid rows."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bulk_update.cli.commands import main
from bulk_update.config import JobSettings, Rate, ReadOptions, SendOptions, Token
from bulk_update.errors import InputError
from bulk_update.job import Job
from bulk_update.sandbox import Sandbox, SandboxConfig
from bulk_update.sheet.reader import Table
from bulk_update.sheet.validate import check_conversation_id
from tests.conftest import (
    HOSTILE_IDS,
    SAMPLE_DATA,
    TOKEN,
    ThreadedSandbox,
    examples,
    read_report,
    write_csv,
)

SCHEMA = str(SAMPLE_DATA / "schema.json")
SAFE_PATH = re.compile(r"/conversations/[0-9]+|/me")  # /me: which workspace, once


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"id,title\n", "header but no data rows"),
        (b"id,title,title\n1,a,b\n", "names column 'title' twice"),
        (b"id,Priorty\n1,High\n", "did you mean 'priority'"),
        (b"id, priority \n1,High\n", None),  # spaces around a name are trimmed: fine
        (b'id,title\n1,"never closed\n2,b\n', "quoted cell is never closed"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "NUL bytes"),
        (b"PK\x03\x04\x14\x00\x00\x00", "zip file"),
        (b"id,title\n1,caf\x81\n", "--encoding"),
        (b"title\nx\n", "no 'id'"),
    ],
)
def test_unusable_files_exit_2_before_any_request(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    token_env: str,
    content: bytes,
    message: str | None,
) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(content)
    with ThreadedSandbox(SandboxConfig(token=TOKEN)) as server:
        code = main(["run", str(path), "--schema", SCHEMA, "-q", "--base-url", server.url])
        requests = len(server.state.paths)
    err = capsys.readouterr().err
    if message is None:  # the control: this server is the one the run talks to
        assert code == 0 and requests == 2  # GET /me (which workspace), then the one write
        return
    assert code == 2
    assert message in err and str(path) in err and "Traceback" not in err
    assert requests == 0


def test_ragged_rows_are_invalid_and_the_rest_proceed(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path
) -> None:
    path = tmp_path / "in.csv"
    path.write_text("id,title\n1,a\n2,b,oops\n3\n4,d\n", encoding="utf-8")
    assert (
        main(["run", str(path), "--base-url", threaded_sandbox.url, "--schema", SCHEMA, "-q"]) == 1
    )
    statuses = {
        line["row"]: (line["status"], line["error_message"])
        for line in read_report(tmp_path / "in.results.csv")
    }
    assert statuses["2"][0] == "updated" and statuses["5"][0] == "updated"
    assert statuses["3"] == (
        "invalid",
        "the row has 1 more cell(s) than the header; quote cells that contain the delimiter",
    )
    assert statuses["4"] == (
        "invalid",
        "the row has no value to change (every change cell is empty)",
    )


def test_a_million_empty_trailing_rows_are_skipped(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path
) -> None:
    path = tmp_path / "in.csv"
    path.write_text("id,title\n1,a\n2,b\n" + ",\n" * 1_000_000, encoding="utf-8")
    out_json = tmp_path / "summary.json"
    assert (
        main(
            [
                "run",
                str(path),
                "--base-url",
                threaded_sandbox.url,
                "--schema",
                SCHEMA,
                "-q",
                "--summary-json",
                str(out_json),
            ]
        )
        == 0
    )
    assert len(read_report(tmp_path / "in.results.csv")) == 2
    assert '"blank_rows_skipped": 1000000' in out_json.read_text()


def _workbook_with_formulas(path: Path, cached: str | None) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["id", "csat_score", "title"])
    sheet.append(["5", "=1+2", "x"])
    sheet.append(["6", "4", "y"])
    sheet.merge_cells("C3:D3")
    book.create_sheet("notes").append(["ignored"])
    book.save(path)
    if cached is not None:  # what Excel does on save: keep the formula's value beside it
        with zipfile.ZipFile(path) as source:
            parts = {name: source.read(name) for name in source.namelist()}
        xml = parts["xl/worksheets/sheet1.xml"].decode()
        parts["xl/worksheets/sheet1.xml"] = xml.replace(
            "<f>1+2</f><v />", f"<f>1+2</f><v>{cached}</v>"
        ).encode()
        with zipfile.ZipFile(path, "w") as target:
            for name, data in parts.items():
                target.writestr(name, data)


def test_workbook_formulas_use_saved_values_and_say_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "in.xlsx"
    _workbook_with_formulas(path, cached="3")
    with caplog.at_level(logging.WARNING):
        rows = [(r.number, r.cells, r.problem) for r in Table(path, ReadOptions()).rows()]
    assert rows == [(2, ["5", "3", "x"], ""), (3, ["6", "4", "y"], "")]
    warnings = caplog.text
    assert "1 cells hold formulas" in warnings
    assert "merged cells" in warnings
    assert "first of 2" in warnings and "; sheet picks another" in warnings  # the setting


def test_a_formula_without_a_saved_value_makes_its_row_invalid(tmp_path: Path) -> None:
    path = tmp_path / "in.xlsx"
    _workbook_with_formulas(path, cached=None)
    (first, second) = list(Table(path, ReadOptions()).rows())
    assert "column 'csat_score' holds a formula (=1+2) with no saved value" in first.problem
    assert second.problem == ""


async def test_hostile_ids_never_reach_any_other_path(sandbox: Sandbox, tmp_path: Path) -> None:
    rows = [[text, "x"] for text in HOSTILE_IDS] + [["77", "fine"]]
    path = write_csv(tmp_path / "in.csv", ["id", "title"], rows)
    job_settings = JobSettings(
        path,
        tmp_path / "report.csv",
        send=SendOptions(base_url=sandbox.url, rate=Rate(100_000, 1)),
        schema_path=SAMPLE_DATA / "schema.json",
    )
    await Job(job_settings, Token(TOKEN)).run()
    assert sandbox.state.paths == ["/me", "/conversations/77"]  # which workspace, then the row
    lines = read_report(tmp_path / "report.csv")
    for line in lines[:-1]:
        assert line["status"] == "invalid", line
    excel = [line for line in lines if line["id"] in ("1.23457E+17", "123.0")]
    assert all("format the id column as Text" in line["error_message"] for line in excel)


@given(st.text(max_size=30))
def test_only_ascii_digit_ids_pass(text: str) -> None:
    try:
        accepted = check_conversation_id(text)
    except ValueError:
        return
    assert re.fullmatch(r"[0-9]{1,20}", accepted)


@settings(
    max_examples=examples(25),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    ids=st.lists(
        st.text(alphabet=st.characters(codec="utf-8"), max_size=12), min_size=1, max_size=8
    )
)
def test_generated_ids_never_produce_a_request_outside_conversations(
    tmp_path: Path, ids: list[str]
) -> None:
    async def scenario() -> list[str]:
        async with Sandbox(SandboxConfig(token=TOKEN, limit=100_000)) as server:
            folder = tmp_path / str(abs(hash(tuple(ids))))
            folder.mkdir(exist_ok=True)
            path = write_csv(folder / "in.csv", ["id", "title"], [[i, "t"] for i in ids])
            report = folder / "report.csv"
            job_settings = JobSettings(
                path,
                report,
                send=SendOptions(base_url=server.url),
                schema_path=SAMPLE_DATA / "schema.json",
            )
            # An InputError (every row blank, say) is a file-level message: nothing sent.
            with contextlib.suppress(InputError):
                await Job(job_settings, Token(TOKEN)).run()
            return server.state.paths

    for path in asyncio.run(scenario()):
        assert SAFE_PATH.fullmatch(path), path


@settings(max_examples=examples(200), deadline=None)
@given(
    content=st.one_of(
        st.binary(max_size=300),
        st.text(alphabet=st.sampled_from(list('ab1,;\t"\n\r\x00é')), max_size=300).map(str.encode),
    )
)
def test_any_file_is_read_or_refused_with_an_input_error(content: bytes) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.csv"
        path.write_bytes(content)
        try:
            table = Table(path, ReadOptions())
            for row in table.rows():
                assert row.number >= 2 and len(row.cells) == len(table.columns)
        except InputError as error:
            assert str(path) in str(error)
