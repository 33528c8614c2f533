"""What a run leaves behind: its outputs checked before anything is read, the report written
from the journal, and the notices that say in words what the run assumed or did."""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bulk_update.config import Conventions, JobSettings, ReadOptions, journal_beside
from bulk_update.errors import BulkUpdateError, UsageError, escape
from bulk_update.history.breakdown import Tally
from bulk_update.history.identity import history_cells
from bulk_update.history.journal import Journal
from bulk_update.history.report import csv_delimiter, read_report, report_lines, write_report
from bulk_update.models import Reason, RowStatus, SendStats
from bulk_update.sheet.action_cells import ActionCells
from bulk_update.sheet.columns import ColumnPlan
from bulk_update.sheet.reader import Table
from bulk_update.sheet.schema import AttributeType
from bulk_update.sheet.values import DateReader, OptionMatcher


@dataclass(frozen=True)
class Reported:
    rows: int
    counts: dict[str, int]
    blank_rows: int
    lines: Callable[[], Sequence[list[str]]]
    reasons: tuple[Reason, ...]


def check_outputs(settings: JobSettings) -> None:
    """Every file the run will write can be written, none is the input sheet (a report run
    again excepted: that is the loop), and none is a real run's report that a dry run would
    replace. Checked before anything is read or sent."""
    for setting, path in (
        ("report_path", settings.report_path),
        ("backup_path", settings.backup_path),
        ("summary_json", settings.summary_json),
    ):
        if path is not None:
            _check_output(setting, path, settings.input_path)
    if settings.dry_run and settings.report_path is not None:
        check_not_a_real_report(settings.report_path, journal_beside(settings.report_path))


def check_writable(where: str, path: Path) -> None:
    """``path`` is a file that can be written (made, or replaced). ``where`` starts each
    message: a template naming the setting (``{schema_out}``) and the path."""
    if not path.parent.is_dir():
        raise UsageError.naming_settings(
            where + f"the folder {escape(str(path.parent))} does not exist"
        )
    if path.is_dir():
        raise UsageError.naming_settings(where + "is a folder; name a file in it")
    if not os.access(path if path.exists() else path.parent, os.W_OK):
        raise UsageError.naming_settings(where + "cannot be written (no permission)")


def _check_output(setting: str, path: Path, input_path: Path | None) -> None:
    where = f"{{{setting}}} {escape(str(path))}: "
    check_writable(where, path)
    in_place = setting == "report_path" and _is_report(path)
    if input_path is not None and _same_file(path, input_path) and not in_place:
        raise UsageError.naming_settings(
            where + "is the input sheet, which is never written over; name another"
        )


def _same_file(one: Path, other: Path) -> bool:
    return one.exists() and other.exists() and one.resolve() == other.resolve()


def _is_report(path: Path) -> bool:
    with contextlib.suppress(BulkUpdateError):
        return Table(path, ReadOptions()).is_report
    return False


def check_not_a_real_report(report: Path, journal: Path) -> None:
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


def report_rows(settings: JobSettings, table: Table, journal: Journal, last_row: int) -> Reported:
    """Every row of the input with its outcome, written to the report (or kept, when
    there is no report file). A row with no outcome was not sent: in a dry run it would
    be (unless past the limit); otherwise it was not attempted."""
    if settings.dry_run:

        def unrecorded(row: int) -> RowStatus:
            return RowStatus.WOULD_UPDATE if row <= last_row else RowStatus.NOT_ATTEMPTED
    else:

        def unrecorded(row: int) -> RowStatus:
            return RowStatus.NOT_ATTEMPTED

    tally = Tally()
    live_plan = settings.dry_run and settings.live
    history = journal.meta().get("history") if journal.history else None
    lines = report_lines(
        table.columns,
        table.rows(),
        journal.outcomes(),
        tally,
        unrecorded,
        with_base=live_plan,
        history=(
            history_cells(history, settings.journal_path)
            if history and settings.journal_path is not None
            else None
        ),
    )
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
    return Reported(sum(counts.values()), counts, table.blank_rows, kept, tally.reasons())


def plan_notices(read: ReadOptions, conventions: Conventions, plan: ColumnPlan) -> tuple[str, ...]:
    """What was assumed about the sheet's columns, to say in the summary."""
    kinds = {planned.kind for planned in plan.fields}
    notices: list[str] = []
    if plan.mapped:
        notices.append(
            "columns read as: " + ", ".join(f"{old!r} → {new}" for old, new in plan.mapped)
        )
    if kinds & {AttributeType.INTEGER, AttributeType.FLOAT}:
        if read.decimal_comma is None and conventions.decimal_comma:
            notices.append(
                "numbers were read with a decimal comma (1,5 = 1.5), as the file is ';'-separated"
            )
        elif conventions.decimal_comma:
            notices.append("numbers were read with a decimal comma (1,5 = 1.5)")
    return tuple(notices)


def corrections(plan: ColumnPlan, cells: ActionCells | None, timezone: str) -> tuple[str, ...]:
    """What the validation pass read otherwise than written, or by an assumption: said only
    when some cell was read so."""
    notices = []
    corrected = sum(
        planned.convert.corrected
        for planned in plan.fields
        if isinstance(planned.convert, OptionMatcher)
    )
    if corrected:
        notices.append(
            f"{corrected} list value(s) differed from an option only in case or spaces and "
            "were sent as the option"
        )
    readers = [planned.convert for planned in plan.fields] + ([cells.dates] if cells else [])
    in_zone = sum(reader.read_in_zone for reader in readers if isinstance(reader, DateReader))
    if in_zone:
        notices.append(f"{in_zone} date-time(s) written without a zone were read as {timezone}")
    return tuple(notices)


def action_notices(
    closes: int, cells: ActionCells | None, stats: SendStats, dry_run: bool
) -> tuple[str, ...]:
    """What the sheet's actions do besides: ``closes`` is how many rows close a conversation."""
    notices: list[str] = []
    if closes:
        notices.append(
            "closing conversations may trigger the workspace's own rules (rating requests, "
            "workflows): where those are on, customers see a bulk close"
        )
    if stats.tags_created:
        notices.append("created the tags: " + ", ".join(stats.tags_created))
    elif dry_run and cells is not None:
        missing = list(cells.tags_to_create.values())
        if missing:
            notices.append("would create the tags: " + ", ".join(missing))
    return tuple(notices)


def version_notices(journal: Journal, version: str) -> tuple[str, ...]:
    """A round sent in another Intercom-Version than the sheet's history began with says so
    (what a version sends differs: quiet notes, Preview's spared put-backs, the priority)."""
    began = (journal.meta().get("options") or {}).get("api_version")
    if not began or began == version:
        return ()
    return (
        f"this sheet's history began with Intercom-Version {began}; this round was sent with "
        f"{version}",
    )


def quiet_note_notices(
    settings: JobSettings, stats: SendStats, asked: list[str]
) -> tuple[str, ...]:
    """What to say of notes sent (or to be sent) with ``skip_notifications``."""
    if settings.no_notify and stats.quiet_notes:
        return (f"{stats.quiet_notes} note(s) sent with skip_notifications: nobody was notified",)
    if settings.no_notify and settings.dry_run and "note" in asked:
        return ("notes would be sent with skip_notifications: nobody would be notified",)
    return ()


def without_history_notices(table: Table, again: bool) -> tuple[str, ...]:
    """What to say of a report run without its history."""
    if not table.is_report or again:
        return ()
    return (
        f"{table.path} is a report run without its history (none beside it, nor where it was "
        "made): its rows marked updated or skipped were kept as they are (edits to them not "
        "sent), and the note of each row it ran is looked for before sending",
    )
