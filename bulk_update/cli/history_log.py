"""``bulk-update log REPORT``: a sheet's history, round by round, newest first (the library's
:func:`bulk_update.log`, printed, or as JSON with ``--json``)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from bulk_update.cli.parsers import command_parser

if TYPE_CHECKING:
    from bulk_update.history.rounds import Round


_NOTIFY_URL = "--notify-url"


def add_log(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    log = command_parser(
        commands,
        "log",
        "show a sheet's history: every round of every command, newest first",
        "Print the rounds of the history a report (or a copy of it) continues, newest first: "
        "when, the command, the workspace and the teammate the token belongs to, the rows "
        "and settings sent (and their digest), the counts, and how it ended. Read from the "
        "history itself (the journal beside the report, or where the report says it was made).",
        ("bulk-update log results.csv", "bulk-update log results.csv --json"),
    )
    log.add_argument("input", type=Path, metavar="REPORT", help="a report of the sheet")
    log.add_argument("--json", action="store_true", help="one JSON array, for machines")
    log.set_defaults(verbose=0, log_file=None)  # it sends nothing: nothing to log


async def log_command(args: argparse.Namespace) -> int:
    from bulk_update.job.round_log import sheet_log

    rounds = sheet_log(args.input)
    if args.json:
        print(json.dumps([each.as_dict() for each in rounds], indent=2, ensure_ascii=False))
    elif not rounds:
        print(f"{args.input}: no rounds in its history (none found, or none logged yet)")
    else:
        print("\n\n".join(render_round(each) for each in rounds))
    return 0


def render_round(found: Round) -> str:
    counts = ", ".join(f"{n} {status}" for status, n in found.counts.items()) or "no rows"
    settings = ", ".join(f"{name}={value}" for name, value in found.settings.items())
    lines = [
        f"{found.started_at} to {found.ended_at}: {found.command}",
        f"  workspace: {found.workspace or 'not read'}"
        + (f", token of {found.teammate}" if found.teammate else ""),
        f"  {found.rows} rows of {found.input}, with {settings or 'no settings'} "
        f"(digest {found.digest})",
        f"  {counts}: {found.ended}",
    ]
    return "\n".join(lines)


def unlogged(argv: list[str]) -> list[str]:
    """The arguments with each webhook's address left out (its path is its secret), however
    the flag was typed (argparse takes ``--notify`` for ``--notify-url``)."""
    shown = list(argv)
    for at, argument in enumerate(shown):
        name, equals, _value = argument.partition("=")
        if len(name) < 3 or not name.startswith("--") or not _NOTIFY_URL.startswith(name):
            continue
        if equals:
            shown[at] = f"{name}=hidden"
        elif at + 1 < len(shown):
            shown[at + 1] = "hidden"
    return shown
