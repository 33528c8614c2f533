"""Command line: flags and environment → settings; calls the library; renders; exit code.

Heavy modules (pandas, aiohttp) are imported inside the commands, so ``--help`` is fast.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bulk_update.cli.arguments import SETTING_FLAGS, build_parser
from bulk_update.cli.logs import configure_logging, redact
from bulk_update.config import (
    TOKEN_ENV_VAR,
    Token,
)
from bulk_update.errors import BulkUpdateError, RunStopped, UsageError

if TYPE_CHECKING:
    from bulk_update.api import RunSettings
    from bulk_update.job import Job
    from bulk_update.models import RunResult
    from bulk_update.send.progress import Progress

EXIT_OK = 0
EXIT_ROWS_NOT_UPDATED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

# What ``bulk-update retry`` re-sends.
RETRY_STATUSES = frozenset({"failed", "not_attempted"})

log = logging.getLogger("bulk_update")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    secret = os.environ.get(getattr(args, "token_env", TOKEN_ENV_VAR), "").strip()
    try:
        configure_logging(args, secret)
    except OSError as error:
        print(
            f"error: cannot write the log file {args.log_file}: {error.strerror}", file=sys.stderr
        )
        return EXIT_USAGE
    try:
        if args.command == "undo":
            args.input = _backup_to_undo(args)
        if args.command in ("run", "retry", "undo"):
            return asyncio.run(_run(args))
        if args.command == "schema":
            return asyncio.run(_schema(args))
        if args.command == "export":
            return asyncio.run(_export(args))
        return asyncio.run(_sandbox(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except UsageError as error:
        print(f"error: {error.describe(SETTING_FLAGS)}", file=sys.stderr)
        return EXIT_USAGE
    except RunStopped as error:
        print(f"stopped: {error.describe(SETTING_FLAGS)}", file=sys.stderr)
        return EXIT_ROWS_NOT_UPDATED
    except BulkUpdateError as error:
        print(f"error: {error.describe(SETTING_FLAGS)}", file=sys.stderr)
        return EXIT_ROWS_NOT_UPDATED
    except Exception as error:  # a bug: say so in one line; the traceback goes to -vv
        log.debug("unexpected error", exc_info=True)
        message = redact(f"{type(error).__name__}: {error}", secret)
        print(
            f"error: unexpected {message}. This is a bug in bulk-update; run again with -vv "
            "(and --log-file) to capture the details for a report",
            file=sys.stderr,
        )
        return EXIT_ROWS_NOT_UPDATED


def _backup_to_undo(args: argparse.Namespace) -> Path:
    """The backup file that ``undo`` runs: the one given, or the one its report's run wrote.
    Asks before going on, unless --yes."""
    from bulk_update.api import backup_to_undo
    from bulk_update.config import ReadOptions
    from bulk_update.sheet.reader import Table

    backup = backup_to_undo(args.input)
    if not args.yes:
        table = Table(backup, ReadOptions())
        conversations = sum(1 for _row in table.rows())
        fields = ", ".join(name for name in table.columns if name != "id")
        what = f"{conversations} conversation(s)' {fields} from {backup}"
        if not sys.stdin.isatty():
            raise UsageError(f"undo would restore {what}: pass --yes to confirm")
        answer = input(f"Restore {what}? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            raise UsageError("undo cancelled")
    return backup


def _read_token(args: argparse.Namespace) -> Token | None:
    value = os.environ.get(args.token_env, "")
    return Token(value) if value.strip() else None


def _renames(given: list[str]) -> dict[str, str]:
    """--rename 'OLD=new' flags, as {OLD: new} (OLD may itself hold '=')."""
    renames = {}
    for text in given:
        old, equals, new = text.rpartition("=")
        if not equals or not old.strip() or not new.strip():
            raise UsageError(f"--rename takes 'OLD=new', got {text!r}")
        renames[old.strip()] = new.strip()
    return renames


def _run_settings(args: argparse.Namespace) -> RunSettings:
    """The flags of a sheet command, as the library's settings."""
    from bulk_update.api import RunSettings

    input_path: Path = args.input
    report = args.report
    if report is None and args.command == "retry":
        report = input_path.with_name(f"{input_path.stem}.retry.csv")
    return RunSettings(
        report_path=report,
        schema_path=args.schema,
        summary_json=args.summary_json,
        backup_path=args.backup,
        dry_run=args.dry_run,
        live=args.live,
        skip_unchanged=args.skip_unchanged,
        admin=args.admin,
        create_tags=args.create_tags,
        read_via=args.read_via,
        limit=args.limit,
        resume=args.resume,
        force=args.force,
        delimiter=args.delimiter,
        encoding=args.encoding,
        sheet=args.sheet,
        ignore_columns=[name.strip() for name in args.ignore_column],
        renames=_renames(args.rename),
        clear_marker=args.clear_marker,
        decimal_comma=args.decimal_comma,
        date_order=args.date_order,
        timezone=args.timezone,
        api_version=args.api_version,
        rate=args.rate,
        headroom_percent=args.headroom,
        concurrency=args.concurrency,
        max_retries=args.max_retries,
        timeout=args.timeout,
        max_failures=args.max_failures,
        max_wait=args.max_wait,
        log_bodies=args.log_bodies,
    )


