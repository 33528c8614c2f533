"""What the send phase is made of: the per-row work (an update, or a row's actions), the tags
a sheet asks to create, what reading a conversation first is for, and the journal's periodic
commit."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from bulk_update.config import JobSettings
from bulk_update.errors import StorageFailed
from bulk_update.history.backup import BackupWriter
from bulk_update.history.journal import Journal
from bulk_update.job.validation import date_fields
from bulk_update.send.as_cells import BackupCells, ConversationCells
from bulk_update.send.client import IntercomClient
from bulk_update.send.lookups import create_tag
from bulk_update.send.retry import Caller
from bulk_update.send.update_row import ReadFirst
from bulk_update.sheet.action_cells import ActionCells
from bulk_update.sheet.columns import ColumnPlan
from bulk_update.sheet.directory import Named
from bulk_update.sheet.schema import Schema
from bulk_update.sheet.steps import StepContext

# Outcomes not yet committed are sent again after a kill -9: keep that to the last tenth of
# a second of answers (a WAL commit without fsync costs microseconds).
JOURNAL_COMMIT_SECONDS = 0.1


@dataclass
class Acting:
    """A sheet with action columns: who acts, the names to look up, and its cells' reader."""

    context: StepContext
    cells: ActionCells


async def create_tags(client: IntercomClient, caller: Caller, acting: Acting) -> None:
    """Create the tags the sheet names that the workspace lacks (asked for with
    ``create_tags``; never in a dry run). One refused stops the run before any row."""
    missing = list(acting.cells.tags_to_create.values())
    if not missing:
        return
    created: list[str] = []
    for name in missing:
        tag = await create_tag(client, caller, name)
        if not isinstance(tag, Named):
            caller.stop(
                f"could not create the tag {name!r} ({tag.status or tag.error_code}: "
                f"{tag.error_message or 'no message'}); nothing was changed"
            )
            break
        acting.context.directory.tags.append(tag)
        created.append(tag.name)
    caller.stats.tags_created = tuple(created)


async def commit_periodically(journal: Journal, fail: Callable[[Exception], None]) -> None:
    """Commit the journal on a timer; a commit that fails (a full disk) goes to ``fail``,
    which stops the run, and the timer ends."""
    while True:
        await asyncio.sleep(JOURNAL_COMMIT_SECONDS)
        try:
            journal.flush()
        except StorageFailed as error:
            fail(error)
            return


def read_first(
    settings: JobSettings,
    plan: ColumnPlan,
    schema: Schema,
    backup: BackupWriter | None,
    acting: Acting | None,
) -> ReadFirst:
    """What reading a conversation before writing it is for, in this run: skipping what is
    in place, backing up, a live dry run's report, or an exported sheet's (or an undo's)
    conflicts."""
    keys = [key for _header, key in plan.change_columns.values()]
    merge: ConversationCells | BackupCells | None = None
    if settings.undoing:
        merge = BackupCells(keys, settings.read.clear_marker, date_fields(plan))
    elif plan.base_index is not None or settings.live:
        columns = [key for key in keys if ConversationCells.exports(key, schema)]
        directory = acting.context.directory if acting is not None else None
        merge = ConversationCells(columns, schema, directory)
    return ReadFirst(
        skip_unchanged=settings.skip_unchanged,
        dry_run=settings.dry_run,
        backup=backup,
        dates=date_fields(plan),
        exported=merge,
        overwrite_conflicts=settings.overwrite_conflicts,
        clear_marker=settings.read.clear_marker,
        base_columns=tuple(plan.change_columns.values()),
        reads=settings.reads_first or merge is not None,
    )
