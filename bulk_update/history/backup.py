"""``--backup``: each row's previous values, written in bulk-update's own input format so
that ``bulk-update undo`` puts them back.

Every round of a sheet that changes a conversation appends a line for it, written before
the change is sent: the values it found (the cells) and, in the last column, the values it
is about to leave there ("ours", JSON); once the change is confirmed, a line with no cells
and ``done`` in the last column. The first line of a conversation says what the sheet's
first round found; the "ours" of its last confirmed line, and of any line after it (whose
change may have landed or not), say what the sheet's rounds may have left there. An undo
restores a field only where the live value is still one of those (see :func:`read_backup`),
so a teammate's later change is never reverted silently.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bulk_update.errors import StorageFailed, UsageError, escape, storage_reason
from bulk_update.models import BACKUP_COLUMN, wire_json
from bulk_update.sheet.action_table import with_companions
from bulk_update.sheet.inert import neutralised
from bulk_update.sheet.values import iso_8601


def as_cell(value: Any, clear_marker: str, *, is_date: bool = False) -> str:
    """A value as the cell text that bulk-update reads back as the same value (a date in
    ISO 8601, UTC, which reads back as the same instant)."""
    if value is None:
        return clear_marker  # it was unset: the undo clears it
    if is_date and isinstance(value, int | float) and not isinstance(value, bool):
        return iso_8601(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def backup_cells(
    values: dict[str, Any], columns: Iterable[str], clear_marker: str, dates: frozenset[str]
) -> dict[str, str]:
    """The cells a backup holds for ``values`` (a column it does not show stays out)."""
    return {
        column: as_cell(values[column], clear_marker, is_date=column in dates)
        for column in columns
        if column in values
    }


class BackupWriter:
    """Appends one line per row before its update is sent, each with one ``write`` to the OS
    (so a killed process never leaves an update without its undo line), fsynced on close.

    A line is whole or absent: one the disk had no room for is cut off again, and a resumed
    backup drops a last line that a crash left without its end.
    """

    def __init__(
        self,
        path: Path,
        columns: list[str],
        clear_marker: str,
        *,
        resume: bool,
        dates: frozenset[str] = frozenset(),
    ):
        self.path = path
        self._columns = columns
        self._dates = dates
        self._marker = clear_marker
        self.written = 0
        exists = self.check_free(path, resume=resume)
        if exists:
            _drop_unended_line(path)
            with path.open(newline="", encoding="utf-8") as handle:
                header = next(csv.reader(handle), [])
                if header != ["id", *columns, BACKUP_COLUMN]:
                    raise UsageError(f"{path} is a backup of other columns ({', '.join(header)})")
        try:
            self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as error:
            raise UsageError(f"cannot write the backup file {path}: {error.strerror}") from None
        self._size = os.fstat(self._fd).st_size
        if not exists:
            self._append(["id", *columns, BACKUP_COLUMN])

    def _append(self, cells: list[str]) -> None:
        line = io.StringIO()
        csv.writer(line).writerow(neutralised(cells))
        data = line.getvalue().encode("utf-8")
        try:
            written = 0
            while written < len(data):
                written += os.write(self._fd, data[written:])
        except OSError as error:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, self._size)  # no half line for a resume to misread
            raise StorageFailed("backup", self.path, storage_reason(error)) from None
        self._size += len(data)

    @staticmethod
    def check_free(path: Path, *, resume: bool) -> bool:
        """Whether a backup is there to continue; one is never overwritten."""
        exists = path.exists() and path.stat().st_size > 0
        if exists and not resume:
            raise UsageError.naming_settings(
                f"the backup file {escape(str(path))} already exists; name another with "
                "{backup_path} (or set {resume} to continue the run that wrote it)"
            )
        return exists

    def confirm(self, conversation_id: str) -> None:
        """The conversation's change, whose line was written before it, is done."""
        self._append([conversation_id, *("" for _column in self._columns), DONE])

    def write(self, conversation_id: str, before: dict[str, Any], ours: dict[str, Any]) -> None:
        """The conversation's values ``before`` this round and those it is about to leave
        there. Raises :class:`StorageFailed` when the line cannot be written: its update
        must not be sent."""
        found = backup_cells(before, self._columns, self._marker, self._dates)
        left = backup_cells(ours, self._columns, self._marker, self._dates)
        cells = [found.get(column, "") for column in self._columns]
        self._append([conversation_id, *cells, wire_json(left).decode()])
        self.written += 1

    def close(self) -> None:
        try:
            os.fsync(self._fd)
        except OSError as error:
            raise StorageFailed("backup", self.path, storage_reason(error)) from None
        finally:
            os.close(self._fd)


