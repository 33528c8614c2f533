"""A keyed sheet's keys and matches, row by row, kept on disk (a private temporary SQLite
database, gone when it is closed) rather than in memory: matching a sheet of a million keys
costs what matching a few thousand does. The journal keeps an id sheet's rows the same way."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

# Rows matched (and read back) at once: few enough to hold, many enough that a chunk's keys
# fill many searches and SQLite is not asked row by row.
ROWS_AT_ONCE = 5_000


@dataclass(frozen=True)
class RowMatch:
    """One row: its key as searched, what it matched and the conversations it applies to."""

    row: int
    key: str
    status: Literal["matched", "unmatched", "ambiguous", "invalid"]
    conversation_ids: tuple[str, ...]
    matched: int  # every conversation the key matched (``ambiguous``: more than one)
    message: str = ""


class MatchStore:
    """Each row's match, in row order, and the first row of each key (for duplicates)."""

    def __init__(self) -> None:
        self._db = sqlite3.connect("")  # "": private, on disk, deleted when closed
        self._db.executescript(
            """
            CREATE TABLE keys (compared TEXT PRIMARY KEY, row INTEGER NOT NULL);
            CREATE TABLE matches (
                row INTEGER PRIMARY KEY, key TEXT, status TEXT, ids TEXT,
                matched INTEGER, message TEXT
            );
            """
        )

    def first_row(self, compared: str, row: int) -> int | None:
        """The row that had this key first, or None (and this row has it now)."""
        found = self._db.execute("SELECT row FROM keys WHERE compared = ?", (compared,))
        earlier = found.fetchone()
        if earlier is not None:
            return int(earlier[0])
        self._db.execute("INSERT INTO keys VALUES (?, ?)", (compared, row))
        return None

    def add(self, matches: Iterable[RowMatch]) -> None:
        self._db.executemany(
            "INSERT OR REPLACE INTO matches VALUES (?, ?, ?, ?, ?, ?)",
            (
                (m.row, m.key, m.status, ";".join(m.conversation_ids), m.matched, m.message)
                for m in matches
            ),
        )

    def rows(self) -> Iterator[RowMatch]:
        """Every row's match, in row order (read a batch at a time)."""
        found = self._db.execute("SELECT * FROM matches ORDER BY row")
        while batch := found.fetchmany(ROWS_AT_ONCE):
            for row, key, status, ids, matched, message in batch:
                conversation_ids = tuple(ids.split(";")) if ids else ()
                yield RowMatch(row, key, status, conversation_ids, matched, message)

    def close(self) -> None:
        self._db.close()
