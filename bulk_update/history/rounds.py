"""A sheet's log: each round a command made on its history (run, run of its report, retry,
undo, resume, a run stopped), kept in the history itself (a table of the journal) so that the
log travels with it. A round is written when its command ends: a run killed outright leaves
none, and the ``--resume`` that finishes it says so."""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bulk_update.history.journal_tables import inputs_of, read_meta, reading
from bulk_update.models import RowStatus, RunSummary

_TABLE = """CREATE TABLE IF NOT EXISTS rounds (
    id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, ended_at TEXT NOT NULL,
    command TEXT NOT NULL, workspace TEXT NOT NULL, teammate TEXT NOT NULL,
    input TEXT NOT NULL, rows INTEGER NOT NULL, digest TEXT NOT NULL, settings TEXT NOT NULL,
    counts TEXT NOT NULL, ended TEXT NOT NULL
)"""
# Settings never written in a log: a webhook's address is its secret.
_UNLOGGED = frozenset({"notify_url"})


@dataclass(frozen=True)
class Round:
    """One round of a sheet's history (see the module's note). ``digest`` names what was sent:
    the same sheet (its bytes) and settings give the same one."""

    started_at: str
    ended_at: str
    command: str
    workspace: str
    teammate: str
    input: str
    rows: int
    digest: str
    settings: Mapping[str, Any]
    counts: Mapping[str, int]
    ended: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


ROUND_COLUMNS = tuple(Round.__dataclass_fields__)


def record_round(
    history: Path,
    command: str,
    settings: Mapping[str, Any],
    summary: RunSummary,
    started: datetime,
) -> None:
    """Adds a round to the history's log (a history not there: nothing to add to)."""
    if not history.exists():
        return
    logged = {
        name: _plain(value) for name, value in sorted(settings.items()) if name not in _UNLOGGED
    }
    counts = {status.value: summary.count(status) for status in RowStatus if summary.count(status)}
    settings_text = json.dumps(logged, sort_keys=True, ensure_ascii=False)
    workspace = summary.workspace
    with contextlib.closing(sqlite3.connect(history, timeout=30)) as db, db:
        inputs = inputs_of(read_meta(db))  # the bytes of the sheet (or report) just run
        sheet = inputs[-1].get("sha256", "") if inputs else ""
        digest = hashlib.sha256(f"{sheet}\0{settings_text}".encode()).hexdigest()[:12]
        db.execute(_TABLE)
        db.execute(
            "INSERT INTO rounds (started_at, ended_at, command, workspace, teammate, input, "
            "rows, digest, settings, counts, ended) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                _stamp(started),
                _stamp(datetime.now(UTC)),
                command,
                workspace.described() if workspace else "",
                workspace.teammate if workspace else "",
                summary.input_path,
                summary.rows,
                digest,
                settings_text,
                json.dumps(counts),
                _how_it_ended(summary),
            ),
        )


def read_rounds(history: Path) -> list[Round]:
    """The history's rounds, newest first."""
    with reading(history) as db:  # leaves nothing beside the journal
        found = db.execute("SELECT name FROM sqlite_master WHERE name = 'rounds'").fetchone()
        if found is None:
            return []
        lines = db.execute(
            "SELECT started_at, ended_at, command, workspace, teammate, input, rows, digest, "
            "settings, counts, ended FROM rounds ORDER BY id DESC"
        ).fetchall()
    return [
        Round(start, end, command, space, mate, source, rows, digest, *_read(given, counts), ended)
        for start, end, command, space, mate, source, rows, digest, given, counts, ended in lines
    ]


def _read(settings: str, counts: str) -> tuple[dict[str, Any], dict[str, int]]:
    return json.loads(settings), json.loads(counts)


def _how_it_ended(summary: RunSummary) -> str:
    if summary.interrupted:
        return "interrupted (--resume carries on)"
    if summary.stop_reason:
        return f"stopped: {summary.stop_reason}"
    if summary.all_succeeded:
        return "done" if not summary.dry_run else "dry run"
    return "done, with rows to fix" if not summary.dry_run else "dry run, with rows to fix"


def _plain(value: Any) -> Any:
    """A setting as JSON holds it (paths and rates as text, lists as lists)."""
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(each) for each in value]
    if isinstance(value, Mapping):
        return {str(key): _plain(each) for key, each in value.items()}
    return str(value)


def _stamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
