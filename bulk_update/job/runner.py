"""One run of the main job: check outputs → read (and check the workspace) → validate every
row → send → report. Each phase hands the next one a value; :meth:`Job.run` only puts them in
order (``job.validation``, ``job.workspace_guard``, ``job.sending``, ``job.outputs``)."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from functools import partial
from pathlib import Path

from bulk_update.config import Conventions, JobSettings, Token
from bulk_update.errors import (
    AuthenticationFailed,
    BulkUpdateError,
    StorageFailed,
    UsageError,
)
from bulk_update.history.backup import BackupWriter
from bulk_update.history.journal import Journal
from bulk_update.history.lock import holding
from bulk_update.history.report import write_summary_json
from bulk_update.history.rerun import check_history, open_journal, runs_report_again
from bulk_update.job.alerts import watched
from bulk_update.job.hooks import Clock, RunHooks, SystemClock
from bulk_update.job.outputs import (
    Reported,
    action_notices,
    check_outputs,
    corrections,
    plan_notices,
    quiet_note_notices,
    report_rows,
    version_notices,
    without_history_notices,
)
from bulk_update.job.preparation import actions_asked
from bulk_update.job.sending import Acting, commit_periodically, create_tags, read_first
from bulk_update.job.validation import (
    Validated,
    backed_up_columns,
    date_fields,
    status_filter,
    validate_all,
)
from bulk_update.job.workspace_guard import confirmed, read_workspace
from bulk_update.models import RunResult, RunSummary, SendStats, UpdateRequest, Workspace
from bulk_update.send.action_row import ActOnRow
from bulk_update.send.client import IntercomClient
from bulk_update.send.lookups import fetch_directory, fetch_schema
from bulk_update.send.pacing import Pacer
from bulk_update.send.pool import WorkerPool
from bulk_update.send.reads import Reads, looked_up
from bulk_update.send.retry import Caller, RetryPolicy
from bulk_update.send.update_row import ReadFirst, RowWork, UpdateRow
from bulk_update.sheet.action_cells import ActionCells
from bulk_update.sheet.columns import ColumnPlan, plan_columns
from bulk_update.sheet.reader import Table
from bulk_update.sheet.schema import Schema
from bulk_update.sheet.steps import StepContext
from bulk_update.sheet.values import ValueProblem


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
        hooks: RunHooks | None = None,
        table: Table | None = None,
        schema: Schema | None = None,
        retry_policy: RetryPolicy | None = None,
        clock: Clock | None = None,
    ):
        if table is None and settings.input_path is None:
            raise UsageError.naming_settings("nothing to read: give {input_path} or a table")
        self.settings = settings
        self._token = token
        self._hooks = hooks = hooks or RunHooks()
        self._progress = hooks.progress
        self._names = hooks.setting_names
        self._schema = schema
        self._table = table
        self._policy = retry_policy or RetryPolicy(max_retries=settings.send.max_retries)
        self._caller: Caller | None = None
        self._workspace: Workspace | None = None  # read before the first write
        self._workspace_said: tuple[str, ...] = ()
        # The wall clock and sleep that pacing and backoff use (a test's virtual time).
        self._clock: Clock = clock or SystemClock()
        self._sleep = self._clock.sleep
        self.interrupted = False
        if hooks.interruption is not None:
            hooks.interruption.listen(self.interrupt)

    def interrupt(self) -> None:
        self.interrupted = True
        if self._caller is not None:
            self._caller.stop("interrupted")

    async def run(self) -> RunResult:
        check_outputs(self.settings)
        with holding(self.settings.held, " ".join(sys.argv)):
            try:
                return await self._run()
            except StorageFailed as error:
                sent = self._caller is not None and self._caller.stats.requests > 0
                raise error.having_sent(sent) from None

    async def _run(self) -> RunResult:
        started = time.monotonic()
        settings = self.settings
        table = self._open_table()
        asked = actions_asked(table, settings)
        # Decided before the journal is opened (which creates one where there was none).
        again = runs_report_again(settings, table.is_report)
        fingerprint = table.fingerprint()
        check_history(settings, fingerprint, again=again)
        schema = await self._load_schema_or_report(table)
        # How the sheet writes numbers and dates, decided once for every column and cell.
        conventions = settings.read.conventions(table.delimiter)
        acting = await self._load_directory(conventions) if asked else None
        plan, notices = self._plan(table, schema, acting, conventions)
        if settings.backup_path is not None:
            BackupWriter.check_free(settings.backup_path, resume=settings.backs_up_again)
        backup: BackupWriter | None = None
        stats = SendStats()
        fresh = settings.journal_path is not None and not settings.journal_path.exists()
        journal = open_journal(settings, fingerprint, again=again)
        notices += version_notices(journal, settings.send.api_version)
        with contextlib.closing(journal):
            try:
                if settings.backup_path is not None:
                    backup = BackupWriter(
                        settings.backup_path,
                        backed_up_columns(plan, settings.send.api_version),
                        settings.read.clear_marker,
                        resume=settings.backs_up_again,
                        dates=date_fields(plan),
                    )
                validated = await self._validate(table, plan, journal, again, fresh)
                if settings.sends_requests:
                    first = read_first(self.settings, plan, schema, backup, acting)
                    try:
                        stats = await self._send(journal, validated, first, acting)
                    except StorageFailed:
                        # What was confirmed goes in the report, if its disk has room.
                        with contextlib.suppress(StorageFailed):
                            report_rows(settings, table, journal, validated.last_row)
                        raise
                # A live dry run stopped early: the rows it did not read are not_attempted.
                told = 0 if settings.live and self.interrupted else validated.last_row
                reported = report_rows(settings, table, journal, told)
            finally:
                if backup is not None:
                    backup.close()
        cells = acting.cells if acting is not None else None
        notices += corrections(plan, cells, settings.read.timezone)
        notices += action_notices(validated.closes, cells, stats, settings.dry_run)
        notices += quiet_note_notices(settings, stats, asked)
        notices += without_history_notices(table, again)
        notices += self._workspace_said + self._hooks.notices
        result = self._result(
            reported,
            stats,
            time.monotonic() - started,
            validated.sample,
            notices,
            acted_as=(settings.admin or "") if asked else "",
            columns_read=((table.columns[plan.id_index], "id"), *plan.change_columns.values()),
        )
        if stats.credentials_refused:
            raise AuthenticationFailed(
                f"{stats.stop_reason}. Report: {settings.report_path or 'RunResult.outcomes'}",
                result=result,
            )
        return result

    def _open_table(self) -> Table:
        settings = self.settings
        if self._table is not None:
            table = self._table
        else:
            assert settings.input_path is not None
            table = Table(settings.input_path, settings.read)
        if settings.only_statuses is not None:
            table.keep_only(status_filter(table, settings.only_statuses))
        if table.is_report:
            table.number_rows_by("row")
        return table

    async def _load_directory(self, conventions: Conventions) -> Acting:
        """The teammates, teams and tags that action cells name, the teammate to act as, and
        the reader of the sheet's action cells (by its conventions)."""
        async with self._client() as client:
            fetch = partial(
                fetch_directory, client, self._policy, clock=self._clock, sleep=self._sleep
            )
            directory = await looked_up(self._hooks.reads_kept, "directory", fetch)
        assert self.settings.admin is not None
        try:
            admin = directory.admin(self.settings.admin)
        except ValueProblem as problem:
            raise UsageError.naming_settings(
                "{admin}: " + problem.as_template() + " in this workspace"
            ) from None
        read = self.settings.read
        cells = ActionCells(
            directory,
            clear_marker=read.clear_marker,
            conventions=conventions,
            create_tags=self.settings.create_tags,
            now=self._clock,
        )
        settings = self.settings
        context = StepContext(admin.id, directory, settings.no_notify, settings.send.api_version)
        return Acting(context, cells)

    async def _load_schema_or_report(self, table: Table) -> Schema:
        """The workspace's attributes. A token refused here still leaves a report, every row
        not attempted, where there was none; an earlier report stands as it was."""
        try:
            return await self.load_schema()
        except AuthenticationFailed as refused:
            if self.settings.resume:
                raise
            if (report := self.settings.report_path) is not None and report.exists():
                raise AuthenticationFailed(
                    f"{refused}. Nothing was sent; {report} is left as it was"
                ) from None
            with contextlib.closing(Journal.temporary()) as journal:
                reported = report_rows(self.settings, table, journal, last_row=0)
            raise AuthenticationFailed(
                f"{refused}. Nothing was sent: every row is not_attempted in "
                f"{report or 'RunResult.outcomes'}",
                result=self._result(reported, SendStats(), 0.0, ()),
            ) from None

    def _plan(
        self, table: Table, schema: Schema, acting: Acting | None, conventions: Conventions
    ) -> tuple[ColumnPlan, tuple[str, ...]]:
        """What each column becomes, read by the sheet's conventions; and what was assumed
        about them, to say in the summary."""
        read = self.settings.read
        plan = plan_columns(
            table.path,
            table.columns,
            schema,
            read=read,
            conventions=conventions,
            names=self._names,
            action_cells=acting.cells if acting is not None else None,
        )
        return plan, plan_notices(read, conventions, plan)

    async def load_schema(self) -> Schema:
        if self._schema is not None:
            return self._schema
        if self.settings.schema_path is not None:
            return Schema.load(self.settings.schema_path)
        async with self._client() as client:
            fetch = partial(
                fetch_schema, client, self._policy, clock=self._clock, sleep=self._sleep
            )
            return await looked_up(self._hooks.reads_kept, "schema", fetch)

    async def _send(
        self,
        journal: Journal,
        validated: Validated,
        read_first: ReadFirst,
        acting: Acting | None,
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
                kept, dry = self._hooks.reads_kept, settings.dry_run
                reads = Reads(client, caller, via=settings.read_via, kept=kept, dry_run=dry)
            work: RowWork
            if acting is not None:
                if not settings.dry_run:
                    await create_tags(client, caller, acting)
                work = ActOnRow(
                    client,
                    caller,
                    acting.context,
                    journal,
                    read_first,
                    reads=reads,
                    log_bodies=send.log_bodies,
                )
            else:
                work = UpdateRow(
                    client,
                    caller,
                    read_first=read_first if read_first.reads else None,
                    reads=reads,
                    log_bodies=send.log_bodies,
                )
            pool = WorkerPool(
                caller,
                work,
                journal.record,
                watched(self._progress, settings, validated, self._hooks.alert, self._workspace),
                concurrency=send.concurrency,
                max_failures=send.max_failures,
                reads=reads,
            )
            already = journal.count_done(validated.last_row)
            self._progress.start(max(validated.wanted, already), already)
            committer = asyncio.create_task(commit_periodically(journal, pool.fail))
            try:
                return await pool.run(journal.updates_to_send(validated.last_row))
            finally:
                committer.cancel()
                self._progress.close()
                journal.flush()

    def _result(
        self,
        reported: Reported,
        stats: SendStats,
        elapsed: float,
        sample: tuple[UpdateRequest, ...],
        notices: tuple[str, ...] = (),
        *,
        acted_as: str = "",
        columns_read: tuple[tuple[str, str], ...] = (),
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
            sampled=settings.unattended.sample or 0,
            acted_as=acted_as,
            columns_read=columns_read,
            undo=settings.undoing,
            workspace=self._workspace,
        )
        if settings.summary_json is not None:
            write_summary_json(settings.summary_json, summary)
        return RunResult(
            summary, settings.report_path, reported.lines, sample if settings.dry_run else ()
        )

    async def _validate(
        self, table: Table, plan: ColumnPlan, journal: Journal, again: bool, fresh: bool
    ) -> Validated:
        """The validation pass, then the confirmation a big run may need. One that refuses
        the input (no data rows, say) or is not confirmed has sent nothing: a journal it
        created goes, so the same command works once the input is fixed."""
        settings = self.settings
        try:
            validated = await validate_all(table, plan, journal, again=again, settings=settings)
            self._workspace, self._workspace_said = await read_workspace(
                settings, validated.wanted, self._client, self._policy, self._hooks, self._clock
            )
            if not settings.dry_run:
                confirmed(self._hooks, self._workspace, validated.wanted)
            return validated
        except BulkUpdateError:
            if fresh and journal.path is not None:
                journal.close()
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{journal.path}{suffix}").unlink(missing_ok=True)
            raise

    def _client(self) -> IntercomClient:
        return IntercomClient.for_settings(self.settings.send, self._token)
