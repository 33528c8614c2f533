"""bulk-update as a Dagster asset (``pip install 'bulk-update[dagster]'``): one asset, one static
partition per workspace, each partition a run of the library's :func:`bulk_update.run`.

::

    from bulk_update.dagster import IntercomConnection, bulk_update_asset

    backfill = bulk_update_asset(
        "priority_backfill",
        "exports/priority.csv",            # or the name of an upstream asset's DataFrame
        {
            "us": IntercomConnection(token_env="INTERCOM_TOKEN_US"),
            "eu": IntercomConnection(token_env="INTERCOM_TOKEN_EU", region="eu"),
        },
        history_dir="/mnt/shared/bulk-update",
        admin="ada@example.com",
    )

Each partition keeps its report and its history in ``history_dir/<name>/<partition>/``. A
retry of a partition (Dagster's, or a re-execution after a worker was killed) finds that
history and resumes it exactly: nothing confirmed is sent again, a note that may have landed
is looked for first. So a retry on another worker needs ``history_dir`` on storage both
workers see (a shared volume), as SQLite wants it: a local disk or NFS with working locks, not
an object store. A materialization of a changed sheet starts a new history, the earlier one
kept in ``earlier/<time>/`` beside it.

This module is a thin layer: what a run does is the library's; this names the partition's
folder, reads its token, shows progress in Dagster's log, records the run's figures as the
materialization's metadata and returns the outcomes DataFrame; ``fail_on`` decides whether the
step fails.
"""

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO, cast

import dagster
import pandas as pd
from dagster import AssetExecutionContext

from bulk_update import api
from bulk_update.config.run_settings import RunSettings
from bulk_update.errors import BulkUpdateError
from bulk_update.job.hooks import RunHooks
from bulk_update.models import RowStatus, RunResult
from bulk_update.send.progress import LineProgress
from bulk_update.sheet.values import did_you_mean

_SHEET_SUFFIXES = (".csv", ".tsv", ".xlsx", ".xls")
# Settings each workspace's connection gives, and those the asset decides itself.
_PER_WORKSPACE = frozenset({"region", "base_url", "rate", "headroom_percent"})
_DECIDED = frozenset({"report_path", "resume", "force"})


@dataclass(frozen=True)
class IntercomConnection:
    """How to reach one workspace. The token is read from the environment variable
    ``token_env`` when the step runs, on the worker that runs it: never stored here."""

    token_env: str
    region: str | None = None
    base_url: str | None = None
    rate: str | None = None
    headroom: float | None = None

    def settings(self) -> dict[str, Any]:
        given: dict[str, Any] = {"region": self.region, "base_url": self.base_url}
        given.update(rate=self.rate, headroom_percent=self.headroom)
        return {name: value for name, value in given.items() if value is not None}


def bulk_update_asset(
    name: str,
    sheet: str | os.PathLike[str],
    workspaces: Mapping[str, IntercomConnection],
    *,
    history_dir: str | os.PathLike[str],
    fail_on: str | float = "failed",
    **settings: Any,
) -> dagster.AssetsDefinition:
    """The asset ``name``: ``sheet`` (a path, or an upstream asset's name whose value is a
    DataFrame) run against each workspace, one static partition per key of ``workspaces``.
    ``settings`` are the library's run settings under their names (``admin``, ``backup_path``,
    ``dry_run``, ...); ``backup_path`` names a file each partition writes in its own folder.
    ``fail_on``: ``"failed"`` (any failed or invalid row fails the step), ``"never"``, or a
    share of the rows (``0.05``)."""
    _check_settings(settings)
    _check_fail_on(fail_on)
    if not workspaces:
        raise ValueError("workspaces maps each partition to an IntercomConnection: give one")
    folder = Path(history_dir) / name
    partitions = dagster.StaticPartitionsDefinition(list(workspaces))
    is_path = Path(sheet).exists() or str(sheet).lower().endswith(_SHEET_SUFFIXES)

    def materialize(context: AssetExecutionContext, source: Any) -> dagster.Output[Any]:
        partition = context.partition_key
        result = _run(context, source, workspaces[partition], folder / partition, settings)
        metadata = _metadata(result, partition)
        failing = _failing(result, fail_on)
        if failing:
            raise dagster.Failure(description=failing, metadata=metadata)
        return dagster.Output(result.outcomes, metadata=metadata)

    description = f"bulk-update of {sheet} in each workspace (partition)"
    if is_path:

        @dagster.asset(name=name, partitions_def=partitions, description=description)
        def from_file(context: AssetExecutionContext) -> dagster.Output[Any]:
            return materialize(context, Path(sheet))

        return from_file

    @dagster.asset(
        name=name,
        partitions_def=partitions,
        description=description,
        ins={"rows": dagster.AssetIn(key=str(sheet))},
    )
    def from_asset(context: AssetExecutionContext, rows: pd.DataFrame) -> dagster.Output[Any]:
        return materialize(context, rows)

    return from_asset


