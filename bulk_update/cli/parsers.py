"""The parts every command's parser is built of: the parser itself, with its examples, and
its groups of flags."""

from __future__ import annotations

import argparse


def command_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    summary: str,
    description: str,
    examples: tuple[str, ...],
    notes: str = "",
) -> argparse.ArgumentParser:
    epilog = "examples:\n" + "\n".join(f"  {command}" for command in examples)
    return commands.add_parser(
        name,
        help=summary,
        description=description,
        epilog=epilog + (f"\n\n{notes}" if notes else ""),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


class Groups:
    """A command's parser and its 'connection' and 'output' groups, made when first used."""

    def __init__(self, parser: argparse.ArgumentParser):
        self.parser = parser
        self._made: dict[str, argparse._ArgumentGroup] = {}

    def __getitem__(self, name: str) -> argparse.ArgumentParser | argparse._ArgumentGroup:
        if not name:
            return self.parser
        if name not in self._made:
            self._made[name] = self.parser.add_argument_group(name)
        return self._made[name]
