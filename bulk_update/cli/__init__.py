"""The command line: the parser, the commands (each a call into the library), the summary
as printed, and logging. Everything that writes a command line lives here.
"""

from bulk_update.cli.commands import main

__all__ = ["main"]
