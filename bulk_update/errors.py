"""One exception tree for the whole library.

::

    BulkUpdateError                 anything the tool reports as a one-line message
    ├── UsageError                  the invocation cannot work (exit 2)
    │   ├── InputError              the input file cannot be used as a whole (exit 2)
    │   └── HistoryExists           an earlier run's journal is beside the report (exit 2)
    ├── StorageFailed               a file the run writes could not be written (disk full)
    └── RunStopped                  the run stopped early on purpose (exit 1)
        └── AuthenticationFailed    401/403: the token is wrong or lacks access

Per-row problems (a bad value, a 404 for one conversation) are not exceptions: they are
row outcomes in the report. Transport errors never leave ``client`` as aiohttp types; they
become classified responses that ``retry`` decides about.

Messages speak of settings by their Python names (``report_path``, ``resume``): a message
built with :meth:`NamesSettings.naming_settings` marks them as ``{report_path}``, so that the
command line can show its flags instead (:meth:`NamesSettings.describe`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Self

if TYPE_CHECKING:
    from bulk_update.models import RunResult


class Setting(str):
    """A setting's name passed as a log message argument: the command line's log handler
    shows its flag instead."""

    __slots__ = ()


class SettingNames(dict[str, str]):
    """Placeholder → shown name; a setting with no other name is shown as itself."""

    def __init__(self, names: Mapping[str, str]):
        super().__init__(names)

    def __missing__(self, key: str) -> str:
        return key


def escape(text: str) -> str:
    """Text to put inside a settings-naming template as it is."""
    return text.replace("{", "{{").replace("}", "}}")


class NamesSettings(Exception):
    """An exception whose message may name settings, shown as each caller calls them."""

    def __init__(self, message: str, *, template: str | None = None):
        super().__init__(message)
        self._template = template

    @classmethod
    def naming_settings(cls, template: str) -> Self:
        """A message whose ``{setting}`` placeholders name settings (literal braces doubled)."""
        return cls(template.format_map(SettingNames({})), template=template)

    def as_template(self) -> str:
        """The message as a template, to build a longer one naming settings as this does."""
        return self._template if self._template is not None else escape(str(self))

    def describe(self, names: Mapping[str, str]) -> str:
        """The message with each setting called what ``names`` calls it (a flag, say)."""
        if self._template is None:
            return str(self)
        return self._template.format_map(SettingNames(names))


class BulkUpdateError(NamesSettings):
    """Base class: its message is shown to the user as is, without a traceback."""


class UsageError(BulkUpdateError):
    """The command line or the settings cannot work."""


class InputError(UsageError):
    """The input file as a whole cannot be used; nothing is sent.

    The message names the file and, where there is one, the row and the column. With
    ``names_settings``, ``problem`` is a template naming settings as ``{encoding}`` (see
    :meth:`NamesSettings.naming_settings`).
    """

    def __init__(
        self,
        path: object,
        problem: str,
        *,
        row: int | None = None,
        column: str | None = None,
        names_settings: bool = False,
    ):
        where = str(path)
        if row is not None:
            where += f", row {row}"
        if column is not None:
            where += f", column {column!r}"
        if names_settings:
            template = f"{escape(where)}: {problem}"
            super().__init__(template.format_map(SettingNames({})), template=template)
        else:
            super().__init__(f"{where}: {problem}")
        self.path = path
        self.row = row
        self.column = column


class HistoryExists(UsageError):
    """The report named already has the journal of an earlier run beside it: the edits, or
    what is left, belong in that report's own loop, or in a new report. ``changed``: the
    input's bytes are none of those the history was run from (else it is one of them, run
    already).

    ``report`` is the report whose history it is, ``input_path`` the sheet run now.
    """

    def __init__(self, input_path: Path, report: Path, journal: Path, *, changed: bool = True):
        shown = escape(str(report))
        if changed:
            what = f"{escape(str(input_path))} changed since the run that wrote {shown}"
        else:
            what = (
                f"{escape(str(input_path))} was run already: {shown} holds the outcome of each "
                "of its rows"
            )
        template = (
            f"{what} (its history is {escape(str(journal))}). To send what is not done yet "
            f"or what you edited, make your edits in {shown} and run that report itself; to "
            "start a history of its own, name a new report with {report_path}"
        )
        super().__init__(template.format_map(SettingNames({})), template=template)
        self.input_path = input_path
        self.report = report


class RunStopped(BulkUpdateError):
    """The run stopped before every row was tried (too many failures, for example).

    ``result`` holds what the run did before it stopped (its summary and outcomes), when
    it got as far as writing them.
    """

    def __init__(
        self, message: str, *, template: str | None = None, result: RunResult | None = None
    ):
        super().__init__(message, template=template)
        self.result = result


class AuthenticationFailed(RunStopped):
    """Intercom refused the token (401) or its access (403); nothing more is sent."""


class StorageFailed(BulkUpdateError):
    """A file the run keeps (its journal, report or backup) could not be written: the disk is
    full, say. Nothing more is sent; what the journal committed stays for a resume.

    ``sent`` says whether any request had gone out (the command line's exit code differs).
    """

    def __init__(self, what: str, path: object, reason: str, *, sent: bool = False):
        then = (
            "Nothing more was sent; free some space, then run the same command again with "
            "{resume} (every row confirmed so far stays done)"
            if sent
            else "Nothing was sent; free some space, then run the same command again"
        )
        template = f"cannot write the {escape(what)} {escape(str(path))}: {escape(reason)}. {then}"

        super().__init__(template.format_map(SettingNames({})), template=template)
        self.what = what
        self.path = path
        self.reason = reason
        self.sent = sent

    def having_sent(self, sent: bool) -> StorageFailed:
        return StorageFailed(self.what, self.path, self.reason, sent=sent)


def storage_reason(error: BaseException) -> str:
    """What the OS (or SQLite) said, as a person reads it: "no space left on device",
    "address already in use" (the OS's own words for the error number, not a library's
    longer sentence around them)."""
    import os
    import sqlite3

    if isinstance(error, OSError):
        return (os.strerror(error.errno) if error.errno else str(error)).lower()
    if isinstance(error, sqlite3.OperationalError) and "full" in str(error):
        return "no space left on device"
    return str(error)
