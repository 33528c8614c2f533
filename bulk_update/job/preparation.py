"""A run's settings from the flat names :func:`bulk_update.run` takes (and the command line's
flags become), and its input opened once."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bulk_update.config import JobSettings, ReadOptions, SendOptions, default_report_path, pick
from bulk_update.sheet.reader import Table

if TYPE_CHECKING:
    import pandas as pd


def prepare_run(
    source: str | os.PathLike[str] | pd.DataFrame,
    base_url: str,
    given: Mapping[str, Any],
    *,
    only_statuses: frozenset[str] | None = None,
    shared_history: Path | None = None,
) -> tuple[JobSettings, Table]:
    """A path's report defaults to ``<input>.results.csv`` (``.dry-run.csv``), a report's to
    itself (run again, it is rewritten in place); a DataFrame writes none unless asked."""
    read = ReadOptions(**pick(ReadOptions, given))
    input_path: Path | None = None
    if isinstance(source, str | os.PathLike):
        input_path = Path(source)
        table = Table(input_path, read)
    else:
        table = Table.from_frame(source)
    chosen = pick(JobSettings, given)
    if chosen.get("report_path") is None and input_path is not None:
        dry_run = bool(chosen.get("dry_run"))
        in_place = not dry_run and table.is_report
        chosen["report_path"] = (
            input_path if in_place else default_report_path(input_path, dry_run=dry_run)
        )
    settings = JobSettings(
        input_path=input_path,
        read=read,
        send=SendOptions(**pick(SendOptions, given), base_url=base_url),
        only_statuses=only_statuses,
        shared_history=shared_history,
        **chosen,
    )
    return settings, table
