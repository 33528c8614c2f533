"""Values that flow through a run and that every stage shares: requests, row actions, row
outcomes, the reasons rows were not updated, the run summary and result; and the one JSON
encoding that goes on the wire and into the journal."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


class RowStatus(StrEnum):
    UPDATED = "updated"
    FAILED = "failed"
    INVALID = "invalid"
    NOT_ATTEMPTED = "not_attempted"
    WOULD_UPDATE = "would_update"
    SKIPPED = "skipped"
    # An edited cell whose live value also changed since the export: nothing of it was sent.
    CONFLICT = "conflict"
    # A keyed row whose key matched no conversation, or (matching one) several: not sent.
    UNMATCHED = "unmatched"
    AMBIGUOUS = "ambiguous"


# Report columns that the tool adds after the input's own columns. When a report is fed
# back as input these are recognised and ignored, so the failed lines can be re-run as is.
OUTCOME_COLUMNS = (
    "row",
    "status",
    "http_status",
    "error_code",
    "error_message",
    "attempts",
    "request_id",
    "changes",
    "steps",
)


def wire_json(value: Any) -> bytes:
    """The one compact JSON encoding of what is sent and journalled (UTF-8, no spaces)."""
    return _WIRE.encode(value).encode()


# One encoder for every call (``json.dumps`` with any option builds a new one each time).
_WIRE = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


class RowActions(Mapping[str, Any]):
    """What one row asks of its conversation beyond attribute values: each action column's
    value (``sheet.action_table`` says which columns there are and what their values hold).
    A column left out (or None) leaves that part as it is."""

    __slots__ = ("_values",)

    def __init__(self, **values: Any):
        self._values = {column: value for column, value in values.items() if value is not None}

    def __getitem__(self, column: str) -> Any:
        return self._values[column]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"RowActions({self._values!r})"

    def encode(self) -> bytes:
        return wire_json(self._values)

    @classmethod
    def decode(cls, payload: bytes) -> RowActions:
        """Lists (tag names) come back as the tuples they were."""
        values: dict[str, Any] = json.loads(payload)
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})


@dataclass(frozen=True)
class Reason:
    status: str
    http_status: int | None
    error_code: str
    message: str
    count: int
    example_rows: tuple[int, ...]
    hint: str = ""
    # The first example row's own message, its values in (``message`` has them taken out).
    example: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "http_status": self.http_status,
            "error_code": self.error_code,
            "message": self.message,
            "count": self.count,
            "example_rows": list(self.example_rows),
            "hint": self.hint,
            "example": self.example,
        }


# The column an export writes last: each row's cells as exported (JSON), so that running the
# file (or a report made from it) sends only the cells edited since. It travels with the file.
BASE_COLUMN = "bulk_update_base"
# The key of a base's JSON object naming the conversation whose row it is (the base's other
# keys are the change columns' headers). A header read as ``id`` is the sheet's one id column,
# never a column of changes, so no header's cell is ever stored under it.
BASE_ID_KEY = "id"


# The column a backup writes last, empty: it says the file is a backup (what ``undo`` runs).
BACKUP_COLUMN = "bulk_update_backup"


# The column a report of a sheet's history writes last: which history it is, and where it was
# made (``history.identity``), so that a copy of the file finds it, or knows it is gone.
HISTORY_COLUMN = "bulk_update_history"


@dataclass(frozen=True, slots=True)
class UpdateRequest:
    """One validated row: the conversation to change, the JSON body to ``PUT`` (empty when
    the row only has actions) and its actions (close, assign, tag, note)."""

    row: int
    conversation_id: str
    body: dict[str, Any]
    actions: RowActions | None = None


@dataclass(frozen=True, slots=True)
class PreparedUpdate:
    """A validated row ready for the wire: its body already encoded as JSON."""

    row: int
    conversation_id: str
    payload: bytes  # empty: no PUT
    actions: bytes = b""  # RowActions, encoded; empty: none
    # Of an exported sheet's row: each edited column → [its cell as exported, as edited].
    base: bytes = b""
    # The row's own cells say a command ran it (a report's row): its note may be on the
    # conversation already, whatever the journal knows (there may be none), so it is looked for.
    note_may_have_landed: bool = False

    def without(self, columns: Sequence[str]) -> PreparedUpdate:
        """The row with these columns (canonical names: fields, attributes, or the state,
        assignee and tag columns) left out of what it sends."""
        body: dict[str, Any] = json.loads(self.payload) if self.payload else {}
        custom = body.pop("custom_attributes", {})
        actions = RowActions.decode(self.actions) if self.actions else RowActions()
        for column in columns:
            body.pop(column, None)
            custom.pop(column, None)
        actions = RowActions(**{k: v for k, v in actions.items() if k not in columns})
        if custom:
            body["custom_attributes"] = custom
        encoded = actions.encode()
        return replace(
            self,
            payload=wire_json(body) if body else b"",
            actions=b"" if encoded == b"{}" else encoded,
        )


@dataclass(frozen=True, slots=True)
class RowOutcome:
    """What happened to one input row."""

    row: int
    status: RowStatus
    http_status: int | None = None
    error_code: str = ""
    error_message: str = ""
    attempts: int = 0
    request_id: str = ""
    # What a read showed would change (or did): "field: before → after; ...".
    changes: str = ""
    # Each step of a row with actions and what became of it: "tag +migrated: done; ...".
    steps: str = ""
    # A live dry run's plan: the row's change cells as they read live (JSON), its base.
    base: str = ""


@dataclass
class SendStats:
    """Counters kept while sending."""

    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    stop_reason: str = ""
    credentials_refused: bool = False
    backed_up: int = 0
    steps_done: int = 0
    steps_in_place: int = 0  # asked for, but already so: nothing sent
    # A live dry run's writes a run would send: a row's PUT (also one already in place,
    # unless skip_unchanged), an action row's steps not in place.
    writes_ahead: int = 0
    # Re-snoozes and re-closes not needed: Preview's skip_unsnooze and skip_reopen were sent.
    requests_spared: int = 0
    quiet_notes: int = 0  # notes sent with skip_notifications
    tags_created: tuple[str, ...] = ()
    # A dry run's conversations by kind of step they would take (closed, assigned, ...),
    # a conversation counted once a kind: the page's review.
    would_do: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Workspace:
    """The workspace a token belongs to, as ``GET /me`` tells it: the app's name, its id
    (``id_code``), its region, and the teammate the token acts as."""

    name: str
    app_id: str
    region: str = ""
    teammate: str = ""

    def described(self) -> str:
        """``Acme EU (app ab12cd34, EU)``."""
        return f"{self.name or '(no name)'} (app {self.app_id}" + (
            f", {self.region})" if self.region else ")"
        )

    def is_named(self, asked: str) -> bool:
        """Whether ``asked`` names this workspace: its name in any case, or its app id."""
        asked = asked.strip()
        return asked == self.app_id or asked.casefold() == self.name.strip().casefold()

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class RunSummary:
    """The figures printed at the end of a run and written by ``--summary-json``: built once,
    when the run has reported, and never changed after."""

    input_path: str
    report_path: str
    rows: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    elapsed_seconds: float = 0.0
    sent: SendStats = field(default_factory=SendStats)
    blank_rows_skipped: int = 0
    backup_path: str = ""
    dry_run: bool = False
    interrupted: bool = False
    # What the run assumed or corrected on the way (a decimal comma, a time zone), in words.
    notices: tuple[str, ...] = ()
    # Why rows were not updated, grouped, most frequent first.
    reasons: tuple[Reason, ...] = ()
    # The run was told to stop after some rows (the rest are for a later run).
    limited: bool = False
    # Rows drawn at random to send first (a canary): the rest, not attempted, are not failures.
    sampled: int = 0
    # The teammate the sheet's actions were made as (as given), when it had any.
    acted_as: str = ""
    # (header, what it was read as: "id", an attribute, a field or an action) of every column
    # used; a column not here was left out (ignored, or the outcome columns of a report).
    columns_read: tuple[tuple[str, str], ...] = ()
    # An undo: its rows are the conversations it had left to restore (none: nothing to undo).
    undo: bool = False
    # A keyed sheet's (row, conversation) pairs by status; ``counts`` are its rows'.
    pairs: dict[str, int] = field(default_factory=dict)
    searches: int = 0  # a keyed sheet's searches for its keys (among ``sent.requests``)
    # The workspace the token belongs to (None: not read, as by a dry run working offline).
    workspace: Workspace | None = None

    def conversations(self, status: RowStatus) -> int:
        """The conversations of that status: a keyed sheet's pairs, else its rows."""
        return self.pairs.get(status.value, 0) if self.pairs else self.count(status)

    def count(self, status: RowStatus) -> int:
        return self.counts.get(status.value, 0)

    @property
    def requests(self) -> int:
        return self.sent.requests

    @property
    def retries(self) -> int:
        return self.sent.retries

    @property
    def rate_limited(self) -> int:
        return self.sent.rate_limited

    @property
    def backed_up(self) -> int:
        return self.sent.backed_up

    @property
    def stop_reason(self) -> str:
        """Why sending stopped early, unless it was an interrupt (said apart)."""
        return "" if self.sent.stop_reason == "interrupted" else self.sent.stop_reason

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.elapsed_seconds if self.elapsed_seconds > 0 else 0.0

    @property
    def all_succeeded(self) -> bool:
        """Every row updated, or already as wanted (in a dry run: would be, or was updated
        by an earlier round of the report run dry; a sample: the rows not drawn, left)."""
        return (self.rows > 0 or self.undo) and self.rows_not_through == 0

    @property
    def rows_not_through(self) -> int:
        """The rows that keep the run from having all succeeded (failed, invalid, ...)."""
        done = self.count(RowStatus.UPDATED) + self.count(RowStatus.SKIPPED)
        if self.dry_run:
            done += self.count(RowStatus.WOULD_UPDATE)
        if self.sampled:
            done += self.count(RowStatus.NOT_ATTEMPTED)
        return self.rows - done

    def as_dict(self) -> dict[str, Any]:
        return {
            "input": self.input_path,
            "report": self.report_path,
            "rows": self.rows,
            **{status.value: self.count(status) for status in RowStatus},
            "elapsed_seconds": round(self.elapsed_seconds, 3),
            "requests": self.requests,
            "requests_per_second": round(self.requests_per_second, 2),
            "retries": self.retries,
            "rate_limited_429": self.rate_limited,
            "blank_rows_skipped": self.blank_rows_skipped,
            "backed_up": self.backed_up,
            "steps_done": self.sent.steps_done,
            "steps_in_place": self.sent.steps_in_place,
            "requests_spared": self.sent.requests_spared,
            "tags_created": list(self.sent.tags_created),
            "backup": self.backup_path,
            "dry_run": self.dry_run,
            "stop_reason": self.stop_reason,
            "interrupted": self.interrupted,
            "notices": list(self.notices),
            "failures_by_reason": [reason.as_dict() for reason in self.reasons],
            "workspace": self.workspace.as_dict() if self.workspace else None,
            "sampled": self.sampled,
        }


@dataclass(frozen=True)
class RunResult:
    """What a run did: its summary, where its report went, and every row's outcome.

    ``outcomes`` is a DataFrame: the input's columns (as text), then ``row``, ``status``,
    ``http_status``, ``error_code``, ``error_message``, ``attempts``, ``request_id``,
    ``changes`` and ``steps`` (and ``bulk_update_history`` when the run kept a history on
    disk), one line per input row, in input order.
    """

    summary: RunSummary
    report_path: Path | None
    # The report's lines, header first: kept in memory when no report file was written,
    # else read back from the file when asked for (a big run's need not stay in memory).
    report_lines: Callable[[], Sequence[list[str]]] = field(repr=False, compare=False)
    sample_requests: tuple[UpdateRequest, ...] = ()

    @property
    def outcomes(self) -> pd.DataFrame:
        import pandas as pd

        header, *lines = self.report_lines()
        frame = pd.DataFrame(lines, columns=header, dtype=object)
        frame["row"] = frame["row"].astype(int)
        for column in ("http_status", "attempts"):
            frame[column] = pd.array(
                [int(text) if text else None for text in frame[column]], dtype="Int64"
            )
        return frame
