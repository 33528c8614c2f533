"""What a command the tool suggests must be given again to mean the same thing as the one
that suggests it: the flags of this command line that say where requests go and how the
sheet's numbers, dates and columns read."""

from __future__ import annotations

import argparse
import shlex

from bulk_update.cli.arguments import SHEET_SETTINGS
from bulk_update.config import flagged_fields

# Who acts, --admin, is carried by each suggestion that needs it.
CARRIED_SETTINGS = (
    "sandbox",
    "region",
    "base_url",
    "api_version",
    "no_notify",
    "decimal_comma",
    "date_order",
    "timezone",
    "schema_path",
    "workspace",
    "key",
    "match",
    "where",
)
# How the same sheet's columns read: carried by the suggestions that run that sheet (or its
# report) again, not by an undo (a backup's columns are the attributes' own names).
COLUMN_SETTINGS = ("renames", "ignore_columns")


def carried_flags(args: argparse.Namespace) -> str:
    """The flags among :data:`CARRIED_SETTINGS` this command line gave, as they would be
    typed again (each with a leading space), in that order."""
    return _typed(args, CARRIED_SETTINGS)


def column_flags(args: argparse.Namespace) -> str:
    """The flags among :data:`COLUMN_SETTINGS` this command line gave, typed again."""
    return _typed(args, COLUMN_SETTINGS)


def _typed(args: argparse.Namespace, names: tuple[str, ...]) -> str:
    given = vars(args)
    flags = {
        setting.name: flag
        for settings in SHEET_SETTINGS
        for setting, flag in flagged_fields(settings)
    }
    typed = []
    for name in names:
        if name not in given:
            continue
        value, flag = given[name], flags[name]
        if flag.values:
            typed.append(flag.names[flag.values.index(value)])
        elif value is True:
            typed.append(flag.names[0])
        elif flag.repeatable and isinstance(value, list | tuple):
            typed += [f"{flag.names[0]} {shlex.quote(str(item))}" for item in value]
        elif value not in (False, None):
            typed.append(f"{flag.names[0]} {shlex.quote(str(value))}")
    return "".join(f" {text}" for text in typed)
