"""CSV/TSV/XLSX/XLS → rows of text, exactly as written, streamed in chunks.

Nothing here guesses types: ``000123``, ``NA``, ``null``, ``1.50`` and ``3`` all come out
as the strings they were. Delimited text goes through the stdlib ``csv`` module (2.5x
faster than pandas' chunked reader at turning rows into lists of text, measured on 500,000
rows); workbooks through openpyxl/xlrd; a pandas DataFrame is taken as it is.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import itertools
import logging
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bulk_update.config import ReadOptions
from bulk_update.errors import InputError, Setting, escape
from bulk_update.sheet.inert import is_report_header, restore, written_by_this_tool
from bulk_update.sheet.rows import (
    RowSource,
    SheetRow,
    drop_trailing_blank_names,
    ragged_problem,
)

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)

# A cell past this is refused with the line it is on (the csv module's default is 131,072).
MAX_FIELD_CHARS = 16 * 1024 * 1024
DELIMITERS = ",;\t|"
WINDOWS = "cp1252"
# Text beyond ASCII that decoded as UTF-8 (U+FFFD marks the bytes that did not).
_UTF8_LETTER = re.compile("[^\x00-\x7f\ufffd]")
SNIFF_RECORDS = 50
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}
SNIFF_BYTES = 64 * 1024


class Table:
    """An input: its header, and its rows streamed on demand (any number of times).

    ``path`` is the file (or, for a DataFrame, a label such as ``<DataFrame>``) that
    messages name.
    """

    def __init__(self, path: Path, options: ReadOptions):
        self.path = path
        self.options = options
        if not path.exists():
            raise InputError(path, "no such file")
        if path.is_dir():
            raise InputError(path, "is a folder, not a spreadsheet")
        source: RowSource
        # The text file's delimiter; None for a workbook or a DataFrame.
        self.delimiter: str | None = None
        if path.suffix.lower() in EXCEL_SUFFIXES:
            from bulk_update.sheet.excel import ExcelSource  # openpyxl and xlrd only when needed

            source = ExcelSource(path, options.sheet)
        else:
            source = _TextSource(path, options)
            self.delimiter = source.delimiter
        self._start(source)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, label: str = "<DataFrame>") -> Table:
        """A DataFrame's cells taken as text, as from a file: ``str(x)`` of anything that is
        not a string, and an empty cell for NaN, None, NA and NaT."""
        table = cls.__new__(cls)
        table.path = Path(label)
        table.options = ReadOptions()
        table.delimiter = None
        table._start(_FrameSource(frame))
        return table

    def _start(self, source: RowSource) -> None:
        self._source = source
        self.columns = source.header
        self.blank_rows = 0
        self.rows_read = 0
        self._keep: Callable[[list[str]], bool] | None = None
        self._number_column: int | None = None
        if not any(name.strip() for name in self.columns):
            raise InputError(
                self.path, "the first row (the header) is empty; it must name the columns"
            )

    def rows(self) -> Iterator[SheetRow]:
        """Every non-blank data row, in file order. Blank rows are counted, not yielded."""
        self.blank_rows = 0
        self.rows_read = 0
        previous = 1
        for row in self._source.rows():
            if not row.problem and not any(row.cells):
                self.blank_rows += 1
                continue
            if self._number_column is not None:
                row = self._renumbered(row, previous)
                previous = row.number
            if self._keep is None or self._keep(row.cells):
                self.rows_read += 1
                yield row

    def number_rows_by(self, column: str) -> None:
        """From now on a row's number is the one in ``column`` (a report's ``row``: the
        number of the row in the sheet the report was made from)."""
        self._number_column = self.columns.index(column)

    def _renumbered(self, row: SheetRow, previous: int) -> SheetRow:
        assert self._number_column is not None
        text = row.cells[self._number_column].strip()
        if not text.isdigit() or int(text) <= previous:
            raise InputError(
                self.path,
                f"the 'row' column holds {text!r} where the report had a number greater than "
                f"{previous}; keep that column as the report wrote it (to add conversations, "
                "run them in a sheet of their own)",
                row=row.number,
            )
        return SheetRow(int(text), row.cells, row.problem)

    def keep_only(self, predicate: Callable[[list[str]], bool]) -> None:
        """From now on :meth:`rows` yields only the rows whose cells satisfy ``predicate``."""
        self._keep = predicate

    @property
    def is_report(self) -> bool:
        """Whether this is a report of an earlier run (it carries the outcome columns)."""
        return is_report_header(self.columns)

    def fingerprint(self) -> dict[str, Any]:
        """What identifies this input, for a journal to tell whether it changed."""
        if isinstance(self._source, _FrameSource):
            return {"path": str(self.path), **self._source.fingerprint()}
        digest = hashlib.sha256()
        with self.path.open("rb") as handle:
            while block := handle.read(1 << 20):
                digest.update(block)
        return {
            "path": str(self.path.resolve()),
            "size": self.path.stat().st_size,
            "sha256": digest.hexdigest(),
        }


class _FrameSource:
    def __init__(self, frame: pd.DataFrame):
        self._frame = frame
        self.header = [_frame_text(name).strip() for name in frame.columns]
        drop_trailing_blank_names(self.header)

    def rows(self) -> Iterator[SheetRow]:
        width = len(self.header)
        for number, values in enumerate(self._frame.itertuples(index=False, name=None), start=2):
            cells = [_frame_text(value) for value in values]
            extra = sum(1 for cell in cells[width:] if cell)
            yield SheetRow(number, cells[:width], ragged_problem(extra))

    def fingerprint(self) -> dict[str, Any]:
        digest = hashlib.sha256()
        for cells in itertools.chain([self.header], (row.cells for row in self.rows())):
            digest.update("\x1f".join(cells).encode("utf-8", "surrogatepass") + b"\x1e")
        return {"size": len(self._frame), "sha256": digest.hexdigest()}


def _frame_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    import pandas as pd

    if pd.api.types.is_scalar(value) and pd.isna(value):
        return ""
    return str(value)


def _check_not_binary(path: Path, head: bytes) -> None:
    if head.startswith(b"PK\x03\x04"):
        raise InputError(
            path, "is a zip file (an Excel workbook renamed?); give it its real .xlsx name"
        )
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputError(path, "is an old Excel workbook; give it its real .xls name")
    if b"\x00" in head:
        raise InputError(
            path, "does not look like a text file (it has NUL bytes); export the sheet as CSV"
        )


class _TextSource:
    """A delimited text file, read by one parser (the stdlib ``csv`` module) over one decoded
    stream, header and body together: a line break inside a quoted header cell, bare-CR line
    endings (Excel for Mac) and blank lines cannot make the two disagree on where a row
    starts."""

    def __init__(self, path: Path, options: ReadOptions):
        self.path = path
        self.encoding = options.encoding or "utf-8-sig"
        try:
            with path.open("rb") as handle:
                head = handle.read(SNIFF_BYTES)
        except OSError as error:
            raise InputError(path, f"cannot be read: {error.strerror}") from None
        if not head.strip():
            raise InputError(path, "is empty; it needs a header row naming the columns")
        if options.encoding is None and head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            self.encoding = "utf-16"  # Excel's "Unicode Text" export
        else:
            _check_not_binary(path, head)
            if options.encoding is None and _is_windows_1252(path):
                # Excel on Windows saves "CSV" in the system's ANSI code page: in Western
                # Europe and the Americas, this one. Said, never silent.
                self.encoding = WINDOWS
                log.warning(
                    "%s is not UTF-8; reading it as Windows-1252 (what Excel writes in Western "
                    "Europe and the Americas); if accented letters look wrong, give its "
                    "encoding with %s",
                    path,
                    Setting("encoding"),
                )
        try:
            # A character the sample's end cuts is left out (a BOM shifts no offset here).
            decoder = codecs.getincrementaldecoder(self.encoding)(errors="strict")
            sample = decoder.decode(head, final=len(head) < SNIFF_BYTES)
        except UnicodeDecodeError as error:
            raise _encoding_error(path, self.encoding, error) from None
        except LookupError:
            raise InputError(
                path,
                "unknown {encoding} " + escape(repr(self.encoding)),
                names_settings=True,
            ) from None
        self.delimiter = options.delimiter or _sniff_delimiter(path, sample)
        if len(self.delimiter) != 1:
            raise InputError(
                path,
                "{delimiter} must be one character, got " + escape(repr(self.delimiter)),
                names_settings=True,
            )
        self.header = next(self._records(), (0, []))[1]
        self.header = [name.strip() for name in self.header]
        drop_trailing_blank_names(self.header)
        # This tool's own file marks cells that look like formulas: read them as they were.
        self._restores = written_by_this_tool(self.header)

    def _records(self) -> Iterator[tuple[int, list[str]]]:
        """(the line the record starts on, its cells) for every record, header included."""
        csv.field_size_limit(MAX_FIELD_CHARS)
        try:
            with self.path.open(encoding=self.encoding, errors="strict", newline="") as handle:
                reader = csv.reader(handle, delimiter=self.delimiter, strict=True)
                while True:
                    line = reader.line_num + 1
                    try:
                        cells = next(reader)
                    except StopIteration:
                        return
                    except csv.Error as error:
                        raise _parse_error(self.path, str(error), line) from None
                    yield line, cells
        except UnicodeDecodeError as error:
            raise _encoding_error(self.path, self.encoding, error) from None
        except OSError as error:
            raise InputError(self.path, f"cannot be read: {error.strerror}") from None

    def rows(self) -> Iterator[SheetRow]:
        width = len(self.header)
        records = self._records()
        next(records, None)
        for number, (_line, cells) in enumerate(records, start=2):
            if self._restores:
                cells = [restore(cell) for cell in cells]
            if len(cells) > width:
                extra = sum(1 for value in cells[width:] if value)
                yield SheetRow(number, cells[:width], ragged_problem(extra))
            else:
                cells.extend([""] * (width - len(cells)))
                yield SheetRow(number, cells)


def _is_windows_1252(path: Path) -> bool:
    """Not UTF-8 and never was: no valid UTF-8 letter beyond ASCII anywhere (a UTF-8 file
    with one damaged byte is refused, not misread whole), and valid Windows-1252 text."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    damaged = False
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            text = decoder.decode(block)
            if _UTF8_LETTER.search(text):
                return False
            damaged = damaged or "\ufffd" in text
    return damaged and _decodes(path, WINDOWS)


