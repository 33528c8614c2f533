"""A folder that keeps one sheet's report and history for a scheduler (a Dagster partition, an
Airflow mapped task): a retry finds the history kept for this very sheet there and resumes it
exactly; a changed sheet starts a new history, the earlier one kept in ``earlier/<time>/``."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from bulk_update.config import ReadOptions, journal_beside, pick
from bulk_update.history.journal_tables import recorded, same_input
from bulk_update.sheet.reader import Table

REPORT_NAME = "results.csv"


def history_folder(
    source: Path | pd.DataFrame, folder: Path, settings: Mapping[str, Any]
) -> tuple[Path, bool]:
    """The report to write in ``folder`` (made if need be), and whether the run resumes the
    history there (it was kept for this very sheet: its bytes) or starts a new one."""
    folder.mkdir(parents=True, exist_ok=True)
    report = folder / REPORT_NAME
    found = recorded(journal_beside(report))
    if found is not None:
        read = ReadOptions(**pick(ReadOptions, settings))
        table = Table(source, read) if isinstance(source, Path) else Table.from_frame(source)
        if same_input(found.inputs[-1], table.fingerprint()):
            return report, True
    _keep_earlier(folder)
    return report, False


def _keep_earlier(folder: Path) -> None:
    """The files of an earlier history go to earlier/<time>/ (none: nothing to keep)."""
    files = [path for path in folder.iterdir() if path.is_file()]
    if not files:
        return
    kept = folder / "earlier" / datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    kept.mkdir(parents=True)
    for path in files:
        shutil.move(path, kept / path.name)
