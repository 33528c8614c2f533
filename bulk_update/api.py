"""The library's front door: :func:`run`, :func:`retry`, :func:`undo`, :func:`export`,
:func:`log` and :func:`save_schema`, for notebooks, schedulers, scripts and the command line
alike (the package's note shows a run).

Settings are keyword arguments named as the fields of :class:`JobSettings`,
:class:`ReadOptions`, :class:`SendOptions` and :class:`Destination` (``report_path``,
``dry_run``, ``concurrency``, ``region``, ...). The token is ``token=``, or else the
``INTERCOM_ACCESS_TOKEN`` environment variable.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias, TypedDict, TypeVar, Unpack

from bulk_update.config import (
    DateOrder,
    Destination,
    ReadOptions,
    SendOptions,
    Token,
    Unattended,
    default_report_path,
    pick,
    read_token,
    require_token,
)
from bulk_update.config.run_settings import RunSettings as RunSettings
from bulk_update.errors import BulkUpdateError, escape
from bulk_update.history.lock import holding
from bulk_update.history.rounds import ROUND_COLUMNS
from bulk_update.job.alerts import alerter_for, broke, ended, told
from bulk_update.job.history_folder import history_folder
from bulk_update.job.hooks import RunHooks
from bulk_update.job.keyed import run_prepared
from bulk_update.job.preparation import RoundKind, prepare_run
from bulk_update.job.round_log import log_round, sheet_log
from bulk_update.job.undoing import nothing_to_undo, undo_notices, undo_plan, undo_sources
from bulk_update.models import RunResult, Workspace
from bulk_update.rules import RETRY_STATUSES
from bulk_update.sheet.values import did_you_mean

if TYPE_CHECKING:
    import pandas as pd

    from bulk_update.search.exporter import ExportResult
    from bulk_update.send.client import IntercomClient
    from bulk_update.sheet.schema import Schema

    Source: TypeAlias = str | os.PathLike[str] | pd.DataFrame

T = TypeVar("T")

_log = logging.getLogger(__name__)


def run(
    source: Source,
    *,
    token: str | Token | None = None,
    sandbox: bool = False,
    hooks: RunHooks | None = None,
    **settings: Unpack[RunSettings],
) -> RunResult:
    """Validate every row of ``source`` (a CSV/TSV/XLSX path, or a DataFrame, its cells taken
    as text), then apply the valid ones; inside a running event loop (Jupyter), on a thread."""
    return _run_to_completion(
        run_async(source, token=token, sandbox=sandbox, hooks=hooks, **settings)
    )


async def run_async(
    source: Source,
    *,
    token: str | Token | None = None,
    sandbox: bool = False,
    hooks: RunHooks | None = None,
    **settings: Unpack[RunSettings],
) -> RunResult:
    """:func:`run` as a coroutine. ``hooks`` carry the progress display, what messages call
    a setting, and an :class:`Interruption` that stops the run as a Ctrl-C does."""
    return await _run_job(source, token, sandbox, hooks or RunHooks(), settings)


def retry(
    report: str | os.PathLike[str],
    *,
    token: str | Token | None = None,
    sandbox: bool = False,
    hooks: RunHooks | None = None,
    **settings: Unpack[RunSettings],
) -> RunResult:
    """Send again the rows of a report that failed or were not attempted (:func:`retry_async`)."""
    return _run_to_completion(
        retry_async(report, token=token, sandbox=sandbox, hooks=hooks, **settings)
    )


def run_in_folder(
    source: Source,
    folder: str | os.PathLike[str],
    *,
    token: str | Token | None = None,
    hooks: RunHooks | None = None,
    **settings: Unpack[RunSettings],
) -> RunResult:
    """:func:`run` for a scheduler's task, its report and history in ``folder``: a retry
    resumes that history exactly, a changed sheet starts a new one (``job.history_folder``)."""
    given = source if not isinstance(source, str | os.PathLike) else Path(source)
    settings["report_path"], settings["resume"] = history_folder(given, Path(folder), settings)
    return run(source, token=token, hooks=hooks, **settings)


async def retry_async(
    report: str | os.PathLike[str],
    *,
    token: str | Token | None = None,
    sandbox: bool = False,
    hooks: RunHooks | None = None,
    **settings: Unpack[RunSettings],
) -> RunResult:
    """Send again exactly the rows of a report that failed or were not attempted, from the
    input cells it carries, in the report's history (found by the report: beside it, or where
    it was made); their outcomes go to ``<report>.retry.csv`` unless ``report_path`` says
    otherwise, a report of the same history."""
    given = Path(report)
    settings.setdefault("report_path", given.with_name(f"{given.stem}.retry.csv"))
    return await _run_job(
        given, token, sandbox, hooks or RunHooks(), settings, only_statuses=RETRY_STATUSES
    )


def undo(
    backup_or_report: str | os.PathLike[str],
    *,
    token: str | Token | None = None,
    sandbox: bool = False,
    hooks: RunHooks | None = None,
    **settings: Unpack[RunSettings],
) -> RunResult:
    """Put back what a run with ``backup_path`` changed, its backup found through its report
    or given. Asks nothing: :func:`undo_plan` says what it would restore, for the caller."""
    return _run_to_completion(
        undo_async(backup_or_report, token=token, sandbox=sandbox, hooks=hooks, **settings)
    )


async def undo_async(
    backup_or_report: str | os.PathLike[str],
    *,
    token: str | Token | None = None,
    sandbox: bool = False,
    hooks: RunHooks | None = None,
    **settings: Unpack[RunSettings],
) -> RunResult:
    """:func:`undo` as a coroutine: a merge (``job.undoing``) holding the sheet's history."""
    _check_names(settings, RunSettings)  # a misspelt setting, before the file is looked at
    given, dry_run = Path(backup_or_report), bool(settings.get("dry_run"))
    _backup, history = undo_sources(given)  # held first: no round adds to the backup then
    with holding([history] if history is not None and not dry_run else [], "undo"):
        plan = undo_plan(given)
        hooks = hooks or RunHooks()
        hooks = dataclasses.replace(hooks, notices=hooks.notices + undo_notices(plan))
        settings.setdefault("report_path", default_report_path(plan.backup, dry_run=dry_run))
        if not plan.conversations:
            return nothing_to_undo(plan)
        return await _run_job(
            plan.rows, token, sandbox, hooks, settings, undo_of=plan.backup, logged_in=history
        )


