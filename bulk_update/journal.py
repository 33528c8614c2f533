"""A durable record of row outcomes (SQLite, WAL): the report is written from it, and
``--resume`` continues from it.

Outcomes are committed in small batches at most a second apart, so a crash loses at most
the last second of confirmations; those rows are sent again on resume (PUT is idempotent).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bulk_update.errors import UsageError
from bulk_update.models import RowOutcome, RowStatus

BATCH_ROWS = 500
BATCH_SECONDS = 1.0
LOOKUP_BLOCK = 4096
# A failure with one of these answers may succeed another time (or with another token).
_NON_FINAL_FAILURE_STATUSES = (401, 403, 408, 429)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outcomes (
    row INTEGER PRIMARY KEY,
    status TEXT NOT NULL,
    http_status INTEGER,
    error_code TEXT NOT NULL,
    error_message TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    request_id TEXT NOT NULL,
    final INTEGER NOT NULL
);
"""


def is_final(outcome: RowOutcome) -> bool:
    """Will this outcome stand on resume, or should the row be sent again?"""
    if outcome.status in (RowStatus.UPDATED, RowStatus.INVALID):
        return True
    if outcome.status is RowStatus.FAILED:
        status = outcome.http_status
        return status is not None and status < 500 and status not in _NON_FINAL_FAILURE_STATUSES
    return False


def fingerprint(path: Path) -> dict[str, Any]:
    """What identifies an input file: where it is, its size and a hash of its content."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return {"path": str(path.resolve()), "size": path.stat().st_size, "sha256": digest.hexdigest()}


class Journal:
    """Row outcomes for one report. ``Journal.in_memory()`` serves dry runs."""

    def __init__(self, connection: sqlite3.Connection, path: Path | None):
        self.path = path
        self._db = connection
        self._pending: list[tuple[Any, ...]] = []
        self._last_commit = time.monotonic()

    @classmethod
    def in_memory(cls) -> Journal:
        connection = sqlite3.connect(":memory:")
        connection.executescript(_SCHEMA)
        return cls(connection, None)

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
            raise UsageError(
                f"{path} already holds the journal of an earlier run for this report: pass "
                "--resume to continue that run, or delete the file to start over"
            )
        if resume and not exists:
            raise UsageError(f"nothing to resume: {path} does not exist (run without --resume)")
        try:
            connection = sqlite3.connect(path)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.executescript(_SCHEMA)
        except sqlite3.DatabaseError as error:
            raise UsageError(f"{path} is not a usable journal ({error})") from None
        journal = cls(connection, path)
        if exists:
            journal._check_same_input(input_fingerprint, force=force)
        else:
            journal._set_meta({"input": input_fingerprint, "options": options})
        return journal

    def _check_same_input(self, current: dict[str, Any], *, force: bool) -> None:
        recorded = self.meta().get("input")
        if recorded is None:
            raise UsageError(f"{self.path} is not a bulk-update journal")
        if force:
            return
        if recorded.get("sha256") != current["sha256"] or recorded.get("size") != current["size"]:
            raise UsageError(
                f"the input file changed since the journal {self.path} was started "
                f"(it was {recorded.get('path')}, {recorded.get('size')} bytes); resuming "
                "could update the wrong rows. Pass --resume --force to go on anyway, or "
                "delete the journal to start over"
            )

    def _set_meta(self, values: dict[str, Any]) -> None:
        self._db.executemany(
            "INSERT OR REPLACE INTO meta VALUES (?, ?)",
            [(key, json.dumps(value)) for key, value in values.items()],
        )
        self._db.commit()

    def meta(self) -> dict[str, Any]:
        return {key: json.loads(value) for key, value in self._db.execute("SELECT * FROM meta")}

    def record(self, outcome: RowOutcome) -> None:
        self._pending.append(
            (
                outcome.row,
                outcome.status.value,
                outcome.http_status,
                outcome.error_code,
                outcome.error_message,
                outcome.attempts,
                outcome.request_id,
                int(is_final(outcome)),
            )
        )
        if (
            len(self._pending) >= BATCH_ROWS
            or time.monotonic() - self._last_commit >= BATCH_SECONDS
        ):
            self.flush()

    def flush(self) -> None:
        if self._pending:
            # An update that was confirmed is never downgraded by a later outcome.
            self._db.executemany(
                """INSERT INTO outcomes VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT(row) DO UPDATE SET status=excluded.status,
                     http_status=excluded.http_status, error_code=excluded.error_code,
                     error_message=excluded.error_message, attempts=excluded.attempts,
                     request_id=excluded.request_id, final=excluded.final
                   WHERE outcomes.status != 'updated'""",
                self._pending,
            )
            self._pending.clear()
        self._db.commit()
        self._last_commit = time.monotonic()

    def count_done(self) -> int:
        """Rows already sent with a final outcome (an earlier run's work, on resume)."""
        self.flush()
        (count,) = self._db.execute(
            "SELECT count(*) FROM outcomes WHERE final = 1 AND status != 'invalid'"
        ).fetchone()
        return int(count)

    def final_rows(self) -> FinalRows:
        self.flush()
        return FinalRows(self._db)

    def outcomes(self) -> Iterator[RowOutcome]:
        """Every recorded outcome, in row order, streamed."""
        self.flush()
        cursor = self._db.execute(
            "SELECT row, status, http_status, error_code, error_message, attempts, request_id "
            "FROM outcomes ORDER BY row"
        )
        while batch := cursor.fetchmany(1000):
            for row, status, http_status, code, message, attempts, request_id in batch:
                yield RowOutcome(
                    row, RowStatus(status), http_status, code, message, attempts, request_id
                )

    def close(self) -> None:
        self.flush()
        self._db.close()


class FinalRows:
    """``row in final_rows``: was this row's outcome already final? Loaded block by block,
    so memory stays flat however many rows are done (rows are asked for in order)."""

    def __init__(self, db: sqlite3.Connection):
        self._db = db
        self._block = -1
        self._rows: set[int] = set()

    def __contains__(self, row: int) -> bool:
        block = row // LOOKUP_BLOCK
        if block != self._block:
            self._block = block
            self._rows = {
                found
                for (found,) in self._db.execute(
                    "SELECT row FROM outcomes WHERE final = 1 AND row >= ? AND row < ?",
                    (block * LOOKUP_BLOCK, (block + 1) * LOOKUP_BLOCK),
                )
            }
        return row in self._rows
