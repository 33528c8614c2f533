"""What reading a sheet's action cells needs: the workspace's names, the clear marker, the
sheet's dates, whether missing tags may be created (and which). The table of actions
(``sheet.action_table``) says what each column's cell means; this holds what those readers
share across the rows of a run. Pure, no I/O: the names are fetched by
``send.lookups.fetch_directory``."""

from __future__ import annotations

from collections.abc import Callable

from bulk_update.config import Conventions
from bulk_update.sheet.directory import Directory
from bulk_update.sheet.values import DateReader, ValueProblem, iso_8601, split_list


class ActionCells:
    """The readers' shared context for one run's rows."""

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
        self.clear_marker = clear_marker
        # snoozed_until's reader: it counts the times read in the sheet's zone.
        self.dates = DateReader(conventions.date_order, conventions.zone)
        self._create_tags = create_tags
        self._now = now
        self.tags_to_create: dict[str, str] = {}  # folded name → the name as first written

    def future(self, text: str) -> int:
        """A time ahead (unix seconds), or ValueProblem."""
        seconds = self.dates(text)
        if seconds <= self._now():
            raise ValueProblem(f"{text!r} ({iso_8601(seconds)}) is in the past; snooze until later")
        return seconds

    def tag_names(self, text: str, *, may_create: bool) -> tuple[str, ...]:
        """Tag names as the workspace spells them (or, where tags may be created, as first
        written), each once."""
        names = [name for name in split_list(text, "tag name") if name]
        if not names:
            raise ValueProblem(f"{text!r} names no tag")
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
