"""The command line's flags are the settings' own: derived from the settings dataclasses, so
that a setting added, renamed or given a new default shows in --help, in the library's flat
keywords and in messages at once. These tests fail when the lists drift apart."""

from __future__ import annotations

import argparse
from dataclasses import fields

from bulk_update.api import RunSettings
from bulk_update.cli.arguments import SETTING_FLAGS, SHEET_SETTINGS, build_parser, given_settings
from bulk_update.config import Rate, ReadOptions, SendOptions, flagged_fields, pick
from bulk_update.config.fields import default_of


def sheet_command(name: str = "run") -> argparse.ArgumentParser:
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return commands.choices[name]


def flagged() -> dict[str, list[str]]:
    return {
        setting.name: list(flag.names)
        for settings in SHEET_SETTINGS
        for setting, flag in flagged_fields(settings)
    }


def test_the_library_keywords_are_the_flagged_settings() -> None:
    # ``sandbox`` is a keyword of its own in run(), not one of the flat settings.
    assert set(RunSettings.__annotations__) == set(flagged()) - {"sandbox"}


def test_every_setting_has_its_flag_under_its_own_name_and_messages_call_it_so() -> None:
    for command in ("run", "retry", "undo"):
        parser = sheet_command(command)
        options = {
            option: action.dest for action in parser._actions for option in action.option_strings
        }
        for name, names in flagged().items():
            assert {options[flag] for flag in names} == {name}, (command, name)
            assert SETTING_FLAGS[name] == " or ".join(names)


def test_a_flag_not_given_leaves_the_setting_to_its_dataclass_default() -> None:
    args = build_parser().parse_args(["run", "in.csv"])
    assert given_settings(args) == {}
    args = build_parser().parse_args(["run", "in.csv", "--concurrency", "3", "--dayfirst"])
    assert given_settings(args) == {"concurrency": 3, "date_order": "dayfirst"}


def test_help_states_the_defaults_the_dataclasses_hold() -> None:
    helps = {action.dest: action.help or "" for action in sheet_command()._actions}
    for settings in SHEET_SETTINGS:
        for setting in fields(settings):
            help_text = helps.get(setting.name, "")
            default = default_of(setting)
            if "(default " in help_text and default is not None:
                shown = f"{default:g}" if isinstance(default, float) else str(default)
                assert shown in help_text, (setting.name, help_text)


def test_repeated_flags_become_the_settings_values() -> None:
    args = build_parser().parse_args(
        ["run", "in.csv", "--rename", "Old=new", "--ignore-column", " x ", "--rate", "10/2"]
    )
    given = given_settings(args)
    read = ReadOptions(**pick(ReadOptions, given))
    assert read.renames == (("Old", "new"),)
    assert read.ignore_columns == frozenset({"x"})
    assert SendOptions(**pick(SendOptions, given)).rate == Rate(10, 2)
