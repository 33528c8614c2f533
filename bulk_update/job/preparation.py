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
    Unattended,
    default_report_path,
    pick,
)
from bulk_update.errors import UsageError, escape
from bulk_update.history.identity import find_history
from bulk_update.history.journal_tables import backup_of
from bulk_update.models import BACKUP_COLUMN
from bulk_update.sheet.columns import action_columns
from bulk_update.sheet.reader import Table

if TYPE_CHECKING:
    import pandas as pd


class RoundKind(TypedDict, total=False):
    """What a run is to the sheet's history, besides a run of a sheet."""

    # Only rows whose status is one of these (retry, which writes its own report into the
    # report's history).
    only_statuses: frozenset[str] | None
    # The rows are an undo of this backup.
    undo_of: Path | None
    # The history the round is logged in, when not the run's own (an undo's: the sheet's).
    logged_in: Path | None


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
    only_statuses, undo_of = kind.get("only_statuses"), kind.get("undo_of")
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
    dry_run = bool(chosen.get("dry_run"))
    if undo_of is not None:
        chosen.update(undoing=True, skip_unchanged=True, durable_journal=False)
        if not dry_run:  # its lines say what it left: the next undo's base
            chosen.update(backup_path=undo_of, continue_backup=True)
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
    unattended = Unattended(**pick(Unattended, given))
    if unattended.sample is not None and (dry_run or chosen.get("limit") is not None):
        raise UsageError.naming_settings(
            "{sample} sends a few rows drawn at random, for real; to see what the first rows "
            "would send, use {dry_run} with {limit}"
        )
    settings = JobSettings(
        input_path=input_path,
        read=read,
        send=SendOptions(**pick(SendOptions, given), base_url=base_url),
        unattended=unattended,
        only_statuses=only_statuses,
        shared_history=history,
        **chosen,
    )
    return settings, table


def _same(input_path: Path, report_path: Any) -> bool:
    """The report is the input itself, rewritten in place (the fix-and-run-again loop)."""
    return report_path is not None and Path(report_path).resolve() == input_path.resolve()


def actions_asked(table: Table, settings: JobSettings) -> list[str]:
    """The action columns of the sheet; with any, the teammate to act as must be named."""
    read = settings.read
    asked = action_columns(table.columns, read.ignore_columns, dict(read.renames))
    if asked and not settings.admin:
        raise UsageError.naming_settings(
            f"the sheet has action columns ({escape(', '.join(asked))}): name the teammate "
            "they are made as with {admin} (an email or an id; Intercom requires one)"
        )
    return asked
