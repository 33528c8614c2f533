"""What is done for one row, as a sequence of requests: write it, or read it first (to back
up what is about to change, skip what is in place, or only report the difference).

The worker pool (``pipeline``) knows nothing of this: it hands each row to a
:class:`RowWork` and records what comes back.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol

from bulk_update.history.backup import BackupWriter
from bulk_update.history.changes import current_values, differences, intended
from bulk_update.models import (
    BASE_ID_KEY,
    PreparedUpdate,
    RowOutcome,
    RowStatus,
    SendStats,
    wire_json,
)
from bulk_update.send.as_cells import BackupCells, ConversationCells
from bulk_update.send.client import ApiResponse, IntercomClient
from bulk_update.send.reads import Reads
from bulk_update.send.retry import Caller, CallLabel
from bulk_update.sheet.action_table import with_companions


class RowWork(Protocol):
    async def __call__(self, update: PreparedUpdate) -> RowOutcome | None:
        """The row's outcome, or None when the run stopped before anything was sent."""
        ...


@dataclass(frozen=True)
class Moved:
    """What a merge left out of a row (an undo's fields a teammate changed since): the row
    ends as a ``conflict`` that names them, whatever was done of the rest."""

    shown: tuple[str, ...] = ()
    message: str = ""

    def settle(self, outcome: RowOutcome) -> RowOutcome:
        if not self.shown or outcome.status not in (RowStatus.UPDATED, RowStatus.SKIPPED):
            return outcome
        done = () if outcome.changes in ("", "unchanged") else (outcome.changes,)
        return replace(
            outcome,
            status=RowStatus.CONFLICT,
            error_code="conflict",
            error_message=self.message,
            changes="; ".join((*self.shown, *done)),
        )


# What a row that read nothing, or whose merge left nothing out, settles with: one instance
# for every such row (it is frozen), not one made per row.
_NOTHING_MOVED = Moved()


@dataclass(frozen=True)
class Found:
    """What comparing a row with its conversation as read found: whether any request is
    needed, the changes as told, the steps' verdicts (an action row's), and the values as
    they are and as the row leaves them (the backup line: worked out only when it is
    written, never for a row skipped or a dry run's)."""

    needed: bool
    changes: str
    values: Callable[[], tuple[dict[str, Any], dict[str, Any]]]
    steps: str = ""
    writes: int = 0  # the requests a run would send for the row (counted by a dry run)


async def read_merged(
    reads: Reads, read_first: ReadFirst, update: PreparedUpdate, *, exact: bool = False
) -> RowOutcome | tuple[Any, int, PreparedUpdate, Moved] | None:
    """Read the row's conversation and merge the row with it (:meth:`ReadFirst.merge`): the
    conversation, the attempts, the row as it goes on and what the merge left out; or the
    row's outcome already (a failed read, a conflict); or None when the run stopped."""
    read = await reads.read(update, exact=exact)
    if read is None:
        return None
    response, attempts = read
    if not response.ok:
        return failure(update.row, response, attempts)
    merged = read_first.merge(update, response.data, attempts)
    if isinstance(merged, RowOutcome):
        return merged
    return response.data, attempts, *merged


