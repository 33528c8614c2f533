"""What an undo restores: the backup that a ``--backup`` run wrote (given itself, or found
through the run's report), folded into one row per conversation with something to restore.

An undo is a merge, and a round like any other: each row's base is what the sheet's rounds
last left in each field (the backup's "ours"), so a field whose live value moved since (a
teammate's change) is a ``conflict`` and is not restored; the undo's own lines in the backup
say it left the first round's values, so running it again has nothing left to do.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bulk_update.config import ReadOptions
from bulk_update.errors import UsageError, escape
from bulk_update.history.backup import Backup, read_backup
from bulk_update.history.identity import find_history
from bulk_update.history.journal_tables import backup_of
from bulk_update.job.keyed import KEYED_COLUMNS, pairs_report_of
from bulk_update.models import (
    BACKUP_COLUMN,
    BASE_COLUMN,
    BASE_ID_KEY,
    OUTCOME_COLUMNS,
    RunResult,
    RunSummary,
)
from bulk_update.sheet.action_table import STATE_COLUMNS
from bulk_update.sheet.reader import Table

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class UndoPlan:
    """The backup an undo runs: how many conversations it restores, and which of their
    fields."""

    backup: Path
    conversations: int
    fields: tuple[str, ...]
    rows: pd.DataFrame

    @property
    def restores_actions(self) -> bool:
        return any(field in STATE_COLUMNS for field in self.fields)


def undo_plan(given: Path) -> UndoPlan:
    """The backup that undoing ``given`` runs (itself, or its report's run's backup), and
    the rows that restore what is left to restore."""
    backup, _history = undo_sources(given)
    table = Table(backup, ReadOptions())
    if "id" not in table.columns or BACKUP_COLUMN not in table.columns:
        raise UsageError.naming_settings(
            f"{escape(str(backup))} is not a backup that {{backup_path}} wrote (no id or no marker)"
        )
    read = read_backup(backup, (row.cells for row in table.rows()), table.columns)
    rows = _rows_to_restore(read)
    return UndoPlan(backup, len(rows), tuple(read.columns), rows)


def undo_sources(given: Path) -> tuple[Path, Path | None]:
    """The backup that undoing ``given`` runs, and the sheet's history (its journal) when
    ``given`` is a report; found without reading the backup (what an undo holds first)."""
    sheet = Table(given, ReadOptions())
    columns = sheet.columns
    if "status" not in columns and BACKUP_COLUMN not in columns:
        raise UsageError.naming_settings(
            f"{escape(str(given))} is neither a backup that {{backup_path}} wrote nor the report "
            "of a run that kept one: undo runs only those (to apply a sheet, use 'bulk-update "
            "run')"
        )
    if "status" not in columns:
        return given, None
    pairs = pairs_report_of(given)
    if KEYED_COLUMNS[0] in columns and pairs.exists():
        return undo_sources(pairs)  # a keyed report: its pairs' history kept the backup
    history = find_history(given, sheet)  # a report: beside it, or where it was made
    found = backup_of(history) if history is not None else None
    if found is None:
        raise UsageError.naming_settings(
            f"{escape(str(given))} is the report of a run without {{backup_path}}: there "
            "is nothing to undo"
        )
    return found, history


def _rows_to_restore(backup: Backup) -> pd.DataFrame:
    """One row per conversation with something left to restore: the first round's cells of
    the fields the rounds changed, each with what the rounds left there as its base. A
    backup of an earlier version (what its rounds left unknown) restores every cell."""
    import pandas as pd  # here: the command line starts without it

    columns = ["id", *backup.columns]
    if not backup.merges:
        lines = [
            [conversation_id, *(entry.before[c] for c in backup.columns)]
            for conversation_id, entry in backup.conversations.items()
        ]
        return pd.DataFrame(lines, columns=columns, dtype=object)
    lines = []
    for conversation_id, entry in backup.conversations.items():
        restore = entry.to_restore()
        if restore:
            cells = [restore.get(column, "") for column in backup.columns]
            base: dict[str, str | list[str]] = {BASE_ID_KEY: conversation_id}
            for column, cell in restore.items():  # several: a change may have landed or not
                held = [value for value in entry.may_hold(column) if value != cell] or [""]
                base[column] = held[0] if len(held) == 1 else held
            lines.append([conversation_id, *cells, json.dumps(base, ensure_ascii=False)])
    return pd.DataFrame(lines, columns=[*columns, BASE_COLUMN], dtype=object)


def undo_notices(plan: UndoPlan) -> tuple[str, ...]:
    """What an undo cannot do, said in its summary: a run's notes stay."""
    if not plan.restores_actions:
        return ()
    return (
        "notes the run added stay: notes cannot be taken back (Intercom's API has no way to "
        "delete one)",
    )


def nothing_to_undo(plan: UndoPlan) -> RunResult:
    """An undo with nothing left to restore (run before, or no round changed anything): it
    sends nothing, and says so."""
    summary = RunSummary(input_path=str(plan.backup), report_path="", undo=True)
    header = ["id", *plan.fields, *OUTCOME_COLUMNS]
    return RunResult(summary, None, lambda: [header])
