"""Which history a file of the tool belongs to, written in the file itself, and finding that
history from the file: beside it, or where the file says it was made, or not at all.

Every report the tool writes for a sheet's history (a run's report, ``retry``'s report, a dry
run's plan of a report) ends with the column ``bulk_update_history``. Its first data row holds
the history's id and where its journal was made, ``h3f9a0c2e7b1d /abs/path/r.csv.journal``
(split at the first space: the id never holds one); every other row the id alone, so that a
row sorted, filtered or pasted elsewhere still names its history. Measured on a 100,000-row
CSV report of 144 bytes a row: the id on every row adds 1.4 MB (+10 %), the path on every row
would add 6.8 MB (+47 %); in XLSX both add about 6 % (compressed). So the path is in one cell:
a report whose row holding it was deleted still names its history, and only a copy of it
moved elsewhere then no longer finds its journal (its own cells still say what may have been
done: ``rerun.ReportedOutcomes.note_may_have_landed``).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bulk_update.config import journal_beside
from bulk_update.errors import UsageError
from bulk_update.history.journal_tables import history_of, recorded, same_input
from bulk_update.models import HISTORY_COLUMN
from bulk_update.sheet.reader import Table


def history_cells(history: str, made_at: Path) -> Iterator[str]:
    """The column's cells, row after row: the first says where the journal was made."""
    yield f"{history} {made_at.resolve()}"
    yield from itertools.repeat(history)


@dataclass(frozen=True)
class Identity:
    """What a file says of its history: its id, and where its journal was made (if known)."""

    history: str
    made_at: Path | None


def identity_of(table: Table) -> Identity | None:
    """The history the file names (its first row's that names one), and where it was made,
    read from the first cell that says it (the first row's, unless the rows were sorted)."""
    if HISTORY_COLUMN not in table.columns:
        return None
    index = table.columns.index(HISTORY_COLUMN)
    history = ""
    for row in table.rows():
        named, _, where = row.cells[index].strip().partition(" ")
        history = history or named
        if named and named == history and where.strip():
            return Identity(history, Path(where.strip()))
    return Identity(history, None) if history else None


def find_history(sheet: Path, table: Table) -> Path | None:
    """The journal of the history ``sheet`` continues: the one beside it, or the one where
    the file says its history was made (if it is still that history), or none. A journal
    beside the file that is not the history the file names is refused: it is another sheet's,
    and its outcomes and notes are not this one's (unless it was run from this very file)."""
    identity = identity_of(table)
    beside = journal_beside(sheet)
    if beside.exists():
        foreign = identity is not None and history_of(beside) != identity.history
        if identity is not None and foreign and not _ran_from(beside, table):
            raise UsageError(
                f"{beside} is another sheet's history, not the one {sheet} names "
                f"({identity.history}): move that journal away and run again (nothing was sent)"
            )
        return beside
    made_at = identity.made_at if identity is not None else None
    if identity is not None and made_at is not None and history_of(made_at) == identity.history:
        return made_at
    return None


def _ran_from(journal: Path, table: Table) -> bool:
    """Whether a history was run from this very file (its bytes): a copy's own history,
    begun beside it, whose first run there ended before the copy was rewritten to name it."""
    found = recorded(journal)
    if found is None:
        return False
    here = table.fingerprint()  # the file's bytes, hashed once
    return any(same_input(known, here) for known in found.inputs)
