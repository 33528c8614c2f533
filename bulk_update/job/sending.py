"""What the send phase is made of: the per-row work (an update, or a row's actions), the tags
a sheet asks to create, and the journal's periodic commit."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from bulk_update.history.journal import Journal
from bulk_update.send.action_steps import StepContext
from bulk_update.send.client import IntercomClient
from bulk_update.send.lookups import create_tag
from bulk_update.send.retry import Caller
from bulk_update.sheet.action_cells import ActionCells, Named

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


async def commit_periodically(journal: Journal) -> None:
    while True:
        await asyncio.sleep(JOURNAL_COMMIT_SECONDS)
        journal.flush()
