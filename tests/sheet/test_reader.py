import logging
from pathlib import Path

import openpyxl
import pytest

from bulk_update.config import ReadOptions
from bulk_update.errors import InputError
from bulk_update.sheet.reader import SNIFF_BYTES, Table
from tests.conftest import SAMPLE_DATA


def rows(path: Path, **options: object) -> list[tuple[int, list[str]]]:
    table = Table(path, ReadOptions(**options))  # type: ignore[arg-type]
    return [(row.number, row.cells) for row in table.rows()]


def test_cells_arrive_exactly_as_written(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text('id,a,b\n000123,NA,3\n5,null,1.50\n6," x ",\n', encoding="utf-8")
    assert rows(path) == [
        (2, ["000123", "NA", "3"]),
        (3, ["5", "null", "1.50"]),
        (4, ["6", " x ", ""]),
    ]


def test_row_numbers_follow_the_spreadsheet_and_blank_rows_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text('id,a\n1,"two\nlines"\n\n3,x\n,\n,\n', encoding="utf-8")
    table = Table(path, ReadOptions())
    assert [(r.number, r.cells) for r in table.rows()] == [
        (2, ["1", "two\nlines"]),
        (4, ["3", "x"]),
    ]
    assert table.blank_rows == 3


@pytest.mark.parametrize(
    ("delimiter", "suffix"), [(";", ".csv"), ("\t", ".tsv"), ("|", ".csv"), ("\t", ".csv")]
)
def test_delimiter_is_sniffed(tmp_path: Path, delimiter: str, suffix: str) -> None:
    path = tmp_path / f"in{suffix}"
    path.write_text(f"id{delimiter}title\n1{delimiter}a,b\n2{delimiter}c\n", encoding="utf-8")
    assert rows(path) == [(2, ["1", "a,b"]), (3, ["2", "c"])]


def test_bom_is_dropped_from_the_header(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes("\ufeffid,title\n1,é\n".encode())
    table = Table(path, ReadOptions())
    assert table.columns == ["id", "title"]
    assert [r.cells for r in table.rows()] == [["1", "é"]]


@pytest.mark.parametrize("cut", [1, 2])
def test_a_bom_file_whose_sniffed_sample_ends_inside_a_character_is_read(
    tmp_path: Path, cut: int
) -> None:
    """The tool's own reports start with a BOM: a character the 64 KB sample cuts (two of
    its three bytes in it, or one) is a cut, not a damaged byte, wherever the BOM shifts it."""
    path = tmp_path / "in.csv"
    head = "\ufeffid,title\n" + "1,plain\n" * 8000
    pad = SNIFF_BYTES - cut - len(head.encode())
    path.write_bytes((head + "2," + "x" * (pad - 2) + "→ end\n").encode())
    assert rows(path)[-1][1][1].endswith("→ end")


def test_excel_windows_csv_is_read_as_cp1252_and_said(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "in.csv"
    # Past the first 64 KB too: the whole file decides, not a sample of it.
    path.write_bytes(("id,title\n" + "1,plain\n" * 10_000 + "2,café €5\n").encode("cp1252"))
    with caplog.at_level(logging.WARNING):
        found = rows(path)
    assert found[-1] == (10_002, ["2", "café €5"])
    assert "reading it as Windows-1252" in caplog.text and "encoding" in caplog.text


def test_text_in_no_encoding_we_can_tell_needs_encoding_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(b"id,title\n1,caf\x81\n")  # 0x81: neither UTF-8 nor Windows-1252
    with pytest.raises(InputError, match=r"or give encoding \(cp1252, say\)"):
        rows(path)
    assert rows(path, encoding="latin-1") == [(2, ["1", "caf\x81"])]


def test_ragged_rows_keep_their_extra_cells(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text("id,title\n1,a,b\n2\n", encoding="utf-8")
    table = Table(path, ReadOptions())
    found = [(r.number, r.cells, r.problem) for r in table.rows()]
    assert found == [
        (
            2,
            ["1", "a"],
            "the row has 1 more cell(s) than the header; quote cells that contain the delimiter",
        ),
        (3, ["2", ""], ""),
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"PK\x03\x04rest-of-a-zip", "zip file"),
        (b"id,title\x00\x01\x02", "NUL bytes"),
        (b'id,title\n1,"never closed\n', "never closed"),
    ],
)
def test_unusable_files_are_input_errors(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message) as caught:
        rows(path)
    assert str(path) in str(caught.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        Table(tmp_path / "nope.csv", ReadOptions())


def test_xlsx_cells_read_as_text(tmp_path: Path) -> None:
    path = tmp_path / "in.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["id", "n", "f", "b", "s"])
    sheet.append(["000123", 3, 1.5, True, "NA"])
    sheet.append([4567, 3.0, None, False, "plain text"])
    book.create_sheet("other").append(["id", "title"])
    book.save(path)
    assert rows(path) == [
        (2, ["000123", "3", "1.5", "TRUE", "NA"]),
        (3, ["4567", "3", "", "FALSE", "plain text"]),
    ]
    with pytest.raises(InputError, match="no sheet 'missing'"):
        rows(path, sheet="missing")


def test_sample_xlsx_matches_sample_csv() -> None:
    assert rows(SAMPLE_DATA / "conversations.xlsx") == rows(SAMPLE_DATA / "conversations.csv")


def test_trailing_unnamed_columns_from_a_spreadsheet_export_are_dropped(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text("id,title,,\n1,a,,\n2,b,,x\n", encoding="utf-8")
    table = Table(path, ReadOptions())
    assert table.columns == ["id", "title"]
    found = [(r.number, r.cells, bool(r.problem)) for r in table.rows()]
    assert found == [(2, ["1", "a"], False), (3, ["2", "b"], True)]


def test_excel_unicode_text_export_is_read_as_utf16(tmp_path: Path) -> None:
    path = tmp_path / "export.txt"
    path.write_bytes("id\ttitle\r\n000123\tcafé 🎉\r\n".encode("utf-16"))
    assert rows(path) == [(2, ["000123", "café 🎉"])]


def test_a_line_break_in_a_header_cell_costs_no_data_row(tmp_path: Path) -> None:
    # Excel wraps a header cell with Alt+Enter into a quoted cell holding a line break.
    path = tmp_path / "in.csv"
    path.write_bytes(b'id,title,"no\ntes"\n1000001,a,x\n1000002,b,y\n1000003,c,z\n')
    table = Table(path, ReadOptions())
    assert table.columns == ["id", "title", "no\ntes"]
    assert [(r.number, r.cells) for r in table.rows()] == [
        (2, ["1000001", "a", "x"]),
        (3, ["1000002", "b", "y"]),
        (4, ["1000003", "c", "z"]),
    ]


@pytest.mark.parametrize("ending", [b"\r", b"\r\n", b"\n"])
def test_every_line_ending_is_read(tmp_path: Path, ending: bytes) -> None:
    # Bare CR is Excel for Mac's "CSV (Macintosh)".
    path = tmp_path / "in.csv"
    lines = [b"id;title", b'000123;"two' + ending + b'lines"', b"", b"5;x"]
    path.write_bytes(ending.join(lines) + ending)
    table = Table(path, ReadOptions())
    assert table.columns == ["id", "title"]
    assert [(r.number, r.cells) for r in table.rows()] == [
        (2, ["000123", "two" + ending.decode() + "lines"]),
        (4, ["5", "x"]),
    ]
    assert table.blank_rows == 1


def test_the_delimiter_is_sniffed_from_quoted_records(tmp_path: Path) -> None:
    # Commas inside quoted cells of a ;-separated file must not win the vote.
    path = tmp_path / "in.csv"
    path.write_text('id;title\n1;"a,b,c"\n2;"d,e"\n3;"f,g,h,i"\n', encoding="utf-8")
    assert rows(path) == [(2, ["1", "a,b,c"]), (3, ["2", "d,e"]), (4, ["3", "f,g,h,i"])]


@pytest.mark.parametrize("header", ['id,title,"notes;\n;"\n', 'id,title,"notes;\n;,"\n\n'])
def test_the_delimiter_the_quoting_was_written_for_wins(tmp_path: Path, header: str) -> None:
    # Read with ';', this header has more records as wide as its first (found by hypothesis).
    path = tmp_path / "in.csv"
    path.write_text(header, encoding="utf-8")
    table = Table(path, ReadOptions())
    assert table.delimiter == ","
    assert table.columns[:2] == ["id", "title"]


def test_a_utf8_file_with_one_damaged_byte_is_refused_not_misread_as_windows_1252(
    tmp_path: Path,
) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes("id,title\n1,café\n".encode() + b"2,caf\xe9\n")
    with pytest.raises(InputError, match="is not valid utf-8-sig text"):
        rows(path)


def test_a_tie_between_delimiters_goes_to_the_one_naming_more_columns(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text("id;title;notes,,\n", encoding="utf-8")  # a header, nothing to outvote
    assert Table(path, ReadOptions()).columns == ["id", "title", "notes,,"]
