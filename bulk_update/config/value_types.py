"""The value types of settings: how a sheet writes numbers and dates, a request rate, and
the base URL check that keeps the token off clear-text connections."""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from bulk_update.errors import UsageError, escape

DateOrder = Literal["dayfirst", "monthfirst"]
ReadVia = Literal["search", "get"]


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
        match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*", text)
        if not match:
            raise UsageError.naming_settings(
                "{rate} must look like 1666/10 (requests/seconds: a number alone could mean "
                "per second or per window), got " + escape(repr(text))
            )
        return cls(int(match.group(1)), float(match.group(2)))

    @classmethod
    def of(cls, given: Rate | str) -> Rate:
        return given if isinstance(given, Rate) else cls.parse(given)

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


# --- what a caller gives, as the value a setting holds --------------------------------


def to_path(value: Any) -> Path:
    return Path(value)


def to_names(given: Iterable[str]) -> frozenset[str]:
    return frozenset(name.strip() for name in given)


def to_renames(
    given: Mapping[str, str] | Iterable[str] | Iterable[tuple[str, str]],
) -> tuple[tuple[str, str], ...]:
    """{OLD: new}, ('OLD', 'new') pairs or 'OLD=new' texts (OLD may itself hold '='), as pairs."""
    items = given.items() if isinstance(given, Mapping) else given
    pairs = []
    for item in items:
        if isinstance(item, str):
            old, equals, new = item.rpartition("=")
            if not equals:
                old = ""
        else:
            old, new = item
        if not old.strip() or not new.strip():
            raise UsageError.naming_settings("{renames} takes 'OLD=new', got " + escape(repr(item)))
        pairs.append((old.strip(), new.strip()))
    return tuple(pairs)
