"""One process at a time on a sheet's history.

An exclusive ``flock`` on ``<journal>.lock``: the operating system lets go of it when its
holder ends in any way (a normal end, a crash, ``kill -9``), so a crashed holder's lock is
taken over by the next command without anyone deleting anything. Who holds it (process id,
host, command, since when) is written inside, for the message the next one shows.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from bulk_update.errors import StorageFailed, UsageError, storage_reason


def lock_path(journal: Path) -> Path:
    return journal.with_name(journal.name + ".lock")


@contextlib.contextmanager
def holding(held: Path | list[Path], command: str) -> Iterator[None]:
    """Hold the history of a journal (and a backup: any file a command must have to itself)
    for as long as the block runs, or raise UsageError at once, naming the process that
    holds it."""
    with contextlib.ExitStack() as stack:
        for path in [held] if isinstance(held, Path) else held:
            stack.enter_context(_holding_one(path, command))
        yield


@contextlib.contextmanager
def _holding_one(journal: Path, command: str) -> Iterator[None]:
    handle = _acquire(lock_path(journal), command)
    try:
        yield
    finally:
        # Unlinked while still held: one that opened the old file finds it gone and retries.
        with contextlib.suppress(OSError):
            lock_path(journal).unlink()
        handle.close()


def _acquire(path: Path, command: str) -> IO[str]:
    while True:
        handle = path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            who = _read(handle)
            handle.close()
            raise UsageError(
                f"{path.with_suffix('')} is in use by {_describe(who)}: one command at a time "
                "on a sheet's history; wait for that one to end (or stop it), then run again"
            ) from None
        if _same_file(handle, path):
            break
        handle.close()  # the holder before removed it as we opened it: take the new one
    handle.seek(0)
    handle.truncate()
    who = {"pid": os.getpid(), "host": socket.gethostname(), "command": command}
    try:
        handle.write(json.dumps({**who, "since": time.strftime("%Y-%m-%d %H:%M:%S")}))
        handle.flush()
    except OSError as error:
        with contextlib.suppress(OSError):  # closing retries the write that failed
            handle.close()
        path.unlink(missing_ok=True)
        raise StorageFailed("lock file", path, storage_reason(error)) from None
    return handle


def _same_file(handle: IO[str], path: Path) -> bool:
    try:
        return os.stat(path).st_ino == os.fstat(handle.fileno()).st_ino
    except FileNotFoundError:
        return False


def _read(handle: IO[str]) -> dict[str, object] | None:
    handle.seek(0)
    try:
        found = json.loads(handle.read() or "null")
    except ValueError:
        return None
    return found if isinstance(found, dict) else None


def _describe(who: dict[str, object] | None) -> str:
    if who is None:
        return "another process"
    return (
        f"process {who.get('pid')} on {who.get('host')} ({who.get('command')}, since "
        f"{who.get('since')})"
    )
