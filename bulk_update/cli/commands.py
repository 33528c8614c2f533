"""Command line: parse, call the library, render, pick the exit code. Nothing else.

Each command is one call into ``bulk_update.api``; every error is caught here, once. Heavy
modules (pandas, aiohttp) are imported inside the commands, so ``--help`` is fast.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import shlex
import signal
import sys
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Sequence
from typing import TYPE_CHECKING

from bulk_update.cli import EXIT_INTERRUPTED
from bulk_update.cli.arguments import (
    CONNECTION_NAMES,
    EXPORT_RETRIES,
    VALUE_READING,
    build_parser,
    given_settings,
    setting_names,
)
from bulk_update.cli.carry import carried_flags, column_flags
from bulk_update.cli.history_log import log_command, unlogged
from bulk_update.cli.logs import configure_logging, redact
from bulk_update.config import Token, read_token, require_token
from bulk_update.errors import (
    BulkUpdateError,
    HistoryExists,
    RunStopped,
    StorageFailed,
    UsageError,
    storage_reason,
)

if TYPE_CHECKING:
    from bulk_update.job.hooks import Interruption, RunHooks
    from bulk_update.models import RunResult, Workspace
    from bulk_update.send.progress import Progress

EXIT_OK = 0
EXIT_ROWS_NOT_UPDATED = 1
EXIT_USAGE = 2

log = logging.getLogger("bulk_update")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.typed = list(sys.argv[1:] if argv is None else argv)  # what a sheet's log shows
    secret = os.environ.get(args.token_env, "").strip() if "token_env" in args else ""
    try:
        configure_logging(args, secret)
    except OSError as error:
        print(
            f"error: cannot write the log file {args.log_file}: {error.strerror}", file=sys.stderr
        )
        return EXIT_USAGE
    try:
        return asyncio.run(COMMANDS[args.command](args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader (head, less) has stopped reading: end quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the exit's flush cannot fail again
        return EXIT_OK
    except BulkUpdateError as error:
        return _refused(error, setting_names(args), carried_flags(args) + column_flags(args))
    except Exception as error:  # a bug: say so in one line; the traceback goes to -vv
        log.debug("unexpected error", exc_info=True)
        message = redact(f"{type(error).__name__}: {error}", secret)
        print(
            f"error: unexpected {message}. This is a bug in bulk-update; run again with -vv "
            "(and --log-file) to capture the details for a report",
            file=sys.stderr,
        )
        return EXIT_ROWS_NOT_UPDATED


def _refused(error: BulkUpdateError, names: dict[str, str], carry: str) -> int:
    """One line for what the library refused or stopped at (and the way on, where there is
    one), and its exit code."""
    if isinstance(error, HistoryExists):
        from bulk_update.cli.render import render_history_exists

        print(f"error: {error.describe(names)}", file=sys.stderr)
        print(
            render_history_exists(str(error.report), str(error.input_path), carry), file=sys.stderr
        )
        return EXIT_USAGE
    if isinstance(error, RunStopped):
        print(f"stopped: {error.describe(names)}", file=sys.stderr)
        return EXIT_ROWS_NOT_UPDATED
    print(f"error: {error.describe(names)}", file=sys.stderr)
    if isinstance(error, StorageFailed):
        return EXIT_ROWS_NOT_UPDATED if error.sent else EXIT_USAGE
    return EXIT_USAGE if isinstance(error, UsageError) else EXIT_ROWS_NOT_UPDATED


async def _run(args: argparse.Namespace) -> int:
    from bulk_update import api

    return await _sheet_command(args, api.run_async)


async def _retry(args: argparse.Namespace) -> int:
    from bulk_update import api

    return await _sheet_command(args, api.retry_async)


async def _undo(args: argparse.Namespace) -> int:
    from bulk_update import api

    _confirm_undo(args)
    return await _sheet_command(args, api.undo_async)


def _confirm_undo(args: argparse.Namespace) -> None:
    """Asks before an undo goes on, unless --yes."""
    from bulk_update.job.undoing import undo_plan

    plan = undo_plan(args.input)
    if plan.restores_actions and not getattr(args, "admin", None):
        # Checked before asking: a yes must not be met by a refusal.
        raise UsageError(
            f"undo would restore state, assignees and tags from {plan.backup}: name the "
            "teammate they are made as with --admin (an email or an id)"
        )
    if args.yes or getattr(args, "dry_run", False) or not plan.conversations:
        return  # a dry run changes nothing to confirm; nor does an undo with nothing left
    what = f"{plan.conversations} conversation(s)' {', '.join(plan.fields)} from {plan.backup}"
    if not sys.stdin.isatty():
        raise UsageError(f"undo would restore {what}: pass --yes to confirm")
    answer = input(f"Restore {what}? [y/N] ")
    if answer.strip().lower() not in ("y", "yes"):
        raise UsageError("undo cancelled")


async def _sheet_command(
    args: argparse.Namespace, call: Callable[..., Awaitable[RunResult]]
) -> int:
    """run, retry or undo: the library's call with the flags given, progress on stderr, a
    Ctrl-C that drains, and the summary rendered."""
    from bulk_update.cli.render import interrupted_note, render_run
    from bulk_update.job.hooks import Interruption, RunHooks

    settings = given_settings(args)
    sandbox = settings.pop("sandbox", False)
    quiet = args.quiet or (settings.get("dry_run", False) and not settings.get("live", False))
    interruption = Interruption()
    hooks = RunHooks(
        _progress(quiet),
        setting_names(args),
        interruption,
        confirm=_confirmation(args),
        command="bulk-update " + shlex.join(unlogged(args.typed)),
    )
    _install_signal_handlers(interruption)
    token = _token(args)
    with _logs_above_the_bar(hooks):
        result = await call(args.input, token=token, sandbox=sandbox, hooks=hooks, **settings)
    print(render_run(result, quiet=args.quiet, carry=carried_flags(args), again=column_flags(args)))
    if result.summary.interrupted:
        if not result.summary.undo:  # an undo's own summary says how to finish it
            print(interrupted_note(result.summary), file=sys.stderr)
        return EXIT_INTERRUPTED
    return EXIT_OK if result.summary.all_succeeded else EXIT_ROWS_NOT_UPDATED


def _confirmation(args: argparse.Namespace) -> Callable[[Workspace | None, int], bool] | None:
    """At a terminal, a run about to change more than --confirm-above conversations asks
    for the workspace's name to be typed; never with --yes or --workspace, nor off one."""
    if args.yes or getattr(args, "workspace", None) or not sys.stdin.isatty():
        return None

    def confirm(workspace: Workspace | None, conversations: int) -> bool:
        if conversations <= args.confirm_above:
            return True
        where = workspace.described() if workspace else "that could not be read (GET /me)"
        asked = f"the workspace's name ({workspace.name})" if workspace else "yes"
        print(
            f"This run changes {conversations:,} conversations in the workspace {where}.",
            file=sys.stderr,
        )
        # Ctrl-C while asked: not confirmed (the run's own handler waits for the answer).
        interrupt = signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            typed = input(f"Type {asked} to go on: ")
        except (EOFError, KeyboardInterrupt):
            return False  # Ctrl-D or Ctrl-C: nothing is sent
        finally:
            signal.signal(signal.SIGINT, interrupt)
        return workspace.is_named(typed) if workspace else typed.strip() == "yes"

    return confirm


