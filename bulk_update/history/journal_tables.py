"""The journal's tables (SQLite), bringing a journal from an earlier version of this tool up
to them, and reading what a journal file was kept for without opening it for a run."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from pathlib import Path
from typing import Any, NamedTuple

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outcomes (
    row INTEGER PRIMARY KEY,
    status TEXT NOT NULL,
    http_status INTEGER,
    error_code TEXT NOT NULL,
    error_message TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    request_id TEXT NOT NULL,
    final INTEGER NOT NULL,
    changes TEXT NOT NULL DEFAULT '',
    steps TEXT NOT NULL DEFAULT '',
    base TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS pending (
    row INTEGER PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    payload BLOB NOT NULL,
    actions BLOB NOT NULL DEFAULT x'',
    base BLOB NOT NULL DEFAULT x''
);
CREATE TABLE IF NOT EXISTS intents (
    row INTEGER PRIMARY KEY,
    seen TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS notes (
    conversation_id TEXT NOT NULL,
    body TEXT NOT NULL,
    admin_id TEXT NOT NULL,
    sent_at REAL NOT NULL,
    PRIMARY KEY (conversation_id, body)
);
CREATE TABLE IF NOT EXISTS contents (
    row INTEGER PRIMARY KEY,
    digest BLOB NOT NULL,
    cells TEXT NOT NULL DEFAULT '',
    done TEXT NOT NULL DEFAULT ''
);
"""


class EarlierRow(NamedTuple):
    """A row as earlier runs left it."""

    row: int
    digest: bytes  # of its input cells, to tell an edited row apart
    cells: str  # its change cells (JSON, header → cell) as they stand once it is done
    done: str  # its change cells as last done before that ('' when none were)
    status: str | None  # its outcome's (None: none)
    base: str | None  # its outcome's (a conflict's: the live cells it saw)


ADDED_COLUMNS = (
    ("outcomes", "changes", "TEXT NOT NULL DEFAULT ''"),
    ("outcomes", "steps", "TEXT NOT NULL DEFAULT ''"),
    ("outcomes", "base", "TEXT NOT NULL DEFAULT ''"),
    ("pending", "actions", "BLOB NOT NULL DEFAULT x''"),
    ("pending", "base", "BLOB NOT NULL DEFAULT x''"),
    ("contents", "cells", "TEXT NOT NULL DEFAULT ''"),
    ("contents", "done", "TEXT NOT NULL DEFAULT ''"),
)


def add_missing_columns(connection: sqlite3.Connection) -> None:
    """A journal from an earlier version of this tool, brought up to this one's columns."""
    for table, column, declared in ADDED_COLUMNS:
        columns = {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}
        if column not in columns:
            connection.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declared}")
    connection.commit()


def read_meta(db: sqlite3.Connection) -> dict[str, Any]:
    return {key: json.loads(value) for key, value in db.execute("SELECT * FROM meta")}


def same_input(recorded: dict[str, Any], current: dict[str, Any]) -> bool:
    """Whether two input fingerprints are of the same bytes."""
    return all(recorded.get(key) == current.get(key) for key in ("sha256", "size"))


def _meta_of(path: Path) -> dict[str, Any]:
    """A journal's meta, read without writing (nothing when there is no usable journal:
    opening it for a run says what is wrong with it)."""
    if not path.exists():
        return {}
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            return read_meta(db)
    except sqlite3.DatabaseError:
        return {}


def recorded_input(journal_path: Path) -> dict[str, Any] | None:
    """The input fingerprint the journal at ``journal_path`` was kept for (None: none)."""
    recorded = _meta_of(journal_path).get("input")
    return recorded if isinstance(recorded, dict) else None


def backup_of(journal_path: Path) -> Path | None:
    """The --backup file of the run that kept this journal, if it had one."""
    backup = (_meta_of(journal_path).get("options") or {}).get("backup")
    return Path(backup) if backup else None
