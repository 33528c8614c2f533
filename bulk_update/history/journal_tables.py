"""The journal's tables (SQLite), bringing a journal from an earlier version of this tool up
to them, and reading what a journal file was kept for without opening it for a run."""

from __future__ import annotations

import contextlib
import json
import secrets
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import quote

from bulk_update.errors import StorageFailed, UsageError, storage_reason

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
    digest BLOB NOT NULL,
    cells TEXT NOT NULL DEFAULT '',
    done TEXT NOT NULL DEFAULT ''
);
"""


class EarlierRow(NamedTuple):
    """A row as earlier runs left it."""

    row: int
    digest: bytes  # of its input cells, to tell an edited row apart
    cells: str  # its id and change cells (U+001F-joined) as they stand once it is done
    done: str  # the same as last done before that ('' when none were)
    status: str | None  # its outcome's (None: none)
    base: str | None  # its outcome's (a conflict's: the live cells it saw)


ADDED_COLUMNS = (
    ("outcomes", "changes", "TEXT NOT NULL DEFAULT ''"),
    ("outcomes", "steps", "TEXT NOT NULL DEFAULT ''"),
    ("outcomes", "base", "TEXT NOT NULL DEFAULT ''"),
    ("pending", "actions", "BLOB NOT NULL DEFAULT x''"),
    ("pending", "base", "BLOB NOT NULL DEFAULT x''"),
    ("pending", "note_may_have_landed", "INTEGER NOT NULL DEFAULT 0"),
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


@contextlib.contextmanager
def reading(path: Path) -> Iterator[sqlite3.Connection]:
    """The journal at ``path`` (never made), to read, leaving nothing beside it.

    A journal whose last connection closed has no ``-wal`` beside it and holds everything in
    its own file: it is read as immutable, which makes no ``-wal`` or ``-shm`` (a read-only
    connection makes both and leaves them; on a full disk, so does any other). One with a
    ``-wal`` (a command running on it, or one that crashed) is read through it.
    """
    where = f"file:{quote(str(path))}"
    if not Path(f"{path}-wal").exists():
        connection = sqlite3.connect(f"{where}?mode=ro&immutable=1", uri=True)
    else:
        try:  # the last to close takes the -wal and -shm away; a read-only one cannot
            connection = sqlite3.connect(f"{where}?mode=rw", uri=True)
        except sqlite3.OperationalError:  # a journal we may not write
            connection = sqlite3.connect(f"{where}?mode=ro", uri=True)
    with contextlib.closing(connection):
        yield connection


def open_for_run(path: Path) -> sqlite3.Connection:
    """The journal at ``path``, made where there is none, up to this version's tables."""
    connection: sqlite3.Connection | None = None
    try:
        connection = sqlite3.connect(path)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.executescript(SCHEMA)
        add_missing_columns(connection)
        add_history_id(connection)
    except sqlite3.DatabaseError as error:
        if connection is not None:
            connection.close()
        if isinstance(error, sqlite3.OperationalError):
            raise StorageFailed("journal", path, storage_reason(error)) from None
        raise UsageError(f"{path} is not a usable journal ({error})") from None
    return connection


def private_copy(path: Path) -> sqlite3.Connection:
    """The journal at ``path`` copied into a private database (SQLite's temporary one), up to
    this version's columns."""
    connection = sqlite3.connect("")
    try:
        with reading(path) as source:
            source.backup(connection)
        add_missing_columns(connection)
    except sqlite3.DatabaseError as error:
        raise UsageError(f"{path} is not a usable journal ({error})") from None
    return connection


def _meta_of(path: Path) -> dict[str, Any]:
    """A journal's meta, read without writing (nothing when there is no usable journal:
    opening it for a run says what is wrong with it)."""
    if not path.exists():
        return {}
    try:
        with reading(path) as db:
            return read_meta(db)
    except sqlite3.DatabaseError:
        return {}


def inputs_of(meta: dict[str, Any]) -> list[dict[str, Any]]:
    """The fingerprint of every input a history was run from, the latest last (a journal of
    an earlier version of this tool knows its latest only)."""
    inputs = meta.get("inputs")
    if isinstance(inputs, list):
        return inputs
    latest = meta.get("input")
    return [latest] if isinstance(latest, dict) else []


def input_meta(meta: dict[str, Any], fingerprint: dict[str, Any]) -> dict[str, Any]:
    """The meta that makes ``fingerprint`` a history's input now (the last of its inputs),
    the inputs before it kept."""
    earlier = [known for known in inputs_of(meta) if not same_input(known, fingerprint)]
    return {"input": fingerprint, "inputs": [*earlier, fingerprint]}


@dataclass(frozen=True)
class Recorded:
    """What a journal file tells of its history before a run opens it."""

    inputs: list[dict[str, Any]]  # every input it was run from, the latest last
    finished: bool  # every row its last command prepared has its final outcome


def recorded(journal_path: Path) -> Recorded | None:
    """What the journal at ``journal_path`` was kept for (None: no usable journal there)."""
    if not journal_path.exists():
        return None
    try:
        with reading(journal_path) as db:
            inputs = inputs_of(read_meta(db))
            (unfinished,) = db.execute(
                "SELECT count(*) FROM pending LEFT JOIN outcomes USING (row) "
                "WHERE outcomes.final IS NOT 1"
            ).fetchone()
    except sqlite3.DatabaseError:
        return None
    return Recorded(inputs, finished=unfinished == 0) if inputs else None


def history_of(journal_path: Path) -> str | None:
    """The id of the history the journal at ``journal_path`` keeps (None: none there)."""
    history = _meta_of(journal_path).get("history")
    return history if isinstance(history, str) else None


def backup_of(journal_path: Path) -> Path | None:
    """The --backup file of the run that kept this journal, if it had one."""
    backup = (_meta_of(journal_path).get("options") or {}).get("backup")
    return Path(backup) if backup else None