def _token(args: argparse.Namespace) -> Token | str:
    """The token in the variable --token-env names; "" when it is unset, so that the library
    does not fall back on another variable and its message names this one."""
    return read_token(None, args.token_env) or ""


def _progress(quiet: bool) -> Progress:
    """A bar on a terminal; off one (a file, a CI log) a plain line every few seconds."""
    from bulk_update.send.progress import LineProgress, SilentProgress, TqdmProgress

    if quiet:
        return SilentProgress()
    if sys.stderr.isatty():
        return TqdmProgress()
    return LineProgress(sys.stderr)


@contextlib.contextmanager
def _logs_above_the_bar(hooks: RunHooks) -> Iterator[None]:
    """Log lines go above a bar instead of through it."""
    from bulk_update.send.progress import TqdmProgress

    if not isinstance(hooks.progress, TqdmProgress):
        yield
        return
    from tqdm.contrib.logging import logging_redirect_tqdm

    with logging_redirect_tqdm(loggers=[logging.getLogger("bulk_update")]):
        yield


def _install_signal_handlers(interruption: Interruption) -> None:
    loop = asyncio.get_running_loop()

    def on_signal() -> None:
        if interruption.requested:
            print("\nsecond interrupt: exiting now (resume with --resume)", file=sys.stderr)
            os._exit(EXIT_INTERRUPTED)
        print(
            "\ninterrupted: finishing the requests in flight and writing the report "
            "(interrupt again to exit at once)",
            file=sys.stderr,
        )
        interruption.request()

    for signal_number in (signal.SIGINT, signal.SIGTERM):
        # Not possible outside the main thread (a library caller's) or on Windows.
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signal_number, on_signal)
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        # A Ctrl-C before these handlers (during the imports): asyncio's own handler has
        # cancelled the command, which would stop at its first pause, however far it had got.
        # Nothing has been sent yet: stop here.
        raise KeyboardInterrupt


