"""The report as a spreadsheet program opens it: CSV with a BOM in the input's delimiter;
XLSX with text ids, numeric outcome figures, a frozen, filterable header."""

from __future__ import annotations

from pathlib import Path

import openpyxl

import bulk_update
from tests.conftest import SAMPLE_DATA


def test_csv_report_has_a_bom_and_the_inputs_delimiter(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text("id;title\n000123;café\n7404;x\n", encoding="utf-8")
    bulk_update.run(path, sandbox=True, schema_path=SAMPLE_DATA / "schema.json")
    raw = (tmp_path / "in.results.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfid;title;row;status;http_status;")
    assert raw.count("\ufeff".encode()) == 1  # one BOM, at the start: every line is UTF-8
    assert "000123;café;2;updated;200;" in raw.decode("utf-8-sig")


def test_comma_input_gives_a_comma_report(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text("id,title\n5,a\n", encoding="utf-8")
    bulk_update.run(path, sandbox=True, schema_path=SAMPLE_DATA / "schema.json")
    assert (tmp_path / "in.results.csv").read_bytes().startswith(b"\xef\xbb\xbfid,title,row,")


def test_xlsx_report_types_and_layout(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text("id,title\n000123,3\n007404,x\n", encoding="utf-8")
    report = tmp_path / "r.xlsx"
    bulk_update.run(path, sandbox=True, schema_path=SAMPLE_DATA / "schema.json", report_path=report)
    sheet = openpyxl.load_workbook(report)["results"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:6] == ("id", "title", "row", "status", "http_status", "error_code")
    assert rows[1][:5] == ("000123", "3", 2, "updated", 200)  # input cells stay text
    assert rows[2][4] == 404 and isinstance(rows[2][7], int)  # attempts
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:L3"  # the last column names the history
    assert rows[0][-1] == "bulk_update_history"
    assert sheet.column_dimensions["G"].width >= 40  # error_message


def test_an_xlsx_report_writes_text_that_looks_like_a_formula_as_text(tmp_path: Path) -> None:
    import openpyxl

    from bulk_update.config import ReadOptions
    from bulk_update.history.report import write_report
    from bulk_update.sheet.reader import Table

    path = tmp_path / "r.xlsx"
    write_report(path, iter([["id", "title"], ["1", '=HYPERLINK("x")'], ["2", "@sum"]]))
    cells = [row[1] for row in openpyxl.load_workbook(path).active.iter_rows(min_row=2)]
    assert [(cell.value, cell.data_type) for cell in cells] == [
        ('=HYPERLINK("x")', "s"),
        ("@sum", "s"),
    ]
    table = Table(path, ReadOptions())
    assert [row.cells for row in table.rows()] == [["1", '=HYPERLINK("x")'], ["2", "@sum"]]
