"""What each Intercom-Version brings: a numbered version has what every one before it has,
and ``Preview`` (and ``Unstable``, its name until April 2026) what every numbered one has
and what Preview alone has."""

from __future__ import annotations

import re

from bulk_update.errors import UsageError, escape

PREVIEW = "Preview"
# Why this one: README's "API versions" (the same requests as 2.14 and 2.16, with quiet notes,
# and a schema read that still says which attributes the API cannot write).
DEFAULT_API_VERSION = "2.15"
# The named versions, as Intercom spells them (any case is taken).
_NAMED = {"preview": PREVIEW, "unstable": "Unstable"}


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


def intercom_version(given: object) -> str:
    """An Intercom-Version as Intercom spells it: a numbered one (``2.15``), or ``Preview``
    (``Unstable``, its name until April 2026). Anything else would go out as a header Intercom
    does not know (and be taken here for a version newer than all): refused."""
    text = given.strip() if isinstance(given, str) else ""
    if re.fullmatch(r"\d+\.\d+", text):
        return text
    named = _NAMED.get(text.casefold())
    if named is None:
        raise UsageError.naming_settings(
            f"{{api_version}}: {escape(repr(given))} is not an Intercom-Version: give a "
            "numbered one such as 2.14, 2.15 or 2.16 (as text), or Preview"
        )
    return named
