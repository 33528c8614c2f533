"""The fields of Intercom's conversation search and the operators each type takes, as
Intercom's OpenAPI description lists them (``POST /conversations/search``, 2.14): shared by
the query builder and the sandbox that answers it."""

from __future__ import annotations

import re

STRING, INTEGER, BOOLEAN, DATE = "string", "integer", "boolean", "date"

SEARCH_FIELDS: dict[str, str] = {
    "id": STRING,
    "created_at": DATE,
    "updated_at": DATE,
    "title": STRING,
    "source.type": STRING,
    "source.id": STRING,
    "source.delivered_as": STRING,
    "source.subject": STRING,
    "source.body": STRING,
    "source.author.id": STRING,
    "source.author.type": STRING,
    "source.author.name": STRING,
    "source.author.email": STRING,
    "source.url": STRING,
    "contact_ids": STRING,
    "teammate_ids": STRING,
    "admin_assignee_id": INTEGER,
    "team_assignee_id": INTEGER,
    "channel_initiated": STRING,
    "open": BOOLEAN,
    "read": BOOLEAN,
    "state": STRING,
    "waiting_since": DATE,
    "snoozed_until": DATE,
    "tag_ids": STRING,
    "priority": STRING,
    "statistics.time_to_assignment": INTEGER,
    "statistics.time_to_admin_reply": INTEGER,
    "statistics.time_to_first_close": INTEGER,
    "statistics.time_to_last_close": INTEGER,
    "statistics.median_time_to_reply": INTEGER,
    "statistics.first_contact_reply_at": DATE,
    "statistics.first_assignment_at": DATE,
    "statistics.first_admin_reply_at": DATE,
    "statistics.first_close_at": DATE,
    "statistics.last_assignment_at": DATE,
    "statistics.last_assignment_admin_reply_at": DATE,
    "statistics.last_contact_reply_at": DATE,
    "statistics.last_admin_reply_at": DATE,
    "statistics.last_close_at": DATE,
    "statistics.last_closed_by_id": STRING,
    "statistics.count_reopens": INTEGER,
    "statistics.count_assignments": INTEGER,
    "statistics.count_conversation_parts": INTEGER,
    "conversation_rating.requested_at": DATE,
    "conversation_rating.replied_at": DATE,
    "conversation_rating.score": INTEGER,
    "conversation_rating.remark": STRING,
    "conversation_rating.contact_id": STRING,
    "conversation_rating.admin_id": STRING,
    "ai_agent_participated": BOOLEAN,
    "ai_agent.resolution_state": STRING,
    "ai_agent.last_answer_type": STRING,
    "ai_agent.rating": INTEGER,
    "ai_agent.rating_remark": STRING,
    "ai_agent.source_type": STRING,
    "ai_agent.source_title": STRING,
}

# ``POST /contacts/search`` (2.14's table of accepted fields): those a sheet's key and the
# sandbox's contacts have. Its dates are matched by calendar day, which neither needs.
CONTACT_SEARCH_FIELDS: dict[str, str] = {
    "id": STRING,
    "role": STRING,
    "name": STRING,
    "email": STRING,
    "email_domain": STRING,
    "external_id": STRING,
}

OPERATORS: dict[str, frozenset[str]] = {
    STRING: frozenset({"=", "!=", "IN", "NIN", "~", "!~", "^", "$"}),
    INTEGER: frozenset({"=", "!=", "IN", "NIN", "<", ">", "<=", ">="}),
    BOOLEAN: frozenset({"=", "!=", "IN", "NIN"}),
    DATE: frozenset({"=", "<", ">"}),
}
MAX_FILTERS_PER_GROUP = 15
MAX_NESTING = 2
CUSTOM_PREFIX = "custom_attributes."
_CUSTOM_NAME = re.compile(r"custom_attributes\.(.+)")


def custom_name(field: str) -> str | None:
    """The attribute a ``custom_attributes.NAME`` field names, or None."""
    match = _CUSTOM_NAME.fullmatch(field)
    return match.group(1) if match else None
