"""Cells a spreadsheet would run as formulas, made inert in the CSV files this tool writes
(OWASP's advice against CSV injection: a leading ``'``), and given back exactly when the tool
reads one of its own files again, so a round trip changes nothing.

The mark is reversible: text that already starts with ``'`` is marked too, and reading takes
exactly one ``'`` off. A plain number (``-3``, ``+1.5``) is left as it is: no spreadsheet runs
it, and a reader of the file should see a number. XLSX needs none of this: its cells are
written as text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bulk_update.models import BACKUP_COLUMN, BASE_COLUMN, HISTORY_COLUMN

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MARK = "'"
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)*(?:[eE][+-]?\d+)?")
# A cell that may need the mark starts with one of these: a line none of whose cells does (the
# most of them) is found so by one search over its joined cells, not a look at every cell.
_SEPARATOR = "\x1f"
_MAY_NEED_MARK = re.compile(f"(?:^|{_SEPARATOR})[{re.escape(MARK + ''.join(FORMULA_STARTS))}]")


def neutralise(text: str) -> str:
    """The cell as a CSV file of this tool holds it."""
    if text.startswith(MARK) or (
        text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text)
    ):
        return MARK + text
    return text


def neutralised(cells: list[str]) -> list[str]:
    """A line's cells as a CSV file of this tool holds them (:func:`neutralise` on each)."""
    if _MAY_NEED_MARK.search(_SEPARATOR.join(cells)) is None:
        return cells
    return [neutralise(cell) for cell in cells]


def restore(text: str) -> str:
    """A cell of this tool's CSV file as it was before :func:`neutralise`."""
    return text[1:] if text.startswith(MARK) else text


def is_report_header(header: Sequence[str]) -> bool:
    """A report of an earlier run: it carries the outcome columns ``row`` and ``status``."""
    return "status" in header and "row" in header


def written_by_this_tool(header: Sequence[str]) -> bool:
    """A report (its outcome columns and history), an export (its base) or a backup (its
    marker)."""
    return is_report_header(header) or any(
        name in header for name in (BASE_COLUMN, BACKUP_COLUMN, HISTORY_COLUMN)
    )
