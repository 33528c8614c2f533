"""What each Intercom-Version brings: a numbered version has what every one before it has,
and ``Preview`` (and ``Unstable``, its name until April 2026) what every numbered one has
and what Preview alone has."""

from __future__ import annotations

PREVIEW = "Preview"


def has_since(version: str, since: str) -> bool:
    """Whether Intercom-Version ``version`` has what ``since`` (a numbered version, or
    ``Preview``) brought."""
    number, wanted = _number(version), _number(since)
    if wanted is None:  # only in Preview
        return number is None
    return number is None or number >= wanted


def _number(version: str) -> tuple[int, ...] | None:
    """``2.15`` as (2, 15); None for a named version (Preview, Unstable)."""
    parts = version.strip().split(".")
    return tuple(int(part) for part in parts) if all(p.isdigit() for p in parts) else None
