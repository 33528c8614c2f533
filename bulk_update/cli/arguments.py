"""The command line's words: every command and flag, and their help.

The flags of settings are derived from the settings dataclasses (``config``): their names,
help, defaults and checks are written there once. A flag given is put in the namespace under
the setting's name; a flag not given is absent (``argparse.SUPPRESS``), so that every default
comes from the dataclass and :func:`given_settings` hands the library exactly what was said.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Mapping
from dataclasses import Field, fields
from pathlib import Path
from typing import Any

from bulk_update.cli.history_log import add_log
from bulk_update.cli.parsers import Groups, command_parser
from bulk_update.config import (
    TOKEN_ENV_VAR,
    Destination,
    Flag,
    JobSettings,
    KeyOptions,
    ReadOptions,
    SendOptions,
    Unattended,
    flagged_fields,
)
from bulk_update.config.fields import default_of
from bulk_update.errors import SettingNames
from bulk_update.sheet.action_table import STATE_COLUMNS
from bulk_update.version import __version__

# The settings a sheet command (run, retry, undo) takes, in the order --help lists them.
SHEET_SETTINGS = (JobSettings, KeyOptions, Unattended, ReadOptions, SendOptions, Destination)
# The settings that say where requests go (export and schema take only these).
CONNECTION = ((Destination, None), (SendOptions, frozenset({"api_version", "log_bodies"})))

# What the library's messages call a setting → what the command line calls it: every
# setting's flag, and the few words of commands that are not settings of a run.
SETTING_FLAGS: dict[str, str] = {
    **{
        setting.name: flag.shown
        for settings in SHEET_SETTINGS
        for setting, flag in flagged_fields(settings)
    },
    "where": "--where",
    "query_path": "--query",
    "columns": "--columns",
    "schema_out": "--out",
    "token": f"${TOKEN_ENV_VAR}",
}
GIVEN_BY_FLAGS = frozenset(
    setting.name for settings in SHEET_SETTINGS for setting, _flag in flagged_fields(settings)
)


# How --where values are read: as a sheet's cells with these conventions.
VALUE_READING = frozenset({"decimal_comma", "date_order", "timezone"})
# How often an export asks for a search page again (one that failed, or was not a page).
EXPORT_RETRIES = frozenset({"max_retries"})

CONNECTION_NAMES = frozenset(
    setting.name
    for settings, only in CONNECTION
    for setting, _flag in flagged_fields(settings)
    if only is None or setting.name in only
) - {"log_bodies"}


def setting_names(args: argparse.Namespace) -> dict[str, str]:
    """What this command line calls each setting: its flag, and the token its variable
    (``--token-env NAME`` renames it)."""
    variable = getattr(args, "token_env", TOKEN_ENV_VAR)
    return {**SETTING_FLAGS, "token": f"${variable}"}


def given_settings(
    args: argparse.Namespace, *, only: frozenset[str] = GIVEN_BY_FLAGS
) -> dict[str, Any]:
    """The settings the command line gave, by the library's names."""
    return {name: value for name, value in vars(args).items() if name in only}


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
    _add_sheet_commands(commands)
    _add_export(commands)
    _add_schema(commands)
    _add_sandbox(commands)
    _add_ui(commands)
    add_log(commands)
    return parser


def _add_sheet_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    _sheet_command(
        commands,
        "run",
        "validate a sheet and apply it",
        "Validate every row, then send PUT /conversations/{id} for each valid one. Given a "
        "report of an earlier run, send what is not done yet and rewrite the report in place. "
        "Every command on a sheet reads and extends its history, the journal beside its report "
        "(<report>.journal): a note it may have posted is looked for before it is sent again, "
        "one command holds it at a time, and undo restores what the first round found. Given "
        "an export, only the cells edited since are sent; a cell edited here that also changed "
        "in Intercom since is a conflict (status conflict): its report takes the live value as "
        "its base, so running the report again sends yours (or --overwrite-conflicts now).",
        ("INPUT", "CSV, TSV, XLSX or XLS file, one row per conversation, or a report"),
        "results file (.csv or .xlsx); default <input>.results.csv (a report: itself)",
        (
            "bulk-update run changes.csv --dry-run",
            "bulk-update run changes.csv --report results.csv --backup before.csv",
            "bulk-update run results.csv      # after fixing its failed and invalid rows",
        ),
    )
    _sheet_command(
        commands,
        "retry",
        "re-send the failed and not attempted rows of a report",
        "Re-send exactly the rows of a report whose status is failed or not_attempted, "
        "using the input columns the report carries.",
        ("REPORT", "the report of an earlier run"),
        "new results file; default <REPORT stem>.retry.csv",
        ("bulk-update retry results.csv",),
    )
    _sheet_command(
        commands,
        "undo",
        "put back what a --backup run changed",
        "Run the backup of a --backup run (given itself, or the run's report) to restore the "
        "previous values.",
        ("REPORT_OR_BACKUP", "a --backup file, or its run's report"),
        "results file; default <backup name without .csv>.results.csv",
        ("bulk-update undo before.csv", "bulk-update undo results.csv --yes"),
    )


