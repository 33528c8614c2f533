"""What each Intercom-Version brings: a numbered version has what every one before it has,
and ``Preview`` (and ``Unstable``) what every numbered one has."""

from __future__ import annotations


def has_since(version: str, since: str) -> bool:
    """Whether Intercom-Version ``version`` has what ``since`` (a numbered version) brought."""
    number = _number(version)
    return number is None or number >= (_number(since) or ())


def _number(version: str) -> tuple[int, ...] | None:
    """``2.15`` as (2, 15); None for a named version (Preview, Unstable)."""
    parts = version.strip().split(".")
    return tuple(int(part) for part in parts) if all(p.isdigit() for p in parts) else None
