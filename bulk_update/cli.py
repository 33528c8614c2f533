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

from bulk_update import __version__
from bulk_update.config import (
    DEFAULT_API_VERSION,
    DEFAULT_CLEAR_MARKER,
    REGION_BASE_URLS,
    TOKEN_ENV_VAR,
    JobSettings,
    Rate,
    ReadOptions,
    SendOptions,
    Token,
    default_report_path,
)
from bulk_update.errors import BulkUpdateError, RunStopped, UsageError

if TYPE_CHECKING:
    from bulk_update.job import Job, RunResult

EXIT_OK = 0
EXIT_ROWS_NOT_UPDATED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

# What ``bulk-update retry`` re-sends.
RETRY_STATUSES = frozenset({"failed", "not_attempted"})

log = logging.getLogger("bulk_update")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bulk-update",
        description="Apply a spreadsheet of changes to Intercom conversations.",
        epilog=f"The access token is read from ${TOKEN_ENV_VAR}. Exit codes: 0 every row "
        "updated, 1 some rows failed/invalid/not attempted, 2 unusable invocation or "
        "input, 130 interrupted.",
    )
    parser.add_argument("--version", action="version", version=f"bulk-update {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    _add_sheet_command(
        commands,
        "run",
        "validate a sheet and apply it",
        "Validate every row, then send PUT /conversations/{id} for each valid one.",
        ("INPUT", "CSV, TSV, XLSX or XLS file, one row per conversation"),
        "results file (.csv or .xlsx); default <input>.results.csv",
    )
    _add_sheet_command(
        commands,
        "retry",
        "re-send the failed and not attempted rows of a report",
        "Re-send exactly the rows of a report whose status is failed or not_attempted, "
        "using the input columns the report carries.",
        ("REPORT", "the report of an earlier run"),
        "new results file; default <REPORT stem>.retry.csv",
    )
    undo = _add_sheet_command(
        commands,
        "undo",
        "put back what a --backup run changed",
        "Run the backup of a --backup run (given itself, or the run's report) to restore the "
        "previous values.",
        ("REPORT_OR_BACKUP", "a --backup file, or its run's report"),
        "results file; default <backup>.results.csv",
    )
    undo.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    schema = commands.add_parser(
        "schema",
        help="save the workspace's conversation attributes to a file (for --schema)",
        description="Read GET /data_attributes?model=conversation and save it as JSON.",
    )
    schema.add_argument("--out", type=Path, required=True, help="JSON file to write")
    _add_connection_flags(schema)
    _add_output_flags(schema)

    sandbox = commands.add_parser(
        "sandbox",
        help="run the built-in Intercom simulator",
        description="Serve the Intercom simulator on a loopback port until interrupted.",
    )
    sandbox.add_argument(
        "--port", type=int, default=8000, help="port to listen on (default 8000; 0 = any free)"
    )
    sandbox.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    sandbox.add_argument(
        "--limit", type=int, default=1666, help="requests allowed per window (default 1666)"
    )
    sandbox.add_argument(
        "--window", type=int, default=10, help="window length in seconds (default 10)"
    )
    sandbox.add_argument(
        "--latency", type=float, default=0.0, help="mean seconds added to each answer"
    )
    sandbox.add_argument(
        "--error-rate", type=float, default=0.0, help="share of requests answered 5xx"
    )
    sandbox.add_argument(
        "--reset-rate", type=float, default=0.0, help="share of connections dropped"
    )
    sandbox.add_argument("--hang-rate", type=float, default=0.0, help="share of requests that hang")
    sandbox.add_argument("--retry-after", action="store_true", help="send Retry-After on 429s")
    sandbox.add_argument("--seed", type=int, help="seed for the fault injection")
    sandbox.add_argument("--token", default=None, help="token to accept (default 'sandbox-token')")
    _add_output_flags(sandbox)
    return parser


