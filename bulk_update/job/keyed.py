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
import itertools
import shutil
import tempfile
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import partial
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
from bulk_update.errors import InputError, UsageError, escape
from bulk_update.history.breakdown import Tally
from bulk_update.history.report import (
    csv_delimiter,
    read_report,
    stream_report,
    write_report,
    write_summary_json,
)
from bulk_update.job.hooks import RunHooks
from bulk_update.job.pair_outcomes import row_outcome, told_outcome
from bulk_update.job.preparation import prepare_run
from bulk_update.job.runner import Job
from bulk_update.job.workspace_guard import expected_workspace
from bulk_update.models import OUTCOME_COLUMNS, RunResult, RunSummary
from bulk_update.rules import is_done
from bulk_update.search.match_store import MatchStore
from bulk_update.search.matching import KeyMatches, MatchSettings, match_keys
from bulk_update.search.query import Condition
from bulk_update.send.reads import ReadsKept
from bulk_update.sheet.columns import ID_COLUMNS, MARKER_COLUMNS, folded_header
from bulk_update.sheet.keys import Key, find_key
from bulk_update.sheet.reader import Table
from bulk_update.sheet.rows import SheetRow

# What a keyed report adds to each row, after the outcome columns.
KEYED_COLUMNS = ("conversation_ids", "matched")
# Every column the tool writes itself into a report: never a change, whatever a sheet holds.
TOOLS_COLUMNS = frozenset({*OUTCOME_COLUMNS, *MARKER_COLUMNS, *KEYED_COLUMNS})


