"""One run of the main job: read → validate every row → send → report.

The library entry point. The CLI builds :class:`JobSettings`, a :class:`Job`, awaits
:meth:`Job.run` and renders what it returns; a notebook or a scheduler can do the same.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from bulk_update.client import IntercomClient, fetch_listing
from bulk_update.config import JobSettings, Token
from bulk_update.errors import AuthenticationFailed, InputError, UsageError
from bulk_update.journal import Journal, fingerprint
from bulk_update.models import RowOutcome, RowStatus, RunSummary, SendStats, UpdateRequest
from bulk_update.pipeline import SendControls, Sender
from bulk_update.progress import Progress, SilentProgress
from bulk_update.ratelimit import Pacer
from bulk_update.reader import Table
from bulk_update.report import report_lines, write_report, write_summary_json
from bulk_update.retry import RetryPolicy, call_with_retries
from bulk_update.schema import Schema
from bulk_update.validate import ColumnPlan, DuplicateIds, RowProblem, plan_columns, validate_row

log = logging.getLogger(__name__)

SAMPLE_BODIES = 3
# Hand control back to the event loop this often during the validation pass, so that a
# Ctrl-C is noticed even while a million rows are being checked.
YIELD_EVERY_ROWS = 5000


@dataclass
class RunResult:
    summary: RunSummary
    sample_requests: list[UpdateRequest] = field(default_factory=list)


@dataclass
class _Validated:
    valid: int = 0
    invalid: int = 0
    duplicates: dict[int, int] = field(default_factory=dict)


class Job:
    """A run. ``interrupt()`` asks it to stop sending, finish what is in flight and report."""

    def __init__(
        self,
        settings: JobSettings,
        token: Token | None,
        *,
        progress: Progress | None = None,
        schema: Schema | None = None,
        retry_policy: RetryPolicy | None = None,
    ):
        self.settings = settings
        self._token = token
        self._progress = progress or SilentProgress()
        self._schema = schema
        self._policy = retry_policy or RetryPolicy(max_retries=settings.send.max_retries)
        self._sender: Sender | None = None
        self.interrupted = False

    def interrupt(self) -> None:
        self.interrupted = True
        if self._sender is not None:
            self._sender.stop("interrupted")

    def _client(self) -> IntercomClient:
        if self._token is None:
            raise UsageError(
                "no access token: set INTERCOM_ACCESS_TOKEN (or try the built-in simulator "
                "with --sandbox)"
            )
        send = self.settings.send
        return IntercomClient(
            send.base_url,
            self._token,
            api_version=send.api_version,
            timeout=send.timeout,
            connections=send.concurrency,
        )

    async def load_schema(self) -> Schema:
        if self._schema is not None:
            return self._schema
        if self.settings.schema_path is not None:
            return Schema.load(self.settings.schema_path)
        async with self._client() as client:
            return await fetch_schema(client, self._policy)

    async def run(self) -> RunResult:
        started = time.monotonic()
        settings = self.settings
        table = Table(settings.input_path, settings.read)
        if settings.only_statuses is not None:
            table.keep_only(_status_filter(table, settings.only_statuses))
        schema = await self.load_schema()
        plan = plan_columns(
            settings.input_path,
            table.columns,
            schema,
            ignore=settings.read.ignore_columns,
            clear_marker=settings.read.clear_marker,
        )
        journal = self._open_journal()
        sample: list[UpdateRequest] = []
        try:
            validated = await self._validate_all(table, plan, journal)
            if validated.valid + validated.invalid == 0:
                raise InputError(settings.input_path, "has a header but no data rows")
            wanted = validated.valid - len(validated.duplicates)
            if settings.limit is not None:
                wanted = min(wanted, settings.limit)
            requests = self._pending_requests(table, plan, journal, validated)
            if settings.dry_run:
                stats = SendStats()
                for request in requests:
                    journal.record(RowOutcome(request.row, RowStatus.WOULD_UPDATE))
                    if len(sample) < SAMPLE_BODIES:
                        sample.append(request)
            else:
                stats = await self._send(requests, journal, wanted)
            summary = self._write_report(table, journal)
        finally:
            journal.close()
        summary.elapsed_seconds = time.monotonic() - started
        summary.requests = stats.requests
        summary.retries = stats.retries
        summary.rate_limited = stats.rate_limited
        summary.stop_reason = "" if stats.stop_reason == "interrupted" else stats.stop_reason
        summary.interrupted = self.interrupted
        if settings.summary_json is not None:
            write_summary_json(settings.summary_json, summary)
        if stats.stop_reason.startswith("Intercom answered 40"):
            raise AuthenticationFailed(f"{stats.stop_reason}. Report: {settings.report_path}")
        return RunResult(summary, sample)

    def _open_journal(self) -> Journal:
        settings = self.settings
        if settings.dry_run or not settings.durable_journal:
            return Journal.in_memory()
        options = {
            "api_version": settings.send.api_version,
            "base_url": settings.send.base_url,
            "clear_marker": settings.read.clear_marker,
            "ignore_columns": sorted(settings.read.ignore_columns),
        }
        return Journal.open(
            settings.journal_path,
            fingerprint(settings.input_path),
            options,
            resume=settings.resume,
            force=settings.force,
        )

    async def _validate_all(self, table: Table, plan: ColumnPlan, journal: Journal) -> _Validated:
        """Check every row before anything is sent; record the invalid ones."""
        result = _Validated()
        duplicates = DuplicateIds()
        for count, row in enumerate(table.rows(), start=1):
            checked = validate_row(plan, row.number, row.cells, row.extra)
            if isinstance(checked, RowProblem):
                result.invalid += 1
                journal.record(_invalid(checked.row, checked.column, checked.message))
            else:
                result.valid += 1
                duplicates.add(checked.conversation_id, checked.row)
            if count % YIELD_EVERY_ROWS == 0:
                await asyncio.sleep(0)
        result.duplicates = duplicates.duplicates()
        for later, first in result.duplicates.items():
            journal.record(_invalid(later, "id", f"duplicate of row {first}"))
        journal.flush()
        return result

    def _pending_requests(
        self, table: Table, plan: ColumnPlan, journal: Journal, validated: _Validated
    ) -> Iterator[UpdateRequest]:
        """The valid rows still to send, in file order, up to ``--limit`` valid rows."""
        done = journal.final_rows()
        limit = self.settings.limit
        taken = 0
        for row in table.rows():
            if limit is not None and taken >= limit:
                return
            checked = validate_row(plan, row.number, row.cells, row.extra)
            if isinstance(checked, RowProblem) or row.number in validated.duplicates:
                continue
            taken += 1
            if row.number not in done:
                yield checked

    async def _send(
        self, requests: Iterator[UpdateRequest], journal: Journal, wanted: int
    ) -> SendStats:
        send = self.settings.send
        async with self._client() as client:
            pacer = Pacer(send.rate, headroom_percent=send.headroom_percent)
            self._sender = Sender(
                client,
                pacer,
                self._policy,
                SendControls(send.concurrency, send.max_failures),
                journal.record,
                self._progress,
            )
            if self.interrupted:
                self._sender.stop("interrupted")
            already = journal.count_done()
            self._progress.start(max(wanted, already), already)
            flusher = asyncio.create_task(_flush_every_second(journal))
            try:
                return await self._sender.run(requests)
            finally:
                flusher.cancel()
                self._progress.close()
                journal.flush()

    def _write_report(self, table: Table, journal: Journal) -> RunSummary:
        settings = self.settings
        counts: Counter[str] = Counter()
        lines = report_lines(table.columns, table.rows(), journal.outcomes(), counts)
        write_report(settings.report_path, lines)
        return RunSummary(
            input_path=str(settings.input_path),
            report_path=str(settings.report_path),
            rows=sum(counts.values()),
            counts=dict(counts),
            blank_rows_skipped=table.blank_rows,
            dry_run=settings.dry_run,
        )


def _status_filter(table: Table, wanted: frozenset[str]) -> Callable[[list[str]], bool]:
    if "status" not in table.columns:
        raise InputError(
            table.path,
            "has no 'status' column, so it is not a bulk-update report; give 'retry' the "
            "report of a run, or run the sheet itself with 'bulk-update run'",
        )
    status_index = table.columns.index("status")
    return lambda cells: cells[status_index] in wanted


def _invalid(row: int, column: str, message: str) -> RowOutcome:
    where = f"column {column!r}: " if column else ""
    return RowOutcome(row, RowStatus.INVALID, error_code="invalid", error_message=where + message)


async def _flush_every_second(journal: Journal) -> None:
    while True:
        await asyncio.sleep(1.0)
        journal.flush()


async def fetch_schema(client: IntercomClient, policy: RetryPolicy) -> Schema:
    """The workspace's conversation attributes, read once at the start of a run."""
    response = await call_with_retries(lambda: fetch_listing(client), policy)
    if response.status in (401, 403):
        raise AuthenticationFailed(
            f"Intercom refused the access token ({response.status} "
            f"{response.error_code}: {response.error_message}); check INTERCOM_ACCESS_TOKEN "
            "and that it belongs to this region's workspace"
        )
    if not response.ok:
        reason = response.error_message or f"HTTP {response.status}"
        raise UsageError(
            f"could not read the workspace's conversation attributes from {client.base_url} "
            f"({reason}); try again, or work offline with --schema FILE"
        )
    return Schema.from_listing(response.data, source=f"{client.base_url}/data_attributes")
