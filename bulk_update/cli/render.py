"""The run's summary as the command line prints it: counts, why rows were not updated, and
the command that does the rest. (The library returns the figures; this is for the terminal.)"""

from __future__ import annotations

import json
import shlex
from typing import TYPE_CHECKING

from bulk_update.models import Reason, RowStatus, RunResult, RunSummary
from bulk_update.sheet.action_table import ACTION_COLUMNS

if TYPE_CHECKING:
    from bulk_update.search.exporter import ExportResult


def render_run(result: RunResult, *, quiet: bool, carry: str = "", again: str = "") -> str:
    """What a run prints: a dry run's sample requests (unless quiet), then its summary.
    ``carry`` is the flags every suggested command must be given again (``carried_flags``),
    ``again`` those a command reading the same sheet's columns needs too (``column_flags``)."""
    lines = []
    for request in () if quiet else result.sample_requests:
        path = f"/conversations/{request.conversation_id}"
        if request.body:
            lines.append(f"row {request.row}: PUT {path} {json.dumps(request.body)}")
        if request.actions is not None:
            lines.append(f"row {request.row}: {path} actions {request.actions.encode().decode()}")
    return "\n".join([*lines, render_summary(result.summary, carry, again)])


def interrupted_note(summary: RunSummary) -> str:
    rows_left = summary.count(RowStatus.NOT_ATTEMPTED) + summary.count(RowStatus.FAILED)
    return (
        f"interrupted with {rows_left} rows still to do: "
        "run the same command with --resume to continue"
    )


def render_export(result: ExportResult, limit: int | None, carry: str = "") -> str:
    of = f" of {result.matched:,} matching" if result.matched is not None else ""
    lines = [
        f"exported {result.written:,} conversations{of} to {result.path}, as they were at "
        f"{result.snapshot_at} ({result.requests} search requests)"
    ]
    if result.limited:
        lines.append(f"stopped at --limit {limit}")
    actions = set(ACTION_COLUMNS) & set(result.columns)
    admin = " --admin EMAIL" if actions else ""
    lines.append(
        f"next: edit {result.path}, then: bulk-update run {shlex.quote(str(result.path))} "
        f"--skip-unchanged{carry}{admin} (only what you changed is sent)"
    )
    return "\n".join([*lines, *_sandbox_note(carry)])


def _unresolved(summary: RunSummary) -> str:
    """A keyed sheet's rows whose key matched no conversation, or several (not sent)."""
    told = [
        f", {summary.count(status)} {status.value}"
        for status in (RowStatus.UNMATCHED, RowStatus.AMBIGUOUS)
        if summary.count(status)
    ]
    return "".join(told)


def _workspace(summary: RunSummary) -> list[str]:
    """Which workspace the run changed (or would), and as which teammate the token acts."""
    found = summary.workspace
    if found is None:
        return []
    teammate = f", token of {found.teammate}" if found.teammate else ""
    return [f"workspace: {found.described()}{teammate}"]


def render_summary(summary: RunSummary, carry: str = "", again: str = "") -> str:
    def count(status: RowStatus) -> int:
        return summary.count(status)

    if summary.dry_run:
        head = (
            f"dry run: {summary.rows} rows: {count(RowStatus.WOULD_UPDATE)} would be updated, "
            f"{count(RowStatus.INVALID)} invalid"
        )
        if count(RowStatus.SKIPPED):
            head += f", {count(RowStatus.SKIPPED)} unchanged"
        if count(RowStatus.UPDATED):
            head += f", {count(RowStatus.UPDATED)} updated by an earlier round"
        if count(RowStatus.FAILED):
            head += f", {count(RowStatus.FAILED)} could not be read"
        if count(RowStatus.NOT_ATTEMPTED):
            head += f", {count(RowStatus.NOT_ATTEMPTED)} beyond the limit"
        head += _unresolved(summary)
        notes = [f"note: {notice}" for notice in summary.notices]
        return "\n".join(
            [
                head,
                *_workspace(summary),
                *notes,
                *_reasons(summary.reasons),
                f"report: {summary.report_path}",
            ]
        )
    if summary.undo:
        return render_undo(summary, carry)
    unchanged, conflicts = count(RowStatus.SKIPPED), count(RowStatus.CONFLICT)
    lines = [
        f"{summary.rows} rows: {count(RowStatus.UPDATED)} updated, "
        + (f"{unchanged} unchanged (skipped), " if unchanged else "")
        + (f"{conflicts} in conflict, " if conflicts else "")
        + f"{count(RowStatus.FAILED)} failed, {count(RowStatus.INVALID)} invalid, "
        f"{count(RowStatus.NOT_ATTEMPTED)} not attempted{_unresolved(summary)}",
        f"elapsed {summary.elapsed_seconds:.1f} s, {summary.requests} requests "
        f"({summary.requests_per_second:.1f}/s), {summary.retries} retries, "
        f"{summary.rate_limited} rate-limited (429)",
        *_workspace(summary),
    ]
    sent = summary.sent
    if sent.steps_done or sent.steps_in_place:
        lines.append(
            f"actions: {sent.steps_done} done, {sent.steps_in_place} already in place "
            "(nothing sent for those)"
            + (
                f", {sent.requests_spared} request(s) spared by skip_unsnooze/skip_reopen"
                if sent.requests_spared
                else ""
            )
        )
    if summary.backup_path:
        lines.append(
            f"{summary.backed_up} rows backed up to {summary.backup_path} "
            f"(undo with: bulk-update undo {shlex.quote(summary.backup_path)}{carry}"
            f"{_acting(summary)})"
        )
    lines.extend(f"note: {notice}" for notice in summary.notices)
    if summary.blank_rows_skipped:
        lines.append(f"{summary.blank_rows_skipped} blank rows skipped")
    if summary.stop_reason:
        lines.append(f"stopped early: {summary.stop_reason}")
    lines.extend(_reasons(summary.reasons))
    lines.append(f"report: {summary.report_path}")
    steps = _next_steps(summary, carry + again)
    return "\n".join([*lines, *steps, *(_sandbox_note(carry) if steps else [])])


