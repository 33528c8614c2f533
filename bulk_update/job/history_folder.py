"""A folder that keeps one sheet's report and history for a scheduler (a Dagster partition, an
Airflow mapped task): a retry finds the history kept for this very sheet there and resumes it
exactly; a changed sheet starts a new history, the earlier one kept in ``earlier/<time>/``."""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from bulk_update.config import ReadOptions, journal_beside, pick
from bulk_update.job.keyed import pairs_report_of
from bulk_update.sheet.reader import Table

REPORT_NAME = "results.csv"
_MARKER = "input.json"  # the fingerprint of the sheet whose history the folder keeps


def history_folder(
    source: Path | pd.DataFrame, folder: Path, settings: Mapping[str, Any]
) -> tuple[Path, bool]:
    """The report to write in ``folder`` (made if need be), and whether the run resumes the
    history there (one was kept for this very sheet, its bytes: a retry) or starts a new one.
    The sheet's fingerprint is kept beside (``input.json``): a keyed sheet's history is its
    pairs', kept for the pairs and not for the sheet itself."""
    folder.mkdir(parents=True, exist_ok=True)
    report = folder / REPORT_NAME
    marker = folder / _MARKER
    read = ReadOptions(**pick(ReadOptions, settings))
    table = Table(source, read) if isinstance(source, Path) else Table.from_frame(source)
    found = table.fingerprint()
    current = {key: found[key] for key in ("size", "sha256")}
    same = marker.exists() and json.loads(marker.read_text(encoding="utf-8")) == current
    histories = (report, pairs_report_of(report))
    if same and any(journal_beside(kept).exists() for kept in histories):
        return report, True
    _keep_earlier(folder)
    marker.write_text(json.dumps(current), encoding="utf-8")
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