class KeyedRun:
    """One run of a keyed sheet (see the module's note). A keyed report run again acts on
    the conversations its rows recorded (its rows with none are searched again): its pairs'
    own report is run again, in place, with the cells as the report has them now."""

    def __init__(
        self,
        settings: JobSettings,
        table: Table,
        key: Key,
        given: Mapping[str, Any],
        token: Token,
        hooks: RunHooks,
    ):
        self._settings = settings
        # A DataFrame's run without a report keeps its pairs in a folder of its own, for as
        # long as the run goes; its outcomes are the result's.
        self._scratch = None if settings.report_path else Path(tempfile.mkdtemp(prefix="keyed-"))
        self._report = settings.report_path or Path(str(self._scratch)) / "keyed.csv"
        self._table = table
        self._key = key
        self._given = given
        self._options = KeyOptions(**pick(KeyOptions, given))
        self._token = token
        self._hooks = hooks
        header = table.columns
        # The sheet's own columns (not the tool's, which a keyed report carries).
        self._own = [i for i, name in enumerate(header) if name not in TOOLS_COLUMNS]
        # What the pairs carry: those but the key (and an id column the key overrules),
        # which the report keeps.
        self._sent = [
            i for i in self._own if i != key.index and folded_header(header[i]) not in ID_COLUMNS
        ]

    async def run(self) -> RunResult:
        try:
            return await self._run()
        finally:
            if self._scratch is not None:
                shutil.rmtree(self._scratch, ignore_errors=True)

    async def _run(self) -> RunResult:
        settings = self._settings
        if not any(True for _row in self._table.rows()):
            raise InputError(self._table.path, "has a header but no data rows")
        recorded = {} if self._options.resolve_again else _recorded(self._table)
        # The workspace's attributes, read to check an attribute key, serve the run too.
        hooks = self._hooks
        if hooks.reads_kept is None:
            hooks = dataclasses.replace(hooks, reads_kept=ReadsKept())
        await expected_workspace(settings, self._token, hooks)  # before any search
        tally = Tally()  # the rows' own outcomes and reasons, by the sheet's row numbers
        pairs: Counter[str] = Counter()  # the statuses of the pairs the rows take
        store = MatchStore()
        try:
            matches = await match_keys(
                self._table,
                MatchSettings(
                    self._table.path,
                    self._key,
                    self._options.match,
                    tuple(Condition.parse(text) for text in self._options.where),
                    settings.send,
                    self._hooks.setting_names,
                    recorded,
                ),
                self._token,
                store,
                hooks.reads_kept,
            )
            pairs_input, lines_of, any_pair = self._pairs(matches)
            ran = await self._run_pairs(pairs_input, hooks) if any_pair else _nothing_sent(settings)
            lines = self._folded(matches, lines_of, ran, (tally, pairs))
            kept: Callable[[], Sequence[list[str]]]
            if settings.report_path is not None:
                write_report(settings.report_path, lines, self._table.delimiter)
                delimiter = csv_delimiter(settings.report_path, self._table.delimiter)
                kept = partial(read_report, settings.report_path, delimiter)
            else:
                kept = partial(tuple, tuple(lines))
        finally:
            store.close()
        summary = self._summary(ran, matches, (tally, pairs), len(recorded))
        if settings.summary_json is not None:
            write_summary_json(settings.summary_json, summary)
        return RunResult(summary, settings.report_path, kept)

    async def _run_pairs(self, pairs: Path, hooks: RunHooks) -> RunResult:
        """The pairs, run as a sheet of ids is: its cells read as the keyed sheet's are."""
        settings = self._settings
        decimal_comma = settings.read.conventions(self._table.delimiter).decimal_comma
        given = {
            **self._given,
            "delimiter": ",",
            "decimal_comma": decimal_comma,
            "report_path": None,
            "summary_json": None,  # the keyed run's own, written when it is folded
        }
        pairs_settings, pairs_table = prepare_run(pairs, settings.send.base_url, given)
        return await Job(pairs_settings, self._token, hooks=hooks, table=pairs_table).run()

    def _summary(
        self, ran: RunResult, matches: KeyMatches, told: tuple[Tally, Counter[str]], recorded: int
    ) -> RunSummary:
        tally, pairs = told
        notice = f"keyed by {self._key.described}: {matches.searches} searches"
        if recorded:
            notice += f"; {recorded} rows acted on the conversations they recorded"
        if matches.trimmed:
            notice += f"; {matches.trimmed} keys had spaces around them, trimmed"
        sent = dataclasses.replace(ran.summary.sent)
        sent.requests += matches.searches  # the searches are requests of this run too
        counts = dict(tally.counts)
        return dataclasses.replace(
            ran.summary,
            sent=sent,
            input_path=str(self._table.path),
            report_path=str(self._settings.report_path or ""),
            rows=sum(counts.values()),
            counts=counts,
            pairs=dict(pairs),  # those of the rows' own (not a done pair no row has now)
            searches=matches.searches,
            reasons=tally.reasons(),
            notices=(notice, *ran.summary.notices),
        )

    def _pairs(self, matches: KeyMatches) -> tuple[Path, dict[int, list[int]] | None, bool]:
        """The pairs to run; which of their lines are each row's (None: they are in the
        rows' order, each row's together); whether there is any. A first round writes them
        as a sheet of ids, a row at a time; a keyed report run again rewrites its pairs'
        report, so that their history decides what is sent (:meth:`_pairs_again`)."""
        if KEYED_COLUMNS[0] in self._table.columns:  # a keyed report: its pairs' history
            pairs_report = pairs_report_of(Path(self._table.path))
            if not pairs_report.exists():
                raise UsageError(
                    f"{escape(str(self._table.path))} is the report of a keyed sheet whose "
                    f"pairs' history ({escape(pairs_report.name)} and its journal) is not "
                    "beside it: run it where it was written, or move those files with it "
                    "(nothing was sent)"
                )
            # A dry run works on a copy (its history travels with it, as a report's does):
            # the pairs' report stays as the real rounds left it.
            out = pairs_report
            if self._settings.dry_run:
                out = pairs_report.with_name(f"{pairs_report.stem}.dry-run-input.csv")
            rows = list(self._table.rows())
            by_row = {match.row: match.conversation_ids for match in matches.rows()}
            lines_of = self._pairs_again(pairs_report, out, rows, by_row)
            return out, lines_of, bool(lines_of)
        pairs_sheet = pairs_sheet_of(self._report)
        any_pair = False
        with pairs_sheet.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["id", *(self._table.columns[i] for i in self._sent)])
            for row, match in zip(self._table.rows(), matches.rows(), strict=True):
                cells = self._cells(row.cells, self._sent)
                writer.writerows([each, *cells] for each in match.conversation_ids)
                any_pair = any_pair or bool(match.conversation_ids)
        return pairs_sheet, None, any_pair

    def _pairs_again(
        self,
        pairs_report: Path,
        out: Path,
        rows: list[SheetRow],
        by_row: Mapping[int, tuple[str, ...]],
    ) -> dict[int, list[int]]:
        """The pairs' report rewritten (to ``out``) for this round: each pair a row still has
        keeps its line (found by its conversation; in its place and number, which its
        history knows), with the row's cells as they are now; a pair new this round is added
        after them, numbered on. A line no row has any more (a row taken out, a match gone)
        is kept when it was done, so that a match come back finds it and nothing is sent
        twice (its history skips it); left out otherwise, so that nothing is sent for it."""
        old_header, *old = read_report(pairs_report, None)
        width, row_at = len(old_header), old_header.index("row")
        status_at = old_header.index("status")
        free: dict[str, deque[int]] = defaultdict(deque)
        for index, line in enumerate(old):
            free[line[0]].append(index)
        claimed: dict[int, int] = {}  # an old line's index → the row it is now
        added: list[tuple[int, list[str]]] = []
        for row in rows:
            cells = self._cells(row.cells, self._sent)
            for conversation_id in by_row[row.number]:
                if free[conversation_id]:
                    index = free[conversation_id].popleft()
                    old[index][1 : 1 + len(cells)] = cells
                    claimed[index] = row.number
                else:
                    added.append((row.number, [conversation_id, *cells]))
        kept = sorted({*claimed, *(i for i, line in enumerate(old) if is_done(line[status_at]))})
        lines_of: dict[int, list[int]] = {}
        for position, index in enumerate(kept):
            if index in claimed:
                lines_of.setdefault(claimed[index], []).append(position)
        last = int(old[-1][row_at]) if old else 1
        for offset, (row_number, line) in enumerate(added):
            line += [""] * (width - len(line))
            line[row_at] = str(last + 1 + offset)  # numbered on, as a report is
            lines_of.setdefault(row_number, []).append(len(kept) + offset)
        write_report(out, [old_header, *(old[i] for i in kept), *(new for _, new in added)])
        return lines_of

    @staticmethod
    def _cells(cells: list[str], columns: list[int]) -> list[str]:
        return [cells[i] if i < len(cells) else "" for i in columns]

    def _folded(
        self,
        matches: KeyMatches,
        lines_of: Mapping[int, list[int]] | None,
        ran: RunResult,
        told: tuple[Tally, Counter[str]],
    ) -> Iterator[list[str]]:
        """One line per input row: its cells, its outcome over every pair (``told`` counts it,
        and its pairs' statuses), the ids; the pairs' report read as it goes when its lines
        are in the rows' order (``lines_of`` None)."""
        pair_lines = _pair_lines(ran)
        header = next(pair_lines)
        status_at = header.index("status")
        outcome_at = [header.index(name) for name in OUTCOME_COLUMNS]
        held = None if lines_of is None else list(pair_lines)
        own_header = [self._table.columns[i] for i in self._own]
        yield [*own_header, *OUTCOME_COLUMNS, *KEYED_COLUMNS]
        for row, match in zip(self._table.rows(), matches.rows(), strict=True):
            if held is None:
                own = list(itertools.islice(pair_lines, len(match.conversation_ids)))
            else:
                own = [held[index] for index in (lines_of or {}).get(row.number, [])]
            outcome = row_outcome(row.number, match, own, status_at, outcome_at)
            told[0].add(told_outcome(outcome))
            told[1].update(pair[status_at] for pair in own)
            ids = ";".join(match.conversation_ids)
            own_cells = self._cells(row.cells, self._own)
            yield [*own_cells, *outcome, ids, str(match.matched)]