def _decodes(path: Path, encoding: str) -> bool:
    """Whether the whole file is valid text in ``encoding`` (read in blocks, not held)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with path.open("rb") as handle:
            while block := handle.read(1 << 20):
                decoder.decode(block)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _encoding_error(path: Path, encoding: str, error: UnicodeDecodeError) -> InputError:
    return InputError(
        path,
        f"is not valid {encoding} text (byte 0x{error.object[error.start]:02x} cannot be decoded); "
        "save it as UTF-8, or give {encoding} (cp1252, say)",
        names_settings=True,
    )


def _parse_error(path: Path, message: str, line: int) -> InputError:
    if "unexpected end of data" in message:
        return InputError(
            path,
            f"a quoted cell is never closed (the quote opens on line {line}); check the quotes",
        )
    if "field larger than field limit" in message:
        return InputError(
            path, f"line {line} holds a cell of more than {MAX_FIELD_CHARS:,} characters"
        )
    return InputError(
        path, f"line {line} cannot be read as CSV ({message}); check the quotes on that line"
    )


def _sniff_delimiter(path: Path, sample: str) -> str:
    """The candidate that parses the sample as the reader will (strictly), splitting the
    first records into the most rows as wide as the header (more than one cell wide); on a
    tie, the one that
    names the most header cells (``id;title;notes,,`` is three names, not one and two
    blanks); a comma when none does."""
    if path.suffix.lower() in (".tsv", ".tab"):
        return "\t"
    best, best_score = ",", (0, -sys.maxsize, 0, 0, 0)
    for candidate in DELIMITERS:
        # Strict, as the reader is: a quote inside a field the candidate would leave unquoted
        # is a sign it is not the delimiter (the sample's end may cut a record short, too).
        records = csv.reader(io.StringIO(sample, newline=""), delimiter=candidate, strict=True)
        found: list[list[str]] = []
        clean = 1
        try:
            for cells in itertools.islice(records, SNIFF_RECORDS):
                if cells:
                    found.append(cells)
        except csv.Error:
            clean = 0
        widths = [len(cells) for cells in found]
        if len(widths) > 1 and widths[-1] != widths[0]:
            widths.pop()  # the sample may end inside the last record
        if not widths or widths[0] < 2:
            continue
        named = sum(1 for name in found[0] if name.strip())
        # Quotes the parse kept as text: the delimiter the quoting was written for takes
        # the quotes that open and close fields; any other leaves them inside the cells.
        stray = sum(cell.count('"') for cells in found for cell in cells)
        same_width = sum(1 for width in widths if width == widths[0])
        score = (clean, -stray, same_width, named, widths[0])
        if score > best_score:
            best, best_score = candidate, score
    return best
