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
from collections.abc import Sequence
from typing import Any

from bulk_update.errors import Setting
from bulk_update.models import PreparedUpdate
from bulk_update.send.client import ApiResponse, IntercomClient
from bulk_update.send.retry import Caller, CallLabel
from bulk_update.send.searching import MAX_PER_PAGE, post_search, search_body

log = logging.getLogger(__name__)


class Reads:
    """Where rows' conversations are read from: a batch fetched ahead, else a ``GET``."""

    def __init__(self, client: IntercomClient, caller: Caller, *, via: str = "search"):
        self._client = client
        self._caller = caller
        self._by_search = via == "search"
        self._ahead: dict[str, dict[str, Any]] = {}

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
        ``GET`` (what this run itself changed moments ago; a note's parts)."""
        ahead = self._ahead.pop(update.conversation_id, None)
        if ahead is not None and not exact:
            return ApiResponse(200, data=ahead), 0
        label = CallLabel(update.row, update.conversation_id)
        return await self._caller.call(
            lambda: self._client.get_conversation(update.conversation_id), label
        )