def _sheet_command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    summary: str,
    description: str,
    sheet: tuple[str, str],
    report_help: str,
    examples: tuple[str, ...],
) -> argparse.ArgumentParser:
    """A command that takes a sheet (run, retry, undo) and every setting of a run."""
    parser = command_parser(commands, name, summary, description, examples)
    parser.add_argument("input", type=Path, metavar=sheet[0], help=sheet[1])
    parser.add_argument(
        "--confirm-above",
        type=int,
        default=1000,
        metavar="N",
        help="at a terminal, a run changing more than N conversations asks for the "
        "workspace's name to be typed first (default 1000; not with --workspace or --yes)",
    )
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    groups = Groups(parser)
    for settings in SHEET_SETTINGS:
        add_setting_flags(groups, fields(settings), help_of={"report_path": report_help})
    _add_token_env(groups)
    _add_output_flags(groups)
    return parser


def _add_export(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    export = command_parser(
        commands,
        "export",
        "write the conversations a search finds as a sheet to edit and run",
        "Search conversations (POST /conversations/search, 150 a page) and write them to OUT "
        "(.csv or .xlsx) in the tool's input format: edit cells, then run the file (with "
        "--skip-unchanged only the edited cells are sent). The export is a snapshot.",
        (
            "bulk-update export stale.xlsx --where 'state = open' "
            "--where 'updated_at < 2026-01-01' --columns issue_type,priority,state",
            "bulk-update export vip.csv --where 'tag = VIP' --where 'admin_assignee = "
            "ada@example.com'",
            "bulk-update export any.csv --query query.json --limit 1000",
        ),
        "FIELD is a conversation search field (id, state, open, read, created_at, "
        "updated_at, snoozed_until, admin_assignee_id, team_assignee_id, tag_ids, title, "
        "source.*, statistics.*, ...), a conversation attribute's name, or admin_assignee "
        "(an email), team_assignee (a name) or tag (a name). OP is one of = != < > <= >= ~ "
        "(contains) !~ ^ (starts with) $ (ends with) in, not in (comma-separated values).",
    )
    export.add_argument("out", type=Path, metavar="OUT", help="the sheet to write (.csv, .xlsx)")
    export.add_argument(
        "--where",
        action="append",
        default=[],
        metavar="'FIELD OP VALUE'",
        help="a condition every exported conversation meets (repeatable: all must hold)",
    )
    export.add_argument(
        "--query",
        type=Path,
        dest="query_path",
        metavar="FILE",
        help="Intercom's own search query (JSON), for what --where cannot say (OR groups)",
    )
    export.add_argument(
        "--columns",
        metavar="A,B,...",
        help="what follows id: attribute names, read, title, company_id, "
        + ", ".join(STATE_COLUMNS)
        + " (default: those of them the --api-version can write back, and every writable "
        "attribute)",
    )
    export.add_argument("--limit", type=int, metavar="N", help="stop after N conversations")
    groups = Groups(export)
    add_setting_flags(groups, fields(ReadOptions), only=VALUE_READING)
    retries = "retries per search page for 429/5xx/timeouts/wrong answers (default {default})"
    add_setting_flags(
        groups, fields(SendOptions), only=EXPORT_RETRIES, help_of={"max_retries": retries}
    )
    _add_connection_flags(groups)


def _add_schema(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    schema = command_parser(
        commands,
        "schema",
        "save the workspace's conversation attributes to a file (for --schema)",
        "Read the workspace's conversation attributes, archived ones too (GET "
        "/conversations/attributes from --api-version 2.16, GET "
        "/data_attributes?model=conversation before) and save them as JSON.",
        (
            "bulk-update schema --out schema.json",
            "bulk-update schema --out schema.json --region eu",
        ),
    )
    schema.add_argument("--out", type=Path, required=True, help="JSON file to write")
    _add_connection_flags(Groups(schema))


def _add_sandbox(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from bulk_update.sandbox.config import SandboxConfig

    sandbox = command_parser(
        commands,
        "sandbox",
        "run the built-in Intercom simulator",
        "Serve the Intercom simulator on a loopback port until interrupted.",
        (
            "bulk-update sandbox --port 8000",
            "bulk-update sandbox --limit 100 --error-rate 0.05 --seed 1",
        ),
    )
    sandbox.add_argument(
        "--port", type=int, default=8000, help="port to listen on (default 8000; 0 = any free)"
    )
    sandbox.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    groups = Groups(sandbox)
    add_setting_flags(groups, fields(SandboxConfig))
    _add_output_flags(groups)


def _add_ui(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ui = command_parser(
        commands,
        "ui",
        "the whole loop on a local web page: check, preview, run, fix and resend, undo",
        "Serve a page on 127.0.0.1 for doing what run, retry and undo do, by choosing a sheet "
        "and pressing buttons; prints its address (with the key it needs) and opens it.",
        ("bulk-update ui --sandbox", "bulk-update ui --region eu --port 8765 --no-browser"),
    )
    ui.add_argument("--port", type=int, default=0, help="port to serve on (default: a free one)")
    ui.add_argument("--no-browser", action="store_true", help="print the address, open nothing")
    _add_connection_flags(Groups(ui))


def add_setting_flags(
    groups: Groups,
    settings: Iterable[Field[Any]],
    *,
    help_of: Mapping[str, str] | None = None,
    only: frozenset[str] | None = None,
) -> None:
    """The flags of these settings, each in its group, help and default from the field."""
    for setting in settings:
        flag = setting.metadata.get("flag")
        if not isinstance(flag, Flag) or (only is not None and setting.name not in only):
            continue
        target = groups[flag.group]
        helps = [_help(text, setting) for text in flag.help]
        if help_of and setting.name in help_of:
            helps = [_help(help_of[setting.name], setting)]
        if flag.values:
            exclusive = target.add_mutually_exclusive_group()
            for name, value, text in zip(flag.names, flag.values, helps, strict=True):
                exclusive.add_argument(
                    name,
                    dest=setting.name,
                    action="store_const",
                    const=value,
                    default=argparse.SUPPRESS,
                    help=text,
                )
            continue
        target.add_argument(*flag.names, dest=setting.name, help=helps[0], **_how(flag, setting))


def _how(flag: Flag, setting: Field[Any]) -> dict[str, Any]:
    how: dict[str, Any] = {"default": argparse.SUPPRESS}
    if default_of(setting) is False and not flag.parse and not flag.choices:
        how["action"] = "store_true"
        return how
    if flag.repeatable:
        how["action"] = "append"
    if flag.parse is not None:
        how["type"] = flag.parse
    if flag.choices:
        how["choices"] = flag.choices
    if not flag.choices:
        how["metavar"] = flag.metavar or flag.names[0].lstrip("-").upper().replace("-", "_")
    return how


def _help(template: str, setting: Field[Any]) -> str:
    """A flag's help: its template with the setting's default and other settings' flags."""
    names = SettingNames(SETTING_FLAGS)
    names["default"] = default_of(setting)
    return template.format_map(names)


def _add_connection_flags(groups: Groups) -> None:
    for settings, only in CONNECTION:
        add_setting_flags(groups, fields(settings), only=only)
    _add_token_env(groups)
    _add_output_flags(groups)


def _add_token_env(groups: Groups) -> None:
    groups["connection"].add_argument(
        "--token-env",
        default=TOKEN_ENV_VAR,
        metavar="NAME",
        help=f"environment variable holding the token (default {TOKEN_ENV_VAR})",
    )


def _add_output_flags(groups: Groups) -> None:
    group = groups["output"]
    group.add_argument(
        "-v", "--verbose", action="count", default=0, help="log each request (-vv: debug)"
    )
    group.add_argument(
        "-q", "--quiet", action="store_true", help="no progress bar, warnings and errors only"
    )
    group.add_argument(
        "--log-file", type=Path, help="also write the log (one line per request) here"
    )