async def _run_job(
    source: Source,
    token: str | Token | None,
    sandbox: bool,
    hooks: RunHooks,
    settings: RunSettings,
    **kind: Unpack[RoundKind],
) -> RunResult:
    _check_names(settings, RunSettings)
    alerter = alerter_for(Unattended(**pick(Unattended, settings)).notify_url, hooks.alert)
    hooks = dataclasses.replace(hooks, alert=alerter)
    where = Destination(sandbox, settings.get("region"), settings.get("base_url"))
    started = datetime.now(UTC)
    try:
        async with destination(where) as (base_url, sandbox_token):
            chosen, table = prepare_run(source, base_url, settings, **kind)
            ready = sandbox_token or read_token(token)
            result = await run_prepared(chosen, table, settings, ready, hooks)
            log_round(chosen, kind.get("logged_in"), hooks, settings, result, started)
    except BulkUpdateError as error:
        await told(
            alerter, broke(error, str(source) if isinstance(source, str | os.PathLike) else "")
        )
        raise
    await told(alerter, ended(result))
    return result


def log(report: str | os.PathLike[str]) -> pd.DataFrame:
    """The rounds of a sheet's history (its report, or a copy of it), newest first: when,
    the command, the workspace and teammate, the rows and settings sent (and their digest),
    the counts and how each ended. Empty when the report has no history."""
    import pandas as pd

    rounds = [round_.as_dict() for round_ in sheet_log(Path(report))]
    return pd.DataFrame(rounds, columns=list(ROUND_COLUMNS))


def export(
    out: str | os.PathLike[str],
    *,
    token: str | Token | None = None,
    hooks: RunHooks | None = None,
    **options: Unpack[ExportOptions],
) -> ExportResult:
    """Write the conversations that match ``where`` (``'FIELD OP VALUE'`` strings, all of
    which must hold) or ``query`` (Intercom's own query object) to ``out`` (.csv or .xlsx), in
    the tool's input format: the file goes back into :func:`run` as it is."""
    return _run_to_completion(export_async(out, token=token, hooks=hooks, **options))


async def export_async(
    out: str | os.PathLike[str],
    *,
    token: str | Token | None = None,
    hooks: RunHooks | None = None,
    **options: Unpack[ExportOptions],
) -> ExportResult:
    """:func:`export` as a coroutine."""
    from bulk_update.search.exporter import Export, ExportSettings

    _check_names(options, ExportOptions)
    from bulk_update.search.query import Condition

    conditions = tuple(Condition.parse(expression) for expression in options.get("where", ()))
    query, columns = options.get("query"), options.get("columns")
    where = Destination(**pick(Destination, options))
    async with destination(where) as (url, sandbox_token):
        chosen = require_token(sandbox_token or read_token(token))
        settings = ExportSettings(
            Path(out),
            conditions,
            dict(query) if query is not None else None,
            tuple(columns) if columns is not None else None,
            options.get("limit"),
            SendOptions(base_url=url, **_sending(options)),
            ReadOptions(**pick(ReadOptions, options)).conventions(None),
        )
        progress = (hooks or RunHooks()).progress
        return await Export(settings, chosen, progress=progress).run()


