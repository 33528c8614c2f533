"""What an export writes beside ``id`` to say whose each conversation is: its contacts' ids,
external ids and emails (``;``-separated when it has several). Information for people and
for sheets keyed by a contact; a file the tool exported is still decided by its ``id``, and
these columns are never sent. The emails take one ``POST /contacts/search`` a page."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bulk_update.send.client import ApiResponse, IntercomClient
from bulk_update.send.retry import Caller
from bulk_update.send.searching import MAX_PER_PAGE, Page, pages
from bulk_update.sheet.columns import KEY_INFO_COLUMNS


def key_columns(asked: Sequence[str] | None) -> list[str]:
    """The key columns among those asked, in the order asked."""
    return [name.strip() for name in asked or () if name.strip() in KEY_INFO_COLUMNS]


class KeyCells:
    """The key cells of each conversation, the emails looked up a page at a time."""

    def __init__(self, columns: list[str], client: IntercomClient, caller: Caller):
        self._columns = columns
        self._client = client
        self._caller = caller
        self._emails: dict[str, str] = {}

    async def learn(self, conversations: list[dict[str, Any]]) -> ApiResponse | None:
        """The emails of the page's contacts not known yet; the answer that refused it."""
        if "contact_email" not in self._columns:
            return None
        unknown = list(
            dict.fromkeys(
                contact_id
                for conversation in conversations
                for contact_id, _external in _contacts(conversation)
                if contact_id not in self._emails
            )
        )
        for start in range(0, len(unknown), MAX_PER_PAGE):
            batch = unknown[start : start + MAX_PER_PAGE]
            query = {"field": "id", "operator": "IN", "value": batch}
            async for page in pages(self._client, self._caller, query, model="contacts"):
                if not isinstance(page, Page):
                    return page
                for contact in page.items:
                    self._emails[str(contact.get("id"))] = str(contact.get("email") or "")
            for contact_id in batch:  # one search does not find (merged, gone): not asked again
                self._emails.setdefault(contact_id, "")
        return None

    def cells(self, conversation: dict[str, Any]) -> list[str]:
        contacts = _contacts(conversation)
        told = {
            "contact_id": [contact_id for contact_id, _external in contacts],
            "contact_external_id": [external for _id, external in contacts if external],
            "contact_email": [self._emails.get(contact_id, "") for contact_id, _ in contacts],
        }
        return [";".join(value for value in told[column] if value) for column in self._columns]


def _contacts(conversation: dict[str, Any]) -> list[tuple[str, str]]:
    listed = (conversation.get("contacts") or {}).get("contacts") or []
    return [
        (str(contact.get("id")), str(contact.get("external_id") or ""))
        for contact in listed
        if isinstance(contact, dict) and contact.get("id") is not None
    ]
