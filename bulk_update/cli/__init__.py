"""The command line: the parser, the commands (each a call into the library), the summary
as printed, and logging. Everything that writes a command line lives here.

This module is the console script's entry and imports nothing heavy itself: a Ctrl-C during
the imports (asyncio, pandas, aiohttp take a tenth of a second and more) must meet ``main``'s
own ``try``, not the interpreter's traceback.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Sequence

EXIT_INTERRUPTED = 130


def main(argv: Sequence[str] | None = None) -> int:
    """The ``bulk-update`` process: the command's exit code, 130 after a Ctrl-C at any moment.

    Meant for the process itself, not for a caller in the same process: once the exit code is
    decided a further Ctrl-C is ignored (it would otherwise be a ``KeyboardInterrupt`` in the
    script that calls this, or in the interpreter's exit: a traceback and exit -2).
    """
    try:
        from bulk_update.cli.commands import main as command

        code: int | None = command(argv)
    except KeyboardInterrupt:  # outside the command's own handling: its imports, its parsing
        code = None
    # Before anything that checks for signals (a call): a Ctrl-C still pending is dropped.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if code is None:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    return code


__all__ = ["main"]
