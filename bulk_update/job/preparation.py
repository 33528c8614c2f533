"""A run's settings from the flat names :func:`bulk_update.run` takes (and the command line's
flags become), and its input opened once."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bulk_update.config import (
    JobSettings,
    ReadOptions,
    SendOptions,
    default_report_path,
    pick,
)
from bulk_update.history.identity import find_history
from bulk_update.history.journal_tables import backup_of
from bulk_update.sheet.reader import Table

if TYPE_CHECKING:
    import pandas as pd


def prepare_run(
    source: str | os.PathLike[str] | pd.DataFrame,
    base_url: str,
    given: Mapping[str, Any],
    *,
    only_statuses: frozenset[str] | None = None,
) -> tuple[JobSettings, Table]:
    """A path's report defaults to ``<input>.results.csv`` (``.dry-run.csv``), a report's to
    itself (run again, it is rewritten in place); a DataFrame writes none unless asked.
    ``only_statuses``: the rows of a report to send again (``retry``, which writes its own
    report into the report's history)."""
    read = ReadOptions(**pick(ReadOptions, given))
    input_path: Path | None = None
    if isinstance(source, str | os.PathLike):
        input_path = Path(source)
        table = Table(input_path, read)
    else:
        table = Table.from_frame(source)
    chosen = pick(JobSettings, given)
    dry_run = bool(chosen.get("dry_run"))
    if chosen.get("report_path") is None and input_path is not None:
        in_place = not dry_run and table.is_report
        chosen["report_path"] = (
            input_path if in_place else default_report_path(input_path, dry_run=dry_run)
        )
    history = None
    if input_path is not None and table.is_report:
        continued = dry_run or only_statuses is not None or _same(input_path, chosen["report_path"])
        history = find_history(input_path, table) if continued else None
    if chosen.get("backup_path") is None and not dry_run:
        earlier = backup_of(history) if history is not None else None
        if earlier is not None:
            # Every round on a sheet backs up into its first round's backup, so that undo
            # puts back what the sheet's first round found, whichever round changed it.
            chosen.update(backup_path=earlier, continue_backup=True)
    settings = JobSettings(
        input_path=input_path,
        read=read,
        send=SendOptions(**pick(SendOptions, given), base_url=base_url),
        only_statuses=only_statuses,
        shared_history=history,
        **chosen,
    )
    return settings, table


def _same(input_path: Path, report_path: Any) -> bool:
    """The report is the input itself, rewritten in place (the fix-and-run-again loop)."""
    return report_path is not None and Path(report_path).resolve() == input_path.resolve()
