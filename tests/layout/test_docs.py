"""The README cannot drift: every flag it shows exists, and its commands parse."""

import re
import shlex
from pathlib import Path

import pytest

from bulk_update.cli.arguments import build_parser
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def bulk_update_commands() -> list[list[str]]:
    commands = []
    for line in README.splitlines():
        for part in line.split("&&"):
            part = part.split("#")[0].strip()
            if part.startswith("bulk-update "):
                commands.append(shlex.split(part)[1:])
    return commands


def all_flags() -> set[str]:
    parser = build_parser()
    flags = set()
    subparsers = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for sub in [parser, *subparsers.values()]:
        for action in sub._actions:
            flags.update(action.option_strings)
    return flags


def test_readme_commands_parse() -> None:
    commands = bulk_update_commands()
    assert len(commands) >= 5
    parser = build_parser()
    for argv in commands:
        parser.parse_args(argv)


@pytest.mark.parametrize("flag", sorted(set(re.findall(r"(?<![\w-])--[a-z][a-z-]+", README))))
def test_every_flag_in_the_readme_exists(flag: str) -> None:
    assert flag in all_flags()


def test_readme_python_example_runs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    found = re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)
    blocks = [block for block in found if "bulk_update.run(" in block]  # the notebook's example
    assert blocks, "the README shows no Python example"
    namespace: dict[str, object] = {}
    exec(compile(blocks[0], "README.md", "exec"), namespace)
    result = namespace["result"]
    assert result.summary.counts == {"updated": 2}  # type: ignore[attr-defined]
    assert list(result.outcomes["id"]) == ["000123", "000456"]  # type: ignore[attr-defined]


def test_every_command_shows_examples_that_parse() -> None:
    parser = build_parser()
    subparsers = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for name, sub in subparsers.items():
        examples = [
            line.split("#")[0].strip()
            for line in (sub.epilog or "").splitlines()
            if line.strip().startswith("bulk-update ")
        ]
        assert 1 <= len(examples) <= 3, name
        for example in examples:
            parser.parse_args(shlex.split(example)[1:])
