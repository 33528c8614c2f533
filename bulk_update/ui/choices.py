"""What the page chose (how the sheet reads, who acts, the run's switches) and where its
requests go: the library's own settings, by the names the library takes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bulk_update.config import Token


@dataclass
class Connection:
    """Where the page's requests go: the library's connection settings and the token (which
    stays in this process; the page never sees it)."""

    settings: dict[str, Any]
    token: Token | str | None


_SWITCHES = ("skip_unchanged", "overwrite_conflicts", "create_tags")


@dataclass
class Choices:
    """What the page chose: how the sheet reads (locale, columns) and who acts."""

    decimal_comma: bool | None = None
    date_order: str | None = None
    timezone: str = "UTC"
    ignore_columns: tuple[str, ...] = ()
    renames: tuple[str, ...] = ()
    admin: str | None = None
    # What a run does besides sending every valid row (the CLI's flags of the same names).
    skip_unchanged: bool = False
    overwrite_conflicts: bool = False
    create_tags: bool = False

    @classmethod
    def from_json(cls, given: dict[str, Any]) -> Choices:
        def text(name: str) -> str | None:
            value = given.get(name)
            return str(value).strip() or None if value is not None else None

        decimal = given.get("decimal_comma")
        return cls(
            decimal_comma=decimal if isinstance(decimal, bool) else None,
            date_order=text("date_order"),
            timezone=text("timezone") or "UTC",
            ignore_columns=tuple(str(name) for name in given.get("ignore_columns") or ()),
            renames=tuple(str(rename) for rename in given.get("renames") or ()),
            admin=text("admin"),
            **{name: given.get(name) is True for name in _SWITCHES},
        )

    def settings(self) -> dict[str, Any]:
        chosen: dict[str, Any] = {"timezone": self.timezone}
        if self.decimal_comma is not None:
            chosen["decimal_comma"] = self.decimal_comma
        if self.date_order:
            chosen["date_order"] = self.date_order
        if self.ignore_columns:
            chosen["ignore_columns"] = self.ignore_columns
        if self.renames:
            chosen["renames"] = self.renames
        if self.admin:
            chosen["admin"] = self.admin
        chosen.update({name: True for name in _SWITCHES if getattr(self, name)})
        return chosen
