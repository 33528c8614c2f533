"""The journal's accounting: outcomes survive crashes, confirmed rows are never re-sent."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from bulk_update.history.breakdown import Tally
from bulk_update.history.journal import Journal
from bulk_update.history.report import report_lines
from bulk_update.models import PreparedUpdate, RowOutcome, RowStatus
from bulk_update.rules import is_final
from bulk_update.sheet.rows import SheetRow
from tests.conftest import examples

FINGERPRINT = {"path": "in.csv", "size": 1, "sha256": "x"}

outcome_kinds = st.sampled_from(
    [
        (RowStatus.UPDATED, 200),
        (RowStatus.FAILED, 404),
        (RowStatus.FAILED, 400),
        (RowStatus.FAILED, 500),
        (RowStatus.FAILED, None),
        (RowStatus.FAILED, 401),
    ]
)
# One run: which pending rows it sends (by position), their outcomes, where it flushes,
# and whether it ends cleanly or is killed (losing what was not yet committed).
a_run = st.tuples(
    st.lists(st.tuples(st.integers(0, 40), outcome_kinds), max_size=30),
    st.sets(st.integers(0, 30)),
    st.booleans(),
)


@settings(max_examples=examples(150), deadline=None)
@given(rows=st.integers(1, 25), runs=st.lists(a_run, min_size=1, max_size=6))
def test_every_row_once_with_its_last_committed_outcome(rows: int, runs: list) -> None:  # type: ignore[type-arg]
    numbers = list(range(2, rows + 2))
    committed: dict[int, RowOutcome] = {}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "report.csv.journal"
        for sends, flush_points, killed in runs:
            journal = Journal.open(path, FINGERPRINT, {}, resume=path.exists(), force=False)
            journal.start_validation()
            for n in numbers:
                journal.add_update(PreparedUpdate(n, str(n), b"{}"))
            pending = [update.row for update in journal.updates_to_send(sys.maxsize)]
            # Nothing the journal had confirmed is offered for sending again.
            assert not any(committed.get(n) and is_final(committed[n]) for n in pending)
            uncommitted: dict[int, RowOutcome] = {}
            for step, (pick, (status, http)) in enumerate(sends):
                if not pending:
                    break
                row = pending.pop(pick % len(pending))  # a run sends a row once
                outcome = RowOutcome(row, status, http, attempts=1)
                journal.record(outcome)
                uncommitted[row] = outcome
                if step in flush_points:
                    journal.flush()
                    _commit(committed, uncommitted)
            if killed:
                journal._db.close()  # a SIGKILL: whatever was not committed is gone
            else:
                journal.close()
                _commit(committed, uncommitted)
        journal = Journal.open(path, FINGERPRINT, {}, resume=True, force=False)
        sheet = [SheetRow(n, [str(n)]) for n in numbers]
        tally = Tally()
        lines = list(report_lines(["id"], sheet, journal.outcomes(), tally))[1:]
        journal.close()
    assert [int(line[1]) for line in lines] == numbers
    for line in lines:
        expected = committed.get(int(line[1]))
        assert line[2] == (expected.status.value if expected else "not_attempted")
    assert sum(tally.counts.values()) == rows


def _commit(committed: dict[int, RowOutcome], uncommitted: dict[int, RowOutcome]) -> None:
    committed.update(uncommitted)
    uncommitted.clear()


def test_final_outcomes() -> None:
    assert is_final(RowOutcome(2, RowStatus.UPDATED, 200))
    assert is_final(RowOutcome(2, RowStatus.INVALID))
    assert is_final(RowOutcome(2, RowStatus.FAILED, 404))
    assert is_final(RowOutcome(2, RowStatus.FAILED, 422))
    for status in (None, 401, 403, 408, 429, 500, 503):
        assert not is_final(RowOutcome(2, RowStatus.FAILED, status))
    assert not is_final(RowOutcome(2, RowStatus.NOT_ATTEMPTED))
