"""What each row of a keyed sheet matches: its key read and checked, the keys resolved in
batches (:mod:`bulk_update.send.resolution`), then the match policy. ``one`` (a key must match
exactly one conversation: none is ``unmatched``, more is ``ambiguous``, with the candidates),
``all`` (every conversation it matches), ``latest`` (the most recently updated one)."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from bulk_update.config import Match, SendOptions, Token
from bulk_update.errors import InputError, SettingNames, UsageError, escape
from bulk_update.search.match_store import ROWS_AT_ONCE, MatchStore, RowMatch
from bulk_update.search.query import Condition, build_query
from bulk_update.send.client import ApiResponse, IntercomClient
from bulk_update.send.lookups import fetch_schema
from bulk_update.send.pacing import Pacer
from bulk_update.send.reads import ReadsKept, looked_up
from bulk_update.send.resolution import Found, Resolved, Resolver, compared
from bulk_update.send.retry import Caller, RetryPolicy
from bulk_update.sheet.keys import Key, key_value
from bulk_update.sheet.reader import Table
from bulk_update.sheet.schema import AttributeType, Schema

# A conversation attribute a key can be searched by (Intercom searches these by equality).
_SEARCHABLE = (AttributeType.STRING, AttributeType.INTEGER)


@dataclass(frozen=True)
class KeyMatches:
    """A keyed sheet's rows, each once, in the sheet's order (kept in ``store``), and what
    the matching cost."""

    key: Key
    store: MatchStore
    searches: int
    trimmed: int  # keys whose cell had spaces around it

    def rows(self) -> Iterator[RowMatch]:
        return self.store.rows()


@dataclass(frozen=True)
class MatchSettings:
    sheet: Path  # what messages name (a DataFrame's label)
    key: Key  # the sheet's, as find_key found it
    match: Match
    conditions: tuple[Condition, ...]
    send: SendOptions
    names: Mapping[str, str]  # what a row's message calls a setting
    # Rows whose conversations an earlier round recorded: acted on as they are, not searched.
    recorded: Mapping[int, tuple[str, ...]] = field(default_factory=dict)


async def match_keys(
    table: Table,
    settings: MatchSettings,
    token: Token,
    store: MatchStore,
    kept: ReadsKept | None = None,
) -> KeyMatches:
    """Every row of the sheet with what its key (``sheet.keys.find_key``'s) matched, into
    ``store``, a chunk of rows at a time; an attribute that cannot be searched is refused.
    The workspace's attributes, when read, are ``kept`` for the run that follows."""
    key = settings.key
    send = settings.send
    policy = RetryPolicy(max_retries=send.max_retries)
    reading = _KeyReading(key, store, settings.recorded)
    searches = 0
    async with IntercomClient.for_settings(send, token, connections=1) as client:
        narrowing = None
        if key.kind == "attribute" or settings.conditions:
            schema = await looked_up(kept, "schema", partial(fetch_schema, client, policy))
            key = reading.key = _searchable(settings.sheet, key, schema)
            if settings.conditions:
                narrowing = build_query(settings.conditions, schema)
        caller = Caller(Pacer(send.rate, max_wait=send.max_wait), policy)
        resolver = Resolver(client, caller, narrowing)
        told = SettingNames(settings.names)
        for chunk in _chunks(reading.rows(table)):
            asked = [row.key for row in chunk if row.status == "matched" and not row.matched]
            resolved = await resolver.resolve(key, asked)
            searches += resolved.searches
            if resolved.refused is not None:
                raise _refused(resolved.refused)
            store.add(
                row
                if row.status == "invalid" or row.matched
                else _matched(row, key, resolved, settings, told)
                for row in chunk
            )
    return KeyMatches(key, store, searches, reading.trimmed)


def _chunks(rows: Iterator[RowMatch]) -> Iterator[list[RowMatch]]:
    while chunk := list(itertools.islice(rows, ROWS_AT_ONCE)):
        yield chunk


def _refused(answer: ApiResponse) -> UsageError:
    return UsageError(
        f"Intercom's search refused to find the keys ({answer.status or 'no answer'}: "
        f"{answer.error_message or answer.error_code or 'no message'}); nothing was sent"
    )


class _KeyReading:
    """Each row's key read and checked (a bad or repeated key makes the row invalid); a row
    whose conversations an earlier round recorded is matched to them, unsearched."""

    def __init__(self, key: Key, store: MatchStore, recorded: Mapping[int, tuple[str, ...]]):
        self.key = key
        self.trimmed = 0  # keys whose cell had spaces around it
        self._store = store
        self._recorded = recorded

    def rows(self, table: Table) -> Iterator[RowMatch]:
        key = self.key
        for row in table.rows():
            cell = row.cells[key.index] if key.index < len(row.cells) else ""
            value, problem = key_value(key, cell)
            problem = row.problem or problem  # a ragged row is invalid, as in a sheet of ids
            if value is not None and value != cell:
                self.trimmed += 1
            if value is not None and problem is None:
                first = self._store.first_row(compared(key, value), row.number)
                if first is not None:
                    problem = f"duplicate of row {first} (the same key)"
            if problem is not None or value is None:
                yield RowMatch(row.number, cell, "invalid", (), 0, problem or "")
            elif row.number in self._recorded:
                ids = self._recorded[row.number]
                yield RowMatch(row.number, value, "matched", ids, len(ids))
            else:
                yield RowMatch(row.number, value, "matched", (), 0)


def _searchable(path: Path, key: Key, schema: Schema) -> Key:
    """The key, an attribute named as the workspace names it (``Region`` for ``region``, as
    headers are read in any case); refused when it cannot be searched."""
    if key.kind != "attribute":
        return key
    named = key.attribute or ""
    attribute = schema.attributes.get(named)
    if attribute is None:
        alike = [a for a in schema.attributes.values() if a.name.casefold() == named.casefold()]
        attribute = alike[0] if len(alike) == 1 else None
    if attribute is None or attribute.archived or attribute.type not in _SEARCHABLE:
        what = (
            "no conversation attribute"
            if attribute is None
            else "archived"
            if attribute.archived
            else f"a {attribute.type}"
        )
        raise InputError(
            path,
            f"{{key}} {escape(repr(key.attribute))} is {what}: a key is a text or whole-number "
            "conversation attribute, or contact_email, contact_external_id or contact_id",
            names_settings=True,
        )
    return dataclasses.replace(key, attribute=attribute.name)


def _matched(
    row: RowMatch, key: Key, resolved: Resolved, settings: MatchSettings, told: SettingNames
) -> RowMatch:
    found: Sequence[Found] = resolved.conversations.get(row.key, [])
    if not found:
        return RowMatch(
            row.row, row.key, "unmatched", (), 0, _nothing(row, key, resolved, settings)
        )
    if settings.match == "all":
        return RowMatch(row.row, row.key, "matched", tuple(f.id for f in found), len(found))
    if settings.match == "latest":
        latest = max(found, key=lambda f: f.updated_at)
        return RowMatch(row.row, row.key, "matched", (latest.id,), len(found))
    if len(found) == 1:
        return RowMatch(row.row, row.key, "matched", (found[0].id,), 1)
    candidates = ";".join(f.id for f in found)
    message = (
        f"matches {len(found)} conversations ({candidates}): {{match}} one takes exactly one; "
        "choose all or latest, or narrow with {where}"
    ).format_map(told)
    return RowMatch(row.row, row.key, "ambiguous", (), len(found), message)


def _nothing(row: RowMatch, key: Key, resolved: Resolved, settings: MatchSettings) -> str:
    """Why a key matched no conversation, as well as can be told."""
    narrowed = " matching the conditions" if settings.conditions else ""
    if key.kind == "attribute":
        return f"no conversation{narrowed} has {key.attribute} = {row.key!r}"
    contacts = resolved.contacts.get(row.key, [])
    if contacts:
        return f"its contact ({', '.join(contacts)}) has no conversation{narrowed}"
    return (
        f"no contact with this {key.kind.replace('_', ' ')} in Intercom's search; a contact "
        "created in the last few minutes may not be searchable yet: run again later"
    )
