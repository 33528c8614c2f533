"""The journal's tables (SQLite), and bringing a journal from an earlier version of this tool
up to them."""

from __future__ import annotations

import sqlite3

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
    digest BLOB NOT NULL
);
"""


ADDED_COLUMNS = (
    ("outcomes", "changes", "TEXT NOT NULL DEFAULT ''"),
    ("outcomes", "steps", "TEXT NOT NULL DEFAULT ''"),
    ("outcomes", "base", "TEXT NOT NULL DEFAULT ''"),
    ("pending", "actions", "BLOB NOT NULL DEFAULT x''"),
    ("pending", "base", "BLOB NOT NULL DEFAULT x''"),
)


def add_missing_columns(connection: sqlite3.Connection) -> None:
    """A journal from an earlier version of this tool, brought up to this one's columns."""
    for table, column, declared in ADDED_COLUMNS:
        columns = {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}
        if column not in columns:
            connection.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declared}")
    connection.commit()
