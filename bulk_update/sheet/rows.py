"""One data row of a sheet, what a source of rows provides, and the checks every source of
rows shares (text files and workbooks alike)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class SheetRow:
    """One data row: its spreadsheet row number (header = 1) and its cells as text.

    ``problem`` says what makes the row unusable as read (more cells than the header, a
    formula with no saved value); normally empty.
    """

    number: int
    cells: list[str]
    problem: str = ""


class RowSource(Protocol):
    """Where a table's header and rows come from: a text file, a workbook, a DataFrame."""

    header: list[str]

    def rows(self) -> Iterator[SheetRow]: ...


def drop_trailing_blank_names(header: list[str]) -> None:
    """Spreadsheets often export empty columns past the last real one: not columns at all
    (a cell in one still makes its row ragged)."""
    while header and not header[-1]:
        header.pop()


def ragged_problem(extra_cells: int) -> str:
    if not extra_cells:
        return ""
    return (
        f"the row has {extra_cells} more cell(s) than the header; "
        "quote cells that contain the delimiter"
    )
