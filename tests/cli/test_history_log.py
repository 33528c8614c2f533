"""What a sheet's log shows of a command line: a webhook's address hidden, however typed."""

from __future__ import annotations

import pytest

from bulk_update.cli.history_log import unlogged


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        (["--notify-url", "https://h/secret"], ["--notify-url", "hidden"]),
        (["--notify", "https://h/secret"], ["--notify", "hidden"]),  # argparse's abbreviation
        (["--notify-u=https://h/secret"], ["--notify-u=hidden"]),
        (["--no-notify", "x.csv"], ["--no-notify", "x.csv"]),
        (["--admin", "a@b.example"], ["--admin", "a@b.example"]),
    ],
)
def test_a_webhook_s_address_is_hidden(typed: list[str], shown: list[str]) -> None:
    assert unlogged(["run", "x.csv", *typed]) == ["run", "x.csv", *shown]