def _run(
    context: AssetExecutionContext,
    source: Path | pd.DataFrame,
    connection: IntercomConnection,
    folder: Path,
    settings: Mapping[str, Any],
) -> RunResult:
    """The partition's run: its history resumed when it is this sheet's, else a new one."""
    token = os.environ.get(connection.token_env, "").strip()
    if not token:
        raise dagster.Failure(
            description=f"the environment variable {connection.token_env} (this workspace's "
            "token) is not set on the worker running this step; nothing was sent"
        )
    lines = cast(TextIO, _LogLines(context))  # what LineProgress writes: write() and flush()
    hooks = RunHooks(progress=LineProgress(lines, interval=5.0))
    context.log.info(f"bulk-update: the history is in {folder}")
    try:
        given = {**settings, **connection.settings()}
        if given.get("backup_path"):  # each partition backs up its own workspace, in its folder
            given["backup_path"] = folder / Path(given["backup_path"]).name
        return api.run_in_folder(source, folder, token=token, hooks=hooks, **given)
    except BulkUpdateError as error:
        raise dagster.Failure(description=str(error)) from None


class _LogLines:
    """A text stream whose lines go to Dagster's log (the run's progress lines)."""

    def __init__(self, context: AssetExecutionContext):
        self._context = context

    def write(self, text: str) -> int:
        if text.strip():
            self._context.log.info(text.strip())
        return len(text)

    def flush(self) -> None:
        """Each line is logged as it is written."""


def _metadata(result: RunResult, partition: str) -> dict[str, Any]:
    summary = result.summary
    figures: dict[str, Any] = {
        "workspace": summary.workspace.described() if summary.workspace else partition,
        "rows": summary.rows,
        **{f"rows_{status.value}": summary.count(status) for status in RowStatus},
        "requests": summary.requests,
        "rate_limited_429": summary.rate_limited,
        "requests_per_second": round(summary.requests_per_second, 2),
        "elapsed_seconds": round(summary.elapsed_seconds, 2),
        "failures_by_reason": dagster.MetadataValue.json(
            [reason.as_dict() for reason in summary.reasons]
        ),
        "report": dagster.MetadataValue.path(summary.report_path),
    }
    return figures


def _failing(result: RunResult, fail_on: str | float) -> str:
    """Why the step fails ("": it does not)."""
    summary = result.summary
    if summary.interrupted or summary.stop_reason:
        return f"the run stopped ({summary.stop_reason or 'interrupted'}); a retry resumes it"
    bad = summary.rows_not_through  # as the command line's exit code counts them
    if fail_on == "never" or not bad:
        return ""
    share = bad / summary.rows if summary.rows else 0.0
    if fail_on == "failed" or share > float(fail_on):
        return (
            f"{bad} of {summary.rows} rows failed or were invalid ({share:.1%}); the report "
            f"{summary.report_path} says why, row by row"
        )
    return ""


def _check_settings(settings: Mapping[str, Any]) -> None:
    """A misspelt setting is refused before anything runs, as everywhere."""
    known = RunSettings.__annotations__
    for setting in settings:
        if setting not in known:
            raise TypeError(f"unknown setting {setting!r}{did_you_mean(setting, known)}")
        if setting in _PER_WORKSPACE:
            raise TypeError(f"{setting} is set per workspace, in its IntercomConnection")
        if setting in _DECIDED:
            raise TypeError(f"{setting} is decided by the asset (history_dir, retries)")


def _check_fail_on(fail_on: str | float) -> None:
    if fail_on in ("failed", "never"):
        return
    if isinstance(fail_on, str) or not 0 <= float(fail_on) < 1:
        raise ValueError(f'fail_on is "failed", "never" or a share from 0 to 1, got {fail_on!r}')
