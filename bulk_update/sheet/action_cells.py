"""Conversation actions as sheet columns: what each reserved column means, how its cells are
read, and the teammates, teams and tags that names are looked up in.

A row's actions state where the conversation should end up (closed, assigned to Ada, tagged
``migrated``, with a note); ``conversation_steps`` works out the requests that get it there.
Pure, no I/O: the lookups are fetched by ``workspace.fetch_directory``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bulk_update.config import Conventions
from bulk_update.errors import escape
from bulk_update.models import RowActions
from bulk_update.sheet.values import (
    DateReader,
    ValueProblem,
    did_you_mean,
    iso_8601,
    split_list,
)

# Reserved column names (``company_id`` is not here: it is a field of the PUT body).
ACTION_COLUMNS = (
    "state",
    "snoozed_until",
    "admin_assignee",
    "team_assignee",
    "add_tags",
    "remove_tags",
    "tags",
    "note",
)
# A conversation's own state, as cells of those columns: what a backup keeps of a
# conversation acted on (for undo) and what an export writes by default.
STATE_COLUMNS = ("state", "snoozed_until", "admin_assignee", "team_assignee", "tags")
_STATE_WORDS = {"open": "open", "opened": "open", "reopen": "open"} | {
    "close": "closed",
    "closed": "closed",
    "snooze": "snoozed",
    "snoozed": "snoozed",
}
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


class ActionCells:
    """Reads the action columns' cells of a row into :class:`RowActions`: each cell alone
    (:meth:`value`), then the row as a whole (:meth:`combine`)."""

    def __init__(
        self,
        directory: Directory,
        *,
        clear_marker: str,
        conventions: Conventions,
        create_tags: bool,
        now: Callable[[], float],
    ):
        self.directory = directory
        self._marker = clear_marker
        # snoozed_until's reader: it counts the times read in the sheet's zone.
        self.dates = DateReader(conventions.date_order, conventions.zone)
        self._create_tags = create_tags
        self._now = now
        self.tags_to_create: dict[str, str] = {}  # folded name → the name as first written

    def value(self, column: str, text: str) -> Any:
        """One cell's meaning, or ValueProblem."""
        cleared = text == self._marker
        if column in ("admin_assignee", "team_assignee"):
            if cleared or text.strip().casefold() in UNASSIGNED_WORDS:
                return UNASSIGNED
            if column == "admin_assignee":
                return self.directory.admin(text).id
            return self.directory.team(text).id
        if column == "tags" and cleared:
            return ()  # the exact set: none
        if cleared:
            raise ValueProblem(f"{column!r} cannot be cleared with {self._marker!r}")
        if column == "state":
            state = _STATE_WORDS.get(text.strip().casefold())
            if state is None:
                raise ValueProblem(f"{text!r} is not a state: use open, closed or snoozed")
            return state
        if column == "snoozed_until":
            return self._future(text)
        if column in ("add_tags", "remove_tags", "tags"):
            # A tag to remove must exist: a misspelt one would otherwise pass as in place.
            return self._tag_names(text, may_create=column != "remove_tags")
        if column == "note":
            if not text.strip():
                raise ValueProblem("the note is only spaces")
            return text
        raise AssertionError(f"not an action column: {column}")

    def combine(self, values: Mapping[str, Any]) -> RowActions:
        """The row's actions from its non-empty action cells, or ValueProblem for what only
        the cells together show."""
        state = values.get("state")
        until = values.get("snoozed_until")
        if until is not None and state in ("open", "closed"):
            raise ValueProblem(
                f"'snoozed_until' goes with the state snoozed, not {state}; empty one of them"
            )
        if state == "snoozed" and until is None:
            raise ValueProblem("the state snoozed needs a time in 'snoozed_until'")
        added, removed = values.get("add_tags", ()), values.get("remove_tags", ())
        both = {name.casefold() for name in added} & {name.casefold() for name in removed}
        if both:
            raise ValueProblem(
                f"the tag {sorted(both)[0]!r} is both in 'add_tags' and 'remove_tags'"
            )
        return RowActions(
            state="snoozed" if until is not None else state,
            snoozed_until=until,
            admin_assignee=values.get("admin_assignee"),
            team_assignee=values.get("team_assignee"),
            add_tags=tuple(added),
            remove_tags=tuple(removed),
            tags=values.get("tags"),
            note=values.get("note"),
        )

    def _future(self, text: str) -> int:
        seconds = self.dates(text)
        if seconds <= self._now():
            raise ValueProblem(f"{text!r} ({iso_8601(seconds)}) is in the past; snooze until later")
        return seconds

    def _tag_names(self, text: str, *, may_create: bool) -> tuple[str, ...]:
        names = _split_names(text)
        spelled: list[str] = []
        for name in names:
            tag = self.directory.tag(name)
            if tag is not None:
                spelled.append(tag.name)
            elif self._create_tags and may_create:
                spelled.append(self.tags_to_create.setdefault(name.casefold(), name))
            else:
                raise self.directory.missing_tag(name)
        return tuple(dict.fromkeys(spelled))


def _split_names(text: str) -> list[str]:
    """Tag names: a JSON array of strings, or names separated by ``;`` or ``,``."""
    names = [name for name in split_list(text, "tag name") if name]
    if not names:
        raise ValueProblem(f"{text!r} names no tag")
    return names