def _pair_lines(ran: RunResult) -> Iterator[list[str]]:
    """The pairs' report, header first: read from its file as it goes, when there is one."""
    if ran.report_path is not None and ran.report_path.exists():
        return stream_report(ran.report_path, csv_delimiter(ran.report_path, ","))
    return iter(ran.report_lines())


def _nothing_sent(settings: JobSettings) -> RunResult:
    """The pairs' result when no row matched a conversation: nothing to run."""
    summary = RunSummary(input_path="", report_path="", dry_run=settings.dry_run)
    return RunResult(summary, None, lambda: [["id", *OUTCOME_COLUMNS]])


def pairs_sheet_of(report: Path) -> Path:
    """Where a keyed report's (row, conversation) pairs are kept, as a sheet of ids."""
    return report.with_name(f"{report.stem}.pairs.csv")


def pairs_report_of(report: Path) -> Path:
    """The report of a keyed report's pairs, whose journal is the keyed sheet's history."""
    return default_report_path(pairs_sheet_of(report))


def _recorded(table: Table) -> dict[int, tuple[str, ...]]:
    """The conversations each row of a keyed report recorded (none for a first round)."""
    if "conversation_ids" not in table.columns:
        return {}
    at = table.columns.index("conversation_ids")
    recorded = {}
    for row in table.rows():
        ids = tuple(i for i in (row.cells[at] if at < len(row.cells) else "").split(";") if i)
        if ids:
            recorded[row.number] = ids
    return recorded


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
    if settings.only_statuses is not None:  # retry picks report lines; a keyed row is pairs
        raise UsageError(
            f"{escape(str(table.path))} is a keyed sheet's report: run it itself ('bulk-update "
            "run REPORT'), which sends only what is not done yet (nothing was sent)"
        )
    return await KeyedRun(settings, table, key, given, require_token(token), hooks).run()
