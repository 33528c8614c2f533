"""The flags a suggested command carries: given ones only, typed as they would be again."""

from __future__ import annotations

import shlex

from bulk_update.cli.arguments import build_parser
from bulk_update.cli.carry import carried_flags, column_flags


def test_the_flags_that_give_a_sheet_its_meaning_are_carried_as_typed() -> None:
    args = build_parser().parse_args(
        [
            "run",
            "x.csv",
            "--sandbox",
            "--dayfirst",
            "--decimal-point",
            "--timezone",
            "Europe/Paris",
            "--schema",
            "my schema.json",
            "--limit",
            "3",
            "--region",
            "eu",
        ]
    )
    assert carried_flags(args) == (
        " --sandbox --region eu --decimal-point --dayfirst --timezone Europe/Paris"
        " --schema 'my schema.json'"
    )


def test_nothing_given_carries_nothing() -> None:
    assert carried_flags(build_parser().parse_args(["run", "x.csv"])) == ""


def test_the_version_quiet_notes_and_how_columns_read_are_carried_where_they_mean_the_same() -> (
    None
):
    """A suggested re-run that dropped --no-notify would notify people; one that dropped
    --api-version Preview could not write what the sheet asks. The columns' renames go only
    to the commands that read the same sheet again (a backup's columns are already named)."""
    args = build_parser().parse_args(
        [
            "run",
            "x.csv",
            "--api-version",
            "Preview",
            "--no-notify",
            "--rename",
            "Priority=conversation_priority",
            "--rename",
            "Who=admin_assignee",
            "--ignore-column",
            "Comment",
        ]
    )
    assert carried_flags(args) == " --api-version Preview --no-notify"
    assert column_flags(args) == (
        " --rename Priority=conversation_priority --rename Who=admin_assignee"
        " --ignore-column Comment"
    )
    again = build_parser().parse_args(["run", "x.results.csv", *shlex.split(column_flags(args))])
    assert again.renames == args.renames and again.ignore_columns == args.ignore_columns


def test_the_workspace_and_how_keys_match_are_carried() -> None:
    """A suggested run of a keyed report that dropped --match all would search its
    unmatched rows again under --match one; one that dropped --workspace would not check it."""
    typed = ["run", "x.csv", "--workspace", "Acme EU", "--key", "email", "--match", "all"]
    args = build_parser().parse_args([*typed, "--where", "state = open"])
    assert carried_flags(args) == (
        " --workspace 'Acme EU' --key email --match all --where 'state = open'"
    )
