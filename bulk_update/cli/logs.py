"""Logging for the command line: levels, the log file, and the token kept out of both."""

from __future__ import annotations

import argparse
import logging
import sys

from bulk_update.cli.arguments import SETTING_FLAGS
from bulk_update.config.token import scrub
from bulk_update.errors import Setting


def redact(text: str, secret: str) -> str:
    return scrub(text, secret)


class _FlagNames(logging.Filter):
    """Settings named in the library's log messages are shown as their flags."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(isinstance(a, Setting) for a in record.args):
            record.args = tuple(
                SETTING_FLAGS.get(a, a) if isinstance(a, Setting) else a for a in record.args
            )
        return True


class _RedactSecret(logging.Filter):
    """Last line of defence: no log line carries the token, whatever put it there."""

    def __init__(self, secret: str):
        super().__init__()
        self._secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        if self._secret:
            message = record.getMessage()
            if self._secret in message:
                record.msg, record.args = redact(message, self._secret), None
        return True


class _ConsoleFormat(logging.Formatter):
    """A warning on the terminal reads like every other message (``warning: …``); the
    detail lines of -v/-vv keep their time and source."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        if record.levelno >= logging.WARNING:
            return f"{record.levelname.lower()}: {record.getMessage()}"
        return super().format(record)


def configure_logging(args: argparse.Namespace, secret: str) -> None:
    """-v/-vv on stderr; --log-file at INFO or lower (one line per request)."""
    level = logging.WARNING  # -q hides the progress and the sample bodies, never a warning
    if args.verbose >= 2:
        level = logging.DEBUG
    elif args.verbose == 1:
        level = logging.INFO
    root = logging.getLogger("bulk_update")
    root.handlers.clear()
    root.propagate = False
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    redaction = _RedactSecret(secret)
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(level)
    console.setFormatter(_ConsoleFormat())
    console.addFilter(_FlagNames())
    console.addFilter(redaction)
    root.addHandler(console)
    root.setLevel(level)
    if args.log_file is not None:
        file_handler = logging.FileHandler(args.log_file, encoding="utf-8")
        file_handler.setLevel(min(level, logging.INFO))
        file_handler.setFormatter(formatter)
        file_handler.addFilter(_FlagNames())
        file_handler.addFilter(redaction)
        root.addHandler(file_handler)
        root.setLevel(min(level, logging.INFO))
