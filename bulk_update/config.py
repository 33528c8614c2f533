"""Settings for a run: frozen dataclasses, validated when built, plus the secret token."""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from bulk_update.errors import UsageError, escape

REGION_BASE_URLS = {
    "us": "https://api.intercom.io",
    "eu": "https://api.eu.intercom.io",
    "au": "https://api.au.intercom.io",
}
DEFAULT_API_VERSION = "2.14"
DEFAULT_CLEAR_MARKER = "#N/A"
TOKEN_ENV_VAR = "INTERCOM_ACCESS_TOKEN"

DateOrder = Literal["dayfirst", "monthfirst"]


@dataclass(frozen=True)
class Conventions:
    """How the sheet writes numbers and dates."""

    decimal_comma: bool = False
    date_order: DateOrder | None = None
    timezone: str = "UTC"

    def __post_init__(self) -> None:
        try:
            zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise UsageError.naming_settings(
                "{timezone} must be an IANA time zone such as Europe/Paris, got "
                + escape(repr(self.timezone))
            ) from None

    @property
    def zone(self) -> dt.tzinfo:
        return dt.UTC if self.timezone == "UTC" else zoneinfo.ZoneInfo(self.timezone)


POINT = Conventions()


class Token:
    """The access token. Its text is only reachable through :meth:`reveal`.

    ``str()``, ``repr()`` and formatting all show ``***`` so that the token cannot slip
    into a log line, an exception message or a report by accident.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str):
        value = value.strip()
        if not value:
            raise UsageError("the access token is empty")
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Token('***')"

    __str__ = __repr__

    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("a Token cannot be pickled")


@dataclass(frozen=True)
class Rate:
    """At most ``requests`` per ``seconds``: the static ceiling of ``--rate``."""

    requests: int
    seconds: float

    def __post_init__(self) -> None:
        if self.requests < 1 or self.seconds <= 0:
            raise UsageError.naming_settings(
                "{rate} must be N/SECONDS with N >= 1 and SECONDS > 0, got " + escape(str(self))
            )

    @classmethod
    def parse(cls, text: str) -> Rate:
        match = re.fullmatch(r"\s*(\d+)\s*(?:/\s*(\d+(?:\.\d+)?)\s*)?", text)
        if not match:
            raise UsageError.naming_settings(
                "{rate} must look like 1666/10 (requests/seconds), got " + escape(repr(text))
            )
        return cls(int(match.group(1)), float(match.group(2) or 1))

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    def __str__(self) -> str:
        return f"{self.requests}/{self.seconds:g}"


def is_loopback_url(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_base_url(url: str) -> str:
    """The token is only ever sent over HTTPS, or in clear to this machine (the sandbox)."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UsageError.naming_settings(
            "{base_url} must be an http(s) URL, got " + escape(repr(url))
        )
    if parts.scheme == "http" and not is_loopback_url(url):
        raise UsageError(
            f"refusing to send the access token in clear text to {parts.hostname}: "
            "use an https:// base URL (plain http is allowed only for loopback addresses)"
        )
    return url.rstrip("/")


@dataclass(frozen=True)
class ReadOptions:
    """How the input sheet is read and which of its columns are changes."""

    delimiter: str | None = None
    encoding: str | None = None
    sheet: str | None = None
    ignore_columns: frozenset[str] = frozenset()
    # (header, name): read that column as this attribute (or id, read, title).
    renames: tuple[tuple[str, str], ...] = ()
    clear_marker: str = DEFAULT_CLEAR_MARKER
    # None: a ';'-separated text file means a decimal comma (Excel where the comma is the
    # decimal separator writes ';'), anything else a decimal point.
    decimal_comma: bool | None = None
    # How day/month/year dates are written; None leaves them invalid (never guessed).
    date_order: DateOrder | None = None
    # The time zone of date-times written without one.
    timezone: str = "UTC"

    def __post_init__(self) -> None:
        if self.date_order not in (None, "dayfirst", "monthfirst"):
            raise UsageError.naming_settings(
                "{date_order} must be 'dayfirst' or 'monthfirst', got "
                + escape(repr(self.date_order))
            )
        Conventions(timezone=self.timezone)  # an unknown zone is a usage error now

    def conventions(self, delimiter: str | None) -> Conventions:
        """How to read numbers and dates of a file with this delimiter (None: a workbook)."""
        decimal_comma = self.decimal_comma
        if decimal_comma is None:
            decimal_comma = delimiter == ";"
        return Conventions(decimal_comma, self.date_order, self.timezone)


