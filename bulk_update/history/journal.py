"""A durable record of row outcomes (SQLite, WAL), which the report and ``--resume`` read.

Outcomes are committed in batches of at most ``OUTCOME_BATCH_ROWS``, and every 0.1 s by whoever
drives the run (``Job`` calls :meth:`Journal.flush` on a timer), so a crash loses at most the
last tenth of a second of confirmations; those rows are sent again on resume (PUT is idempotent).
"""

from __future__ import annotations

import contextlib
import functools
import json
import sqlite3
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from bulk_update.errors import StorageFailed, UsageError, escape, storage_reason
from bulk_update.history.journal_tables import (
    SCHEMA,
    input_meta,
    open_for_run,
    private_copy,
    read_meta,
    same_input,
)
from bulk_update.models import PreparedUpdate, RowOutcome, RowStatus
from bulk_update.rules import is_final

BATCH_ROWS = 2000
# Outcomes are committed at least this often too, so that a burst of fast answers (the
# first window's whole budget at once) cannot pile up uncommitted between two timer ticks.
OUTCOME_BATCH_ROWS = 50
PENDING_PAGE = 1000

_Args = ParamSpec("_Args")
_Result = TypeVar("_Result")


def _storing(
    method: Callable[Concatenate[Journal, _Args], _Result],
) -> Callable[Concatenate[Journal, _Args], _Result]:
    """A write that SQLite cannot make (the disk is full) becomes :class:`StorageFailed`
    naming the journal; the transaction is rolled back, so what was committed stands."""

    @functools.wraps(method)
    def writing(journal: Journal, /, *args: _Args.args, **kwargs: _Args.kwargs) -> _Result:
        try:
            return method(journal, *args, **kwargs)
        except sqlite3.OperationalError as error:
            with contextlib.suppress(sqlite3.Error):
                journal._db.rollback()
            where = journal.path or "temporary database"
            raise StorageFailed("journal", where, storage_reason(error)) from None

    return writing


