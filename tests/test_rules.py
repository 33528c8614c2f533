"""One place decides what an answer means: the retry loop, the journal's resume and the
report loop agree on every status."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bulk_update.models import RowOutcome, RowStatus
from bulk_update.rules import is_done, is_fatal, is_final, is_retryable, may_have_landed


@given(st.one_of(st.none(), st.integers(min_value=100, max_value=599)))
def test_a_failure_stands_exactly_when_another_try_could_not_change_it(status: int | None) -> None:
    failed = RowOutcome(2, RowStatus.FAILED, status)
    assert is_final(failed) == (not is_retryable(status) and not is_fatal(status))


def test_what_may_have_landed_is_retried_and_a_429_did_not_land() -> None:
    for status in (None, 408, 500, 502, 503, 504):
        assert may_have_landed(status) and is_retryable(status)
    assert not may_have_landed(429) and is_retryable(429)
    # A 501 will not be different next time: not retried in the run, not resent on resume.
    assert not is_retryable(501) and is_final(RowOutcome(2, RowStatus.FAILED, 501))


def test_a_report_row_is_done_when_updated_or_skipped() -> None:
    assert {status for status in RowStatus if is_done(status.value)} == {
        RowStatus.UPDATED,
        RowStatus.SKIPPED,
    }