async def _export(args: argparse.Namespace) -> int:
    from bulk_update.api import export_async
    from bulk_update.cli.render import render_export
    from bulk_update.job.hooks import RunHooks
    from bulk_update.search.query import load_query

    query = None
    if args.query_path is not None:
        try:
            text = args.query_path.read_text(encoding="utf-8")
        except OSError as error:
            raise UsageError(f"cannot read {args.query_path}: {error.strerror}") from None
        query = load_query(text, str(args.query_path))
    result = await export_async(
        args.out,
        where=args.where,
        query=query,
        columns=args.columns.split(",") if args.columns else None,
        limit=args.limit,
        token=_token(args),
        hooks=RunHooks(progress=_progress(args.quiet)),
        **given_settings(args, only=CONNECTION_NAMES | VALUE_READING | EXPORT_RETRIES),
    )
    print(render_export(result, args.limit, carried_flags(args)))
    return EXIT_OK


async def _schema(args: argparse.Namespace) -> int:
    from bulk_update.api import save_schema_async

    schema = await save_schema_async(
        args.out,
        token=_token(args),
        **given_settings(args, only=CONNECTION_NAMES),
    )
    print(f"{len(schema.attributes)} conversation attributes saved to {args.out}")
    return EXIT_OK


async def _sandbox(args: argparse.Namespace) -> int:
    from dataclasses import fields

    from bulk_update.sandbox import SANDBOX_POPULATION, Sandbox, SandboxConfig

    given = {f.name: getattr(args, f.name) for f in fields(SandboxConfig) if f.name in args}
    config = SandboxConfig(**{"population": SANDBOX_POPULATION, **given})
    sandbox = Sandbox(config, host=args.host, port=args.port)
    url = await _listening(sandbox.start, args.host, args.port)
    print(f"sandbox listening on {url} (token: {config.token}); Ctrl-C to stop", flush=True)
    try:
        await _until_interrupted()
    finally:
        await sandbox.stop()
    return EXIT_OK


async def _ui(args: argparse.Namespace) -> int:
    import webbrowser

    from bulk_update.config import Token
    from bulk_update.sandbox import SANDBOX_POPULATION, SANDBOX_TOKEN, Sandbox, SandboxConfig
    from bulk_update.ui import UiServer
    from bulk_update.ui.choices import Connection

    settings = given_settings(args, only=CONNECTION_NAMES)
    simulator: Sandbox | None = None
    if settings.pop("sandbox", False):
        simulator = Sandbox(SandboxConfig(population=SANDBOX_POPULATION))
        settings["base_url"] = await simulator.start()
        connection = Connection(settings, Token(SANDBOX_TOKEN))
    else:
        # Refused now, not at the page's first step.
        connection = Connection(settings, require_token(read_token(None, args.token_env)))
    server = UiServer(connection, port=args.port)
    try:
        url = await _listening(server.start, "127.0.0.1", args.port)
        print(f"bulk-update ui: open {url} (Ctrl-C to stop)", flush=True)
        if not args.no_browser:
            webbrowser.open(url)
        await _until_interrupted()
    finally:
        await server.stop()
        if simulator is not None:
            await simulator.stop()
    return EXIT_OK


async def _listening(start: Callable[[], Awaitable[str]], host: str, port: int) -> str:
    """Start a server on ``port``; a port that is not one, or is taken, is a usage error."""
    if not 0 <= port <= 65535:
        raise UsageError(f"--port {port} is not a port: give 0 to 65535 (0 = any free)")
    try:
        return await start()
    except OSError as error:
        raise UsageError(
            f"cannot listen on {host}:{port}: {storage_reason(error)}; "
            "choose another --port (0 picks a free one)"
        ) from None


async def _until_interrupted() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stop.set)
    await stop.wait()


COMMANDS: dict[str, Callable[[argparse.Namespace], Coroutine[None, None, int]]] = {
    "run": _run,
    "retry": _retry,
    "undo": _undo,
    "export": _export,
    "schema": _schema,
    "sandbox": _sandbox,
    "ui": _ui,
    "log": log_command,
}