@dataclass(frozen=True)
class ReadFirst:
    """Read each conversation before writing it: to skip what is already in place, to
    back up what is about to change, or (a live dry run) only to report the difference."""

    skip_unchanged: bool = False
    dry_run: bool = False
    backup: BackupWriter | None = None
    dates: frozenset[str] = frozenset()  # shown as ISO 8601 in ``changes``
    # An exported sheet's cells (or an undo's backup cells) as they read now: an edited row
    # whose live value moved since its base is a conflict, and nothing of it is sent unless
    # ``overwrite_conflicts``.
    exported: ConversationCells | BackupCells | None = None
    overwrite_conflicts: bool = False
    # The sheet's word for "clear this field", which reads live as no value.
    clear_marker: str = ""
    # The change columns (header, what it was read as): a live dry run's plan records their
    # live cells as its report's base.
    base_columns: tuple[tuple[str, str], ...] = ()
    # Whether an update row is read at all (an action row always is).
    reads: bool = True

    def plan_base(self, update: PreparedUpdate, conversation: Any) -> str:
        """A live dry run's row: its change cells as they read now, as the report's base
        (naming the conversation, as an export's does), unless the row has one (an exported
        sheet's)."""
        if not self.dry_run or self.exported is None or update.base:
            return ""
        read = conversation if isinstance(conversation, dict) else {}
        known = [(header, key) for header, key in self.base_columns if self.exported.knows(key)]
        live = self.exported.live(read, [key for _header, key in known])
        cells = {header: live[key] for header, key in known}
        return wire_json({BASE_ID_KEY: update.conversation_id, **cells}).decode()

    def merge(
        self, update: PreparedUpdate, conversation: Any, attempts: int
    ) -> RowOutcome | tuple[PreparedUpdate, Moved]:
        """The row as it goes on when a cell edited here also changed in Intercom since its
        base (the export; for an undo, what the sheet's rounds left): ``base → live →
        yours``. An exported sheet's row is then a ``conflict`` and nothing of it is sent;
        an undo leaves out only the fields that moved. A live value that is already yours,
        or any of the base's values (where it lists several), is no conflict. A conflict's
        ``base`` is the live cells it saw: the report's base for the row, so that running the
        report again sends yours over them."""
        merge = self.exported
        if not update.base or merge is None or self.overwrite_conflicts:
            return update, _NOTHING_MOVED
        base: dict[str, list[str]] = json.loads(update.base)
        base = {key: cells for key, cells in base.items() if merge.knows(key)}
        read = conversation if isinstance(conversation, dict) else {}
        live = merge.live(read, list(base))
        unset = {self.clear_marker: merge.unset}
        shown = {self.clear_marker: "unset", merge.unset: "unset", "": "unset"}
        moved = {
            key: f"{key}: {shown.get(cells[0], cells[0])} → {shown.get(live[key], live[key])} → "
            f"{shown.get(cells[-1], cells[-1])}"
            for key, cells in base.items()
            if live[key] not in {unset.get(cell, cell) for cell in cells}
        }
        if not moved:
            return update, _NOTHING_MOVED
        if merge.partial and len(moved) < len(base):
            left_out = with_companions(list(moved))  # a state goes with its snooze time
            return update.without(left_out), Moved(tuple(moved.values()), merge.conflict_message)
        headers = {key: header for header, key in self.base_columns}
        return RowOutcome(
            update.row,
            RowStatus.CONFLICT,
            attempts=attempts,
            error_code="conflict",
            error_message=merge.conflict_message,
            changes="; ".join(moved.values()),
            base=wire_json({headers[key]: live[key] for key in moved}).decode(),
        )

    def compare(
        self, payload: bytes, conversation: Any
    ) -> tuple[dict[str, Any], list[str], dict[str, Any]]:
        """The present values of the fields the body sets, what it would change (``field:
        before → after``), from a read of the conversation, and the values it sets."""
        after = intended(payload)
        read = conversation if isinstance(conversation, dict) else {}
        before = current_values(read, list(after))
        return before, differences(before, after, self.dates), after

    def decide(
        self,
        update: PreparedUpdate,
        read: tuple[Any, int],
        found: Found,
        stats: SendStats,
    ) -> RowOutcome | None:
        """The one decision after a read, for attribute rows and action rows alike: a dry
        run's verdict, or ``skipped`` when nothing is needed; else the backup line goes out
        (before anything changes) and None: go on and send."""
        conversation, attempts = read
        if self.dry_run:
            stats.writes_ahead += found.writes
        if self.dry_run or not found.needed:
            return RowOutcome(
                update.row,
                RowStatus.WOULD_UPDATE if found.needed else RowStatus.SKIPPED,
                attempts=attempts,
                changes=found.changes or "unchanged",
                steps=found.steps,
                base=self.plan_base(update, conversation),
            )
        if self.backup is not None:
            self.back_up(update.conversation_id, *found.values(), stats)
        return None

    def confirm(self, conversation_id: str) -> None:
        """The change backed up for the conversation is done (the backup says so)."""
        if self.backup is not None:
            self.backup.confirm(conversation_id)

    def back_up(
        self, conversation_id: str, before: dict[str, Any], ours: dict[str, Any], stats: SendStats
    ) -> None:
        """The conversation's values as they were and as this round leaves them, written
        out before anything changes them (an undo reads the first line's values back, and
        restores them only where the live value is still the last round's)."""
        if self.backup is None:
            return
        self.backup.write(conversation_id, before, ours)
        stats.backed_up += 1


class UpdateRow:
    """``PUT /conversations/{id}``, after a read when :class:`ReadFirst` asks for one."""

    def __init__(
        self,
        client: IntercomClient,
        caller: Caller,
        *,
        read_first: ReadFirst | None = None,
        reads: Reads | None = None,
        log_bodies: bool = False,
    ):
        self._client = client
        self._caller = caller
        self._read_first = read_first
        self._reads = reads or Reads(client, caller, via="get")
        self._log_bodies = log_bodies

    async def __call__(self, update: PreparedUpdate) -> RowOutcome | None:
        if self._read_first is not None:
            merged = await read_merged(self._reads, self._read_first, update)
            if merged is None or isinstance(merged, RowOutcome):
                return merged
            conversation, attempts, update, moved = merged
            settings = self._read_first
            before, differing, ours = settings.compare(update.payload, conversation)
            changes = "; ".join(differing)
            # Written unless unchanged and skipped; a dry run only tells what would change.
            written = bool(changes) or not settings.skip_unchanged  # what a run would do
            needed = written and (bool(changes) or not settings.dry_run)
            found = Found(needed, changes, lambda: (before, ours), writes=int(written))
            decided = settings.decide(update, (conversation, attempts), found, self._caller.stats)
            if decided is not None:
                return moved.settle(decided)
        else:
            changes, moved = "", _NOTHING_MOVED
        label = CallLabel(
            update.row, update.conversation_id, update.payload if self._log_bodies else None
        )
        sent = await self._caller.call(
            lambda: self._client.update_conversation(update.conversation_id, update.payload),
            label,
        )
        if sent is None:
            return None
        response, attempts = sent
        if not response.ok:
            return failure(update.row, response, attempts)
        if self._read_first is not None:
            self._read_first.confirm(update.conversation_id)
        return moved.settle(updated(update.row, response, attempts, changes))


def updated(
    row: int, response: ApiResponse, attempts: int, changes: str = "", steps: str = ""
) -> RowOutcome:
    """A row done, by the last answer it took (and what changed; its steps)."""
    return RowOutcome(
        row,
        RowStatus.UPDATED,
        response.status,
        attempts=attempts,
        request_id=response.request_id,
        changes=changes,
        steps=steps,
    )


def failure(row: int, response: ApiResponse, attempts: int) -> RowOutcome:
    message = response.error_message or "no error message"
    if response.status is None:
        message = f"{message} (after {attempts} attempts)"
    return RowOutcome(
        row,
        RowStatus.FAILED,
        response.status,
        response.error_code,
        message,
        attempts,
        response.request_id,
    )
