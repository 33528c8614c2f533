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
    "decimal_comma",
    "date_order",
    "timezone",
    "schema_path",
)


def carried_flags(args: argparse.Namespace) -> str:
    """The flags among :data:`CARRIED_SETTINGS` this command line gave, as they would be
    typed again (each with a leading space), in that order."""
    given = vars(args)
    flags = {
        setting.name: flag
        for settings in SHEET_SETTINGS
        for setting, flag in flagged_fields(settings)
    }
    typed = []
    for name in CARRIED_SETTINGS:
        if name not in given:
            continue
        value, flag = given[name], flags[name]
        if flag.values:
            typed.append(flag.names[flag.values.index(value)])
        elif value is True:
            typed.append(flag.names[0])
        elif value not in (False, None):
            typed.append(f"{flag.names[0]} {shlex.quote(str(value))}")
    return "".join(f" {text}" for text in typed)
