"""Batched reads for the modes that read before writing (``--backup``, ``--skip-unchanged``,
``--dry-run --live``, actions): one ``POST /conversations/search`` with ``id IN [...]`` for up
to 150 rows, instead of a ``GET`` per row.

A conversation the search does not return (deleted, or not yet in Intercom's search index)
is read with ``GET /conversations/{id}``; a search refused altogether turns every later read
into a ``GET``, with one warning. Intercom's search index is near-real-time, not instant: a
conversation changed seconds ago may be read as it was (``read_via="get"`` is exact).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from bulk_update.errors import Setting
from bulk_update.models import PreparedUpdate
from bulk_update.send.client import ApiResponse, IntercomClient
from bulk_update.send.retry import Caller, CallLabel
from bulk_update.send.searching import MAX_PER_PAGE, post_search, search_body

log = logging.getLogger(__name__)
T = TypeVar("T")

# How long an answer a dry run read stands in for the run that follows it: the time a person
# takes from a review (or a Preview) to Confirm. The run's backup and plan are then the
# conversation as the review read it: the same staleness ``read_via="search"`` documents.
KEPT_FOR_SECONDS = 300.0


class ReadsKept:
    """Conversations a dry run read (each ``GET``'s answer: found, or 404), for the run that
    follows it to use instead of reading each one again (the page's review, then Run). A real
    run takes each answer out as it uses it (it is about to change that conversation) and
    keeps none: whoever holds this drops it once a run has changed conversations."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._answers: dict[str, tuple[float, ApiResponse]] = {}
        # The workspace's attributes, teammates and tags, by name: read once, not per step.
        self._lookups: dict[str, tuple[float, Any]] = {}

    def keep(self, conversation_id: str, answer: ApiResponse) -> None:
        self._answers[conversation_id] = (self._clock(), answer)

    def lookup(self, name: str) -> Any:
        held = self._lookups.get(name)
        return None if held is None or self._clock() - held[0] > KEPT_FOR_SECONDS else held[1]

    def keep_lookup(self, name: str, value: Any) -> None:
        self._lookups[name] = (self._clock(), value)

    def take(self, conversation_id: str, *, leave: bool) -> ApiResponse | None:
        """The answer kept for the conversation, if not older than
        :data:`KEPT_FOR_SECONDS`; left for later readers when ``leave`` (a dry run)."""
        answers = self._answers
        kept = answers.get(conversation_id) if leave else answers.pop(conversation_id, None)
        if kept is None or self._clock() - kept[0] > KEPT_FOR_SECONDS:
            return None
        return kept[1]


async def looked_up(kept: ReadsKept | None, name: str, fetch: Callable[[], Awaitable[T]]) -> T:
    """The workspace's ``name`` (its attributes; its teammates, teams and tags) as ``kept``
    holds it from the last :data:`KEPT_FOR_SECONDS`, else fetched (and kept)."""
    if kept is None:
        return await fetch()
    held = kept.lookup(name)
    if held is None:
        held = await fetch()
        kept.keep_lookup(name, held)
    found: T = held
    return found


class Reads:
    """Where rows' conversations are read from: a batch fetched ahead, else a ``GET``."""

    def __init__(
        self,
        client: IntercomClient,
        caller: Caller,
        *,
        via: str = "search",
        kept: ReadsKept | None = None,
        dry_run: bool = False,
    ):
        self._client = client
        self._caller = caller
        self._by_search = via == "search"
        self._ahead: dict[str, dict[str, Any]] = {}
        # Answers an earlier dry run read: a dry run adds to them, a real run uses them up.
        self._kept = kept
        self._dry_run = dry_run

    @property
    def batch_size(self) -> int:
        return MAX_PER_PAGE if self._by_search else 1

    async def prefetch(self, updates: Sequence[PreparedUpdate]) -> None:
        """Read the conversations of the next rows in one search (when searching)."""
        if not self._by_search or not updates:
            return
        ids = list(dict.fromkeys(update.conversation_id for update in updates))
        query = {"field": "id", "operator": "IN", "value": ids}
        called = await post_search(self._client, self._caller, search_body(query, len(ids)))
        if called is None:
            return  # the run is stopping
        response, _attempts = called
        data = response.data
        if not response.ok or not isinstance(data, dict):
            self._by_search = False
            log.warning(
                "reading conversations through search failed (%s: %s); reading each one with "
                "GET instead (%s get)",
                response.status or response.error_code,
                response.error_message or "no message",
                Setting("read_via"),
            )
            return
        for conversation in data.get("conversations") or []:
            if isinstance(conversation, dict) and "id" in conversation:
                self._ahead[str(conversation["id"])] = conversation

    async def read(
        self, update: PreparedUpdate, *, exact: bool = False
    ) -> tuple[ApiResponse, int] | None:
        """The row's conversation: from the batch read ahead, unless ``exact`` asks for a
        ``GET`` (what this run itself changed moments ago; a note's parts). Else an answer
        an earlier dry run kept, when there is one."""
        conversation_id = update.conversation_id
        kept = self._kept
        if kept is not None and not exact:
            answer = kept.take(conversation_id, leave=self._dry_run)
            if answer is not None:
                return answer, 0
        ahead = self._ahead.pop(conversation_id, None)
        if ahead is not None and not exact:
            called: tuple[ApiResponse, int] | None = (ApiResponse(200, data=ahead), 0)
        else:
            label = CallLabel(update.row, conversation_id)
            called = await self._caller.call(
                lambda: self._client.get_conversation(conversation_id), label
            )
        if kept is not None and self._dry_run and called is not None:
            answer = called[0]
            if answer.ok or answer.status == 404:
                kept.keep(conversation_id, answer)
        return called
