"""A run's settings from the flat names :func:`bulk_update.run` takes (and the command line's
flags become), and its input opened once."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict, Unpack

from bulk_update.config import (
    JobSettings,
    ReadOptions,
    SendOptions,
    default_report_path,
    journal_beside,
    pick,
)
from bulk_update.errors import UsageError, escape
from bulk_update.history.journal_tables import backup_of
from bulk_update.models import BACKUP_COLUMN
from bulk_update.sheet.reader import Table

if TYPE_CHECKING:
    import pandas as pd


class RoundKind(TypedDict, total=False):
    """What a run is to the sheet's history, besides a run of a sheet."""

    # Only rows whose status is one of these (retry).
    only_statuses: frozenset[str] | None
    # The history of the report it continues, its outcomes written elsewhere (retry).
    shared_history: Path | None
    # The rows are an undo of this backup.
    undo_of: Path | None


def prepare_run(
    source: str | os.PathLike[str] | pd.DataFrame,
    base_url: str,
    given: Mapping[str, Any],
    **kind: Unpack[RoundKind],
) -> tuple[JobSettings, Table]:
    """A path's report defaults to ``<input>.results.csv`` (``.dry-run.csv``), a report's to
    itself (run again, it is rewritten in place); a DataFrame writes none unless asked.
    ``undo_of``: the rows are an undo of that backup, which the undo carries on (a merge
    needs no journal of its own: run again, it finds what is left to do)."""
    only_statuses = kind.get("only_statuses")
    shared_history = kind.get("shared_history")
    undo_of = kind.get("undo_of")
    read = ReadOptions(**pick(ReadOptions, given))
    input_path: Path | None = None
    if isinstance(source, str | os.PathLike):
        input_path = Path(source)
        table = Table(input_path, read)
        if BACKUP_COLUMN in table.columns:
            shown = escape(str(input_path))
            raise UsageError(
                f"{shown} is a backup: 'bulk-update undo {shown}' puts it back, as a merge (a "
                "field a teammate changed since is left as it is)"
            )
    else:
        table = Table.from_frame(source, str(undo_of or "<DataFrame>"))
    chosen = pick(JobSettings, given)
    if undo_of is not None:
        chosen.update(undoing=True, skip_unchanged=True, durable_journal=False)
        if not chosen.get("dry_run"):  # its lines say what it left: the next undo's base
            chosen.update(backup_path=undo_of, continue_backup=True)
    if chosen.get("report_path") is None and input_path is not None:
        dry_run = bool(chosen.get("dry_run"))
        in_place = not dry_run and table.is_report
        chosen["report_path"] = (
            input_path if in_place else default_report_path(input_path, dry_run=dry_run)
        )
    if chosen.get("backup_path") is None and not chosen.get("dry_run"):
        history = shared_history or _history_of(input_path, chosen.get("report_path"))
        earlier = backup_of(history) if history is not None and history.exists() else None
        if earlier is not None:
            # Every round on a sheet backs up into its first round's backup, so that undo
            # puts back what the sheet's first round found, whichever round changed it.
            chosen.update(backup_path=earlier, continue_backup=True)
    settings = JobSettings(
        input_path=input_path,
        read=read,
        send=SendOptions(**pick(SendOptions, given), base_url=base_url),
        only_statuses=only_statuses,
        shared_history=shared_history,
        **chosen,
    )
    return settings, table


def _history_of(input_path: Path | None, report_path: Any) -> Path | None:
    """The history a run on a report continues: the journal beside it, when the report is
    rewritten in place (the fix-and-run-again loop)."""
    if input_path is None or report_path is None or Path(report_path) != input_path:
        return None
    return journal_beside(input_path)
