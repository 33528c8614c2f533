"""One run of the main job: check outputs → read → validate every row → send → report.

The library entry point under :func:`bulk_update.run`. Each phase is a method that hands the
next one a value; :meth:`Job.run` only puts them in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bulk_update.config import JobSettings, ReadOptions, Token
from bulk_update.errors import (
    AuthenticationFailed,
    BulkUpdateError,
    InputError,
    UsageError,
    escape,
)
from bulk_update.history.backup import BackupWriter
from bulk_update.history.breakdown import Tally
from bulk_update.history.journal import Journal
from bulk_update.history.report import (
    csv_delimiter,
    read_report,
    report_lines,
    write_report,
    write_summary_json,
)
from bulk_update.history.rerun import EarlierRuns, ReportedOutcomes, content_digest
from bulk_update.models import (
    OUTCOME_COLUMNS,
    PreparedUpdate,
    Reason,
    RowOutcome,
    RowStatus,
    RunResult,
    RunSummary,
    SendStats,
    UpdateRequest,
    wire_json,
)
from bulk_update.send.action_row import ActOnRow
from bulk_update.send.action_steps import StepContext
from bulk_update.send.client import IntercomClient
from bulk_update.send.lookups import create_tag, fetch_directory, fetch_schema
from bulk_update.send.pacing import Pacer
from bulk_update.send.pool import WorkerPool
from bulk_update.send.progress import Progress, SilentProgress
from bulk_update.send.reads import Reads
from bulk_update.send.retry import Caller, RetryPolicy
from bulk_update.send.update_row import ReadFirst, RowWork, UpdateRow
from bulk_update.sheet.action_cells import ActionCells, Named
from bulk_update.sheet.reader import Table
from bulk_update.sheet.schema import AttributeType, Schema
from bulk_update.sheet.validate import (
    ColumnPlan,
    RowProblem,
    action_columns,
    check_conversation_id,
    lost_zeros_problem,
    plan_columns,
    repeated_id_problem,
    validate_row,
)
from bulk_update.sheet.values import OptionMatcher, ValueProblem

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)

SAMPLE_BODIES = 3
# Hand control back to the event loop this often during the validation pass, so that a
# Ctrl-C is noticed even while a million rows are being checked.
YIELD_EVERY_ROWS = 5000
# Outcomes not yet committed are sent again after a kill -9: keep that to the last tenth of
# a second of answers (a WAL commit without fsync costs microseconds).
JOURNAL_COMMIT_SECONDS = 0.1


@dataclass(frozen=True)
class _Validated:
    """What the validation pass leaves for sending."""

    last_row: int  # the last row that the limit lets through
    wanted: int  # rows to send, the limit applied
    sample: tuple[UpdateRequest, ...]


@dataclass(frozen=True)
class _Reported:
    rows: int
    counts: dict[str, int]
    blank_rows: int
    lines: Callable[[], Sequence[list[str]]]
    reasons: tuple[Reason, ...]


class Job:
    """A run. ``interrupt()`` asks it to stop sending, finish what is in flight and report.

    ``table`` gives the rows when they do not come from ``settings.input_path`` (a
    DataFrame, see :meth:`Table.from_frame`).
    """

    def __init__(
        self,
        settings: JobSettings,
        token: Token | None,
        *,
        progress: Progress | None = None,
        schema: Schema | None = None,
        retry_policy: RetryPolicy | None = None,
        table: Table | None = None,
        setting_names: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ):
        if table is None and settings.input_path is None:
            raise UsageError.naming_settings("nothing to read: give {input_path} or a table")
        self.settings = settings
        self._token = token
        self._progress = progress or SilentProgress()
        self._schema = schema
        self._table = table
        # What a row's message calls a setting (the CLI passes its flags).
        self._names = setting_names or {}
        self._policy = retry_policy or RetryPolicy(max_retries=settings.send.max_retries)
        self._caller: Caller | None = None
        # The wall clock and sleep that pacing and backoff use (a test's virtual time).
        self._clock = clock
        self._sleep = sleep
        self.interrupted = False

    def interrupt(self) -> None:
        self.interrupted = True
        if self._caller is not None:
            self._caller.stop("interrupted")

    async def run(self) -> RunResult:
        started = time.monotonic()
        self._check_outputs()
        table = self._open_table()
        asked = self._actions_asked(table)
        schema = await self._load_schema_or_report(table)
        settings = self.settings
        acting = await self._load_directory(table) if asked else None
        plan, notices = self._plan(table, schema, acting)
        if settings.backup_path is not None:
            BackupWriter.check_free(settings.backup_path, resume=settings.resume)
        backup: BackupWriter | None = None
        stats = SendStats()
        # Decided before the journal is opened (which creates one where there was none).
        again = self._runs_report_again(table)
        with contextlib.closing(self._open_journal(table, again)) as journal:
            try:
                if settings.backup_path is not None:
                    backup = BackupWriter(
                        settings.backup_path,
                        _backed_up_columns(plan),
                        settings.read.clear_marker,
                        resume=settings.resume,
                        dates=_dates(plan) | {"snoozed_until"},
                    )
                validated = await self._validate_all(table, plan, journal, again)
                if not settings.dry_run or settings.live:
                    stats = await self._send(journal, validated, backup, _dates(plan), acting)
                reported = self._report(table, journal, validated.last_row)
            finally:
                if backup is not None:
                    backup.close()
        notices += _corrections(plan) + _action_notices(asked, acting, stats, settings.dry_run)
        if table.is_report and not again:
            notices += (
                f"{table.path} is a report with no journal of its run beside it: its rows "
                "marked updated or skipped were kept as they are (edits to them not sent)",
            )
        result = self._result(
            reported,
            stats,
            time.monotonic() - started,
            validated.sample,
            notices,
            acted_as=(settings.admin or "") if asked else "",
        )
        if stats.credentials_refused:
            raise AuthenticationFailed(
                f"{stats.stop_reason}. Report: {settings.report_path or 'RunResult.outcomes'}",
                result=result,
            )
        return result

    # --- the phases, in order ------------------------------------------------------------

    def _check_outputs(self) -> None:
        """Every file the run will write can be written, and none is a real run's report
        that a dry run would replace."""
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
        if settings.dry_run and settings.report_path is not None:
            assert settings.journal_path is not None
            _check_not_a_real_report(settings.report_path, settings.journal_path)

    def _open_table(self) -> Table:
        settings = self.settings
        if self._table is not None:
            table = self._table
        else:
            assert settings.input_path is not None
            table = Table(settings.input_path, settings.read)
        if settings.only_statuses is not None:
            table.keep_only(_status_filter(table, settings.only_statuses))
        if table.is_report:
            table.number_rows_by("row")
        return table

    def _actions_asked(self, table: Table) -> list[str]:
        """The action columns of the sheet; with any, the teammate to act as must be named."""
        read = self.settings.read
        asked = action_columns(table.columns, read.ignore_columns, dict(read.renames))
        if asked and not self.settings.admin:
            raise UsageError.naming_settings(
                f"the sheet has action columns ({escape(', '.join(asked))}): name the teammate "
                "they are made as with {admin} (an email or an id; Intercom requires one)"
            )
        return asked

    async def _load_directory(self, table: Table) -> _Acting:
        """The teammates, teams and tags that action cells name, the teammate to act as, and
        the reader of the sheet's action cells (by its conventions)."""
        async with self._client() as client:
            directory = await fetch_directory(
                client, self._policy, clock=self._clock, sleep=self._sleep
            )
        assert self.settings.admin is not None
        try:
            admin = directory.admin(self.settings.admin)
        except ValueProblem as problem:
            raise UsageError.naming_settings(
                "{admin}: " + escape(str(problem)) + " in this workspace"
            ) from None
        read = self.settings.read
        cells = ActionCells(
            directory,
            clear_marker=read.clear_marker,
            conventions=read.conventions(table.delimiter),
            create_tags=self.settings.create_tags,
            now=self._clock,
        )
        return _Acting(StepContext(admin.id, directory), cells)

    async def _load_schema_or_report(self, table: Table) -> Schema:
        """The workspace's attributes. A token refused here still leaves a report: every
        row not attempted (except on resume, where the earlier report stands)."""
        try:
            return await self.load_schema()
        except AuthenticationFailed as refused:
            if self.settings.resume:
                raise
            with contextlib.closing(Journal.temporary()) as journal:
                reported = self._report(table, journal, last_row=0)
            where = self.settings.report_path or "RunResult.outcomes"
            raise AuthenticationFailed(
                f"{refused}. Nothing was sent: every row is not_attempted in {where}",
                result=self._result(reported, SendStats(), 0.0, ()),
            ) from None

    def _plan(
        self, table: Table, schema: Schema, acting: _Acting | None
    ) -> tuple[ColumnPlan, tuple[str, ...]]:
        """What each column becomes, read by the sheet's conventions; and what was assumed
        about them, to say in the summary."""
        read = self.settings.read
        conventions = read.conventions(table.delimiter)
        plan = plan_columns(
            table.path,
            table.columns,
            schema,
            ignore=read.ignore_columns,
            clear_marker=read.clear_marker,
            conventions=conventions,
            names=self._names,
            renames=dict(read.renames),
            action_cells=acting.cells if acting is not None else None,
        )
        kinds = {planned.kind for planned in plan.fields}
        notices: list[str] = []
        if plan.mapped:
            notices.append(
                "columns read as: " + ", ".join(f"{old!r} → {new}" for old, new in plan.mapped)
            )
        if kinds & {AttributeType.INTEGER, AttributeType.FLOAT}:
            if read.decimal_comma is None and conventions.decimal_comma:
                notices.append(
                    "numbers were read with a decimal comma (1,5 = 1.5), as the file is "
                    "';'-separated"
                )
            elif conventions.decimal_comma:
                notices.append("numbers were read with a decimal comma (1,5 = 1.5)")
        if AttributeType.DATE in kinds or "snoozed_until" in {a.action for a in plan.actions}:
            notices.append(f"date-times written without a zone were read as {read.timezone}")
        return plan, tuple(notices)

    async def load_schema(self) -> Schema:
        if self._schema is not None:
            return self._schema
        if self.settings.schema_path is not None:
            return Schema.load(self.settings.schema_path)
        async with self._client() as client:
            return await fetch_schema(client, self._policy, clock=self._clock, sleep=self._sleep)

    def _open_journal(self, table: Table, again: bool) -> Journal:
        settings = self.settings
        if settings.dry_run or not settings.durable_journal or settings.journal_path is None:
            return Journal.temporary()
        options = {
            "api_version": settings.send.api_version,
            "base_url": settings.send.base_url,
            "clear_marker": settings.read.clear_marker,
            "ignore_columns": sorted(settings.read.ignore_columns),
            "backup": str(settings.backup_path.resolve()) if settings.backup_path else None,
        }
        if again:
            # The report is this journal's own: carry on from it, whatever changed.
            journal = Journal.open(
                settings.journal_path, table.fingerprint(), options, resume=True, force=True
            )
            journal.set_input(table.fingerprint())
            return journal
        return Journal.open(
            settings.journal_path,
            table.fingerprint(),
            options,
            resume=settings.resume,
            force=settings.force,
        )

    def _runs_report_again(self, table: Table) -> bool:
        """The input is a report rewritten in place, with the journal of its runs beside it."""
        settings = self.settings
        return (
            table.is_report
            and settings.input_path is not None
            and settings.report_path is not None
            and settings.input_path.resolve() == settings.report_path.resolve()
            and settings.journal_path is not None
            and settings.journal_path.exists()
        )

    async def _validate_all(
        self, table: Table, plan: ColumnPlan, journal: Journal, again: bool
    ) -> _Validated:
        """Check every row before anything is sent: record the invalid ones and keep each
        valid row's encoded request in the journal; then what only the whole file shows
        (repeated ids, ids that lost the column's leading zeros)."""
        encode_bodies = not self.settings.dry_run or self.settings.live
        sample: list[UpdateRequest] = []
        earlier = EarlierRuns(journal) if journal.path is not None else None
        keep_reported = table.is_report and not again
        columns = ReportedOutcomes(table.columns) if table.is_report else None
        content = [i for i, name in enumerate(table.columns) if name not in OUTCOME_COLUMNS]
        journal.start_validation()
        for count, row in enumerate(table.rows(), start=1):
            if earlier is not None:
                earlier.reconcile(
                    row.number, content_digest(row.cells, content), again=table.is_report
                )
            if keep_reported and columns is not None and columns.kept(row.cells):
                # No journal to tell an edit apart: a row reported done stays as it is. Its
                # id still counts, so that another row for the same conversation is a duplicate.
                journal.record(columns.outcome(row.number, row.cells))
                with contextlib.suppress(ValueProblem):
                    kept_id = check_conversation_id(row.cells[plan.id_index])
                    journal.add_update(PreparedUpdate(row.number, kept_id, b""))
                continue
            checked = validate_row(plan, row.number, row.cells, row.problem)
            if isinstance(checked, RowProblem):
                journal.record(_invalid(checked.row, checked.column, checked.message))
            else:
                journal.add_update(
                    encode(checked)
                    if encode_bodies
                    else PreparedUpdate(checked.row, checked.conversation_id, b"")
                )
                if len(sample) < 2 * SAMPLE_BODIES:
                    sample.append(checked)
            if count % YIELD_EVERY_ROWS == 0:
                await asyncio.sleep(0)
        if table.rows_read == 0:
            raise InputError(table.path, "has a header but no data rows")
        rejected = cross_row_problems(journal)
        for rejected_row, why in rejected.items():
            journal.record(_invalid(rejected_row, "id", why))
        journal.drop_updates(rejected)
        limit = self.settings.limit
        last_row = journal.last_row(limit)
        prepared = journal.count_prepared()
        kept = [r for r in sample if r.row not in rejected and r.row <= last_row]
        return _Validated(
            last_row,
            prepared if limit is None else min(prepared, limit),
            tuple(kept[:SAMPLE_BODIES]),
        )

    async def _send(
        self,
        journal: Journal,
        validated: _Validated,
        backup: BackupWriter | None,
        dates: frozenset[str],
        acting: _Acting | None,
    ) -> SendStats:
        send = self.settings.send
        async with self._client() as client:
            pacer = Pacer(
                send.rate,
                headroom_percent=send.headroom_percent,
                max_wait=send.max_wait,
                clock=self._clock,
                sleep=self._sleep,
            )
            self._caller = caller = Caller(pacer, self._policy, sleep=self._sleep)
            if self.interrupted:
                caller.stop("interrupted")
            settings = self.settings
            reads: Reads | None = None
            if acting is not None or settings.reads_first:
                reads = Reads(client, caller, via=settings.read_via)
            work: RowWork
            if acting is not None:
                await self._create_tags(client, caller, acting)
                work = ActOnRow(
                    client,
                    caller,
                    acting.context,
                    journal,
                    ReadFirst(settings.skip_unchanged, settings.dry_run, backup, dates),
                    max_attempts=self._policy.max_retries + 1,
                    reads=reads,
                    log_bodies=send.log_bodies,
                )
            else:
                work = UpdateRow(
                    client,
                    caller,
                    read_first=self._read_first(backup, dates),
                    reads=reads,
                    log_bodies=send.log_bodies,
                )
            pool = WorkerPool(
                caller,
                work,
                journal.record,
                self._progress,
                concurrency=send.concurrency,
                max_failures=send.max_failures,
                reads=reads,
            )
            already = journal.count_done(validated.last_row)
            self._progress.start(max(validated.wanted, already), already)
            committer = asyncio.create_task(_commit_periodically(journal))
            try:
                return await pool.run(journal.updates_to_send(validated.last_row))
            finally:
                committer.cancel()
                self._progress.close()
                journal.flush()

    async def _create_tags(self, client: IntercomClient, caller: Caller, acting: _Acting) -> None:
        """Create the tags the sheet names that the workspace lacks (asked for with
        ``create_tags``; not in a dry run). One refused stops the run before any row."""
        missing = list(acting.cells.tags_to_create.values())
        if self.settings.dry_run or not missing:
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

    def _read_first(self, backup: BackupWriter | None, dates: frozenset[str]) -> ReadFirst | None:
        settings = self.settings
        if not settings.reads_first:
            return None
        return ReadFirst(settings.skip_unchanged, settings.dry_run, backup, dates)

    def _report(self, table: Table, journal: Journal, last_row: int) -> _Reported:
        """Every row of the input with its outcome, written to the report (or kept, when
        there is no report file). A row with no outcome was not sent: in a dry run it would
        be (unless past the limit); otherwise it was not attempted."""
        settings = self.settings
        if settings.dry_run:

            def unrecorded(row: int) -> RowStatus:
                return RowStatus.WOULD_UPDATE if row <= last_row else RowStatus.NOT_ATTEMPTED
        else:

            def unrecorded(row: int) -> RowStatus:
                return RowStatus.NOT_ATTEMPTED

        tally = Tally()
        lines = report_lines(table.columns, table.rows(), journal.outcomes(), tally, unrecorded)
        kept: Callable[[], Sequence[list[str]]]
        if settings.report_path is not None:
            write_report(settings.report_path, lines, table.delimiter)
            kept = functools.partial(
                read_report,
                settings.report_path,
                csv_delimiter(settings.report_path, table.delimiter),
            )
        else:
            in_memory = tuple(lines)
            kept = functools.partial(tuple, in_memory)
        counts = dict(tally.counts)
        return _Reported(sum(counts.values()), counts, table.blank_rows, kept, tally.reasons())

    def _result(
        self,
        reported: _Reported,
        stats: SendStats,
        elapsed: float,
        sample: tuple[UpdateRequest, ...],
        notices: tuple[str, ...] = (),
        *,
        acted_as: str = "",
    ) -> RunResult:
        settings = self.settings
        summary = RunSummary(
            input_path=str(self._table.path if self._table else settings.input_path),
            report_path=str(settings.report_path or ""),
            rows=reported.rows,
            counts=reported.counts,
            elapsed_seconds=elapsed,
            sent=stats,
            blank_rows_skipped=reported.blank_rows,
            backup_path=str(settings.backup_path or ""),
            dry_run=settings.dry_run,
            interrupted=self.interrupted,
            notices=notices,
            reasons=reported.reasons,
            limited=settings.limit is not None,
            acted_as=acted_as,
        )
        if settings.summary_json is not None:
            write_summary_json(settings.summary_json, summary)
        return RunResult(
            summary, settings.report_path, reported.lines, sample if settings.dry_run else ()
        )

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