async def _run(args: argparse.Namespace) -> int:
    from bulk_update.api import destination, prepare_run, with_undo_notices
    from bulk_update.job import Job

    async with destination(args.sandbox, args.base_url, args.region) as (url, sandbox_token):
        if sandbox_token is not None:
            log.info("sandbox listening on %s", url)
        settings, table = prepare_run(
            args.input,
            url,
            _run_settings(args),
            only_statuses=RETRY_STATUSES if args.command == "retry" else None,
        )
        token = sandbox_token or _read_token(args)
        progress = _progress(args.quiet or (settings.dry_run and not settings.live))
        job = Job(settings, token, progress=progress, setting_names=SETTING_FLAGS, table=table)
        _install_signal_handlers(job)
        result = await _run_with_log_redirect(job, progress)
    if args.command == "undo":
        result = with_undo_notices(result, table)
    return _render(result, quiet=args.quiet)


def _progress(quiet: bool) -> Progress:
    """A bar on a terminal; off one (a file, a CI log) a plain line every few seconds."""
    from bulk_update.send.progress import LineProgress, SilentProgress, TqdmProgress

    if quiet:
        return SilentProgress()
    if sys.stderr.isatty():
        return TqdmProgress()
    return LineProgress(sys.stderr)


async def _run_with_log_redirect(job: Job, progress: Progress) -> RunResult:
    """Log lines go above a bar instead of through it."""
    from bulk_update.send.progress import TqdmProgress

    if not isinstance(progress, TqdmProgress):
        return await job.run()
    from tqdm.contrib.logging import logging_redirect_tqdm

    with logging_redirect_tqdm(loggers=[logging.getLogger("bulk_update")]):
        return await job.run()


def _install_signal_handlers(job: Job) -> None:
    loop = asyncio.get_running_loop()

    def on_signal() -> None:
        if job.interrupted:
            print("\nsecond interrupt: exiting now (resume with --resume)", file=sys.stderr)
            os._exit(EXIT_INTERRUPTED)
        print(
            "\ninterrupted: finishing the requests in flight and writing the report "
            "(interrupt again to exit at once)",
            file=sys.stderr,
        )
        job.interrupt()

    for signal_number in (signal.SIGINT, signal.SIGTERM):
        # Not possible outside the main thread (a library caller's) or on Windows.
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signal_number, on_signal)


def _render(result: RunResult, *, quiet: bool) -> int:
    from bulk_update.cli.render import render_summary
    from bulk_update.models import RowStatus

    summary = result.summary
    for request in () if quiet else result.sample_requests:
        path = f"/conversations/{request.conversation_id}"
        if request.body:
            print(f"row {request.row}: PUT {path} {json.dumps(request.body)}")
        if request.actions is not None:
            print(f"row {request.row}: {path} actions {request.actions.encode().decode()}")
    print(render_summary(summary))
    if summary.interrupted:
        rows_left = summary.count(RowStatus.NOT_ATTEMPTED) + summary.count(RowStatus.FAILED)
        print(
            f"interrupted with {rows_left} rows still to do: "
            "run the same command with --resume to continue",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    return EXIT_OK if summary.all_succeeded else EXIT_ROWS_NOT_UPDATED


async def _export(args: argparse.Namespace) -> int:
    from bulk_update.api import export_async
    from bulk_update.search.query import load_query

    query = None
    if args.query_path is not None:
        try:
            text = args.query_path.read_text(encoding="utf-8")
        except OSError as error:
            raise UsageError(f"cannot read {args.query_path}: {error.strerror}") from None
        query = load_query(text, str(args.query_path))
    columns = args.columns.split(",") if args.columns else None
    result = await export_async(
        args.out,
        where=args.where,
        query=query,
        columns=columns,
        limit=args.limit,
        token=_read_token(args),
        progress=_progress(args.quiet),
        sandbox=args.sandbox,
        base_url=args.base_url,
        region=args.region,
        api_version=args.api_version,
    )
    of = f" of {result.matched:,} matching" if result.matched is not None else ""
    print(
        f"exported {result.written:,} conversations{of} to {result.path}, as they were at "
        f"{result.snapshot_at} ({result.requests} search requests)"
    )
    if result.limited:
        print(f"stopped at --limit {args.limit}")
    actions = {"state", "admin_assignee", "team_assignee", "tags"} & set(result.columns)
    admin = " --admin EMAIL" if actions else ""
    print(
        f"next: edit {result.path}, then: bulk-update run {result.path} "
        f"--skip-unchanged{admin} (only what you changed is sent)"
    )
    return EXIT_OK


async def _schema(args: argparse.Namespace) -> int:
    from bulk_update.api import save_schema_async

    schema = await save_schema_async(
        args.out,
        token=_read_token(args),
        sandbox=args.sandbox,
        base_url=args.base_url,
        region=args.region,
        api_version=args.api_version,
    )
    print(f"{len(schema.attributes)} conversation attributes saved to {args.out}")
    return EXIT_OK


async def _sandbox(args: argparse.Namespace) -> int:
    from bulk_update.sandbox import SANDBOX_TOKEN, Sandbox, SandboxConfig

    config = SandboxConfig(
        token=args.token or SANDBOX_TOKEN,
        limit=args.limit,
        window=args.window,
        latency=args.latency,
        error_rate=args.error_rate,
        reset_rate=args.reset_rate,
        hang_rate=args.hang_rate,
        retry_after="auto" if args.retry_after else None,
        seed=args.seed,
        population=args.conversations,
    )
    sandbox = Sandbox(config, host=args.host, port=args.port)
    url = await sandbox.start()
    print(f"sandbox listening on {url} (token: {config.token}); Ctrl-C to stop", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stop.set)
    try:
        await stop.wait()
    finally:
        await sandbox.stop()
    return EXIT_OK