def _drop_unended_line(path: Path) -> None:
    """Cut a last line that has no line end (a crash in the middle of writing it)."""
    with path.open("rb+") as handle:
        start = max(0, handle.seek(0, os.SEEK_END) - _LONGEST_LINE)
        handle.seek(start)
        tail = handle.read()
        if tail and not tail.endswith(b"\n"):
            handle.truncate(start + tail.rfind(b"\n") + 1)


_LONGEST_LINE = 1 << 20  # a backup line holds a row's fields, never near a megabyte


@dataclass
class BackedUp:
    """One conversation of a backup: what the sheet's first round found, what its last
    confirmed change left in each field, and what the changes after that (unconfirmed: they
    may have landed or not) were to leave."""

    before: dict[str, str]
    confirmed: dict[str, str] = field(default_factory=dict)
    unconfirmed: list[dict[str, str]] = field(default_factory=list)

    def add(self, ours: dict[str, str] | None) -> None:
        """A line's "ours" (None: its ``done`` line, which confirms the last one)."""
        if ours is not None:
            self.unconfirmed.append(ours)
        elif self.unconfirmed:
            self.confirmed.update(self.unconfirmed[-1])
            self.unconfirmed.clear()

    def may_hold(self, column: str) -> list[str]:
        """What the sheet's rounds may have left in ``column``, the last confirmed first."""
        held = [self.confirmed[column]] if column in self.confirmed else []
        held += [ours[column] for ours in self.unconfirmed if column in ours]
        return list(dict.fromkeys(held))

    def to_restore(self) -> dict[str, str]:
        """The fields the rounds may have left other than the first one found them, each with
        those that go together with it (a state with the time it was snoozed until)."""
        moved = [
            column
            for column, cell in self.before.items()
            if any(held != cell for held in self.may_hold(column))
        ]
        return {
            column: self.before[column]
            for column in with_companions(moved)
            if column in self.before and (column in moved or self.before[column])
        }


@dataclass
class Backup:
    """A backup file read whole: its columns, and each conversation in the order first met."""

    columns: list[str]
    conversations: dict[str, BackedUp]
    # Every line says what its round left there (older backups did not): undo is a merge.
    merges: bool


def read_backup(path: Path, rows: Iterable[list[str]], columns: list[str]) -> Backup:
    """Fold a backup's lines (``rows``, after its header ``columns``) into one entry per
    conversation: the first line's cells, and what the rounds may have left."""
    fields = [(index, name) for index, name in enumerate(columns) if name not in _NOT_FIELDS]
    at_id, at_marker = columns.index("id"), columns.index(BACKUP_COLUMN)
    conversations: dict[str, BackedUp] = {}
    merges = True
    for cells in rows:
        conversation_id, marker = cells[at_id], cells[at_marker]
        entry = conversations.get(conversation_id)
        if entry is None:
            if marker == DONE:
                continue  # a confirmation whose line a crash cut off
            before = {name: cells[index] for index, name in fields}
            entry = conversations[conversation_id] = BackedUp(before)
        if not marker:
            merges = False  # a line of an earlier version: what its round left is not known
        else:
            entry.add(None if marker == DONE else _ours(path, marker))
    return Backup([name for _index, name in fields], conversations, merges)


_NOT_FIELDS = ("id", BACKUP_COLUMN)
# The last cell of a line that confirms the change of the line before it for the same
# conversation.
DONE = "done"


def _ours(path: Path, marker: str) -> dict[str, str]:
    try:
        left = json.loads(marker)
    except ValueError:
        left = None
    if not isinstance(left, dict):
        raise UsageError(
            f"{path}: a {BACKUP_COLUMN} cell is not as bulk-update wrote it; restore it "
            "from a copy of the backup"
        )
    return {str(key): str(value) for key, value in left.items()}
