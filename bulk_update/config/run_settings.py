"""The settings the library's :func:`~bulk_update.api.run`, ``retry`` and ``undo`` take, by
name, as one typed dictionary (what a type checker and an editor show a notebook's user)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import TypedDict

from bulk_update.config.keying import Match
from bulk_update.config.value_types import DateOrder, Rate, ReadVia


class RunSettings(TypedDict, total=False):
    """The settings :func:`run`, :func:`retry` and :func:`undo` take, by name: every field of
    the settings dataclasses that a caller gives (a test holds the two lists together)."""

    report_path: str | os.PathLike[str] | None
    schema_path: str | os.PathLike[str] | None
    summary_json: str | os.PathLike[str] | None
    backup_path: str | os.PathLike[str] | None
    dry_run: bool
    live: bool
    skip_unchanged: bool
    admin: str | None
    create_tags: bool
    no_notify: bool
    overwrite_conflicts: bool
    read_via: ReadVia
    key: str | None
    match: Match
    where: Iterable[str]
    resolve_again: bool
    workspace: str | None
    sample: int | None
    seed: int | None
    notify_url: Iterable[str]
    alert_failure_share: float | None
    limit: int | None
    resume: bool
    force: bool
    delimiter: str | None
    encoding: str | None
    sheet: str | None
    ignore_columns: Iterable[str]
    renames: Mapping[str, str]
    clear_marker: str
    decimal_comma: bool | None
    date_order: DateOrder | None
    timezone: str
    base_url: str | None
    region: str | None
    api_version: str
    rate: str | Rate
    headroom_percent: float
    concurrency: int
    max_retries: int
    timeout: float
    max_failures: int | None
    max_wait: float
    log_bodies: bool
