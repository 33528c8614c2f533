"""The command line's words: every command and flag, and their help. Nothing else."""

from __future__ import annotations

import argparse
from pathlib import Path

from bulk_update.config import (
    DEFAULT_API_VERSION,
    DEFAULT_CLEAR_MARKER,
    REGION_BASE_URLS,
    TOKEN_ENV_VAR,
)
from bulk_update.version import __version__

# What the library's messages call a setting → what the command line calls it.
SETTING_FLAGS = {
    "report_path": "--report",
    "backup_path": "--backup",
    "summary_json": "--summary-json",
    "schema_path": "--schema",
    "dry_run": "--dry-run",
    "live": "--live",
    "limit": "--limit",
    "resume": "--resume",
    "force": "--force",
    "skip_unchanged": "--skip-unchanged",
    "admin": "--admin",
    "create_tags": "--create-tags",
    "read_via": "--read-via",
    "where": "--where",
    "query_path": "--query",
    "columns": "--columns",
    "rate": "--rate",
    "headroom_percent": "--headroom",
    "concurrency": "--concurrency",
    "max_retries": "--max-retries",
    "timeout": "--timeout",
    "max_failures": "--max-failures",
    "max_wait": "--max-wait",
    "base_url": "--base-url",
    "region": "--region",
    "encoding": "--encoding",
    "delimiter": "--delimiter",
    "sheet": "--sheet",
    "ignore_columns": "--ignore-column",
    "clear_marker": "--clear-marker",
    "renames": "--rename",
    "decimal_comma": "--decimal-point / --decimal-comma",
    "date_order": "--dayfirst or --monthfirst",
    "timezone": "--timezone",
    "sandbox": "--sandbox",
    "token": f"${TOKEN_ENV_VAR}",
}


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
        "Validate every row, then send PUT /conversations/{id} for each valid one. Given a "
        "report of an earlier run, send what is not done yet and rewrite the report in place.",
        ("INPUT", "CSV, TSV, XLSX or XLS file, one row per conversation, or a report"),
        "results file (.csv or .xlsx); default <input>.results.csv (a report: itself)",
        examples=(
            "bulk-update run changes.csv --dry-run",
            "bulk-update run changes.csv --report results.csv --backup before.csv",
            "bulk-update run results.csv      # after fixing its failed and invalid rows",
        ),
    )
    _add_sheet_command(
        commands,
        "retry",
        "re-send the failed and not attempted rows of a report",
        "Re-send exactly the rows of a report whose status is failed or not_attempted, "
        "using the input columns the report carries.",
        ("REPORT", "the report of an earlier run"),
        "new results file; default <REPORT stem>.retry.csv",
        examples=("bulk-update retry results.csv",),
    )
    undo = _add_sheet_command(
        commands,
        "undo",
        "put back what a --backup run changed",
        "Run the backup of a --backup run (given itself, or the run's report) to restore the "
        "previous values.",
        ("REPORT_OR_BACKUP", "a --backup file, or its run's report"),
        "results file; default <backup>.results.csv",
        examples=("bulk-update undo before.csv", "bulk-update undo results.csv --yes"),
    )
    undo.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    export = commands.add_parser(
        "export",
        help="write the conversations a search finds as a sheet to edit and run",
        description="Search conversations (POST /conversations/search, 150 a page) and write "
        "them to OUT (.csv or .xlsx) in the tool's input format: edit cells, then run the file "
        "(with --skip-unchanged only the edited cells are sent). The export is a snapshot.",
        epilog=_examples(
            "bulk-update export stale.xlsx --where 'state = open' "
            "--where 'updated_at < 2026-01-01' --columns issue_type,priority,state",
            "bulk-update export vip.csv --where 'tag = VIP' --where 'admin_assignee = "
            "ada@example.com'",
            "bulk-update export any.csv --query query.json --limit 1000",
        )
        + "\n\nFIELD is a conversation search field (id, state, open, read, created_at, "
        "updated_at, snoozed_until, admin_assignee_id, team_assignee_id, tag_ids, title, "
        "source.*, statistics.*, ...), a conversation attribute's name, or admin_assignee "
        "(an email), team_assignee (a name) or tag (a name). OP is one of = != < > <= >= ~ "
        "(contains) !~ ^ (starts with) $ (ends with) in, not in (comma-separated values).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
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
        help="what follows id: attribute names, read, title, state, snoozed_until, "
        "admin_assignee, team_assignee, tags, company_id (default: state, both assignees, "
        "tags and every writable attribute)",
    )
    export.add_argument("--limit", type=int, metavar="N", help="stop after N conversations")
    _add_connection_flags(export)
    _add_output_flags(export)

    schema = commands.add_parser(
        "schema",
        help="save the workspace's conversation attributes to a file (for --schema)",
        description="Read GET /data_attributes?model=conversation and save it as JSON.",
        epilog=_examples(
            "bulk-update schema --out schema.json",
            "bulk-update schema --out schema.json --region eu",
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    schema.add_argument("--out", type=Path, required=True, help="JSON file to write")
    _add_connection_flags(schema)
    _add_output_flags(schema)

    sandbox = commands.add_parser(
        "sandbox",
        help="run the built-in Intercom simulator",
        description="Serve the Intercom simulator on a loopback port until interrupted.",
        epilog=_examples(
            "bulk-update sandbox --port 8000",
            "bulk-update sandbox --limit 100 --error-rate 0.05 --seed 1",
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
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
    sandbox.add_argument(
        "--conversations",
        type=int,
        default=500,
        metavar="N",
        help="conversations there from the start, for searches and exports (default 500)",
    )
    sandbox.add_argument("--token", default=None, help="token to accept (default 'sandbox-token')")
    _add_output_flags(sandbox)
    return parser


def _examples(*commands: str) -> str:
    return "examples:\n" + "\n".join(f"  {command}" for command in commands)


def _add_sheet_command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    summary: str,
    description: str,
    sheet: tuple[str, str],
    report_help: str,
    *,
    examples: tuple[str, ...],
) -> argparse.ArgumentParser:
    """A command that takes a sheet (run, retry, undo) and every flag of a run."""
    parser = commands.add_parser(
        name,
        help=summary,
        description=description,
        epilog=_examples(*examples),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
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
        "--rename",
        action="append",
        default=[],
        metavar="'OLD=new'",
        help="read the column OLD as the attribute new (repeatable)",
    )
    parser.add_argument(
        "--clear-marker",
        default=DEFAULT_CLEAR_MARKER,
        help=f"a cell holding exactly this clears the attribute (default {DEFAULT_CLEAR_MARKER!r})",
    )
    decimals = parser.add_mutually_exclusive_group()
    decimals.add_argument(
        "--decimal-comma",
        dest="decimal_comma",
        action="store_const",
        const=True,
        help="numbers are written 1.234,5 (default for a ';'-separated file)",
    )
    decimals.add_argument(
        "--decimal-point",
        dest="decimal_comma",
        action="store_const",
        const=False,
        help="numbers are written 1,234.5 (default otherwise)",
    )
    dates = parser.add_mutually_exclusive_group()
    dates.add_argument(
        "--dayfirst",
        dest="date_order",
        action="store_const",
        const="dayfirst",
        help="read 31/12/2026, 31.12.2026 and 31-12-2026 day first",
    )
    dates.add_argument(
        "--monthfirst",
        dest="date_order",
        action="store_const",
        const="monthfirst",
        help="read 12/31/2026 month first (without either, such dates are invalid)",
    )
    parser.add_argument(
        "--timezone",
        default="UTC",
        metavar="ZONE",
        help="IANA time zone of date-times written without one (default UTC)",
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
        "--admin",
        metavar="EMAIL_OR_ID",
        help="the teammate that actions (state, assignees, tags, note) are made as; required "
        "when the sheet has an action column",
    )
    parser.add_argument(
        "--read-via",
        choices=("search", "get"),
        default="search",
        help="how --backup, --skip-unchanged, --live and actions read conversations: 'search' "
        "reads 150 per request (Intercom's search index may lag a change made seconds ago), "
        "'get' reads each one exactly (default search)",
    )
    parser.add_argument(
        "--create-tags",
        action="store_true",
        help="create the tags the sheet names that the workspace does not have yet",
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
        help="Intercom region (default us)",
    )
    group.add_argument("--base-url", help="API base URL (instead of --region)")
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
