"""Why rows were not updated, grouped: one reason per (status, HTTP status, error code,
message with the row's own values taken out), with a count, example rows and, where the fix
is known, a hint. Built while the report is written; shown after the run's counts."""

from __future__ import annotations

import re
from collections import Counter

from bulk_update.models import Reason, RowOutcome, RowStatus
from bulk_update.rules import is_fatal

EXAMPLES = 3
# Past this many different reasons the rest are counted together: a file of a million
# distinct messages must not make a million-line summary.
MOST_REASONS = 50
_REPORTED = (RowStatus.FAILED, RowStatus.INVALID, RowStatus.UNMATCHED, RowStatus.AMBIGUOUS)

# The value a message is about: quoted, and the subject of its sentence ("'x' is not a
# number", "id '0123' has 4 digits"); quoted names and option lists stay as they are.
_SUBJECT = re.compile(r"'[^'\n]*'(?= (?:is|has|could) )")
_SUGGESTION = re.compile(r"; did you mean '[^'\n]*'\?")
_ROW_NUMBER = re.compile(r"\brow \d+")
_ATTEMPTS = re.compile(r"\(after \d+ attempts\)")


def normalised(message: str) -> str:
    """The message with what differs from row to row taken out."""
    message = _SUBJECT.sub("'…'", message)
    message = _SUGGESTION.sub("", message)
    message = _ROW_NUMBER.sub("row N", message)
    return _ATTEMPTS.sub("(after retries)", message)


def hint_for(status: str, http_status: int | None, error_code: str, message: str) -> str:
    """What to do about it, where the tool knows."""
    if http_status == 404:
        return "the id does not exist in this workspace and region: check the id and region"
    if is_fatal(http_status):
        return "the access token was refused: check it and its permissions"
    if error_code == "parameter_invalid" and "not a valid value" in message:
        return "the workspace refused the value: check the attribute's type and options"
    if http_status is None and status == RowStatus.FAILED.value:
        return "no answer after retries: running the report again tries these rows again"
    if "duplicate of row" in message:
        return "keep one row per conversation (merge the changes into the first)"
    return ""


class Tally:
    """Counts every row's status and groups the reasons of the rows not updated."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self._reasons: dict[tuple[str, int | None, str, str], list[int]] = {}
        self._sizes: Counter[tuple[str, int | None, str, str]] = Counter()
        self._first: dict[tuple[str, int | None, str, str], str] = {}  # its own message
        self._other: list[int] = []
        self._other_count = 0

    def add(self, outcome: RowOutcome) -> None:
        self.counts[outcome.status.value] += 1
        if outcome.status not in _REPORTED:
            return
        key = (
            outcome.status.value,
            outcome.http_status,
            outcome.error_code,
            normalised(outcome.error_message),
        )
        examples = self._reasons.get(key)
        if examples is None:
            if len(self._reasons) >= MOST_REASONS:
                self._other_count += 1
                if len(self._other) < EXAMPLES:
                    self._other.append(outcome.row)
                return
            examples = self._reasons[key] = []
            self._first[key] = outcome.error_message
        self._sizes[key] += 1
        if len(examples) < EXAMPLES:
            examples.append(outcome.row)

    def reasons(self) -> tuple[Reason, ...]:
        """Most frequent first."""
        found = [
            Reason(*key, self._sizes[key], tuple(examples), hint_for(*key), self._first[key])
            for key, examples in self._reasons.items()
        ]
        found.sort(key=lambda reason: -reason.count)
        if self._other_count:
            found.append(
                Reason("", None, "", "other reasons", self._other_count, tuple(self._other))
            )
        return tuple(found)