@dataclass
class _Acting:
    """A sheet with action columns: who acts, the names to look up, and its cells' reader."""

    context: StepContext
    cells: ActionCells


def encode(request: UpdateRequest) -> PreparedUpdate:
    """The one JSON encoding of a request body, done once per row (no body: no PUT)."""
    payload = b""
    if request.body:
        payload = wire_json(request.body)
    actions = request.actions.encode() if request.actions is not None else b""
    return PreparedUpdate(request.row, request.conversation_id, payload, actions)


def _backed_up_columns(plan: ColumnPlan) -> list[str]:
    """What a backup keeps: the attributes the sheet changes, and with any action column
    the conversation's state, assignees and tags (which ``undo`` puts back)."""
    columns = [planned.key for planned in plan.fields]
    if plan.actions:
        columns += ["state", "snoozed_until", "admin_assignee", "team_assignee", "tags"]
    return columns


def _action_notices(
    asked: list[str], acting: _Acting | None, stats: SendStats, dry_run: bool
) -> tuple[str, ...]:
    notices: list[str] = []
    if "state" in asked:
        notices.append(
            "closing conversations may trigger the workspace's own rules (rating requests, "
            "workflows): where those are on, customers see a bulk close"
        )
    if stats.tags_created:
        notices.append("created the tags: " + ", ".join(stats.tags_created))
    elif dry_run and acting is not None:
        missing = list(acting.cells.tags_to_create.values())
        if missing:
            notices.append("would create the tags: " + ", ".join(missing))
    return tuple(notices)


def _dates(plan: ColumnPlan) -> frozenset[str]:
    """The fields that hold dates (unix seconds on the wire, ISO 8601 for people)."""
    return frozenset(planned.key for planned in plan.fields if planned.kind is AttributeType.DATE)


def _corrections(plan: ColumnPlan) -> tuple[str, ...]:
    corrected = sum(
        planned.convert.corrected
        for planned in plan.fields
        if isinstance(planned.convert, OptionMatcher)
    )
    if not corrected:
        return ()
    return (
        f"{corrected} list value(s) differed from an option only in case or spaces and "
        "were sent as the option",
    )


def cross_row_problems(journal: Journal) -> dict[int, str]:
    """Rows invalid only in the light of the others (row → why), in row order."""
    problems: dict[int, str] = {}
    padded_to = journal.zero_padded_length()
    if padded_to is not None:
        for row, conversation_id in journal.ids_shorter_than(padded_to):
            problems[row] = lost_zeros_problem(conversation_id, padded_to)
    for row, first_row in journal.repeated_ids():
        problems.setdefault(row, repeated_id_problem(first_row))
    return dict(sorted(problems.items()))


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
