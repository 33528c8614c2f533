"""``bulk-update export``: the conversations a search finds, written as a sheet in the tool's own
input format, so that the file goes straight back into ``bulk-update run`` (unedited, with
``--skip-unchanged``, it sends nothing).

Pages of 150 through ``POST /conversations/search``, paced and retried like every request;
rows go to a temporary file as they come (memory does not grow with the export), and the
sheet is written at the end, atomically.
"""

from __future__ import annotations

import asyncio
import csv
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bulk_update.config import POINT, Conventions, ReadOptions, SendOptions, Token
from bulk_update.errors import AuthenticationFailed, RunStopped, UsageError, escape
from bulk_update.history.report import write_report
from bulk_update.models import BASE_COLUMN
from bulk_update.rules import is_fatal, is_refused
from bulk_update.search.key_cells import KeyCells, key_columns
from bulk_update.search.query import Condition, build_query
from bulk_update.search.searchable import custom_name
from bulk_update.send.as_cells import FIELD_COLUMNS, ConversationCells
from bulk_update.send.client import ApiResponse, IntercomClient
from bulk_update.send.lookups import fetch_directory, fetch_schema
from bulk_update.send.pacing import Pacer
from bulk_update.send.progress import Progress, SilentProgress
from bulk_update.send.retry import Caller, RetryPolicy
from bulk_update.send.searching import Page, Query, pages
from bulk_update.sheet.action_table import STATE_COLUMNS, action_of, kept_columns
from bulk_update.sheet.reader import Table
from bulk_update.sheet.schema import Schema
from bulk_update.sheet.values import did_you_mean, iso_8601

if TYPE_CHECKING:
    import pandas as pd