@dataclass(frozen=True)
class SendOptions:
    """Where and how fast requests go."""

    base_url: str = REGION_BASE_URLS["us"]
    api_version: str = DEFAULT_API_VERSION
    rate: Rate = field(default_factory=lambda: Rate(1666, 10))
    headroom_percent: float = 0.0
    concurrency: int = 20
    max_retries: int = 6
    timeout: float = 30.0
    max_failures: int | None = None
    max_wait: float = 60.0
    log_bodies: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_url", check_base_url(self.base_url))
        if self.concurrency < 1:
            raise UsageError.naming_settings("{concurrency} must be at least 1")
        if self.max_retries < 0:
            raise UsageError.naming_settings("{max_retries} must be 0 or more")
        if self.timeout <= 0:
            raise UsageError.naming_settings("{timeout} must be more than 0 seconds")
        if self.max_failures is not None and self.max_failures < 1:
            raise UsageError.naming_settings("{max_failures} must be at least 1")
        if self.max_wait <= 0:
            raise UsageError.naming_settings("{max_wait} must be more than 0 seconds")
        if not 0 <= self.headroom_percent < 100:
            raise UsageError.naming_settings(
                "{headroom_percent} must be a percentage from 0 to below 100"
            )


@dataclass(frozen=True)
class JobSettings:
    """Everything one run needs except the token and the progress display."""

    # None when the rows come from elsewhere (a DataFrame, see ``bulk_update.run``).
    input_path: Path | None = None
    # None writes no report file (the outcomes are only returned) and keeps no journal.
    report_path: Path | None = None
    read: ReadOptions = field(default_factory=ReadOptions)
    send: SendOptions = field(default_factory=SendOptions)
    schema_path: Path | None = None
    dry_run: bool = False
    limit: int | None = None
    resume: bool = False
    force: bool = False
    summary_json: Path | None = None
    # Only rows whose ``status`` column holds one of these (``bulk-update retry REPORT``).
    only_statuses: frozenset[str] | None = None
    # False keeps the journal in memory: no --resume, for benchmarks and throwaway runs.
    durable_journal: bool = True
    # Read each conversation first (GET) to back up, skip what is in place, or (with
    # dry_run) report before → after.
    backup_path: Path | None = None
    skip_unchanged: bool = False
    live: bool = False
    # The teammate (email or id) that actions (close, assign, tag, note) are made as.
    admin: str | None = None
    # Create the tags that action cells name and the workspace lacks (POST /tags).
    create_tags: bool = False
    # How read-first modes read: "search" (150 conversations a request) or "get" (exact).
    read_via: str = "search"

    def __post_init__(self) -> None:
        if self.limit is not None and self.limit < 0:
            raise UsageError.naming_settings("{limit} must be 0 or more")
        if self.resume and self.report_path is None:
            raise UsageError.naming_settings(
                "{resume} continues from the journal beside {report_path}: give one"
            )
        if self.force and not self.resume:
            raise UsageError.naming_settings("{force} only makes sense with {resume}")
        if self.live and not self.dry_run:
            raise UsageError.naming_settings(
                "{live} goes with {dry_run} (a live dry run reads, never writes)"
            )
        if self.read_via not in ("search", "get"):
            raise UsageError.naming_settings(
                "{read_via} must be 'search' or 'get', got " + escape(repr(self.read_via))
            )
        if self.dry_run and self.backup_path is not None:
            raise UsageError.naming_settings(
                "{backup_path} saves values before writing them; a dry run writes nothing"
            )

    @property
    def reads_first(self) -> bool:
        return self.backup_path is not None or self.skip_unchanged or self.live

    @property
    def journal_path(self) -> Path | None:
        if self.report_path is None:
            return None
        return self.report_path.with_name(self.report_path.name + ".journal")


def default_report_path(input_path: Path, *, dry_run: bool = False) -> Path:
    """``<input>.results.csv``; a dry run's goes beside it as ``<input>.dry-run.csv`` so that
    it never takes the place of a real run's report."""
    kind = "dry-run" if dry_run else "results"
    return input_path.with_name(f"{input_path.stem}.{kind}.csv")