def _add_sheet_command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    summary: str,
    description: str,
    sheet: tuple[str, str],
    report_help: str,
) -> argparse.ArgumentParser:
    """A command that takes a sheet (run, retry, undo) and every flag of a run."""
    parser = commands.add_parser(name, help=summary, description=description)
    parser.add_argument("input", type=Path, metavar=sheet[0], help=sheet[1])
    parser.add_argument("--report", type=Path, help=report_help)
    _add_run_flags(parser)
    return parser


def _add_run_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--schema",
        type=Path,
        metavar="FILE",
        help="conversation attributes from this file instead of the API",
    )
    _add_connection_flags(parser)
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="validate and report what would be sent; send nothing",
    )
    parser.add_argument(
        "--limit", type=int, metavar="N", help="process only the first N valid rows"
    )
    parser.add_argument("--delimiter", help="CSV delimiter (default: sniffed)")
    parser.add_argument(
        "--encoding", help="text encoding of a CSV (default: UTF-8, with or without BOM)"
    )
    parser.add_argument("--sheet", help="workbook sheet to read (default: the first)")
    parser.add_argument(
        "--ignore-column",
        action="append",
        default=[],
        metavar="NAME",
        help="leave this column out (repeatable)",
    )
    parser.add_argument(
        "--clear-marker",
        default=DEFAULT_CLEAR_MARKER,
        help=f"a cell holding exactly this clears the attribute (default {DEFAULT_CLEAR_MARKER!r})",
    )
    parser.add_argument(
        "--rate",
        default="1666/10",
        help="at most N requests per SECONDS, as N/SECONDS (default 1666/10)",
    )
    parser.add_argument(
        "--headroom",
        type=float,
        default=0.0,
        metavar="PERCENT",
        help="leave this share of the rate limit the headers report unused (default 0)",
    )
    parser.add_argument(
        "--concurrency", type=int, default=20, help="requests in flight at once (default 20)"
    )
    parser.add_argument(
        "--max-retries",
        type=int,
        default=6,
        help="retries per row for 429/5xx/timeouts (default 6)",
    )
    parser.add_argument(
        "--timeout", type=float, default=30.0, help="seconds to wait for one answer (default 30)"
    )
    parser.add_argument(
        "--max-failures", type=int, metavar="N", help="stop the run once N rows have failed"
    )
    parser.add_argument(
        "--backup",
        type=Path,
        metavar="PATH",
        help="read each conversation first and save the values about to change, as a sheet "
        "that 'bulk-update run PATH' (or 'undo') puts back",
    )
    parser.add_argument(
        "--skip-unchanged",
        action="store_true",
        help="read each conversation first and do not write rows already as wanted",
    )
    parser.add_argument(
        "--live",
        action="store_true",
        help="with --dry-run: read each conversation and report before -> after",
    )
    parser.add_argument(
        "--max-wait",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="longest pause a rate-limit header may impose at a time (default 60)",
    )
    parser.add_argument(
        "--summary-json", type=Path, metavar="PATH", help="also write the summary as JSON"
    )
    parser.add_argument(
        "--resume", action="store_true", help="continue the run whose journal sits beside --report"
    )
    parser.add_argument(
        "--force", action="store_true", help="with --resume: resume even if the input changed"
    )
    _add_output_flags(parser)


def _add_connection_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("connection")
    group.add_argument(
        "--sandbox",
        action="store_true",
        help="run against the built-in simulator (no token needed)",
    )
    group.add_argument(
        "--region",
        choices=sorted(REGION_BASE_URLS),
        default="us",
        help="Intercom region (default us)",
    )
    group.add_argument("--base-url", help="API base URL (overrides --region)")
    group.add_argument(
        "--api-version",
        default=DEFAULT_API_VERSION,
        help=f"Intercom-Version header (default {DEFAULT_API_VERSION})",
    )
    group.add_argument(
        "--token-env",
        default=TOKEN_ENV_VAR,
        metavar="NAME",
        help=f"environment variable holding the token (default {TOKEN_ENV_VAR})",
    )


