"""What an undo restores: the backup that a ``--backup`` run wrote (given itself, or found
through the run's report), what it holds, and what an undo cannot take back."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bulk_update.config import ReadOptions, journal_beside
from bulk_update.errors import UsageError, escape
from bulk_update.history.journal_tables import backup_of
from bulk_update.models import BACKUP_COLUMN
from bulk_update.sheet.reader import Table


@dataclass(frozen=True)
class UndoPlan:
    """The backup an undo runs: how many conversations, which of their fields."""

    backup: Path
    conversations: int
    fields: tuple[str, ...]

    @property
    def restores_actions(self) -> bool:
        return "state" in self.fields


def undo_plan(given: Path) -> UndoPlan:
    """The backup that undoing ``given`` runs: itself, or its report's run's backup."""
    backup = given
    columns = Table(given, ReadOptions()).columns
    if "status" not in columns and BACKUP_COLUMN not in columns:
        raise UsageError(
            f"{given} is neither a backup that --backup wrote nor the report of a run that "
            "kept one: undo runs only those (to apply a sheet, use 'bulk-update run')"
        )
    if "status" in columns:
        journal = journal_beside(given)
        found = backup_of(journal) if journal.exists() else None
        if found is None:
            raise UsageError.naming_settings(
                f"{escape(str(given))} is the report of a run without {{backup_path}}: there "
                "is nothing to undo"
            )
        backup = found
    table = Table(backup, ReadOptions())
    conversations = sum(1 for _row in table.rows())
    fields = tuple(name for name in table.columns if name not in ("id", BACKUP_COLUMN))
    return UndoPlan(backup, conversations, fields)


def undo_notices(plan: UndoPlan) -> tuple[str, ...]:
    """What an undo cannot do, said in its summary: a run's notes stay."""
    if not plan.restores_actions:
        return ()
    return (
        "notes the run added stay: notes cannot be taken back (Intercom's API has no way to "
        "delete one)",
    )
