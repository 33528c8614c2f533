"""A keyed sheet's row's outcome, over the (row, conversation) pairs it took: ``updated`` only
when every one was; otherwise the worst, with the counts in its message; what resolution said
(``unmatched``, ``ambiguous``, ``invalid``) when it took none."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from bulk_update.models import OUTCOME_COLUMNS, RowOutcome, RowStatus
from bulk_update.search.match_store import RowMatch

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


def row_outcome(
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
    if len(pairs) > 1:  # each conversation's own before → after and steps, by its id
        for name in ("changes", "steps"):
            at = outcome_at[OUTCOME_COLUMNS.index(name)]
            told[name] = " | ".join(f"{pair[0]}: {pair[at]}" for pair in pairs if pair[at])
    return list(told.values())


def told_outcome(outcome: list[str]) -> RowOutcome:
    """A row's outcome columns, as the outcome they tell."""
    told = dict(zip(OUTCOME_COLUMNS, outcome, strict=True))
    http = told["http_status"]
    return RowOutcome(
        int(told["row"]),
        RowStatus(told["status"]),
        int(http) if http.isdigit() else None,
        told["error_code"],
        told["error_message"],
    )
