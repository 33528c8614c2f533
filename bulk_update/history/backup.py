"""``--backup``: each row's previous values, written in bulk-update's own input format so
that ``bulk-update run BACKUP`` (or ``bulk-update undo``) puts them back."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
from pathlib import Path
from typing import Any

from bulk_update.errors import StorageFailed, UsageError, escape, storage_reason
from bulk_update.models import BACKUP_COLUMN
from bulk_update.sheet.inert import neutralise
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
        self._done: set[str] = set()
        exists = self.check_free(path, resume=resume)
        if exists:
            _drop_unended_line(path)
            with path.open(newline="", encoding="utf-8") as handle:
                reader = csv.reader(handle)
                header = next(reader, [])
                if header != ["id", *columns, BACKUP_COLUMN]:
                    raise UsageError(f"{path} is a backup of other columns ({', '.join(header)})")
                self._done = {cells[0] for cells in reader if cells}
        try:
            self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as error:
            raise UsageError(f"cannot write the backup file {path}: {error.strerror}") from None
        self._size = os.fstat(self._fd).st_size
        if not exists:
            self._append(["id", *columns, BACKUP_COLUMN])

    def _append(self, cells: list[str]) -> None:
        line = io.StringIO()
        csv.writer(line).writerow([neutralise(cell) for cell in cells])
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

    def has(self, conversation_id: str) -> bool:
        """Already backed up (by an earlier, interrupted run): its first line is the truth."""
        return conversation_id in self._done

    def write(self, conversation_id: str, before: dict[str, Any]) -> None:
        """Raises :class:`StorageFailed` when the line cannot be written: its update must
        not be sent."""
        cells = [conversation_id] + [
            as_cell(before[column], self._marker, is_date=column in self._dates)
            if column in before
            else ""
            for column in self._columns
        ]
        self._append([*cells, ""])
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
