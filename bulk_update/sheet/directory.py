"""The workspace's teammates, teams and tags, as a sheet's names are looked up in them:
fetched once per run (``send.lookups.fetch_directory``), pure here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bulk_update.errors import escape
from bulk_update.sheet.values import ValueProblem, did_you_mean

UNASSIGNED = "0"  # Intercom's assignee_id for nobody
UNASSIGNED_WORDS = frozenset({"unassigned", "unassign", "nobody", "none"})  # a cell for nobody


@dataclass(frozen=True)
class Named:
    """A teammate, team or tag: its id and what people call it."""

    id: str
    name: str
    email: str = ""

    @property
    def shown(self) -> str:
        return self.email or self.name or self.id


@dataclass
class Directory:
    """The workspace's teammates, teams and tags, read once per run. Tags may be added to
    (created by the run)."""

    admins: tuple[Named, ...] = ()
    teams: tuple[Named, ...] = ()
    tags: list[Named] = field(default_factory=list)

    @classmethod
    def from_listings(cls, admins: Any, teams: Any, tags: Any) -> Directory:
        """From the bodies of ``GET /admins``, ``GET /teams`` and ``GET /tags``."""
        return cls(
            tuple(_named(item) for item in _items(admins, "admins")),
            tuple(_named(item) for item in _items(teams, "teams")),
            [_named(item) for item in _items(tags, "data") or _items(tags, "tags")],
        )

    def admin(self, text: str) -> Named:
        """A teammate by id or email (any case), or ValueProblem with a guess."""
        wanted = text.strip()
        for admin in self.admins:
            if wanted == admin.id or wanted.casefold() == admin.email.casefold():
                return admin
        by_name = [admin for admin in self.admins if admin.name.casefold() == wanted.casefold()]
        if len(by_name) == 1:
            return by_name[0]
        known = [admin.email for admin in self.admins if admin.email]
        raise ValueProblem(
            f"no teammate has the email or id {wanted!r}{did_you_mean(wanted, known)}"
        )

    def team(self, text: str) -> Named:
        wanted = text.strip()
        for team in self.teams:
            if wanted == team.id or wanted.casefold() == team.name.casefold():
                return team
        names = [team.name for team in self.teams]
        raise ValueProblem(f"no team has the name or id {wanted!r}{did_you_mean(wanted, names)}")

    def tag(self, name: str) -> Named | None:
        """A tag by name; names match in any case, as Intercom's own do."""
        folded = name.strip().casefold()
        return next((tag for tag in self.tags if tag.name.casefold() == folded), None)

    def missing_tag(self, name: str, *, creatable: bool = True) -> ValueProblem:
        """The tag is not in the workspace; a sheet may create it (``creatable``), a search
        can only look for the tags there are."""
        guess = did_you_mean(name, [tag.name for tag in self.tags])
        way_on = " to create the tags that are missing" if creatable else ""
        return ValueProblem.naming_settings(
            f"there is no tag {escape(repr(name))}{escape(guess)}; fix the name"
            + (", or set {create_tags}" + way_on if creatable else "")
        )

    def assignee_shown(self, kind: str, assignee_id: object) -> str:
        """How the report shows an assignee: an email, a team's name, or ``unassigned``."""
        if assignee_id in (None, "", 0, UNASSIGNED):
            return "unassigned"
        known = self.admins if kind == "admin" else self.teams
        found = next((item for item in known if item.id == str(assignee_id)), None)
        return found.shown if found is not None else str(assignee_id)


def _items(listing: Any, key: str) -> list[dict[str, Any]]:
    items = listing.get(key) if isinstance(listing, dict) else None
    return [item for item in items or [] if isinstance(item, dict) and "id" in item]


def _named(item: dict[str, Any]) -> Named:
    return Named(str(item["id"]), str(item.get("name") or ""), str(item.get("email") or ""))