def render_undo(summary: RunSummary, carry: str = "") -> str:
    """What an undo prints: what it restored, what it left to a teammate's later change, and
    how to go on (the same undo again: it restores only what is left, nothing twice)."""
    again = f"bulk-update undo {shlex.quote(summary.input_path)}{carry}{_acting(summary)}"
    if not summary.rows:
        return (
            "nothing to undo: every conversation the sheet's rounds changed is as its first "
            "round found it (0 requests)"
        )
    conflicts = summary.count(RowStatus.CONFLICT)
    left = summary.count(RowStatus.FAILED) + summary.count(RowStatus.NOT_ATTEMPTED)
    lines = [
        f"undo: {summary.rows} conversations to restore: {summary.count(RowStatus.UPDATED)} "
        f"restored, {summary.count(RowStatus.SKIPPED)} already as found, {conflicts} in "
        f"conflict, {summary.count(RowStatus.FAILED)} failed, "
        f"{summary.count(RowStatus.INVALID)} invalid, "
        f"{summary.count(RowStatus.NOT_ATTEMPTED)} not attempted",
        f"elapsed {summary.elapsed_seconds:.1f} s, {summary.requests} requests, "
        f"{summary.retries} retries, {summary.rate_limited} rate-limited (429)",
        *(f"note: {notice}" for notice in summary.notices),
        *_reasons(summary.reasons),
        f"report: {summary.report_path}",
    ]
    if conflicts:
        lines.append(
            f"next: {conflicts} conversation(s) changed in Intercom since the sheet's last round "
            "(ours → live → before in their changes) and were left as they are; to restore "
            f"them anyway: {again} --overwrite-conflicts"
        )
    if left or summary.interrupted:
        lines.append(f"next: {again} restores what is left (nothing twice)")
    return "\n".join(lines)


def _reasons(reasons: tuple[Reason, ...]) -> list[str]:
    if not reasons:
        return []
    lines = ["why rows were not updated:"]
    for reason in reasons:
        code = " ".join(
            dict.fromkeys(
                part
                for part in (reason.status, str(reason.http_status or ""), reason.error_code)
                if part
            )
        )
        examples = ", ".join(str(row) for row in reason.example_rows)
        more = ", ..." if reason.count > len(reason.example_rows) else ""
        line = f"  {reason.count} x {code}: {reason.message} (rows {examples}{more})"
        if reason.hint:
            line += f"; {reason.hint}"
        lines.append(line)
    return lines


def _acting(summary: RunSummary) -> str:
    """The flag a command that carries on needs again: who the actions were made as."""
    return f" --admin {shlex.quote(summary.acted_as)}" if summary.acted_as else ""


def _next_steps(summary: RunSummary, carry: str) -> list[str]:
    """The exact command that carries on, when there is something left to do."""
    if summary.interrupted or not summary.report_path:
        return []
    report = summary.report_path
    again = f"bulk-update run {shlex.quote(report)}{carry}{_acting(summary)}"
    left = summary.count(RowStatus.NOT_ATTEMPTED)
    to_fix = summary.count(RowStatus.FAILED) + summary.count(RowStatus.INVALID)
    conflicts = summary.count(RowStatus.CONFLICT)
    steps = []
    if conflicts:
        steps.append(
            f"next: {conflicts} rows were edited here and changed in Intercom since (base → "
            f"live → yours in their changes); their base in {report} is now the live value you "
            f"have seen: run {again} to send yours as they stand (fix them first to send "
            "something else; a value that changes in Intercom again is a conflict again)"
        )
    if to_fix:
        steps.append(
            f"next: fix those rows in {report}, then run: {again}"
            + (f" (it also sends the {left} rows not attempted yet)" if left else "")
        )
    elif left and summary.sampled:
        steps.append(
            f"next: the {summary.sampled} rows drawn at random went through; {again} sends the "
            f"other {left} (never the drawn ones again)"
        )
    elif left:
        steps.append(f"next: {again} sends the {left} rows not attempted yet")
    return steps


def _sandbox_note(carry: str) -> list[str]:
    """What a suggested --sandbox command will not see."""
    if " --sandbox" not in carry:
        return []
    return [
        "note: --sandbox starts a new sandbox each time, with none of this command's changes "
        "(run `bulk-update sandbox` and pass its --base-url to keep one between commands)"
    ]


def render_history_exists(report: str, input_path: str, carry: str) -> str:
    """The two ways on when a sheet is run again beside its earlier report's history."""
    return (
        f"next: edit {report} and run: bulk-update run {shlex.quote(report)}{carry} "
        f"(sends what is not done and what you edited), or start a new history: "
        f"bulk-update run {shlex.quote(input_path)} --report NEW.csv{carry}"
    )
