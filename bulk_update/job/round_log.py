"""Which history a command's round is logged in, and how the command is named there: as the
command line typed it (``RunHooks.command``), or as the library call."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from bulk_update.config import JobSettings, ReadOptions, journal_beside
from bulk_update.history.identity import find_history
from bulk_update.history.rounds import Round, read_rounds, record_round
from bulk_update.job.hooks import RunHooks
from bulk_update.job.keyed import KEYED_COLUMNS, pairs_report_of
from bulk_update.models import RunResult
from bulk_update.sheet.reader import Table


def log_round(
    settings: JobSettings,
    logged_in: Path | None,
    hooks: RunHooks,
    given: Mapping[str, Any],
    result: RunResult,
    started: datetime,
) -> None:
    """Logs the round a command made (a dry run makes none) in the sheet's history:
    ``logged_in`` (an undo's, the sheet's), else the run's own, else a keyed report's pairs'."""
    if settings.dry_run:
        return
    history = logged_in or settings.journal_path
    if history is None:
        return
    if not history.exists() and settings.report_path is not None:
        history = journal_beside(pairs_report_of(settings.report_path))
    record_round(history, _called(hooks, settings), given, result.summary, started)


def sheet_log(report: Path) -> list[Round]:
    """The rounds of the history a report (or a copy of it) continues, newest first."""
    table = Table(report, ReadOptions())
    history = find_history(report, table)
    if history is None and KEYED_COLUMNS[0] in table.columns:
        pairs = pairs_report_of(report)
        history = journal_beside(pairs) if journal_beside(pairs).exists() else None
    return read_rounds(history) if history is not None else []


def _called(hooks: RunHooks, settings: JobSettings) -> str:
    if hooks.command:  # the command line, as typed
        return hooks.command
    kind = "undo" if settings.undoing else "retry" if settings.only_statuses else "run"
    return f"bulk_update.{kind}({str(settings.input_path or '<DataFrame>')!r})"
