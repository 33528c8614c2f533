"""The settings of a run: frozen dataclasses, one field per setting with its default, its check
(in ``__post_init__``) and how the command line writes it (a :class:`Flag` in the field's
metadata). The parser, its help, the flag ↔ setting names and the flat keyword settings of
:func:`bulk_update.run` are all derived from these fields; nothing copies them by hand."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bulk_update.config.fields import convert_given, flagged_fields, setting
from bulk_update.config.unattended import Unattended
from bulk_update.config.value_types import (
    Conventions,
    DateOrder,
    Rate,
    ReadVia,
    check_base_url,
    to_names,
    to_path,
    to_renames,
)
from bulk_update.config.versions import DEFAULT_API_VERSION, has_since, intercom_version
from bulk_update.errors import UsageError, escape

REGION_BASE_URLS = {
    "us": "https://api.intercom.io",
    "eu": "https://api.eu.intercom.io",
    "au": "https://api.au.intercom.io",
}
DEFAULT_CLEAR_MARKER = "#N/A"


@dataclass(frozen=True)
class ReadOptions:
    """How the input sheet is read and which of its columns are changes."""

    delimiter: str | None = setting(None, "--delimiter", "CSV delimiter (default: sniffed)")
    encoding: str | None = setting(
        None, "--encoding", "text encoding of a CSV (default: UTF-8, with or without BOM)"
    )
    sheet: str | None = setting(None, "--sheet", "workbook sheet to read (default: the first)")
    ignore_columns: frozenset[str] = setting(
        frozenset(),
        "--ignore-column",
        "leave this column out (repeatable)",
        metavar="NAME",
        repeatable=True,
        convert=to_names,
    )
    # (header, name): read that column as this attribute (or id, read, title).
    renames: tuple[tuple[str, str], ...] = setting(
        (),
        "--rename",
        "read the column OLD as the attribute new (repeatable)",
        metavar="'OLD=new'",
        repeatable=True,
        convert=to_renames,
    )
    clear_marker: str = setting(
        DEFAULT_CLEAR_MARKER,
        "--clear-marker",
        "a cell holding exactly this clears the attribute (default {default!r})",
    )
    # None: a ';'-separated text file means a decimal comma (Excel where the comma is the
    # decimal separator writes ';'), anything else a decimal point.
    decimal_comma: bool | None = setting(
        None,
        ("--decimal-comma", "--decimal-point"),
        (
            "numbers are written 1.234,5 (default for a ';'-separated file)",
            "numbers are written 1,234.5 (default otherwise)",
        ),
        values=(True, False),
    )
    # How day/month/year dates are written; None leaves them invalid (never guessed).
    date_order: DateOrder | None = setting(
        None,
        ("--dayfirst", "--monthfirst"),
        (
            "read 31/12/2026, 31.12.2026 and 31-12-2026 day first",
            "read 12/31/2026 month first (without either, such dates are invalid)",
        ),
        values=("dayfirst", "monthfirst"),
    )
    timezone: str = setting(
        "UTC",
        "--timezone",
        "IANA time zone of date-times written without one (default {default})",
        metavar="ZONE",
    )

    def __post_init__(self) -> None:
        convert_given(self)
        if self.date_order not in (None, "dayfirst", "monthfirst"):
            raise UsageError.naming_settings(
                "{date_order} must be 'dayfirst' or 'monthfirst', got "
                + escape(repr(self.date_order))
            )
        Conventions(timezone=self.timezone)  # an unknown zone is a usage error now

    def conventions(self, delimiter: str | None) -> Conventions:
        """How to read numbers and dates of a file with this delimiter (None: a workbook)."""
        decimal_comma = self.decimal_comma
        if decimal_comma is None:
            decimal_comma = delimiter == ";"
        return Conventions(decimal_comma, self.date_order, self.timezone)


@dataclass(frozen=True)
class SendOptions:
    """Where and how fast requests go."""

    # Where requests go, as :class:`Destination` resolved it.
    base_url: str = REGION_BASE_URLS["us"]
    api_version: str = setting(
        DEFAULT_API_VERSION,
        "--api-version",
        "Intercom-Version header: 2.14, 2.15, 2.16 or Preview (default {default})",
        group="connection",
        convert=intercom_version,
    )
    rate: Rate = setting(
        flag="--rate",
        help="at most N requests per SECONDS, as N/SECONDS (default {default})",
        factory=lambda: Rate(1666, 10),
        convert=Rate.of,
    )
    headroom_percent: float = setting(
        0.0,
        "--headroom",
        "leave this share of the rate limit the headers report unused (default {default:g})",
        metavar="PERCENT",
        parse=float,
    )
    concurrency: int = setting(
        20, "--concurrency", "requests in flight at once (default {default})", parse=int
    )
    max_retries: int = setting(
        6, "--max-retries", "retries per row for 429/5xx/timeouts (default {default})", parse=int
    )
    timeout: float = setting(
        30.0, "--timeout", "seconds to wait for one answer (default {default:g})", parse=float
    )
    max_failures: int | None = setting(
        None, "--max-failures", "stop the run once N rows have failed", metavar="N", parse=int
    )
    max_wait: float = setting(
        60.0,
        "--max-wait",
        "longest pause a rate-limit header may impose at a time (default {default:g})",
        metavar="SECONDS",
        parse=float,
    )
    log_bodies: bool = setting(
        False,
        "--log-bodies",
        "with -v or --log-file: include each request's body in its log line",
        group="output",
    )

    def __post_init__(self) -> None:
        convert_given(self)
        object.__setattr__(self, "base_url", check_base_url(self.base_url))
        if self.concurrency < 1:
            raise UsageError.naming_settings("{concurrency} must be at least 1")
        if self.max_retries < 0:
            raise UsageError.naming_settings("{max_retries} must be 0 or more")
        if self.timeout <= 0:
            raise UsageError.naming_settings("{timeout} must be more than 0 seconds")
        if self.max_failures is not None and self.max_failures < 1:
            raise UsageError.naming_settings("{max_failures} must be at least 1")
        if self.max_wait <= 0:
            raise UsageError.naming_settings("{max_wait} must be more than 0 seconds")
        if not 0 <= self.headroom_percent < 100:
            raise UsageError.naming_settings(
                "{headroom_percent} must be a percentage from 0 to below 100"
            )


@dataclass(frozen=True)
class Destination:
    """Where requests go: the built-in sandbox, a ``base_url`` or a ``region`` (at most one;
    the US region when none is given)."""

    sandbox: bool = setting(
        False,
        "--sandbox",
        "run against the built-in simulator (no token needed)",
        group="connection",
    )
    region: str | None = setting(
        None,
        "--region",
        "Intercom region (default us)",
        choices=tuple(sorted(REGION_BASE_URLS)),
        group="connection",
    )
    base_url: str | None = setting(
        None, "--base-url", "API base URL (instead of {region})", group="connection"
    )

    def __post_init__(self) -> None:
        chosen = [f.name for f, _flag in flagged_fields(Destination) if getattr(self, f.name)]
        if len(chosen) > 1:
            names = " and ".join("{" + name + "}" for name in chosen)
            raise UsageError.naming_settings(f"{names} each say where to send requests; give one")
        if self.region is not None and self.region not in REGION_BASE_URLS:
            raise UsageError.naming_settings(
                f"{{region}} must be one of {', '.join(REGION_BASE_URLS)}, got "
                f"{escape(self.region)!r}"
            )

    @property
    def url(self) -> str:
        """The base URL of Intercom's API (not the sandbox's, which is known once it runs)."""
        return self.base_url or REGION_BASE_URLS[self.region or "us"]


@dataclass(frozen=True)
class JobSettings:
    """Everything one run needs except the token and the progress display."""

    # None when the rows come from elsewhere (a DataFrame, see ``bulk_update.run``).
    input_path: Path | None = None
    # None writes no report file (the outcomes are only returned) and keeps no journal.
    report_path: Path | None = setting(
        None,
        "--report",
        "results file (.csv or .xlsx); default <input>.results.csv",
        convert=to_path,
    )
    read: ReadOptions = field(default_factory=ReadOptions)
    send: SendOptions = field(default_factory=SendOptions)
    unattended: Unattended = field(default_factory=Unattended)
    schema_path: Path | None = setting(
        None,
        "--schema",
        "conversation attributes from this file instead of the API",
        metavar="FILE",
        parse=Path,
        convert=to_path,
    )
    dry_run: bool = setting(
        False, "--dry-run", "validate and report what would be sent; send nothing"
    )
    limit: int | None = setting(
        None, "--limit", "process only the first N valid rows", metavar="N", parse=int
    )
    resume: bool = setting(
        False, "--resume", "continue the run whose journal sits beside {report_path}"
    )
    force: bool = setting(False, "--force", "with {resume}: resume even if the input changed")
    summary_json: Path | None = setting(
        None,
        "--summary-json",
        "also write the summary as JSON",
        metavar="PATH",
        parse=Path,
        convert=to_path,
    )
    # Only rows whose ``status`` column holds one of these (``bulk-update retry REPORT``).
    only_statuses: frozenset[str] | None = None
    # False keeps the journal in memory: no --resume, for benchmarks and throwaway runs.
    durable_journal: bool = True
    # The history (its journal) of the report this run continues: found by the report itself,
    # beside it or where it was made (``history.identity``); retry's own report goes elsewhere.
    shared_history: Path | None = None
    # The backup is the history's, written by an earlier round: carry it on (first wins).
    continue_backup: bool = False
    # An undo: the sheet's base is what the rounds left (in the backup's cells), so that a
    # field a teammate changed since is a conflict, not restored.
    undoing: bool = False
    # Read each conversation first (GET) to back up, skip what is in place, or (with
    # dry_run) report before → after.
    backup_path: Path | None = setting(
        None,
        "--backup",
        "read each conversation first and save the values about to change, which "
        "'bulk-update undo PATH' puts back",
        metavar="PATH",
        parse=Path,
        convert=to_path,
    )
    skip_unchanged: bool = setting(
        False,
        "--skip-unchanged",
        "read each conversation first and do not write rows already as wanted",
    )
    live: bool = setting(
        False,
        "--live",
        "with {dry_run}: read each conversation and report before -> after",
    )
    admin: str | None = setting(
        None,
        "--admin",
        "the teammate that actions (state, assignees, tags, note) are made as; required "
        "when the sheet has an action column",
        metavar="EMAIL_OR_ID",
    )
    overwrite_conflicts: bool = setting(
        False,
        "--overwrite-conflicts",
        "send the edited cells of an exported sheet's rows whose conversation also changed "
        "since the export (a conflict) all the same",
    )
    no_notify: bool = setting(
        False,
        "--no-notify",
        "send notes with skip_notifications: nobody is notified of them ({api_version} 2.15+)",
    )
    create_tags: bool = setting(
        False,
        "--create-tags",
        "create the tags the sheet names that the workspace does not have yet",
    )
    # How read-first modes read: "get" (exact) or "search" (150 conversations a request).
    read_via: ReadVia = setting(
        "get",
        "--read-via",
        "how {backup_path}, {skip_unchanged}, {live} and actions read conversations: 'get' "
        "reads each one exactly (default); 'search' reads 150 per request, but Intercom's "
        "search index may lag a change made seconds ago: a row can then be skipped as in "
        "place, or backed up, with values that are no longer there",
        choices=("search", "get"),
    )

    def __post_init__(self) -> None:
        convert_given(self)
        if self.limit is not None and self.limit < 0:
            raise UsageError.naming_settings("{limit} must be 0 or more")
        if self.resume and self.report_path is None:
            raise UsageError.naming_settings(
                "{resume} continues from the journal beside {report_path}: give one"
            )
        if self.force and not self.resume:
            raise UsageError.naming_settings("{force} only makes sense with {resume}")
        if self.live and not self.dry_run:
            raise UsageError.naming_settings(
                "{live} goes with {dry_run} (a live dry run reads, never writes)"
            )
        if self.read_via not in ("search", "get"):
            raise UsageError.naming_settings(
                "{read_via} must be 'search' or 'get', got " + escape(repr(self.read_via))
            )
        if self.no_notify and not has_since(self.send.api_version, "2.15"):
            raise UsageError.naming_settings(
                "{no_notify}: Intercom takes skip_notifications from version 2.15 (set "
                "{api_version} 2.15 or later); nothing was sent"
            )
        if self.dry_run and self.backup_path is not None:
            raise UsageError.naming_settings(
                "{backup_path} saves values before writing them; a dry run writes nothing"
            )

    @property
    def backs_up_again(self) -> bool:
        """The backup file is there already and is carried on, never written over."""
        return self.resume or self.continue_backup

    @property
    def held(self) -> list[Path]:
        """What a run has to itself while it runs (a dry run, nothing): the sheet's history,
        and its backup, which an undo carries on too."""
        if self.dry_run:
            return []
        journal = [self.journal_path] if self.journal_path and self.durable_journal else []
        return journal + ([self.backup_path] if self.backup_path is not None else [])

    @property
    def sends_requests(self) -> bool:
        """A run sends; a dry run sends nothing, unless it is live (it reads)."""
        return not self.dry_run or self.live

    @property
    def reads_first(self) -> bool:
        return self.backup_path is not None or self.skip_unchanged or self.live

    @property
    def journal_path(self) -> Path | None:
        """The sheet's history: the one the input report continues (found by it), or else
        the journal beside the report."""
        if self.shared_history is not None:
            return self.shared_history
        if self.report_path is None:
            return None
        return journal_beside(self.report_path)


def journal_beside(report: Path) -> Path:
    """Where a report's history (its journal) lives."""
    return report.with_name(report.name + ".journal")


def default_report_path(input_path: Path, *, dry_run: bool = False) -> Path:
    """``<input>.results.csv``; a dry run's goes beside it as ``<input>.dry-run.csv`` so that
    it never takes the place of a real run's report."""
    kind = "dry-run" if dry_run else "results"
    return input_path.with_name(f"{input_path.stem}.{kind}.csv")
