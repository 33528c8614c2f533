"""What the page shows of the library's answers: a run's summary and rows, what it would
do, and a refusal's message in the page's words."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from bulk_update.errors import BulkUpdateError
from bulk_update.models import RowStatus, RunResult, RunSummary
from bulk_update.sheet.action_table import step_kinds

SHOWN_ROWS = 500  # rows listed on the page at most (counts cover them all)
# The rows Check lists: those that will not be sent as they are.
NOT_SENDABLE = frozenset({RowStatus.INVALID, RowStatus.UNMATCHED, RowStatus.AMBIGUOUS})
# What the review panel counts, in the table of actions' order.
_KINDS = tuple(dict.fromkeys(step_kinds().values()))


def page_message(error: BaseException, folder: Path) -> str:
    """The error in the page's words. A file of the page's ``folder`` (a temporary folder of
    the server's) is named by its name alone: the page never shows the server's paths."""
    if isinstance(error, BulkUpdateError):
        text = error.describe(PAGE_NAMES)
    else:
        text = f"unexpected {type(error).__name__}: {error}"
    for where in sorted({str(folder), os.path.realpath(folder)}, key=len, reverse=True):
        # The folder and any folders of its own before the file's name.
        text = re.sub(re.escape(where) + r"(?:[/\\][^/\\\s'\"]+)*[/\\]", "", text)
        text = text.replace(where, "the page's folder")
    return text


# What the page calls a setting in a message.
PAGE_NAMES = {
    "decimal_comma": "the Decimal comma choice",
    "date_order": "the Dates choice (day first or month first)",
    "timezone": "the Time zone",
    "admin": "the Teammate",
    "key": "the Key column",
    "match": "the Match choice",
    "ignore_columns": "Ignore",
    "renames": "Read as",
    "report_path": "another sheet name",
    "resume": "Run again",
    "create_tags": "Create missing tags",
    "skip_unchanged": "Skip what is already in place",
    "overwrite_conflicts": "Overwrite conflicts",
    "where": "the Conditions",
    "query_path": "the Conditions",
    "columns": "the Conditions",
    "token": "INTERCOM_ACCESS_TOKEN (where bulk-update ui was started)",
    "sandbox": "bulk-update ui --sandbox",
}


def described(
    result: RunResult, only: frozenset[RowStatus] | None, *, unread: bool = True
) -> dict[str, Any]:
    """A run's summary as the page shows it, with its rows (those of a status in ``only``;
    not those it did not get to, unless ``unread``)."""
    summary = result.summary
    # The report's lines as they are (text): quicker than its DataFrame on a big sheet.
    header, *lines = result.report_lines()
    status = header.index("status")
    listed = [
        line
        for line in lines
        if (only is None or line[status] in only)
        and (unread or line[status] != RowStatus.NOT_ATTEMPTED.value)
    ]
    columns = [
        name
        for name in ("row", "id", "conversation_ids", "status", "error_message", "changes", "steps")
        if name in header
    ]
    places = [header.index(name) for name in columns]
    rows = [
        {name: line[place] for name, place in zip(columns, places, strict=True)}
        for line in listed[:SHOWN_ROWS]
    ]
    return {
        "rows_total": summary.rows,
        "counts": summary.counts,
        "reasons": [
            reason | {"hint": what_to_do(reason)}
            for reason in (found.as_dict() for found in summary.reasons)
        ],
        "notices": list(summary.notices),
        "columns_read": [list(pair) for pair in summary.columns_read],
        "rows": rows,
        "rows_listed": len(listed),
        "interrupted": summary.interrupted,
        "stop_reason": summary.stop_reason,
        "requests": summary.requests,
        "elapsed_seconds": round(summary.elapsed_seconds, 2),
        "report": summary.report_path and Path(summary.report_path).name,
    }


def review(result: RunResult) -> dict[str, int]:
    """What the run would do, counted: how many conversations change, and of them how many
    each kind of action touches (closed, assigned, ...), in the table's order."""
    summary = result.summary
    counted = {"conversations": summary.conversations(RowStatus.WOULD_UPDATE)}
    would_do = summary.sent.would_do
    counted.update({kind: would_do[kind] for kind in _KINDS if kind in would_do})
    return counted


def undone(result: RunResult) -> dict[str, int]:
    """What an undo did, in its own words: conversations restored, those already as the
    first round found them, and those left as a teammate changed them since (conflicts)."""
    summary = result.summary
    return {
        "restored": summary.count(RowStatus.UPDATED),
        "already as they were": summary.count(RowStatus.SKIPPED),
        "left as changed since (conflicts)": summary.count(RowStatus.CONFLICT),
        "failed": summary.count(RowStatus.FAILED) + summary.count(RowStatus.INVALID),
    }


def what_to_do(reason: dict[str, Any]) -> str:
    """A reason's "What to do" on the page: the tool's hint where it knows one, else what
    fixes a row of that kind (the page's loop: fix the report, choose it again, Run)."""
    if reason["hint"]:
        return str(reason["hint"])
    if reason["status"] == RowStatus.INVALID.value:
        return (
            "fix the cell the message names in the report (Download report), choose the "
            "report again and Run: only what is not done yet is sent"
        )
    if reason["http_status"] in (400, 409, 422):
        return "Intercom refused the value: fix it in the report, choose it again and Run"
    return "see the report's error_message column; Run again sends the rows not done"


def previewed(result: RunResult) -> dict[str, int | bool]:
    """How far a Preview got: the rows it read (each with its before → after), and those it
    left (past its sample, or not reached when it was cancelled)."""
    summary = result.summary
    left = summary.count(RowStatus.NOT_ATTEMPTED)
    return {"read": rows_read(summary), "left": left, "sample": summary.limited}


def rows_read(summary: RunSummary) -> int:
    """The conversations a live dry run read (a keyed sheet's: its pairs'): all but those not
    sendable, already done or not reached."""
    counts = summary.pairs or summary.counts
    unread = {*NOT_SENDABLE, RowStatus.UPDATED, RowStatus.NOT_ATTEMPTED}
    return sum(counts.values()) - sum(counts.get(status.value, 0) for status in unread)
