"""The page's folder: the names its files take, whatever the browser sent."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from bulk_update.sheet.reader import EXCEL_SUFFIXES

SHEET_SUFFIXES = frozenset({".csv", ".tsv", ".txt", *EXCEL_SUFFIXES})


def safe_name(name: str) -> str:
    """A file name of the folder's own, whatever the browser sent."""
    base = Path(name.replace("\\", "/")).name
    cleaned = re.sub(r"[^\w.\- ]", "_", base).strip(" .") or "sheet.csv"
    return cleaned[:120]


def numbered(name: str, number: int) -> str:
    """``conversations.csv`` as the ``number``-th of its name: ``conversations-2.csv``."""
    if number == 1:
        return name
    path = Path(name)
    return f"{path.stem}-{number}{path.suffix}"


def remove_folder(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
