"""A property over a CSV grammar: whatever quoting, delimiters, line endings, BOM and blank
lines a spreadsheet program writes, every data row reaches the report exactly once, in
order, with its cells exactly as written, and the valid rows reach the sandbox."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bulk_update
from bulk_update.sandbox import Sandbox, SandboxConfig
from bulk_update.sheet.inert import restore
from tests.conftest import SAMPLE_DATA, TOKEN, ThreadedSandbox, examples

# Everything that makes CSV hard, in any cell.
HARD = ['"', ",", ";", "\t", "\n", "\r", "\r\n", " ", "0", "#N/A", "é", "a"]
cell_text = st.lists(st.sampled_from(HARD), max_size=4).map("".join)
conversation_id = st.text(alphabet="0123456789", min_size=1, max_size=6)


@st.composite
def sheets(draw: st.DrawFn) -> tuple[str, list[str], list[list[str] | None]]:
    """(delimiter, header, records), a record of None being a blank line."""
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    notes = "notes" + draw(cell_text)  # a header cell with quotes and line breaks, left out
    header = ["id", "title", notes]
    records = draw(
        st.lists(
            st.one_of(
                st.none(),
                st.tuples(conversation_id, cell_text, cell_text).map(list),
            ),
            min_size=1,
            max_size=12,
        )
    )
    return delimiter, header, records


def encoded(
    delimiter: str, header: list[str], records: list[list[str] | None], ending: str, bom: bool
) -> bytes:
    """As a spreadsheet program writes it: a cell holding any line break is quoted, whatever
    ends the records (the csv module would quote only the characters of its terminator)."""

    def line(cells: list[str]) -> str:
        buffer = io.StringIO(newline="")
        csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerow(cells)
        return buffer.getvalue().removesuffix("\r\n") + ending

    text = line(header) + "".join(ending if r is None else line(r) for r in records)
    return (("\ufeff" if bom else "") + text).encode()


@pytest.fixture(scope="module")
def server() -> Iterator[Sandbox]:
    with ThreadedSandbox(SandboxConfig(token=TOKEN, limit=1_000_000)) as running:
        yield running


@settings(
    max_examples=examples(60),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    sheet=sheets(),
    ending=st.sampled_from(["\n", "\r\n", "\r"]),
    bom=st.booleans(),
    sniff=st.booleans(),
)
def test_every_row_once_in_order_as_written_and_the_valid_ones_sent(
    server: Sandbox,
    sheet: tuple[str, list[str], list[list[str] | None]],
    ending: str,
    bom: bool,
    sniff: bool,
) -> None:
    delimiter, header, records = sheet
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "in.csv"
        path.write_bytes(encoded(delimiter, header, records, ending, bom))
        report = Path(folder) / "report.csv"
        try:
            bulk_update.run(
                path,
                token=TOKEN,
                base_url=server.url,
                report_path=report,
                schema_path=SAMPLE_DATA / "schema.json",
                delimiter=None if sniff else delimiter,
                ignore_columns=[header[2].strip()],
            )
        except bulk_update.InputError as error:
            # Only a sheet whose every row is blank (header and blank lines) may be refused.
            assert all(not any(r) for r in records if r is not None), error
            return
        with report.open(newline="", encoding="utf-8-sig") as handle:
            # The input's delimiter, kept; its cells marked inert, as this tool reads them.
            lines = [
                [restore(cell) for cell in line] for line in csv.reader(handle, delimiter=delimiter)
            ]

    assert lines[0][:3] == [name.strip() for name in header]
    # Spreadsheet row numbers: the header is row 1, a blank line is a row of its own.
    expected = [(number, r) for number, r in enumerate(records, start=2) if r is not None]
    assert [(int(line[3]), line[:3]) for line in lines[1:]] == expected
    for line in lines[1:]:
        cells, status = line[:3], line[4]
        if status == "updated":
            title = None if cells[1] == "#N/A" else cells[1]
            assert server.state.last_bodies[cells[0]] == {"title": title}
        else:
            assert status == "invalid" or cells[0].endswith("404"), line
