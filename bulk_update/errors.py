"""One exception tree for the whole library.

::

    BulkUpdateError                 anything the tool reports as a one-line message
    ├── UsageError                  the invocation cannot work (exit 2)
    │   └── InputError              the input file cannot be used as a whole (exit 2)
    └── RunStopped                  the run stopped early on purpose (exit 1)
        └── AuthenticationFailed    401/403: the token is wrong or lacks access

Per-row problems (a bad value, a 404 for one conversation) are not exceptions: they are
row outcomes in the report. Transport errors never leave ``client`` as aiohttp types; they
become classified responses that ``retry`` decides about.
"""

from __future__ import annotations


class BulkUpdateError(Exception):
    """Base class: its message is shown to the user as is, without a traceback."""


class UsageError(BulkUpdateError):
    """The command line or the settings cannot work."""


class InputError(UsageError):
    """The input file as a whole cannot be used; nothing is sent.

    The message names the file and, where there is one, the row and the column.
    """

    def __init__(
        self, path: object, problem: str, *, row: int | None = None, column: str | None = None
    ):
        where = str(path)
        if row is not None:
            where += f", row {row}"
        if column is not None:
            where += f", column {column!r}"
        super().__init__(f"{where}: {problem}")
        self.path = path
        self.row = row
        self.column = column


class RunStopped(BulkUpdateError):
    """The run stopped before every row was tried (too many failures, for example)."""


class AuthenticationFailed(RunStopped):
    """Intercom refused the token (401) or its access (403); nothing more is sent."""
