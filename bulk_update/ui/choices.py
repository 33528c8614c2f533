"""What the page chose (how the sheet reads, who acts, the run's switches) and where its
requests go: held as the library's own settings objects, under the library's names, checked
and converted by them as every other caller's settings are."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from bulk_update.config import JobSettings, KeyOptions, ReadOptions, Token, pick
from bulk_update.errors import UsageError, escape


@dataclass
class Connection:
    """Where the page's requests go: the library's connection settings and the token (which
    stays in this process; the page never sees it)."""

    settings: dict[str, Any]
    token: Token | str | None


# The settings the page lets a person choose, by the library's names, and whose they are.
PAGE_SETTINGS: dict[type, tuple[str, ...]] = {
    ReadOptions: ("decimal_comma", "date_order", "timezone", "ignore_columns", "renames"),
    JobSettings: ("admin", "skip_unchanged", "overwrite_conflicts", "create_tags"),
    KeyOptions: ("key", "match"),
}
_CHOSEN = frozenset(name for names in PAGE_SETTINGS.values() for name in names)


class Choices:
    """What the page chose: a :class:`ReadOptions`, a :class:`JobSettings` and a
    :class:`KeyOptions` built from it
    (a value they refuse is refused here, in their words); a setting left empty (None, ``""``,
    an empty list, ``False``) is left at the library's default."""

    def __init__(self, **chosen: Any) -> None:
        unknown = sorted(set(chosen) - _CHOSEN)
        if unknown:
            raise UsageError(f"the page has no setting {escape(', '.join(unknown))}")
        given = {name: value for name, value in chosen.items() if _given(value)}
        if isinstance(given.get("admin"), str):
            given["admin"] = given["admin"].strip() or None
        self.read = ReadOptions(**pick(ReadOptions, given))
        self.run = JobSettings(**pick(JobSettings, given))
        self.keys = KeyOptions(**pick(KeyOptions, given))

    @classmethod
    def from_json(cls, given: dict[str, Any]) -> Choices:
        """The page's JSON: its switches must be true or false, not text that looks so."""
        for name, value in given.items():
            if isinstance(_default(name), bool) and not isinstance(value, bool | None):
                raise UsageError.naming_settings(
                    "{" + name + "} is a switch: true or false, got " + escape(repr(value))
                )
        return cls(**given)

    @property
    def admin(self) -> str | None:
        return self.run.admin

    def settings(self) -> dict[str, Any]:
        """The settings chosen (those not at the library's default), by the library's names,
        as the library's objects hold them."""
        chosen = {}
        for holder in (self.read, self.run, self.keys):
            for name in PAGE_SETTINGS[type(holder)]:
                value = getattr(holder, name)
                if value != _default(name):
                    chosen[name] = value
        return chosen


def _given(value: Any) -> bool:
    return value is not None and value is not False and value != "" and value != [] and value != ()


def _default(name: str) -> Any:
    """The library's default for a setting the page chooses."""
    for holder, names in PAGE_SETTINGS.items():
        if name in names:
            return next(f for f in dataclasses.fields(holder) if f.name == name).default
    return None