def _add_output_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("output")
    group.add_argument(
        "-v", "--verbose", action="count", default=0, help="log each request (-vv: debug)"
    )
    group.add_argument(
        "-q", "--quiet", action="store_true", help="no progress bar, warnings and errors only"
    )
    group.add_argument(
        "--log-file", type=Path, help="also write the log (one line per request) here"
    )
    group.add_argument(
        "--log-bodies",
        action="store_true",
        help="with -v or --log-file: include each request's body in its log line",
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    secret = os.environ.get(getattr(args, "token_env", TOKEN_ENV_VAR), "").strip()
    try:
        _configure_logging(args, secret)
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
        return asyncio.run(_sandbox(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except RunStopped as error:
        print(f"stopped: {error}", file=sys.stderr)
        return EXIT_ROWS_NOT_UPDATED
    except BulkUpdateError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_ROWS_NOT_UPDATED
    except Exception as error:  # a bug: say so in one line; the traceback goes to -vv
        log.debug("unexpected error", exc_info=True)
        message = _redact(f"{type(error).__name__}: {error}", secret)
        print(
            f"error: unexpected {message}. This is a bug in bulk-update; run again with -vv "
            "(and --log-file) to capture the details for a report",
            file=sys.stderr,
        )
        return EXIT_ROWS_NOT_UPDATED


def _backup_to_undo(args: argparse.Namespace) -> Path:
    """The backup file that ``undo`` runs: the one given, or the one its report's run wrote.
    Asks before going on, unless --yes."""
    from bulk_update.config import ReadOptions
    from bulk_update.journal import backup_of
    from bulk_update.reader import Table

    given: Path = args.input
    columns = Table(given, ReadOptions()).columns
    backup = given
    if "status" in columns:
        journal = given.with_name(given.name + ".journal")
        found = backup_of(journal) if journal.exists() else None
        if found is None:
            raise UsageError(
                f"{given} is the report of a run without --backup: there is nothing to undo"
            )
        backup = found
    if not args.yes:
        if not sys.stdin.isatty():
            raise UsageError(f"undo would restore the values in {backup}: pass --yes to confirm")
        answer = input(f"Restore the previous values saved in {backup}? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            raise UsageError("undo cancelled")
    return backup


def _redact(text: str, secret: str) -> str:
    return text.replace(secret, "***") if secret else text


class _RedactSecret(logging.Filter):
    """Last line of defence: no log line carries the token, whatever put it there."""

    def __init__(self, secret: str):
        super().__init__()
        self._secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        if self._secret:
            message = record.getMessage()
            if self._secret in message:
                record.msg, record.args = _redact(message, self._secret), None
        return True


def _configure_logging(args: argparse.Namespace, secret: str) -> None:
    level = logging.WARNING
    if args.quiet:
        level = logging.ERROR
    elif args.verbose >= 2:
        level = logging.DEBUG
    elif args.verbose == 1:
        level = logging.INFO
    root = logging.getLogger("bulk_update")
    root.handlers.clear()
    root.propagate = False
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    redact = _RedactSecret(secret)
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(level)
    console.setFormatter(formatter)
    console.addFilter(redact)
    root.addHandler(console)
    root.setLevel(level)
    if args.log_file is not None:
        file_handler = logging.FileHandler(args.log_file, encoding="utf-8")
        file_handler.setLevel(min(level, logging.INFO))
        file_handler.setFormatter(formatter)
        file_handler.addFilter(redact)
        root.addHandler(file_handler)
        root.setLevel(min(level, logging.INFO))


def _read_token(args: argparse.Namespace) -> Token | None:
    value = os.environ.get(args.token_env, "")
    return Token(value) if value.strip() else None


def _send_options(args: argparse.Namespace, base_url: str | None = None) -> SendOptions:
    url = base_url or args.base_url or REGION_BASE_URLS[args.region]
    if not hasattr(args, "rate"):
        return SendOptions(base_url=url, api_version=args.api_version)
    return SendOptions(
        base_url=url,
        api_version=args.api_version,
        rate=Rate.parse(args.rate),
        headroom_percent=args.headroom,
        concurrency=args.concurrency,
        max_retries=args.max_retries,
        timeout=args.timeout,
        max_failures=args.max_failures,
        max_wait=args.max_wait,
        log_bodies=args.log_bodies,
    )


def _job_settings(args: argparse.Namespace, base_url: str | None) -> JobSettings:
    input_path: Path = args.input
    retrying = args.command == "retry"
    default_report = (
        input_path.with_name(f"{input_path.stem}.retry.csv")
        if retrying
        else default_report_path(input_path)
    )
    return JobSettings(
        input_path=input_path,
        report_path=args.report or default_report,
        only_statuses=RETRY_STATUSES if retrying else None,
        read=ReadOptions(
            delimiter=args.delimiter,
            encoding=args.encoding,
            sheet=args.sheet,
            ignore_columns=frozenset(name.strip() for name in args.ignore_column),
            clear_marker=args.clear_marker,
        ),
        send=_send_options(args, base_url),
        schema_path=args.schema,
        dry_run=args.dry_run,
        limit=args.limit,
        resume=args.resume,
        force=args.force,
        summary_json=args.summary_json,
        backup_path=args.backup,
        skip_unchanged=args.skip_unchanged,
        live=args.live,
    )


async def _run(args: argparse.Namespace) -> int:
    from bulk_update.job import Job
    from bulk_update.progress import Progress, SilentProgress, TqdmProgress
    from bulk_update.sandbox import SANDBOX_TOKEN, Sandbox

    sandbox = Sandbox() if args.sandbox else None
    if sandbox is not None:
        await sandbox.start()
        log.info("sandbox listening on %s", sandbox.url)
    try:
        settings = _job_settings(args, sandbox.url if sandbox else None)
        token = Token(SANDBOX_TOKEN) if sandbox else _read_token(args)
        show_bar = not args.quiet and (not settings.dry_run or settings.live)
        progress: Progress = TqdmProgress() if show_bar else SilentProgress()
        job = Job(settings, token, progress=progress)
        _install_signal_handlers(job)
        result = await _run_with_log_redirect(job, show_bar)
    finally:
        if sandbox is not None:
            await sandbox.stop()
    return _render(result)


async def _run_with_log_redirect(job: Job, show_bar: bool) -> RunResult:
    if not show_bar:
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


def _render(result: RunResult) -> int:
    from bulk_update.models import RowStatus
    from bulk_update.report import render_summary

    summary = result.summary
    for request in result.sample_requests:
        path = f"/conversations/{request.conversation_id}"
        print(f"row {request.row}: PUT {path} {json.dumps(request.body)}")
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


async def _schema(args: argparse.Namespace) -> int:
    from bulk_update.client import IntercomClient
    from bulk_update.job import fetch_schema
    from bulk_update.retry import RetryPolicy
    from bulk_update.sandbox import SANDBOX_TOKEN, Sandbox

    sandbox = Sandbox() if args.sandbox else None
    if sandbox is not None:
        await sandbox.start()
    try:
        send = _send_options(args, sandbox.url if sandbox else None)
        token = Token(SANDBOX_TOKEN) if sandbox else _read_token(args)
        if token is None:
            raise UsageError(f"no access token: set {args.token_env}")
        client = IntercomClient(
            send.base_url, token, api_version=send.api_version, timeout=send.timeout, connections=1
        )
        async with client:
            schema = await fetch_schema(client, RetryPolicy())
    finally:
        if sandbox is not None:
            await sandbox.stop()
    schema.save(args.out)
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
