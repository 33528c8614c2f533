"""What is done for one row, as a sequence of requests: write it, or read it first (to back
up what is about to change, skip what is in place, or only report the difference).

The worker pool (``pipeline``) knows nothing of this: it hands each row to a
:class:`RowWork` and records what comes back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol

from bulk_update.history.backup import BackupWriter
from bulk_update.history.changes import current_values, differences, intended
from bulk_update.models import PreparedUpdate, RowOutcome, RowStatus, SendStats, wire_json
from bulk_update.send.as_cells import ConversationCells
from bulk_update.send.client import ApiResponse, IntercomClient
from bulk_update.send.reads import Reads
from bulk_update.send.retry import Caller, CallLabel


class RowWork(Protocol):
    async def __call__(self, update: PreparedUpdate) -> RowOutcome | None:
        """The row's outcome, or None when the run stopped before anything was sent."""
        ...


@dataclass(frozen=True)
class ReadFirst:
    """Read each conversation before writing it: to skip what is already in place, to
    back up what is about to change, or (a live dry run) only to report the difference."""

    skip_unchanged: bool = False
    dry_run: bool = False
    backup: BackupWriter | None = None
    dates: frozenset[str] = frozenset()  # shown as ISO 8601 in ``changes``
    # An exported sheet's cells as they read now: an edited row whose live value moved since
    # the export is a conflict, and nothing of it is sent unless ``overwrite_conflicts``.
    exported: ConversationCells | None = None
    overwrite_conflicts: bool = False
    # The change columns (header, what it was read as): a live dry run's plan records their
    # live cells as its report's base.
    base_columns: tuple[tuple[str, str], ...] = ()
    # Whether an update row is read at all (an action row always is).
    reads: bool = True

    def plan_base(self, update: PreparedUpdate, conversation: Any) -> str:
        """A live dry run's row: its change cells as they read now, as the report's base
        (unless the row has one: an exported sheet's)."""
        if not self.dry_run or self.exported is None or update.base:
            return ""
        read = conversation if isinstance(conversation, dict) else {}
        known = [(header, key) for header, key in self.base_columns if self.exported.knows(key)]
        live = self.exported.live(read, [key for _header, key in known])
        return wire_json({header: live[key] for header, key in known}).decode()

    def conflict(
        self, update: PreparedUpdate, conversation: Any, attempts: int
    ) -> RowOutcome | None:
        """The row's outcome when a cell edited here also changed in Intercom since its base
        (``base → live → yours`` in ``changes``), to something other than yours; None to go
        on. Its ``base`` is the live cells it saw: the report's base for the row, so that
        running the report again sends yours over them."""
        if not update.base or self.exported is None or self.overwrite_conflicts:
            return None
        base: dict[str, list[str]] = json.loads(update.base)
        base = {key: cells for key, cells in base.items() if self.exported.knows(key)}
        read = conversation if isinstance(conversation, dict) else {}
        live = self.exported.live(read, list(base))
        moved = {key: cells for key, cells in base.items() if live[key] not in cells}
        if not moved:
            return None
        headers = {key: header for header, key in self.base_columns}
        return RowOutcome(
            update.row,
            RowStatus.CONFLICT,
            attempts=attempts,
            error_code="conflict",
            error_message="changed in Intercom since the export (or since it was last sent) "
            "and edited here: nothing of the row was sent",
            changes="; ".join(
                f"{key}: {exported or 'unset'} → {live[key] or 'unset'} → {yours}"
                for key, (exported, yours) in moved.items()
            ),
            base=wire_json({headers[key]: live[key] for key in moved}).decode(),
        )

    def compare(self, payload: bytes, conversation: Any) -> tuple[dict[str, Any], list[str]]:
        """The present values of the fields the body sets, and what it would change
        (``field: before → after``), from a read of the conversation."""
        after = intended(payload)
        read = conversation if isinstance(conversation, dict) else {}
        before = current_values(read, list(after))
        return before, differences(before, after, self.dates)

    def back_up(self, conversation_id: str, before: dict[str, Any], stats: SendStats) -> None:
        """The conversation's values as they were, written out before anything changes
        them (once per conversation: a resumed run keeps the first)."""
        if self.backup is None or self.backup.has(conversation_id):
            return
        self.backup.write(conversation_id, before)
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
            read = await self._reads.read(update)
            if read is None:
                return None
            response, attempts = read
            if not response.ok:
                return failure(update.row, response, attempts)
            conflict = self._read_first.conflict(update, response.data, attempts)
            if conflict is not None:
                return conflict
            decided, changes = self._compare(update, response.data, attempts)
            if decided is not None:
                return decided
        else:
            changes = ""
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
        return updated(update.row, response, attempts, changes)

    def _compare(
        self, update: PreparedUpdate, conversation: Any, attempts: int
    ) -> tuple[RowOutcome | None, str]:
        """What the read shows: a finished outcome (unchanged, or a live dry run's verdict),
        or None to go on and write (after the backup line is safely out); and the changes,
        ``field: before → after; ...``."""
        settings = self._read_first
        assert settings is not None
        before, differing = settings.compare(update.payload, conversation)
        changes = "; ".join(differing)
        if settings.dry_run or (not changes and settings.skip_unchanged):
            status = RowStatus.WOULD_UPDATE if changes else RowStatus.SKIPPED
            outcome = RowOutcome(
                update.row,
                status,
                attempts=attempts,
                changes=changes or "unchanged",
                base=settings.plan_base(update, conversation),
            )
            return outcome, changes
        settings.back_up(update.conversation_id, before, self._caller.stats)
        return None, changes


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
