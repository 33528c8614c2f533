"""Workbooks (XLSX read-only, XLS) → rows of text as a person sees them in Excel."""

from __future__ import annotations

import datetime as dt
import logging
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bulk_update.errors import InputError, Setting
from bulk_update.sheet.rows import SheetRow, drop_trailing_blank_names, ragged_problem

log = logging.getLogger(__name__)

# A workbook is a zip of XML parts. Refused before anything is unpacked (the zip's own
# directory says how big each part gets): one whose parts together expand past this, or a
# large part that expands more than any spreadsheet's XML does (a zip bomb; a real sheet's
# XML shrinks 5-40 times).
MAX_EXPANDED_BYTES = 200 * 1000 * 1000
MAX_PART_RATIO = 100
_RATIO_FROM_BYTES = 10 * 1000 * 1000  # a smaller part may shrink as it likes


class ExcelSource:
    """Reads a workbook sheet row by row in read-only mode (constant memory for .xlsx)."""

    def __init__(self, path: Path, sheet: str | None):
        self.path = path
        self.sheet = sheet
        self._books: list[Any] = []
        self._described = False
        self._told_formulas = False
        rows = self._open_rows()
        try:
            first = next(rows)
        except StopIteration:
            raise InputError(path, "the sheet is empty; it needs a header row") from None
        finally:
            self._close()
        self.header = [_excel_text(value).strip() for value in first]
        drop_trailing_blank_names(self.header)

    def _open_rows(self) -> Iterator[tuple[Any, ...]]:
        suffix = self.path.suffix.lower()
        try:
            if suffix == ".xls":
                return self._xls_rows()  # not compressed: it is as big as it is
            _refuse_a_bomb(self.path)
            return self._xlsx_rows()
        except InputError:
            raise
        except Exception as error:  # openpyxl/xlrd raise many kinds for a broken file
            raise InputError(self.path, f"cannot be opened as a workbook: {error}") from None

    def _xlsx_rows(self, *, formulas: bool = False) -> Iterator[tuple[Any, ...]]:
        """Cell values as Excel last saved them, or (``formulas``) the formulas' text."""
        import openpyxl

        book = openpyxl.load_workbook(self.path, read_only=True, data_only=not formulas)
        self._books.append(book)
        name = self._pick_sheet(book.sheetnames)
        if not formulas and not self._described:
            self._described = True
            self._describe(book.sheetnames, name)
        if not formulas:
            return iter(book[name].iter_rows(values_only=True))
        # Only what the workbook stores as a formula: a text cell that merely starts with
        # '=' (one this tool wrote, say) is text.
        return (
            tuple(cell.value if getattr(cell, "data_type", "") == "f" else None for cell in row)
            for row in book[name].iter_rows()
        )

    def _describe(self, names: list[str], chosen: str) -> None:
        """Say what a person might not expect from this workbook, once."""
        if len(names) > 1 and self.sheet is None:
            log.warning(
                "%s: reading sheet %r, the first of %d (%s); %s picks another",
                self.path,
                chosen,
                len(names),
                ", ".join(names),
                Setting("sheet"),
            )
        if _has_merged_cells(self.path):
            log.warning(
                "%s: the workbook has merged cells; only the first cell of a merged range "
                "holds its value, the others read as empty. Unmerge them to be sure",
                self.path,
            )

    def _xls_rows(self) -> Iterator[tuple[Any, ...]]:
        import xlrd

        book = xlrd.open_workbook(str(self.path), on_demand=True)
        self._books.append(book)
        name = self._pick_sheet(book.sheet_names())
        sheet = book.sheet_by_name(name)

        def cells(row: int) -> tuple[Any, ...]:
            values: list[Any] = []
            for cell in sheet.row(row):
                if cell.ctype == xlrd.XL_CELL_DATE:
                    values.append(xlrd.xldate.xldate_as_datetime(cell.value, book.datemode))
                elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                    values.append(bool(cell.value))
                else:
                    values.append(cell.value)
            return tuple(values)

        return (cells(row) for row in range(sheet.nrows))

    def _pick_sheet(self, names: list[str]) -> str:
        if self.sheet is None:
            return names[0]
        if self.sheet in names:
            return self.sheet
        same = [name for name in names if name.casefold() == self.sheet.casefold()]
        if len(same) == 1:
            return same[0]
        raise InputError(
            self.path, f"has no sheet {self.sheet!r}; its sheets are {', '.join(names)}"
        )

    def _close(self) -> None:
        for book in self._books:
            closer = getattr(book, "close", None) or getattr(book, "release_resources", None)
            if closer:
                closer()
        self._books.clear()

    def rows(self) -> Iterator[SheetRow]:
        width = len(self.header)
        rows = self._open_rows()
        formulas = self._xlsx_rows(formulas=True) if self.path.suffix.lower() != ".xls" else None
        used_formulas = 0
        try:
            next(rows, None)
            if formulas is not None:
                next(formulas, None)
            for number, values in enumerate(rows, start=2):
                cells = [_excel_text(value) for value in values[:width]]
                cells.extend([""] * (width - len(cells)))
                problem = ragged_problem(sum(1 for value in values[width:] if value is not None))
                texts = next(formulas, ()) if formulas is not None else ()
                for index, text in enumerate(texts[:width]):
                    if not (isinstance(text, str) and text.startswith("=")):
                        continue
                    if index < len(values) and values[index] is not None:
                        used_formulas += 1
                    elif not problem:
                        problem = (
                            f"column {self.header[index]!r} holds a formula ({text[:40]}) with "
                            "no saved value; open and save the file in Excel, or paste values"
                        )
                yield SheetRow(number, cells, problem)
        finally:
            self._close()
        if used_formulas and not self._told_formulas:
            self._told_formulas = True
            log.warning(
                "%s: %d cells hold formulas; the values Excel last saved for them were used",
                self.path,
                used_formulas,
            )


def _refuse_a_bomb(path: Path) -> None:
    """Refuse a workbook whose parts would expand past the limits, by the zip's directory
    alone (Python's zip reader never unpacks a part past the size this directory gives)."""
    with zipfile.ZipFile(path) as archive:
        parts = archive.infolist()
    for part in parts:
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size > _RATIO_FROM_BYTES and ratio > MAX_PART_RATIO:
            raise InputError(
                path.name,
                f"refused before unpacking: its part {part.filename} expands {ratio:,.0f} "
                f"times ({_megabytes(part.compress_size)} to {_megabytes(part.file_size)}), "
                f"past the {MAX_PART_RATIO} times a spreadsheet's part may (a zip bomb?)",
            )
    total = sum(part.file_size for part in parts)
    if total > MAX_EXPANDED_BYTES:
        raise InputError(
            path.name,
            f"refused before unpacking: its parts expand to {_megabytes(total)}, past the "
            f"{_megabytes(MAX_EXPANDED_BYTES)} a workbook may; save the sheet as CSV (read "
            "row by row, no such limit) or split it",
        )


def _megabytes(size: int) -> str:
    return f"{size / 1e6:,.1f} MB".replace(".0 MB", " MB")


def _has_merged_cells(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                    with archive.open(name) as sheet:
                        if any(b"<mergeCell " in chunk for chunk in _chunks(sheet)):
                            return True
    except (zipfile.BadZipFile, OSError):
        return False
    return False


def _chunks(handle: Any, size: int = 1 << 20) -> Iterator[bytes]:
    tail = b""
    while block := handle.read(size):
        yield tail + block
        tail = block[-32:]


def _excel_text(value: Any) -> str:
    """A cell's value as the text a person sees in it (numbers without a spurious ``.0``)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)
