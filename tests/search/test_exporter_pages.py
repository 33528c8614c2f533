"""An export is whole or it fails: a search page answered with something that is not a page
(``{}``, a cursor that goes round, a page cut short with no next one) is asked again, and if it
stays wrong the export exits 1 naming the page, with no file written; a wrong answer that a
retry fixes still gives the whole export. Against the sandbox over loopback."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import bulk_update
from bulk_update.cli.commands import main
from bulk_update.errors import RunStopped
from bulk_update.sandbox import SandboxConfig
from tests.conftest import TOKEN, ThreadedSandbox, read_report

POPULATION = 1000  # ids 215467900000 + n; the one ending in 404 is missing: 999 in all
MATCHING = 999
PAGES = math.ceil(MATCHING / 150)  # 7
EVERYTHING = ["--where", "state != x"]


def sandbox_config(wrong: dict[int, str], times: int | None = None) -> SandboxConfig:
    return SandboxConfig(
        token=TOKEN,
        limit=100_000,
        seed=1,
        population=POPULATION,
        wrong_search_pages=wrong,
        wrong_search_times=times,
    )


@pytest.mark.parametrize(
    ("kind", "says"),
    [
        ("empty", "a 200 answer to search page 2 without a conversations list"),
        ("repeat", "search page 2 whose next page is one already read"),
        ("short", "search page 2 that ends the search after 225 of the 999 conversations"),
    ],
)
def test_a_page_that_stays_wrong_fails_the_export_naming_it_and_writes_no_file(
    token_env: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    kind: str,
    says: str,
) -> None:
    out = tmp_path / "all.csv"
    with ThreadedSandbox(sandbox_config({2: kind})) as sandbox:
        args = ["export", str(out), *EVERYTHING, "--max-retries", "2", "-q"]
        code = main([*args, "--base-url", sandbox.url])
        searches = sandbox.state.paths.count("/conversations/search")
    err = capsys.readouterr().err
    assert code == 1
    assert len(err.strip().splitlines()) == 1
    assert says in err
    assert "stopped after 150 conversations" in err
    assert f"nothing was written to {out}: run the export again" in err
    assert not out.exists() and list(tmp_path.iterdir()) == []
    assert searches == 1 + 3  # page 1, then page 2 asked three times


def test_wrong_pages_that_a_retry_fixes_still_give_the_whole_export(
    token_env: str, tmp_path: Path
) -> None:
    out = tmp_path / "all.csv"
    wrong = {2: "empty", 4: "repeat", 7: "short"}
    with ThreadedSandbox(sandbox_config(wrong, times=1)) as sandbox:
        code = main(["export", str(out), *EVERYTHING, "--base-url", sandbox.url, "-q"])
        searches = sandbox.state.paths.count("/conversations/search")
    ids = [line["id"] for line in read_report(out)]
    assert code == 0
    assert ids == [str(215467900000 + n) for n in range(POPULATION) if n != 404]
    assert searches == PAGES + len(wrong)


def test_the_library_raises_what_the_command_line_says(tmp_path: Path) -> None:
    out = tmp_path / "all.xlsx"
    with (
        ThreadedSandbox(sandbox_config({1: "empty"})) as sandbox,
        pytest.raises(RunStopped) as stopped,
    ):
        bulk_update.export(
            out, where=["state != x"], token=TOKEN, base_url=sandbox.url, max_retries=0
        )
    assert str(stopped.value) == (
        "the search stopped after 0 conversations (a 200 answer to search page 1 without a "
        f"conversations list, every time it was asked); nothing was written to {out}: run the "
        "export again"
    )
    assert not out.exists()
