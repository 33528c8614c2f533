"""What the page does, each step one call of the library the command line uses: check (a dry
run), preview (a live dry run), run, stop, undo and find (an export). One sheet at a time, in
a folder of the page's own; its report and backup beside it, so that a report chosen again is
run in place (the fix-and-resend loop) and undo finds every round."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import os
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bulk_update import api
from bulk_update.config import (
    Destination,
    ReadOptions,
    default_report_path,
    journal_beside,
    pick,
)
from bulk_update.errors import UsageError
from bulk_update.history.report import read_report, write_report
from bulk_update.job.hooks import RunHooks
from bulk_update.job.keyed import TOOLS_COLUMNS
from bulk_update.job.preparation import actions_asked, prepare_run
from bulk_update.models import RowStatus, RunResult, Workspace
from bulk_update.send.reads import KEPT_FOR_SECONDS, ReadsKept
from bulk_update.sheet.columns import action_columns
from bulk_update.sheet.reader import Table
from bulk_update.ui.choices import Choices, Connection
from bulk_update.ui.folder import SHEET_SUFFIXES, numbered, safe_name
from bulk_update.ui.jobs import JOB_NAMES, JobKind, Running, Work, started
from bulk_update.ui.shown import (
    NOT_SENDABLE,
    PAGE_NAMES,
    described,
    page_message,
    previewed,
    review,
    rows_read,
    undone,
)

# Rows a first Preview reads: shown within a couple of seconds on any sheet; all on request.
PREVIEW_SAMPLE = 100


@dataclass(frozen=True)
class Round:
    """The round Run starts: its sheet, its report and (a first round's) backup."""

    sheet: Path
    report: Path
    backup: Path | None

    def settings(self) -> dict[str, Any]:
        chosen: dict[str, Any] = {"report_path": self.report}
        if self.backup is not None:
            chosen["backup_path"] = self.backup
        return chosen


class Session:
    """The page's sheet, its history and the job going on (one at a time)."""

    def __init__(self, folder: Path, connection: Connection):
        self.folder = folder
        self._connection = connection
        self.sheet: Path | None = None
        self._report = folder / "results.csv"  # set with the sheet
        # What Preview and Run's review read, for the run confirmed after them: each
        # conversation is read once. Dropped with the sheet, and once a run or undo ends.
        self._kept = ReadsKept()
        self.running: Running | None = None  # the job going on, or the last one
        # Held while an upload is read (in a thread, off the server's loop): one at a time,
        # and no run starts on a sheet that is about to change.
        self._choosing = asyncio.Lock()

    # --- the sheet ----------------------------------------------------------------------

    async def choose(self, name: str, data: bytes) -> dict[str, Any]:
        """Keep an uploaded sheet, read by the CLI's reader (a file it refuses is refused
        here) in a thread, so that the page's server answers meanwhile. A report of this
        page's sheet goes over that report: run, it sends only what is not done yet or was
        edited. Any other file of the page's (an earlier sheet, a backup) is never written
        over."""
        if any(unicodedata.category(char) == "Cc" for char in name):
            raise UsageError(
                f"the file's name ({name.encode('unicode_escape').decode()[:80]}) holds a "
                "control character: rename the file and choose it again"
            )
        safe = safe_name(name)
        if Path(safe).suffix.lower() not in SHEET_SUFFIXES:
            raise UsageError(f"{safe}: choose a .csv, .tsv, .xlsx or .xls sheet")
        async with self._choosing:
            self._refuse_while_going()
            path, table = await asyncio.to_thread(self._take, safe, data)
        self.sheet = path
        self._report = path if table.is_report else default_report_path(path)
        self._kept = ReadsKept()
        return {
            "name": path.name,
            "columns": table.columns,
            "is_report": table.is_report,
            "acts": bool(action_columns(table.columns)),  # who acts must be chosen (any case)
            "kept_by_the_tool": [name for name in table.columns if name in TOOLS_COLUMNS],
        }

    def _take(self, name: str, data: bytes) -> tuple[Path, Table]:
        incoming = self.folder / ".incoming" / name
        incoming.parent.mkdir(exist_ok=True)
        incoming.write_bytes(data)
        try:
            return self._keep(incoming, data)
        finally:
            incoming.unlink(missing_ok=True)

    def _keep(self, incoming: Path, data: bytes) -> tuple[Path, Table]:
        """Where the upload goes in the page's folder, and the table it is."""
        table = Table(incoming, ReadOptions())
        path = self.folder / incoming.name
        as_report = path.with_suffix(".csv")
        if table.is_report and journal_beside(as_report).exists():
            if path != as_report:
                # The XLSX download of a report, edited: it goes back as that report, so
                # that the report's history decides what is sent again.
                lines = itertools.chain([table.columns], (row.cells for row in table.rows()))
                write_report(as_report, lines)
                return as_report, Table(as_report, ReadOptions())
        elif path.exists() and path.read_bytes() != data:
            raise UsageError(
                f"{path.name} is already a file of this page's (an earlier sheet, or a "
                "backup), which is never written over: rename your file and choose it again"
            )
        os.replace(incoming, path)
        return path, Table(path, ReadOptions())

    @property
    def report(self) -> Path:
        """Where the sheet's run writes its report: a report is rewritten in place."""
        self._sheet()
        return self._report

    def _sheet(self) -> Path:
        if self.sheet is None:
            raise UsageError("choose a sheet first")
        return self.sheet

    # --- check, preview ---------------------------------------------------------------

    async def check(self, choices: Choices, hooks: RunHooks | None = None) -> dict[str, Any]:
        """Every row validated; nothing is read or sent but the workspace's attributes. As
        Run would start (the sheet's history applied): what is done is not counted again."""
        sheet = self._round().sheet
        result = await self._call(
            api.run_async,
            sheet,
            choices,
            hooks,
            dry_run=True,
            report_path=self._aside("check"),
        )
        return described(result, NOT_SENDABLE)

    async def preview(
        self, choices: Choices, hooks: RunHooks | None = None, *, whole: bool = False
    ) -> dict[str, Any]:
        """Each row's live before → after, read from Intercom; nothing is sent. The first
        :data:`PREVIEW_SAMPLE` rows to send unless ``whole``: seconds, on any sheet. As Run
        would start, the sheet's history applied."""
        sheet = self._round().sheet
        result = await self._call(
            api.run_async,
            sheet,
            choices,
            self._reusing(hooks),
            dry_run=True,
            live=True,
            limit=None if whole else PREVIEW_SAMPLE,
            report_path=self._aside("preview"),
        )
        shown = described(result, None, unread=False)
        shown["review"] = review(result)
        shown["previewed"] = previewed(result)
        return shown

    def _aside(self, what: str) -> Path:
        """Where a dry run of the page's writes its report: the page's own throwaway file,
        cleared first (a dry run of a sheet with a history tells rows done as ``updated``, so
        the library would rightly refuse to write over it as a real run's report)."""
        sheet = self._sheet()
        aside = sheet.with_name(f".{sheet.stem}.{what}.csv")
        aside.unlink(missing_ok=True)
        return aside

    # --- run, stop, undo ---------------------------------------------------------------

    def _round(self) -> Round:
        """The sheet a run starts on, where its report goes and its backup (a first round's:
        later rounds carry it on, the library's choice)."""
        sheet, report = self._sheet(), self.report
        if sheet != report and journal_beside(report).exists():
            # Run again (after Stop, or a failure): the sheet is as it was (a changed one is
            # never written over it), so carry on from its report, as the CLI's loop does.
            sheet = report
        first_round = report != sheet
        backup = sheet.with_name(f"{sheet.stem}.backup.csv") if first_round else None
        return Round(sheet, report, backup)

    async def plan(self, choices: Choices, hooks: RunHooks | None = None) -> dict[str, Any]:
        """What Run would do, as a dry run of the round it would start: the sheet's history
        applied; live (each pending conversation read) whenever the run reads first (to back
        up, to skip what is in place, to plan actions), so that what is already so, or gone,
        is not counted. Those reads are kept for the run (what Preview read is not read
        again): the run's requests are the writes the dry run counted (a row's PUT, an action
        row's steps not in place)."""
        planned = self._round()
        connection = self._connection
        given = {**connection.settings, **choices.settings(), **planned.settings()}
        where = Destination(**pick(Destination, connection.settings)).url
        ahead, table = prepare_run(planned.sheet, where, given)
        live = ahead.reads_first or bool(actions_asked(table, ahead))
        result: RunResult = await self._call(
            api.run_async,
            planned.sheet,
            choices,
            self._reusing(hooks),
            dry_run=True,
            live=live,
            report_path=self._aside("plan"),
        )
        summary = result.summary
        changed = summary.conversations(RowStatus.WOULD_UPDATE)
        # The run searches a keyed sheet's keys again, at the same rate as its writes.
        writes = (summary.sent.writes_ahead if live else changed) + summary.searches
        rate = ahead.send.rate
        return {
            "conversations": changed,
            "requests": writes,
            "seconds": round(writes * rate.seconds / rate.requests, 1),
            "rate": {"requests": rate.requests, "seconds": rate.seconds},
            "backup": ahead.backup_path is not None,
            # The conversations read for this review (the backup's reads), kept for the run.
            "read": rows_read(summary) if live else 0,
            "kept_for_seconds": KEPT_FOR_SECONDS,
            "teammate": summary.acted_as or None,
            "interrupted": summary.interrupted,  # cancelled: no count to confirm
        }

    def start(
        self, kind: JobKind, work: Work, shown: Callable[[Any], dict[str, Any]] = dict
    ) -> None:
        """``work`` as the page's job: refused while another goes on or a sheet is read,
        and (but a find) before a sheet is chosen."""
        self._refuse_to_start()
        if kind != "find":
            self._sheet()
        self.running = started(kind, work, shown, self.message)

    def _refuse_to_start(self) -> None:
        if self._choosing.locked():
            raise UsageError("a sheet is being read: start once it is chosen")
        self._refuse_while_going()

    def _refuse_while_going(self) -> None:
        running = self.running
        if running is not None and running.going:
            how = "stop it" if running.kind == "run" else "cancel it"
            raise UsageError(
                f"{JOB_NAMES[running.kind]} is going on: {how} or wait for its end first"
            )

    def start_run(self, choices: Choices) -> None:
        """Run, as a job: the round :meth:`_round` says, its report and backup."""
        self._refuse_to_start()
        planned = self._round()
        self.sheet = sheet = planned.sheet

        async def run(hooks: RunHooks) -> RunResult:
            try:
                result: RunResult = await self._call(
                    api.run_async, sheet, choices, self._reusing(hooks), **planned.settings()
                )
            finally:
                self._kept = ReadsKept()  # conversations changed: what was read is past
            return result

        self.start("run", run, lambda result: described(result, None))

    def stop(self) -> None:
        """Stop the run, or cancel the job, going on."""
        if self.running is not None:
            self.running.stop()

    async def undo(self, choices: Choices, hooks: RunHooks | None = None) -> dict[str, Any]:
        report = self.report
        if not report.exists():
            raise UsageError("nothing to undo yet: run the sheet first")
        # Only who acts: the backup says which columns and values go back.
        try:
            result = await self._call(api.undo_async, report, Choices(admin=choices.admin), hooks)
        finally:
            self._kept = ReadsKept()  # conversations put back: what was read is past
        return {**described(result, None), "undone": undone(result)}

    # --- find conversations -----------------------------------------------------------

    async def find(
        self, where: list[str], suffix: str, hooks: RunHooks | None = None
    ) -> dict[str, Any]:
        out = self.folder / f"found{suffix if suffix in ('.csv', '.xlsx') else '.csv'}"
        out.unlink(missing_ok=True)
        connection = self._connection
        try:
            found = await api.export_async(
                out, where=where, token=connection.token, hooks=hooks, **connection.settings
            )
        except asyncio.CancelledError:
            out.unlink(missing_ok=True)  # a part of what matched is no sheet to use
            raise
        return {"matched": found.matched, "written": found.written, "name": out.name}

    async def workspace(self) -> dict[str, str] | None:
        """The workspace the page's token belongs to, for its header and Run's review."""
        found = self._kept.lookup("workspace")  # as a run kept it, or kept for the next run
        if not isinstance(found, Workspace):
            where = self._connection
            found = await api.workspace_async(token=where.token, **where.settings)
        self._kept.keep_lookup("workspace", found)  # None: asked again next time
        return None if found is None else {**found.as_dict(), "described": found.described()}

    async def teammates(self) -> list[str]:
        connection = self._connection
        return list(await api.teammates_async(token=connection.token, **connection.settings))

    def report_file(self, suffix: str) -> Path:
        """The report as the command line writes it: CSV, or the same lines as XLSX."""
        report = self.report
        if not report.exists():
            raise UsageError("no report yet: run the sheet first")
        if suffix != ".xlsx":
            return report
        workbook = report.with_suffix(".xlsx")
        write_report(workbook, read_report(report, None))
        return workbook

    def found_file(self, name: str) -> Path:
        path = self.folder / safe_name(name)
        if not path.name.startswith("found.") or not path.exists():
            raise UsageError("find conversations first")
        return path

    async def use_found(self, name: str) -> dict[str, Any]:
        """The found sheet as the page's sheet, as often as the analyst finds: each find that
        differs from the sheets kept before gets a name of its own (conversations-2.csv, ...),
        as the page never writes over an earlier sheet (its history is beside it)."""
        found = self.found_file(name)
        data = found.read_bytes()
        base = found.name.replace("found", "conversations", 1)
        for number in itertools.count(1):
            kept = self.folder / numbered(base, number)
            if not kept.exists() or kept.read_bytes() == data:
                return await self.choose(kept.name, data)
        raise AssertionError("unreachable")

    def message(self, error: BaseException) -> str:
        """What the page says of an error, naming a file of the page's folder by its name."""
        return page_message(error, self.folder)

    def _reusing(self, hooks: RunHooks | None) -> RunHooks:
        """The job's hooks, with the answers kept for the run Confirm starts."""
        return dataclasses.replace(
            hooks or RunHooks(setting_names=PAGE_NAMES), reads_kept=self._kept
        )

    async def _call(
        self,
        call: Any,
        source: Path,
        choices: Choices,
        hooks: RunHooks | None,
        **settings: Any,
    ) -> Any:
        """One library call on the page's sheet (its job's ``hooks``, else none but the
        page's words for its settings, which its rows' messages use)."""
        connection = self._connection
        return await call(
            source,
            token=connection.token,
            hooks=hooks or RunHooks(setting_names=PAGE_NAMES),
            **connection.settings,
            **choices.settings(),
            **settings,
        )
