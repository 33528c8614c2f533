"""The journal's tables (SQLite), bringing a journal from an earlier version of this tool up
to them, and reading what a journal file was kept for without opening it for a run."""

from __future__ import annotations

import contextlib
import json
import secrets
import sqlite3
from pathlib import Path
from typing import Any

from bulk_update.errors import UsageError, escape

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
    base BLOB NOT NULL DEFAULT x'',
    note_may_have_landed INTEGER NOT NULL DEFAULT 0
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
    digest BLOB NOT NULL
);
"""


ADDED_COLUMNS = (
    ("outcomes", "changes", "TEXT NOT NULL DEFAULT ''"),
    ("outcomes", "steps", "TEXT NOT NULL DEFAULT ''"),
    ("outcomes", "base", "TEXT NOT NULL DEFAULT ''"),
    ("pending", "actions", "BLOB NOT NULL DEFAULT x''"),
    ("pending", "base", "BLOB NOT NULL DEFAULT x''"),
    ("pending", "note_may_have_landed", "INTEGER NOT NULL DEFAULT 0"),
)


def add_missing_columns(connection: sqlite3.Connection) -> None:
    """A journal from an earlier version of this tool, brought up to this one's columns."""
    for table, column, declared in ADDED_COLUMNS:
        columns = {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}
        if column not in columns:
            connection.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declared}")
    connection.commit()


def add_history_id(connection: sqlite3.Connection) -> None:
    """The history's id (random, starting with a letter so that no spreadsheet takes it for a
    number), given once: when the journal is made, or (a journal of an earlier version of this
    tool) the first time it is opened for writing. The files it writes name it."""
    history = "h" + secrets.token_hex(6)
    connection.execute("INSERT OR IGNORE INTO meta VALUES ('history', ?)", (json.dumps(history),))
    connection.commit()


def read_meta(db: sqlite3.Connection) -> dict[str, Any]:
    return {key: json.loads(value) for key, value in db.execute("SELECT * FROM meta")}


def same_input(recorded: dict[str, Any], current: dict[str, Any]) -> bool:
    """Whether two input fingerprints are of the same bytes."""
    return all(recorded.get(key) == current.get(key) for key in ("sha256", "size"))


def check_same_input(
    path: Path, meta: dict[str, Any], current: dict[str, Any], *, force: bool
) -> None:
    """The journal at ``path`` (its ``meta``) is kept for the input ``current`` fingerprints
    (or ``force`` says to go on all the same)."""
    recorded = meta.get("input")
    if recorded is None:
        raise UsageError(f"{path} is not a bulk-update journal")
    if not force and not same_input(recorded, current):
        raise UsageError.naming_settings(
            f"the input file changed since the journal {escape(str(path))} was "
            f"started (it was {escape(str(recorded.get('path')))}, {recorded.get('size')} "
            "bytes); resuming could update the wrong rows. Set {resume} and {force} to go "
            "on anyway, or delete the journal to start over"
        )


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


def history_of(journal_path: Path) -> str | None:
    """The id of the history the journal at ``journal_path`` keeps (None: none there)."""
    history = _meta_of(journal_path).get("history")
    return history if isinstance(history, str) else None


def backup_of(journal_path: Path) -> Path | None:
    """The --backup file of the run that kept this journal, if it had one."""
    backup = (_meta_of(journal_path).get("options") or {}).get("backup")
    return Path(backup) if backup else None
