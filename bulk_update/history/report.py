"""The results report (CSV or XLSX, one line per input row) and the summary as JSON."""

from __future__ import annotations

import contextlib
import csv
import json
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from bulk_update.config import ReadOptions
from bulk_update.errors import StorageFailed, storage_reason
from bulk_update.history.breakdown import Tally
from bulk_update.models import (
    BASE_COLUMN,
    HISTORY_COLUMN,
    OUTCOME_COLUMNS,
    RowOutcome,
    RowStatus,
    RunSummary,
    wire_json,
)
from bulk_update.sheet.inert import neutralised
from bulk_update.sheet.reader import Table
from bulk_update.sheet.rows import SheetRow


def report_lines(
    columns: list[str],
    rows: Iterable[SheetRow],
    outcomes: Iterator[RowOutcome],
    tally: Tally,
    unrecorded: Callable[[int], RowStatus] = lambda _row: RowStatus.NOT_ATTEMPTED,
    *,
    with_base: bool = False,
    history: Iterator[str] | None = None,
) -> Iterator[list[str]]:
    """Header, then every input row's cells as read followed by its outcome, in row order.

    ``outcomes`` must be in row order; a row with none gets the status ``unrecorded`` says.
    Input columns named like the outcome columns (a report fed back in) are left out,
    so that the fresh outcome is the only one; so is the column naming the input's history:
    ``history`` gives the report's own cells of it, row after row (``identity.history_cells``;
    None: the report keeps no history, and has no such column).
    """
    kept = [i for i, name in enumerate(columns) if name not in (*OUTCOME_COLUMNS, HISTORY_COLUMN)]
    # A live dry run's report is the base of its plan (unless the sheet has one already:
    # then an outcome's base, a conflict's live cells, replaces those cells of the row's).
    has_base = columns.index(BASE_COLUMN) if BASE_COLUMN in columns else None
    with_base = with_base and has_base is None
    yield (
        [columns[i] for i in kept]
        + list(OUTCOME_COLUMNS)
        + ([BASE_COLUMN] if with_base else [])
        + ([HISTORY_COLUMN] if history is not None else [])
    )
    pending = next(outcomes, None)
    for row in rows:
        while pending is not None and pending.row < row.number:
            pending = next(outcomes, None)
        outcome = pending if pending is not None and pending.row == row.number else None
        if outcome is None:
            outcome = RowOutcome(row.number, unrecorded(row.number))
        tally.add(outcome)
        cells = row.cells
        if has_base is not None and outcome.base:
            cells = list(cells)
            cells[has_base] = rebased(cells[has_base], outcome.base)
        yield [cells[i] for i in kept] + [
            str(row.number),
            outcome.status.value,
            "" if outcome.http_status is None else str(outcome.http_status),
            outcome.error_code,
            outcome.error_message,
            str(outcome.attempts) if outcome.attempts else "",
            outcome.request_id,
            outcome.changes,
            outcome.steps,
            *([outcome.base] if with_base else []),
            *([next(history)] if history is not None else []),
        ]


def rebased(base: str, seen: str) -> str:
    """An exported row's base cell with the cells in ``seen`` (JSON, header → cell) put over
    its own (a base cell that is no longer as the export wrote it keeps only those)."""
    try:
        cells = json.loads(base or "{}")
    except ValueError:
        cells = None
    return wire_json({**(cells if isinstance(cells, dict) else {}), **json.loads(seen)}).decode()


def csv_delimiter(path: Path | None, input_delimiter: str | None) -> str:
    """A CSV report's delimiter: a tab for .tsv/.tab, else the input's (``;`` in, ``;``
    out), a comma for a workbook or a DataFrame."""
    if path is not None and path.suffix.lower() in (".tsv", ".tab"):
        return "\t"
    return input_delimiter or ","


def write_report(
    path: Path, lines: Iterable[list[str]], input_delimiter: str | None = None
) -> None:
    r"""Write atomically (temp file, then rename) so a crash never leaves half a report.

    A CSV report is UTF-8 with a BOM (so that Excel reads it as UTF-8 in any locale), in
    :func:`csv_delimiter`, its cells :func:`neutralised` (the tool's reader restores them).
    """
    temporary = path.with_name(path.name + ".partial")
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            _write_xlsx(temporary, lines)
        else:
            delimiter = csv_delimiter(path, input_delimiter)
            # The BOM written by hand: "utf-8-sig" would encode every line in Python
            # (its codec's own encoder), "utf-8" does it in C; the bytes are the same.
            with temporary.open("w", encoding="utf-8", newline="") as handle:
                handle.write("\ufeff")
                writer = csv.writer(handle, delimiter=delimiter)
                rows = iter(lines)
                writer.writerow(next(rows, []))
                writer.writerows(neutralised(line) for line in rows)
        os.replace(temporary, path)
    except OSError as error:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)  # half a report only takes the space back
        raise StorageFailed("report", path, storage_reason(error)) from None


# Outcome columns that are numbers in a workbook (everything else stays text).
_NUMBER_COLUMNS = frozenset({"row", "http_status", "attempts"})
_MAX_WIDTH = 60
_WIDE_COLUMNS = frozenset({"error_message", "changes", "steps"})


def _write_xlsx(path: Path, lines: Iterable[list[str]]) -> None:
    """Ids and every input cell as text (leading zeros kept), ``row``, ``http_status`` and
    ``attempts`` as numbers; the header frozen, filterable, and columns wide enough to read."""
    import openpyxl
    from openpyxl.utils import get_column_letter

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("results")
    rows = iter(lines)
    header = next(rows, [])
    numbers = [i for i, name in enumerate(header) if name in _NUMBER_COLUMNS]
    numbers = numbers[-len(_NUMBER_COLUMNS) :]  # the outcome columns, after the input's
    for index, name in enumerate(header, start=1):
        width = min(_MAX_WIDTH, max(10, len(name) + 2, 40 if name in _WIDE_COLUMNS else 0))
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    last = get_column_letter(max(1, len(header)))
    count = 0
    sheet.append(header)
    for line in rows:
        cells: list[object] = [_as_text(sheet, cell) for cell in line]
        for index in numbers:
            if line[index]:
                cells[index] = int(line[index])
        sheet.append(cells)
        count += 1
    sheet.auto_filter.ref = f"A1:{last}{count + 1}"
    book.save(path)


def _as_text(sheet: Any, text: str) -> object:
    """A cell that is text in the workbook, whatever it starts with: ``=SUM(A1)`` typed in a
    sheet or sent by a server is shown, never run as a formula."""
    if not text.startswith("="):
        return text
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"
    return cell


def write_summary_json(path: Path, summary: RunSummary) -> None:
    try:
        path.write_text(json.dumps(summary.as_dict(), indent=2) + "\n", encoding="utf-8")
    except OSError as error:
        raise StorageFailed("summary", path, storage_reason(error)) from None


def read_report(path: Path, delimiter: str | None) -> list[list[str]]:
    """A report this tool wrote, read back: its header, then every line, each cell as text."""
    return list(stream_report(path, delimiter))


def stream_report(path: Path, delimiter: str | None) -> Iterator[list[str]]:
    """:func:`read_report`'s lines one at a time (a big report is never held whole)."""
    table = Table(path, ReadOptions(delimiter=delimiter))
    yield table.columns
    yield from (row.cells for row in table.rows())
