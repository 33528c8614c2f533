"""The flags a suggested command carries: given ones only, typed as they would be again."""

from __future__ import annotations

from bulk_update.cli.arguments import build_parser
from bulk_update.cli.carry import carried_flags


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
