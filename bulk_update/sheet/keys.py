"""Sheets keyed by what people have instead of Intercom's conversation ids: a contact's email,
external id or Intercom id, or a conversation attribute (``zendesk_ticket_id``). Which column
is the key, and each key cell as it is searched; the search itself is
:mod:`bulk_update.send.resolution`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from bulk_update.errors import InputError, escape
from bulk_update.models import BASE_COLUMN
from bulk_update.sheet.columns import ID_COLUMNS, KEY_HEADERS, folded_header

KeyKind = Literal["email", "external_id", "contact_id", "attribute"]
# An address as Intercom keeps one: something@somewhere.tld, no spaces.
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@dataclass(frozen=True)
class Key:
    """The column whose cells say which conversations a row is about."""

    column: str  # the header, as the sheet writes it
    index: int
    kind: KeyKind
    # The conversation attribute an ``attribute`` key is searched by.
    attribute: str | None = None

    @property
    def described(self) -> str:
        """How the summary tells the key: the column and what it is read as."""
        what = {
            "email": "a contact's email",
            "external_id": "a contact's external id",
            "contact_id": "a contact's Intercom id",
            "attribute": f"the conversation attribute {self.attribute}",
        }[self.kind]
        return f"{self.column} ({what})"


def find_key(path: Path, columns: Sequence[str], named: str | None) -> Key | None:
    """The sheet's key column, or None for a sheet of conversation ids. ``named`` (the key
    setting) says which column decides: ``id``, a key header, or a conversation attribute's
    name (a column of that name). Without it, a key header keys a sheet that has no id
    column; a sheet with both is refused, as is a sheet with two key columns."""
    folded = [folded_header(column) for column in columns]
    has_id = any(name in ID_COLUMNS for name in folded)
    if has_id and BASE_COLUMN in columns and named is None:
        return None  # a file the tool exported: id decides, its key columns are information
    if named is not None:
        wanted = folded_header(named)
        if wanted in ID_COLUMNS:
            return None
        if wanted not in folded:
            raise InputError(
                path,
                f"{{key}} names {escape(repr(named))}, which is no column of this sheet (its "
                f"columns: {escape(', '.join(columns))})",
                names_settings=True,
            )
        index = folded.index(wanted)
        kind: KeyKind = KEY_HEADERS.get(wanted, "attribute")
        return Key(columns[index], index, kind, named.strip() if kind == "attribute" else None)
    keyed = [index for index, name in enumerate(folded) if name in KEY_HEADERS]
    if not keyed:
        return None
    if has_id:
        found = escape(columns[keyed[0]])
        raise InputError(
            path,
            f"has both an id column and the key column {found}: say which one decides with "
            f"{{key}} (id, or {found}); nothing was sent",
            names_settings=True,
        )
    if len(keyed) > 1:
        both = escape(" and ".join(columns[index] for index in keyed))
        raise InputError(
            path,
            f"has two key columns ({both}): say which one decides with {{key}}",
            names_settings=True,
        )
    index = keyed[0]
    return Key(columns[index], index, KEY_HEADERS[folded[index]])


def key_value(key: Key, cell: str) -> tuple[str | None, str | None]:
    """The key a cell holds as it is searched, and what is wrong with it (a row's problem).
    Leading and trailing spaces are trimmed; a space inside an external id is its own."""
    value = cell.strip()
    if not value:
        return None, f"the key {key.column!r} is empty: fill it in, or leave the row out"
    if key.kind == "email" and not _EMAIL.fullmatch(value):
        return None, f"{value!r} is not an email address"
    if key.kind == "contact_id" and any(char.isspace() for char in value):
        return None, f"{value!r} is not a contact's Intercom id (it holds a space)"
    return value, None