class Journal:
    """Row outcomes for one report. ``Journal.temporary()`` serves dry runs."""

    def __init__(
        self, connection: sqlite3.Connection, path: Path | None, *, history: bool | None = None
    ):
        self.path = path
        # Whether it holds a sheet's history (earlier runs' outcomes): a journal on disk, or
        # a dry run's private copy of one.
        self.history = path is not None if history is None else history
        self._db = connection
        self._outcomes: list[tuple[Any, ...]] = []
        self._updates: list[tuple[int, str, bytes, bytes, bytes, bool]] = []
        self._contents: list[tuple[int, bytes, str, str]] = []
        self._forgotten: list[tuple[int]] = []
        self._closed = False

    @classmethod
    def temporary(cls) -> Journal:
        """A journal for one process (dry runs): SQLite's private temporary database, kept
        on disk beyond a small cache, so a million rows do not cost their size in RAM."""
        connection = sqlite3.connect("")
        connection.executescript(SCHEMA)
        return cls(connection, None)

    @classmethod
    def copy_of(cls, path: Path) -> Journal:
        """A private copy of the journal at ``path``, for a dry run of its report: it sees
        what the history knows, and writes none of it back."""
        return cls(private_copy(path), None, history=True)

    @classmethod
    def open(
        cls,
        path: Path,
        input_fingerprint: dict[str, Any],
        options: dict[str, Any],
        *,
        resume: bool,
        force: bool,
    ) -> Journal:
        """Start a journal, or reopen one with ``resume``. Never overwrites one silently."""
        exists = path.exists()
        if exists and not resume:
            raise UsageError.naming_settings(
                f"{escape(str(path))} already holds the journal of an earlier run for this "
                "report: set {resume} to continue that run, or delete the file to start over"
            )
        if resume and not exists:
            raise UsageError.naming_settings(
                f"nothing to resume: {escape(str(path))} does not exist (run without {{resume}})"
            )
        journal = cls(open_for_run(path), path)
        try:
            if exists:
                journal._check_same_input(input_fingerprint, force=force)
            else:
                journal.set_meta({**input_meta({}, input_fingerprint), "options": options})
        except BaseException:
            journal._db.close()  # refused: no -wal or -shm of it left beside the journal
            raise
        return journal

    def _check_same_input(self, current: dict[str, Any], *, force: bool) -> None:
        recorded = self.meta().get("input")
        if recorded is None:
            raise UsageError(f"{self.path} is not a bulk-update journal")
        if same_input(recorded, current):
            return
        if not force:
            raise UsageError.naming_settings(
                f"the input file changed since the journal {escape(str(self.path))} was "
                f"started (it was {escape(str(recorded.get('path')))}, {recorded.get('size')} "
                "bytes); resuming could update the wrong rows. Set {resume} and {force} to go "
                "on anyway, or delete the journal to start over"
            )
        # Changed on purpose (a report run again, or forced): what the input is now; the
        # inputs before it stay known (running one of them again is no change of bytes).
        self.set_meta(input_meta(self.meta(), current))

    @_storing
    def set_meta(self, values: dict[str, Any]) -> None:
        self._db.executemany(
            "INSERT OR REPLACE INTO meta VALUES (?, ?)",
            [(key, json.dumps(value)) for key, value in values.items()],
        )
        self._db.commit()

    def meta(self) -> dict[str, Any]:
        return read_meta(self._db)

    def record(self, outcome: RowOutcome) -> None:
        self._outcomes.append(
            (
                outcome.row,
                outcome.status.value,
                outcome.http_status,
                outcome.error_code,
                outcome.error_message,
                outcome.attempts,
                outcome.request_id,
                int(is_final(outcome)),
                outcome.changes,
                outcome.steps,
                outcome.base,
            )
        )
        if len(self._outcomes) >= OUTCOME_BATCH_ROWS:
            self.flush()

    @_storing
    def flush(self) -> None:
        if self._forgotten:  # before this batch's outcomes, which may be the rows' new ones
            self._db.executemany("DELETE FROM outcomes WHERE row = ?", self._forgotten)
            self._db.executemany("DELETE FROM intents WHERE row = ?", self._forgotten)
            self._forgotten.clear()
        if self._contents:
            self._db.executemany("INSERT OR REPLACE INTO contents VALUES (?,?,?,?)", self._contents)
            self._contents.clear()
        if self._updates:
            self._db.executemany(
                "INSERT OR REPLACE INTO pending VALUES (?, ?, ?, ?, ?, ?)", self._updates
            )
            self._updates.clear()
        if self._outcomes:
            # An update that was confirmed is never downgraded by a later outcome.
            self._db.executemany(
                """INSERT INTO outcomes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT(row) DO UPDATE SET status=excluded.status,
                     http_status=excluded.http_status, error_code=excluded.error_code,
                     error_message=excluded.error_message, attempts=excluded.attempts,
                     request_id=excluded.request_id, final=excluded.final,
                     changes=excluded.changes, steps=excluded.steps, base=excluded.base
                   WHERE outcomes.status != 'updated'""",
                self._outcomes,
            )
            self._outcomes.clear()
        self._db.commit()

    @_storing
    def start_validation(self) -> None:
        """Forget what a previous validation pass found (resume re-validates): the updates
        it prepared and the rows it found invalid, which this pass finds again or not."""
        self._db.execute("DELETE FROM pending")
        self._db.execute("DELETE FROM outcomes WHERE status = 'invalid'")
        self._db.commit()

    # --- each row's content: an edited row never keeps its old outcome; what was done -----

    def earlier_rows(self) -> Iterator[tuple[Any, ...]]:
        """Each row as earlier runs left it (``EarlierRow``), in row order, a page at a time."""
        after = 0
        while True:
            page = self._db.execute(
                "SELECT contents.row, digest, cells, done, status, base FROM contents "
                "LEFT JOIN outcomes USING (row) WHERE contents.row > ? "
                "ORDER BY contents.row LIMIT ?",
                (after, PENDING_PAGE),
            ).fetchall()
            if not page:
                return
            yield from page
            after = page[-1][0]

    def note_content(self, row: int, digest: bytes, cells: str, done: str) -> None:
        self._contents.append((row, digest, cells, done))
        if len(self._contents) >= BATCH_ROWS:
            self.flush()

    @_storing
    def forget_contents_after(self, row: int) -> None:
        self._db.execute("DELETE FROM contents WHERE row > ?", (row,))

    def forget(self, row: int) -> None:
        """The row's outcome belongs to its old content (or is to be tried again): drop it."""
        self._forgotten.append((row,))

    def add_update(self, update: PreparedUpdate) -> None:
        """Keep a validated row's request until it is sent (streamed back by row)."""
        u = update
        self._updates.append(
            (u.row, u.conversation_id, u.payload, u.actions, u.base, u.note_may_have_landed)
        )
        if len(self._updates) >= BATCH_ROWS:
            self.flush()

    # --- what only the whole file shows, asked of the prepared rows ---------------------

    def repeated_ids(self) -> Iterator[tuple[int, int]]:
        """(row, the first row with the same id) for every later row of a repeated id. Ids
        are numbers to Intercom: ``1000001`` and ``01000001`` name one conversation."""
        self.flush()
        yield from self._db.execute(
            "SELECT pending.row, repeated.first FROM pending JOIN ("
            "  SELECT ltrim(conversation_id, '0') AS number, min(row) AS first FROM pending"
            "  GROUP BY number HAVING count(*) > 1"
            ") AS repeated ON ltrim(pending.conversation_id, '0') = repeated.number "
            "WHERE pending.row > repeated.first ORDER BY pending.row"
        )

    def zero_padded_length(self) -> int | None:
        """When at least half the ids start with a zero: the length most of those have."""
        self.flush()
        total, padded = self._db.execute(
            "SELECT count(*), coalesce(sum(conversation_id GLOB '0*'), 0) FROM pending"
        ).fetchone()
        if not padded or 2 * padded < total:
            return None
        (length,) = self._db.execute(
            "SELECT length(conversation_id) AS digits FROM pending "
            "WHERE conversation_id GLOB '0*' GROUP BY digits ORDER BY count(*) DESC, digits "
            "LIMIT 1"
        ).fetchone()
        return int(length)

    def ids_shorter_than(self, length: int) -> Iterator[tuple[int, str]]:
        """(row, id) of the prepared rows whose id has fewer than ``length`` digits."""
        yield from self._db.execute(
            "SELECT row, conversation_id FROM pending WHERE length(conversation_id) < ? "
            "ORDER BY row",
            (length,),
        )

    def last_row(self, limit: int | None) -> int:
        """The row of the ``limit``-th prepared row (``sys.maxsize`` when every row may go)."""
        self.flush()
        if limit is None:
            return sys.maxsize
        if limit <= 0:
            return 0
        found = self._db.execute(
            "SELECT row FROM pending ORDER BY row LIMIT 1 OFFSET ?", (limit - 1,)
        ).fetchone()
        return sys.maxsize if found is None else int(found[0])

    def prepared_rows(self) -> list[int]:
        self.flush()
        return [row for (row,) in self._db.execute("SELECT row FROM pending ORDER BY row")]

    def count_prepared(self) -> int:
        self.flush()
        (count,) = self._db.execute("SELECT count(*) FROM pending").fetchone()
        return int(count)

    @_storing
    def drop_updates(self, rows: Iterable[int]) -> None:
        self.flush()
        self._db.executemany("DELETE FROM pending WHERE row = ?", [(row,) for row in rows])
        self._db.commit()

    def count_done(self, last_row: int) -> int:
        """Prepared rows whose outcome is already final (an earlier run's work, on resume)."""
        self.flush()
        (count,) = self._db.execute(
            "SELECT count(*) FROM pending JOIN outcomes USING (row) "
            "WHERE outcomes.final = 1 AND row <= ?",
            (last_row,),
        ).fetchone()
        return int(count)

    def updates_to_send(self, last_row: int) -> Iterator[PreparedUpdate]:
        """The prepared rows up to ``last_row`` whose outcome is not final, in row order.

        Read a page at a time, each query finished before outcomes are written again; the
        rows already handed out lie behind ``after``, so outcomes not yet committed cannot
        bring them back and no commit is needed between pages.
        """
        self.flush()
        after = 0
        while True:
            page = self._db.execute(
                "SELECT pending.row, conversation_id, payload, actions, pending.base, "
                "note_may_have_landed FROM pending "
                "LEFT JOIN outcomes USING (row) "
                "WHERE pending.row > ? AND pending.row <= ? AND outcomes.final IS NOT 1 "
                "ORDER BY pending.row LIMIT ?",
                (after, last_row, PENDING_PAGE),
            ).fetchall()
            if not page:
                return
            for row, conversation_id, payload, actions, base, landed in page:
                yield PreparedUpdate(row, conversation_id, payload, actions, base, bool(landed))
            after = page[-1][0]

    def outcomes(self) -> Iterator[RowOutcome]:
        """Every recorded outcome, in row order, streamed."""
        self.flush()
        cursor = self._db.execute(
            "SELECT row, status, http_status, error_code, error_message, attempts, request_id, "
            "changes, steps, base FROM outcomes ORDER BY row"
        )
        while batch := cursor.fetchmany(1000):
            for row, status, http_status, code, message, attempts, request_id, *shown in batch:
                yield RowOutcome(
                    row, RowStatus(status), http_status, code, message, attempts, request_id, *shown
                )

    # --- intents: what cannot be sent twice, recorded before it is sent ----------------

    def intent(self, row: int) -> str | None:
        """What the row's intent recorded (the state its conversation had), if any."""
        found = self._db.execute("SELECT seen FROM intents WHERE row = ?", (row,)).fetchone()
        return None if found is None else str(found[0])

    @_storing
    def record_intent(self, row: int, seen: str) -> None:
        """Committed before the request it announces is sent: a crash right after leaves it."""
        self._db.execute("INSERT OR REPLACE INTO intents VALUES (?, ?)", (row, seen))
        self._db.commit()

    # --- notes: every note the sheet's history may have posted, never forgotten ---------

    def note_sent_by(self, conversation_id: str, text: str) -> str | None:
        """The teammate a note with this text was sent as to this conversation, by any
        command on this history (it may have landed), if one was."""
        found = self._db.execute(
            "SELECT admin_id FROM notes WHERE conversation_id = ? AND body = ?",
            (conversation_id, text),
        ).fetchone()
        return None if found is None else str(found[0])

    @_storing
    def record_note(self, conversation_id: str, text: str, admin_id: str) -> None:
        """Committed before the note is sent: whatever happens after, the note is looked for
        on the conversation before it is ever sent again."""
        self._db.execute(
            "INSERT OR IGNORE INTO notes VALUES (?, ?, ?, ?)",
            (conversation_id, text, admin_id, time.time()),
        )
        self._db.commit()

    def close(self) -> None:
        """Commit what is left and close; closing again does nothing."""
        if self._closed:
            return
        self._closed = True
        try:
            self.flush()
        finally:
            self._db.close()
