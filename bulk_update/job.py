"""One run of the main job: read → validate every row → send → report.

The library entry point. The CLI builds :class:`JobSettings`, a :class:`Job`, awaits
:meth:`Job.run` and renders what it returns; a notebook or a scheduler can do the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bulk_update.backup import BackupWriter
from bulk_update.client import IntercomClient, fetch_listing
from bulk_update.config import JobSettings, Rate, ReadOptions, Token
from bulk_update.errors import (
    AuthenticationFailed,
    BulkUpdateError,
    InputError,
    UsageError,
    escape,
)
from bulk_update.journal import Journal, fingerprint
from bulk_update.models import (
    PreparedUpdate,
    RowOutcome,
    RowStatus,
    RunSummary,
    SendStats,
    UpdateRequest,
)
from bulk_update.pipeline import ReadFirst, SendControls, Sender
from bulk_update.progress import Progress, SilentProgress
from bulk_update.ratelimit import Pacer
from bulk_update.reader import Table
from bulk_update.report import report_lines, write_report, write_summary_json
from bulk_update.retry import RetryPolicy, call_with_retries
from bulk_update.schema import Schema
from bulk_update.validate import ColumnPlan, RowProblem, ValidRows, plan_columns, validate_row

log = logging.getLogger(__name__)

SAMPLE_BODIES = 3
# Hand control back to the event loop this often during the validation pass, so that a
# Ctrl-C is noticed even while a million rows are being checked.
YIELD_EVERY_ROWS = 5000
# Outcomes not yet committed are sent again after a kill -9: keep that to the last tenth of
# a second of answers (a WAL commit without fsync costs microseconds).
JOURNAL_COMMIT_SECONDS = 0.1


@dataclass
class RunResult:
    summary: RunSummary
    sample_requests: list[UpdateRequest] = field(default_factory=list)


@dataclass
class _Validated:
    rows: ValidRows = field(default_factory=ValidRows)
    first_requests: list[UpdateRequest] = field(default_factory=list)


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
        self._backup: BackupWriter | None = None
        self.interrupted = False

    def interrupt(self) -> None:
        self.interrupted = True
        if self._sender is not None:
            self._sender.stop("interrupted")

    def _client(self) -> IntercomClient:
        if self._token is None:
            raise UsageError.naming_settings(
                "no access token: set {token} (or try the built-in simulator with {sandbox})"
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
        for setting, path in (
            ("report_path", settings.report_path),
            ("backup_path", settings.backup_path),
            ("summary_json", settings.summary_json),
        ):
            if path is not None and not path.parent.is_dir():
                raise UsageError.naming_settings(
                    f"{{{setting}}} {escape(str(path))}: the folder "
                    f"{escape(str(path.parent))} does not exist"
                )
        if settings.dry_run:
            _check_not_a_real_report(settings.report_path, settings.journal_path)
        table = Table(settings.input_path, settings.read)
        if settings.only_statuses is not None:
            table.keep_only(_status_filter(table, settings.only_statuses))
        try:
            schema = await self.load_schema()
        except AuthenticationFailed as refused:
            if settings.resume:  # the earlier run's report stays as it is
                raise
            self._write_report(table, Journal.in_memory(), last_row=0)
            raise AuthenticationFailed(
                f"{refused}. Nothing was sent: every row is not_attempted in {settings.report_path}"
            ) from None
        plan = plan_columns(
            settings.input_path,
            table.columns,
            schema,
            ignore=settings.read.ignore_columns,
            clear_marker=settings.read.clear_marker,
        )
        if settings.backup_path is not None:
            BackupWriter.check_free(settings.backup_path, resume=settings.resume)
        journal = self._open_journal()
        try:
            if settings.backup_path is not None:
                columns = [field.column for field in plan.fields]
                self._backup = BackupWriter(
                    settings.backup_path,
                    columns,
                    settings.read.clear_marker,
                    resume=settings.resume,
                )
            validated = await self._validate_all(table, plan, journal)
            last_row = validated.rows.last_row(settings.limit)
            if settings.dry_run and not settings.live:
                stats = SendStats()
            else:
                wanted = validated.rows.unique_count
                if settings.limit is not None:
                    wanted = min(wanted, settings.limit)
                stats = await self._send(journal, last_row, wanted)
            summary = self._write_report(table, journal, last_row)
        finally:
            journal.close()
            if self._backup is not None:
                self._backup.close()
        summary.elapsed_seconds = time.monotonic() - started
        summary.sent = stats
        summary.backup_path = str(settings.backup_path or "")
        summary.interrupted = self.interrupted
        if settings.summary_json is not None:
            write_summary_json(settings.summary_json, summary)
        if stats.credentials_refused:
            raise AuthenticationFailed(f"{stats.stop_reason}. Report: {settings.report_path}")
        sample = [
            r
            for r in validated.first_requests
            if r.row not in validated.rows.rejected and r.row <= last_row
        ]
        return RunResult(summary, sample[:SAMPLE_BODIES] if settings.dry_run else [])

    def _open_journal(self) -> Journal:
        settings = self.settings
        if settings.dry_run or not settings.durable_journal:
            return Journal.in_memory()
        options = {
            "api_version": settings.send.api_version,
            "base_url": settings.send.base_url,
            "clear_marker": settings.read.clear_marker,
            "ignore_columns": sorted(settings.read.ignore_columns),
            "backup": str(settings.backup_path.resolve()) if settings.backup_path else None,
        }
        return Journal.open(
            settings.journal_path,
            fingerprint(settings.input_path),
            options,
            resume=settings.resume,
            force=settings.force,
        )

    async def _validate_all(self, table: Table, plan: ColumnPlan, journal: Journal) -> _Validated:
        """Check every row before anything is sent: record the invalid ones, and (unless
        this is a dry run) keep each valid row's encoded request in the journal to send."""
        result = _Validated()
        keep_updates = not self.settings.dry_run or self.settings.live
        journal.start_validation()
        for count, row in enumerate(table.rows(), start=1):
            checked = validate_row(plan, row.number, row.cells, row.problem)
            if isinstance(checked, RowProblem):
                journal.record(_invalid(checked.row, checked.column, checked.message))
            else:
                result.rows.add(checked.conversation_id, checked.row)
                if keep_updates:
                    journal.add_update(encode(checked))
                if len(result.first_requests) < 2 * SAMPLE_BODIES:
                    result.first_requests.append(checked)
            if count % YIELD_EVERY_ROWS == 0:
                await asyncio.sleep(0)
        if table.rows_read == 0:
            raise InputError(table.path, "has a header but no data rows")
        result.rows.finish()
        for rejected_row, why in result.rows.rejected.items():
            journal.record(_invalid(rejected_row, "id", why))
        journal.drop_updates(result.rows.rejected)
        return result

    async def _send(self, journal: Journal, last_row: int, wanted: int) -> SendStats:
        send = self.settings.send
        async with self._client() as client:
            pacer = Pacer(send.rate, headroom_percent=send.headroom_percent, max_wait=send.max_wait)
            self._sender = Sender(
                client,
                pacer,
                self._policy,
                SendControls(send.concurrency, send.max_failures, send.log_bodies),
                journal.record,
                self._progress,
                read_first=self._read_first(),
            )
            if self.interrupted:
                self._sender.stop("interrupted")
            already = journal.count_done(last_row)
            self._progress.start(max(wanted, already), already)
            flusher = asyncio.create_task(_commit_periodically(journal))
            try:
                return await self._sender.run(journal.updates_to_send(last_row))
            finally:
                flusher.cancel()
                self._progress.close()
                journal.flush()

    def _read_first(self) -> ReadFirst | None:
        settings = self.settings
        if not settings.reads_first:
            return None
        return ReadFirst(settings.skip_unchanged, settings.dry_run, self._backup)

    def _write_report(self, table: Table, journal: Journal, last_row: int) -> RunSummary:
        """Every row of the input with its outcome. A row with none was not sent: in a dry
        run it would be (unless past --limit); otherwise it was not attempted."""
        settings = self.settings
        if settings.dry_run:

            def unrecorded(row: int) -> RowStatus:
                return RowStatus.WOULD_UPDATE if row <= last_row else RowStatus.NOT_ATTEMPTED
        else:

            def unrecorded(row: int) -> RowStatus:
                return RowStatus.NOT_ATTEMPTED

        counts: Counter[str] = Counter()
        lines = report_lines(table.columns, table.rows(), journal.outcomes(), counts, unrecorded)
        write_report(settings.report_path, lines)
        return RunSummary(
            input_path=str(settings.input_path),
            report_path=str(settings.report_path),
            rows=sum(counts.values()),
            counts=dict(counts),
            blank_rows_skipped=table.blank_rows,
            dry_run=settings.dry_run,
        )


