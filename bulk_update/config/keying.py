"""The settings of a sheet keyed by what people have instead of conversation ids (a contact's
email, external id or id, or a conversation attribute): which column decides, what a key
matching several conversations does, and the conditions that narrow what a key matches."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bulk_update.config.fields import convert_given, setting, to_texts
from bulk_update.errors import UsageError, escape

Match = Literal["one", "all", "latest"]
MATCHES: tuple[Match, ...] = ("one", "all", "latest")


@dataclass(frozen=True)
class KeyOptions:
    """Which conversations each row of a sheet without their ids is about."""

    key: str | None = setting(
        None,
        "--key",
        "the column that says which conversations a row is about: contact_email, "
        "contact_external_id, contact_id, or a conversation attribute's name (a sheet with "
        "an id column and a key column needs it: id, or the key column)",
        metavar="NAME",
    )
    match: Match = setting(
        "one",
        "--match",
        "what a key matching several conversations does: one (the default: such a row is "
        "ambiguous and not sent), all (every one), latest (the last updated)",
        choices=MATCHES,
    )
    where: tuple[str, ...] = setting(
        (),
        "--where",
        "with {key}: a key matches only conversations meeting this condition, written as "
        "export's (repeatable; 'state = open')",
        metavar="CONDITION",
        repeatable=True,
        convert=to_texts,
    )

    resolve_again: bool = setting(
        False,
        "--resolve-again",
        "with a keyed report: search again the keys of rows that recorded conversations (a "
        "customer's conversations since are then included; those no longer matched are not "
        "sent)",
    )

    def __post_init__(self) -> None:
        convert_given(self)
        if self.match not in MATCHES:
            raise UsageError.naming_settings(
                "{match} must be one, all or latest, got " + escape(repr(self.match))
            )
