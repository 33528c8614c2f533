"""A run of a sheet keyed by a contact's email, external id or id, or a conversation attribute,
in phases: resolution (each row's key to the conversations it matches, under the match
policy: :mod:`bulk_update.search.matching`), then the (row, conversation) pairs as a sheet of
conversation ids run as any sheet is (validation, history, backup, report: each pair is a
line of it), then the report folded back to one line per input row, with the conversations
it matched (``conversation_ids``, ``matched``) and an outcome that covers all of them.

The pairs sheet and its report sit beside the report (``<report>.pairs.csv`` and
``<report>.pairs.results.csv``): the history of every (row, conversation) pair."""

from __future__ import annotations

import csv
import dataclasses
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bulk_update.config import (
    JobSettings,
    KeyOptions,
    Token,
    default_report_path,
    pick,
    require_token,
)
from bulk_update.errors import UsageError
from bulk_update.history.report import write_report
from bulk_update.job.hooks import RunHooks
from bulk_update.job.runner import Job
from bulk_update.models import OUTCOME_COLUMNS, RowStatus, RunResult
from bulk_update.search.matching import KeyMatches, MatchSettings, RowMatch, match_keys
from bulk_update.search.query import Condition
from bulk_update.sheet.columns import MARKER_COLUMNS
from bulk_update.sheet.keys import Key, find_key
from bulk_update.sheet.reader import Table

# What a keyed report adds to each row, after the outcome columns.
KEYED_COLUMNS = ("conversation_ids", "matched")
_STATUS_OF = {"unmatched": RowStatus.UNMATCHED, "ambiguous": RowStatus.AMBIGUOUS}
# When a row's conversations ended differently, the row takes the first of these it has.
_WORST_FIRST = (
    RowStatus.FAILED,
    RowStatus.INVALID,
    RowStatus.CONFLICT,
    RowStatus.NOT_ATTEMPTED,
    RowStatus.WOULD_UPDATE,
    RowStatus.SKIPPED,
    RowStatus.UPDATED,
)


class KeyedRun:
    """One run of a keyed sheet (see the module's note)."""

    def __init__(
        self,
        settings: JobSettings,
        table: Table,
        key: Key,
        options: KeyOptions,
        token: Token,
        hooks: RunHooks,
    ):
        if settings.report_path is None:
            raise UsageError.naming_settings("a sheet keyed by a contact needs a {report_path}")
        self._settings = settings
        self._report = settings.report_path
        self._table = table
        self._key = key
        self._options = options
        self._token = token
        self._hooks = hooks

    async def run(self) -> RunResult:
        settings = self._settings
        matches = await match_keys(
            MatchSettings(
                self._table.path,
                self._key.column,
                self._options.match,
                tuple(Condition.parse(text) for text in self._options.where),
                settings.read,
                settings.send,
                self._hooks.setting_names,
            ),
            self._token,
        )
        pairs = self._report.with_name(f"{self._report.stem}.pairs.csv")
        columns = self._write_pairs(pairs, matches)
        decimal_comma = settings.read.conventions(self._table.delimiter).decimal_comma
        read = dataclasses.replace(settings.read, delimiter=",", decimal_comma=decimal_comma)
        ran = await Job(
            dataclasses.replace(
                settings,
                input_path=pairs,
                read=read,
                report_path=default_report_path(pairs, dry_run=settings.dry_run),
            ),
            self._token,
            hooks=self._hooks,
        ).run()
        lines = self._folded(matches, columns, ran)
        write_report(self._report, lines, self._table.delimiter)
        counts = Counter(line[len(columns) + 1] for line in lines[1:])
        notice = f"keyed by {self._key.described}: {matches.searches} searches"
        if matches.trimmed:
            notice += f"; {matches.trimmed} keys had spaces around them, trimmed"
        # The searches are requests of this run too.
        sent = dataclasses.replace(ran.summary.sent)
        sent.requests += matches.searches
        summary = dataclasses.replace(
            ran.summary,
            sent=sent,
            input_path=str(self._table.path),
            report_path=str(self._report),
            rows=len(lines) - 1,
            counts=dict(counts),
            notices=(notice, *ran.summary.notices),
        )
        return RunResult(summary, self._report, lambda: lines)

    def _write_pairs(self, path: Path, matches: KeyMatches) -> list[str]:
        """The (row, conversation) pairs as a sheet of ids, in the sheet's order; the
        sheet's own columns but the key (and the tool's), which the report keeps."""
        header = self._table.columns
        kept = [
            index
            for index, name in enumerate(header)
            if index != self._key.index
            and name not in (*OUTCOME_COLUMNS, *MARKER_COLUMNS)
            and name not in KEYED_COLUMNS
        ]
        by_row = {match.row: match for match in matches.rows}
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["id", *(header[index] for index in kept)])
            for row in self._table.rows():
                for conversation_id in by_row[row.number].conversation_ids:
                    writer.writerow([conversation_id, *(row.cells[index] for index in kept)])
        return list(header)

    def _folded(self, matches: KeyMatches, columns: list[str], ran: RunResult) -> list[list[str]]:
        """One line per input row: its cells, its outcome over every pair, the ids."""
        header, *pair_lines = ran.report_lines()
        status_at = header.index("status")
        outcome_at = [header.index(name) for name in OUTCOME_COLUMNS]
        by_row = {match.row: match for match in matches.rows}
        lines = [[*columns, *OUTCOME_COLUMNS, *KEYED_COLUMNS]]
        pairs = iter(pair_lines)
        for row in self._table.rows():
            match = by_row[row.number]
            own = [next(pairs) for _ in match.conversation_ids]
            cells = (row.cells + [""] * len(columns))[: len(columns)]
            outcome = _outcome(row.number, match, own, status_at, outcome_at)
            ids = ";".join(match.conversation_ids)
            lines.append([*cells, *outcome, ids, str(match.matched)])
        return lines


def _outcome(
    row: int,
    match: RowMatch,
    pairs: Sequence[list[str]],
    status_at: int,
    outcome_at: list[int],
) -> list[str]:
    """A row's outcome columns: what resolution said, or what its pairs did (``updated``
    only when every one was; otherwise the worst, with the counts in its message)."""
    blank = {name: "" for name in OUTCOME_COLUMNS}
    if not pairs:
        status = _STATUS_OF.get(match.status, RowStatus.INVALID)
        blank.update(row=str(row), status=status.value, error_message=match.message)
        return list(blank.values())
    statuses = Counter(pair[status_at] for pair in pairs)
    worst = next(status.value for status in _WORST_FIRST if status.value in statuses)
    first = next(pair for pair in pairs if pair[status_at] == worst)
    told = dict(zip(OUTCOME_COLUMNS, (first[at] for at in outcome_at), strict=True))
    told["row"] = str(row)
    if len(statuses) > 1:
        counted = ", ".join(f"{n} {status}" for status, n in statuses.items())
        told["error_message"] = f"{len(pairs)} conversations: {counted}; " + told["error_message"]
    return list(told.values())


async def run_prepared(
    settings: JobSettings,
    table: Table,
    given: Mapping[str, Any],
    token: Token | None,
    hooks: RunHooks,
) -> RunResult:
    """The run of a prepared sheet: through its key when it is keyed, else as it is."""
    options = KeyOptions(**pick(KeyOptions, given))
    key = find_key(table.path, table.columns, options.key)
    if key is None:
        if options.where:
            raise UsageError.naming_settings(
                "{where} narrows what a {key} matches; a sheet of conversation ids needs none"
            )
        return await Job(settings, token, hooks=hooks, table=table).run()
    return await KeyedRun(settings, table, key, options, require_token(token), hooks).run()