def encode(request: UpdateRequest) -> PreparedUpdate:
    """The one JSON encoding of a request body, done once per row."""
    payload = json.dumps(request.body, separators=(",", ":"), ensure_ascii=False).encode()
    return PreparedUpdate(request.row, request.conversation_id, payload)


def _check_not_a_real_report(report: Path, journal: Path) -> None:
    """A dry run never writes over what a real run reported: its journal is beside it, or
    (the journal deleted) it shows rows as updated."""
    if not report.exists():
        return
    real = journal.exists()
    if not real:
        with contextlib.suppress(BulkUpdateError):
            table = Table(report, ReadOptions())
            if "status" in table.columns:
                status = table.columns.index("status")
                real = any(row.cells[status] == "updated" for row in table.rows())
    if real:
        raise UsageError.naming_settings(
            f"{escape(str(report))} is the report of a real run; a dry run does not write over "
            "it: give the dry run another {report_path} (for example "
            f"{escape(report.stem)}.dry-run{escape(report.suffix)})"
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


async def _commit_periodically(journal: Journal) -> None:
    while True:
        await asyncio.sleep(JOURNAL_COMMIT_SECONDS)
        journal.flush()


async def fetch_schema(client: IntercomClient, policy: RetryPolicy) -> Schema:
    """The workspace's conversation attributes, read once at the start of a run."""
    # One request: the pacer is there for what the answer's rate-limit headers say.
    pacer = Pacer(Rate(10, 1))
    response = await call_with_retries(lambda: fetch_listing(client), policy, pacer)
    if response.status in (401, 403):
        raise AuthenticationFailed(
            f"Intercom refused the access token ({response.status} "
            f"{response.error_code}: {response.error_message}); check the access token and "
            "that it belongs to this region's workspace"
        )
    if not response.ok:
        reason = response.error_message or f"HTTP {response.status}"
        raise UsageError.naming_settings(
            "could not read the workspace's conversation attributes from "
            f"{escape(client.base_url)} ({escape(reason)}); try again, or work offline with "
            "{schema_path}"
        )
    return Schema.from_listing(response.data, source=f"{client.base_url}/data_attributes")
