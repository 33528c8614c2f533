"""What an answer means and when a row is done: the one place these are decided.

Retry, fatal and final are decided from an answer's HTTP status (None: no answer came, a
dropped connection or a timeout); done and "to send again" from a row's status in a report.
Every stage asks here instead of keeping a list of its own.
"""

from __future__ import annotations

from bulk_update.models import RowOutcome, RowStatus

# Momentary: 408 and the 5xx a gateway or an overloaded server gives; 429 waits for the
# rate-limit window (the pacer) and then tries again.
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# The run cannot go on with this token: stop instead of hammering a revoked credential.
FATAL_STATUSES = frozenset({401, 403})
# Intercom refused the request itself (a bad value, a search it does not take): the same
# request gets the same answer.
REFUSED_STATUSES = frozenset({400, 422})
# A report's rows that running it again leaves as they are.
DONE_STATUSES = frozenset({RowStatus.UPDATED.value, RowStatus.SKIPPED.value})
# What ``retry`` sends again: the rows that did not get through.
RETRY_STATUSES = frozenset({RowStatus.FAILED.value, RowStatus.NOT_ATTEMPTED.value})


def is_retryable(status: int | None) -> bool:
    """Worth another try: no answer came, or one that may be different next time."""
    return status is None or status in RETRYABLE_STATUSES


def is_fatal(status: int | None) -> bool:
    """The token is refused or lacks access: nothing more is sent."""
    return status in FATAL_STATUSES


def is_refused(status: int | None) -> bool:
    return status in REFUSED_STATUSES


def may_have_landed(status: int | None) -> bool:
    """Unknown whether the request took effect: no answer came (a reset, a timeout) or the
    server failed on the way. A 429 was refused before anything was done."""
    return status is None or status == 408 or status >= 500


def is_final(outcome: RowOutcome) -> bool:
    """Does this outcome stand on resume, or is the row sent again? A failure stands when
    the same request would get the same answer: not one worth retrying, nor a refused token
    (another run may have a good one)."""
    if outcome.status in (RowStatus.UPDATED, RowStatus.INVALID, RowStatus.SKIPPED):
        return True
    if outcome.status is RowStatus.FAILED:
        status = outcome.http_status
        return not is_retryable(status) and not is_fatal(status)
    return False


def is_done(status: str) -> bool:
    """A report's row in this status is done: running the report again leaves it be."""
    return status in DONE_STATUSES
