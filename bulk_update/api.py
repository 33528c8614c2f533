"""The library's front door: :func:`run`, :func:`undo` and :func:`save_schema`, for notebooks,
schedulers and scripts. The command line is a layer over the same functions' parts.

::

    import bulk_update, pandas as pd

    changes = pd.DataFrame({"id": ["000123", "000456"], "priority": ["High", "Low"]})
    result = bulk_update.run(changes, sandbox=True)
    result.outcomes        # the input's columns, then row, status, http_status, ...
    result.summary.counts  # {"updated": 2}

Settings are keyword arguments named as in :class:`JobSettings`, :class:`ReadOptions` and
:class:`SendOptions` (``report_path``, ``dry_run``, ``concurrency``, ...). The token is
``token=``, or else the ``INTERCOM_ACCESS_TOKEN`` environment variable.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
from collections.abc import AsyncIterator, Awaitable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias, TypedDict, TypeVar, Unpack

from bulk_update.config import (
    DEFAULT_API_VERSION,
    REGION_BASE_URLS,
    TOKEN_ENV_VAR,
    DateOrder,
    JobSettings,
    Rate,
    ReadOptions,
    SendOptions,
    Token,
    default_report_path,
)
from bulk_update.errors import UsageError, escape
from bulk_update.history.journal import backup_of
from bulk_update.job import Job
from bulk_update.models import RunResult
from bulk_update.send.lookups import fetch_schema
from bulk_update.send.progress import Progress
from bulk_update.send.retry import RetryPolicy
from bulk_update.sheet.reader import Table

if TYPE_CHECKING:
    import pandas as pd

    from bulk_update.search.exporter import ExportResult
    from bulk_update.sheet.schema import Schema

    Source: TypeAlias = str | os.PathLike[str] | pd.DataFrame

T = TypeVar("T")
SANDBOX_POPULATION = 500


class RunSettings(TypedDict, total=False):
    """The settings :func:`run` and :func:`undo` take, by name."""

    report_path: str | os.PathLike[str] | None
    schema_path: str | os.PathLike[str] | None
    summary_json: str | os.PathLike[str] | None
    backup_path: str | os.PathLike[str] | None
    dry_run: bool
    live: bool
    skip_unchanged: bool
    admin: str | None
    create_tags: bool
    read_via: str
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


def run(
    source: Source,
    *,
    token: str | Token | None = None,
    sandbox: bool = False,
    progress: Progress | None = None,
    **settings: Unpack[RunSettings],
) -> RunResult:
    """Validate every row of ``source`` (a CSV/TSV/XLSX path, or a DataFrame whose cells are
    taken as text), then apply the valid ones. Works inside a running event loop (Jupyter)
    too: the run then goes on a thread of its own."""
    return _run_to_completion(
        run_async(source, token=token, sandbox=sandbox, progress=progress, **settings)
    )


async def run_async(
    source: Source,
    *,
    token: str | Token | None = None,
    sandbox: bool = False,
    progress: Progress | None = None,
    **settings: Unpack[RunSettings],
) -> RunResult:
    """:func:`run` as a coroutine."""
    async with destination(sandbox, settings.get("base_url"), settings.get("region")) as where:
        base_url, sandbox_token = where
        chosen, table = prepare_run(source, base_url, settings)
        job = Job(chosen, sandbox_token or _token(token), progress=progress, table=table)
        return await job.run()


def undo(
    backup_or_report: str | os.PathLike[str],
    *,
    token: str | Token | None = None,
    sandbox: bool = False,
    progress: Progress | None = None,
    **settings: Unpack[RunSettings],
) -> RunResult:
    """Put back what a run with ``backup_path`` changed: run its backup file (given itself,
    or found through the run's report). Asks nothing: confirming is the caller's business."""
    backup = backup_to_undo(Path(backup_or_report))
    result = run(backup, token=token, sandbox=sandbox, progress=progress, **settings)
    return with_undo_notices(result, Table(backup, ReadOptions()))


def with_undo_notices(result: RunResult, backup: Table) -> RunResult:
    """What an undo cannot do, said in its summary: a run's notes stay."""
    if "state" in backup.columns:
        result.summary.notices += (
            "notes the run added stay: notes cannot be taken back (Intercom's API has no way "
            "to delete one)",
        )
    return result


def backup_to_undo(given: Path) -> Path:
    """The backup file that undoing ``given`` runs: itself, or its report's run's backup."""
    columns = Table(given, ReadOptions()).columns
    if "status" not in columns:
        return given
    journal = given.with_name(given.name + ".journal")
    found = backup_of(journal) if journal.exists() else None
    if found is None:
        raise UsageError.naming_settings(
            f"{escape(str(given))} is the report of a run without {{backup_path}}: there is "
            "nothing to undo"
        )
    return found


def export(
    out: str | os.PathLike[str],
    *,
    token: str | Token | None = None,
    progress: Progress | None = None,
    **options: Unpack[ExportOptions],
) -> ExportResult:
    """Write the conversations that match ``where`` (``'FIELD OP VALUE'`` strings, all of
    which must hold) or ``query`` (Intercom's own query object) to ``out`` (.csv or .xlsx), in
    the tool's input format: the file goes back into :func:`run` as it is."""
    return _run_to_completion(export_async(out, token=token, progress=progress, **options))


async def export_async(
    out: str | os.PathLike[str],
    *,
    token: str | Token | None = None,
    progress: Progress | None = None,
    **options: Unpack[ExportOptions],
) -> ExportResult:
    """:func:`export` as a coroutine."""
    from bulk_update.search.exporter import Export, ExportSettings
    from bulk_update.search.query import Condition

    conditions = tuple(Condition.parse(expression) for expression in options.get("where", ()))
    query, columns = options.get("query"), options.get("columns")
    sandbox, base_url = options.get("sandbox", False), options.get("base_url")
    async with destination(sandbox, base_url, options.get("region")) as (url, sandbox_token):
        chosen = sandbox_token or _token(token)
        if chosen is None:
            raise UsageError.naming_settings("no access token: set {token}")
        settings = ExportSettings(
            Path(out),
            conditions,
            dict(query) if query is not None else None,
            tuple(columns) if columns is not None else None,
            options.get("limit"),
            SendOptions(base_url=url, api_version=options.get("api_version", DEFAULT_API_VERSION)),
        )
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
    from bulk_update.send.client import IntercomClient

    sandbox = connection.get("sandbox", False)
    base_url, region = connection.get("base_url"), connection.get("region")
    api_version = connection.get("api_version", DEFAULT_API_VERSION)
    async with destination(sandbox, base_url, region) as (url, sandbox_token):
        send = SendOptions(base_url=url, api_version=api_version)
        chosen = sandbox_token or _token(token)
        if chosen is None:
            raise UsageError.naming_settings("no access token: set {token}")
        client = IntercomClient(
            send.base_url, chosen, api_version=send.api_version, timeout=send.timeout, connections=1
        )
        async with client:
            schema = await fetch_schema(client, RetryPolicy())
    schema.save(Path(path))
    return schema


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
async def destination(
    sandbox: bool, base_url: str | None, region: str | None
) -> AsyncIterator[tuple[str, Token | None]]:
    """(the base URL, the sandbox's token when it is the sandbox): exactly one of the
    sandbox, ``base_url`` and ``region``; the US region when none is given."""
    chosen = [
        name
        for name, given in (("sandbox", sandbox), ("base_url", base_url), ("region", region))
        if given
    ]
    if len(chosen) > 1:
        names = " and ".join("{" + name + "}" for name in chosen)
        raise UsageError.naming_settings(f"{names} each say where to send requests; give one")
    if not sandbox:
        if region is not None and region not in REGION_BASE_URLS:
            raise UsageError.naming_settings(
                f"{{region}} must be one of {', '.join(REGION_BASE_URLS)}, got {escape(region)!r}"
            )
        yield base_url or REGION_BASE_URLS[region or "us"], None
        return
    from bulk_update.sandbox import SANDBOX_TOKEN, Sandbox, SandboxConfig

    # Conversations to find from the start, for an export to have something to write.
    async with Sandbox(SandboxConfig(population=SANDBOX_POPULATION)) as simulator:
        yield simulator.url, Token(SANDBOX_TOKEN)


def _token(given: str | Token | None) -> Token | None:
    if isinstance(given, Token):
        return given
    value = given if given is not None else os.environ.get(TOKEN_ENV_VAR, "")
    return Token(value) if value.strip() else None


def prepare_run(
    source: Source,
    base_url: str,
    given: RunSettings,
    *,
    only_statuses: frozenset[str] | None = None,
) -> tuple[JobSettings, Table]:
    """The settings of one run, from the flat names :func:`run` takes (and the CLI's flags
    become), and its input opened once. A path's report defaults to ``<input>.results.csv``
    (``.dry-run.csv``), a report's to itself."""

    def path(name: str) -> Path | None:
        value = given.get(name)
        return Path(value) if value is not None else None  # type: ignore[arg-type]

    dry_run = given.get("dry_run", False)
    read = ReadOptions(
        delimiter=given.get("delimiter"),
        encoding=given.get("encoding"),
        sheet=given.get("sheet"),
        ignore_columns=frozenset(given.get("ignore_columns", ())),
        renames=tuple(given.get("renames", {}).items()),
        clear_marker=given.get("clear_marker", ReadOptions().clear_marker),
        decimal_comma=given.get("decimal_comma"),
        date_order=given.get("date_order"),
        timezone=given.get("timezone", "UTC"),
    )
    input_path: Path | None = None
    if isinstance(source, str | os.PathLike):
        input_path = Path(source)
        table = Table(input_path, read)
    else:
        table = Table.from_frame(source)
    report_path = path("report_path")
    if report_path is None and input_path is not None:
        if not dry_run and table.is_report:
            report_path = input_path  # a report run again is rewritten in place
        else:
            report_path = default_report_path(input_path, dry_run=dry_run)
    rate = given.get("rate", Rate(1666, 10))
    defaults = SendOptions()
    settings = JobSettings(
        input_path=input_path,
        report_path=report_path,
        read=read,
        send=SendOptions(
            base_url=base_url,
            api_version=given.get("api_version", defaults.api_version),
            rate=rate if isinstance(rate, Rate) else Rate.parse(rate),
            headroom_percent=given.get("headroom_percent", defaults.headroom_percent),
            concurrency=given.get("concurrency", defaults.concurrency),
            max_retries=given.get("max_retries", defaults.max_retries),
            timeout=given.get("timeout", defaults.timeout),
            max_failures=given.get("max_failures", defaults.max_failures),
            max_wait=given.get("max_wait", defaults.max_wait),
            log_bodies=given.get("log_bodies", defaults.log_bodies),
        ),
        schema_path=path("schema_path"),
        dry_run=dry_run,
        live=given.get("live", False),
        limit=given.get("limit"),
        resume=given.get("resume", False),
        force=given.get("force", False),
        summary_json=path("summary_json"),
        backup_path=path("backup_path"),
        skip_unchanged=given.get("skip_unchanged", False),
        admin=given.get("admin"),
        create_tags=given.get("create_tags", False),
        read_via=given.get("read_via", "search"),
        only_statuses=only_statuses,
    )
    return settings, table