class Connection(TypedDict, total=False):
    """Where :func:`save_schema` reads from: the sandbox, ``base_url`` or ``region``."""

    sandbox: bool
    base_url: str | None
    region: str | None
    api_version: str


class ExportOptions(Connection, total=False):
    """What :func:`export` takes besides the file: which conversations (``where``, or a
    ready ``query``), which ``columns``, how many at most (``limit``), and where from."""

    where: Iterable[str]
    query: Mapping[str, object] | None
    columns: Iterable[str] | None
    limit: int | None
    max_retries: int  # how often a search page is asked again
    # How ``where`` values are read, as a sheet's cells would be.
    decimal_comma: bool | None
    date_order: DateOrder | None
    timezone: str


def save_schema(
    path: str | os.PathLike[str],
    *,
    token: str | Token | None = None,
    **connection: Unpack[Connection],
) -> Schema:
    """Read the workspace's conversation attributes and save them as JSON at ``path``, for
    ``schema_path`` (work offline, or pin what a run validates against)."""
    return _run_to_completion(save_schema_async(path, token=token, **connection))


async def save_schema_async(
    path: str | os.PathLike[str],
    *,
    token: str | Token | None = None,
    **connection: Unpack[Connection],
) -> Schema:
    """:func:`save_schema` as a coroutine."""
    from bulk_update.job.outputs import check_writable
    from bulk_update.send.lookups import fetch_schema
    from bulk_update.send.retry import RetryPolicy

    _check_names(connection, Connection)
    out = Path(path)
    check_writable(f"{{schema_out}} {escape(str(out))}: ", out)  # before anything is asked
    async with _workspace(token, connection) as client:
        schema = await fetch_schema(client, RetryPolicy())
    schema.save(out)
    return schema


async def teammates_async(
    *, token: str | Token | None = None, **connection: Unpack[Connection]
) -> tuple[str, ...]:
    """The workspace's teammates as ``admin`` takes them (their emails, or ids where a
    teammate has none), for choosing who a sheet's actions are made as."""
    from bulk_update.send.lookups import fetch_directory
    from bulk_update.send.retry import RetryPolicy

    _check_names(connection, Connection)
    async with _workspace(token, connection) as client:
        directory = await fetch_directory(client, RetryPolicy())
    return tuple(admin.email or admin.id for admin in directory.admins)


async def workspace_async(
    *, token: str | Token | None = None, **connection: Unpack[Connection]
) -> Workspace | None:
    """The workspace the token belongs to (``GET /me``: its name, app id and region, and the
    teammate the token acts as); None when Intercom does not say."""
    from bulk_update.send.lookups import fetch_workspace
    from bulk_update.send.retry import RetryPolicy

    _check_names(connection, Connection)
    async with _workspace(token, connection) as client:
        found = await fetch_workspace(client, RetryPolicy())
    return found if isinstance(found, Workspace) else None


@contextlib.asynccontextmanager
async def _workspace(
    token: str | Token | None, connection: Connection
) -> AsyncIterator[IntercomClient]:
    """A client of the workspace the connection names (the sandbox started for as long)."""
    from bulk_update.send.client import IntercomClient

    where = Destination(**pick(Destination, connection))
    async with destination(where) as (url, sandbox_token):
        send = SendOptions(base_url=url, **_sending(connection))
        chosen = require_token(sandbox_token or read_token(token))
        async with IntercomClient.for_settings(send, chosen, connections=1) as client:
            yield client


def _check_names(given: Mapping[str, object], known: type) -> None:
    """A misspelt setting is an error before anything is sent, not silently a default
    (``dryrun=True`` would otherwise write for real)."""
    names = known.__annotations__
    for name in given:
        if name not in names:
            raise TypeError(f"unknown setting {name!r}{did_you_mean(name, names)}")


def _sending(options: Mapping[str, object]) -> dict[str, Any]:
    """The API version and retries asked for, if they were (else SendOptions' defaults)."""
    return {name: options[name] for name in ("api_version", "max_retries") if name in options}


def _run_to_completion(coroutine: Awaitable[T]) -> T:
    """``asyncio.run``, or, when this thread already runs an event loop (Jupyter), the same
    on a thread of its own, waited for."""

    async def main() -> T:
        return await coroutine

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(main())
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, main()).result()


@contextlib.asynccontextmanager
async def destination(where: Destination) -> AsyncIterator[tuple[str, Token | None]]:
    """(the base URL, the sandbox's token when it is the sandbox), the sandbox started for
    as long as the caller needs it."""
    if not where.sandbox:
        yield where.url, None
        return
    from bulk_update.sandbox import SANDBOX_POPULATION, SANDBOX_TOKEN, Sandbox, SandboxConfig

    async with Sandbox(SandboxConfig(population=SANDBOX_POPULATION)) as simulator:
        _log.info("sandbox listening on %s", simulator.url)
        yield simulator.url, Token(SANDBOX_TOKEN)