SUFFIXES = (".csv", ".xlsx")


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote: ``written`` conversations of the ``matched`` the search counted,
    as they were at ``snapshot_at`` (ISO 8601, UTC); ``frame`` reads the file back."""

    path: Path
    columns: tuple[str, ...]
    matched: int | None
    written: int
    requests: int
    snapshot_at: str
    limited: bool

    @property
    def frame(self) -> pd.DataFrame:
        """The exported sheet as a DataFrame of text (ids keep their digits)."""
        import pandas as pd

        table = Table(self.path, ReadOptions())
        return pd.DataFrame(
            [row.cells for row in table.rows()], columns=table.columns, dtype=object
        )


@dataclass(frozen=True)
class ExportSettings:
    """What to export and where: ``conditions`` (``--where``) or a ready ``query``."""

    out: Path
    conditions: tuple[Condition, ...] = ()
    query: Query | None = None
    columns: tuple[str, ...] | None = None
    limit: int | None = None
    send: SendOptions = field(default_factory=SendOptions)
    conventions: Conventions = POINT  # how the conditions' values are read

    def __post_init__(self) -> None:
        if self.out.suffix.lower() not in SUFFIXES:
            raise UsageError(f"{self.out}: export writes .csv or .xlsx, not {self.out.suffix!r}")
        if not self.out.parent.is_dir():
            raise UsageError(f"{self.out}: the folder {self.out.parent} does not exist")
        if (self.query is None) == (not self.conditions):
            raise UsageError.naming_settings("give {where} conditions or a {query_path}, one")
        if self.limit is not None and self.limit < 1:
            raise UsageError.naming_settings("{limit} must be at least 1")


class Export:
    """One export. The wall clock and sleep are injectable (a test's virtual time)."""

    def __init__(
        self,
        settings: ExportSettings,
        token: Token,
        *,
        progress: Progress | None = None,
        retry_policy: RetryPolicy | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ):
        self.settings = settings
        self._token = token
        self._progress = progress or SilentProgress()
        self._policy = retry_policy or RetryPolicy(max_retries=settings.send.max_retries)
        self._clock = clock
        self._sleep = sleep

    async def run(self) -> ExportResult:
        settings, send = self.settings, self.settings.send
        client = IntercomClient.for_settings(send, self._token, connections=1)
        async with client:
            schema = await fetch_schema(client, self._policy, clock=self._clock, sleep=self._sleep)
            keys = key_columns(settings.columns)
            asked = settings.columns and [c for c in settings.columns if c.strip() not in keys]
            columns = _columns(asked, schema, send.api_version)
            directory = None
            names_needed = any(condition.needs_directory for condition in settings.conditions)
            if names_needed or any(
                column in STATE_COLUMNS and action_of(column).shows_names for column in columns
            ):
                directory = await fetch_directory(
                    client, self._policy, clock=self._clock, sleep=self._sleep
                )
            query = settings.query
            if query is None:
                query = build_query(settings.conditions, schema, directory, settings.conventions)
            pacer = Pacer(send.rate, max_wait=send.max_wait, clock=self._clock, sleep=self._sleep)
            caller = Caller(pacer, self._policy, sleep=self._sleep)
            snapshot_at = iso_8601(int(self._clock()))
            cells = ConversationCells(columns, schema, directory)
            whose = KeyCells(keys, client, caller)
            with tempfile.TemporaryDirectory() as folder:
                spool = Path(folder) / "rows.csv"
                matched, written = await self._spool(client, caller, query, (cells, whose), spool)
                write_report(settings.out, _lines(["id", *keys, *columns, BASE_COLUMN], spool))
        return ExportResult(
            settings.out,
            tuple(columns),
            matched,
            written,
            caller.stats.requests,
            snapshot_at,
            settings.limit is not None and matched is not None and written < matched,
        )

    async def _spool(
        self,
        client: IntercomClient,
        caller: Caller,
        query: Query,
        writing: tuple[ConversationCells, KeyCells],
        spool: Path,
    ) -> tuple[int | None, int]:
        """Every page's rows, one line each, to ``spool``: (matched, written)."""
        cells, whose = writing
        limit = self.settings.limit
        matched: int | None = None
        written = 0
        with spool.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            try:
                async for page in pages(client, caller, query):
                    if isinstance(page, ApiResponse):
                        _refused(page, written, self.settings.out)
                    assert isinstance(page, Page)
                    if matched is None:
                        matched = page.total_count
                        wanted = matched if limit is None else min(matched or limit, limit)
                        self._progress.start(wanted or 0, 0)
                    # Only what is written: a limit may end within the page.
                    kept = page.items if limit is None else page.items[: limit - written]
                    refused = await whose.learn(kept)
                    if refused is not None:
                        _refused(refused, written, self.settings.out)
                    for conversation in kept:
                        row = cells.row(conversation)
                        row[1:1] = whose.cells(conversation)
                        writer.writerow(row)
                        written += 1
                        self._progress.advance()
                    if limit is not None and written >= limit:
                        return matched, written
            finally:
                self._progress.close()
        return matched, written


def _refused(response: ApiResponse, written: int, out: Path) -> None:
    """The export ends without a file: an export is whole or it is not written."""
    reason = f"{response.status or response.error_code}: {response.error_message or 'no message'}"
    if is_fatal(response.status):
        raise AuthenticationFailed(f"Intercom refused the access token ({reason})")
    if written == 0 and is_refused(response.status):
        raise UsageError(f"Intercom refused the search ({reason})")
    if response.error_code == "unexpected_answer":  # a page that was not one, however asked
        reason = f"{response.error_message}, every time it was asked"
    raise RunStopped(
        f"the search stopped after {written} conversations ({reason}); nothing was written "
        f"to {out}: run the export again"
    )


def _lines(header: list[str], spool: Path) -> Iterator[list[str]]:
    yield header
    with spool.open(newline="", encoding="utf-8") as handle:
        yield from csv.reader(handle)


def _columns(asked: Sequence[str] | None, schema: Schema, version: str) -> list[str]:
    """The columns after ``id``: as asked (checked), or the default set (what ``version``
    can write back)."""
    writable = [name for name, attribute in schema.attributes.items() if attribute.writable]
    if asked is None:
        return [*kept_columns(version, written=True), *writable]
    columns: list[str] = []
    for name in (custom_name(name.strip()) or name.strip() for name in asked):
        if name in STATE_COLUMNS and name not in kept_columns(version):
            since = action_of(name).reads_since
            raise UsageError.naming_settings(
                f"{{columns}}: Intercom answers with {escape(repr(name))} from version {since} "
                f"on, not in {escape(version)}: set {{api_version}} {since}"
            )
        if name in FIELD_COLUMNS or name in writable:
            columns.append(name)
            continue
        hint = did_you_mean(name, [*FIELD_COLUMNS, *writable])
        why = (
            "an attribute the API cannot write (the file could not go back into a run)"
            if name in schema.attributes
            else "not a column export writes"
        )
        raise UsageError.naming_settings(
            f"{{columns}}: {escape(repr(name))} is {why}{escape(hint)}"
        )
    asked_of = {
        action_of(column).name: action_of(column) for column in columns if column in STATE_COLUMNS
    }
    for action in asked_of.values():
        if action.kept_together:  # written where the first of them was asked
            at = min(columns.index(column) for column in action.kept if column in columns)
            columns[at:at] = action.kept
    return list(dict.fromkeys(columns))
