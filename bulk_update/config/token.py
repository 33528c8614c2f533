"""The access token: kept out of every log line, message and report, and read from the
environment in exactly one place."""

from __future__ import annotations

import os
import re

from bulk_update.errors import UsageError

TOKEN_ENV_VAR = "INTERCOM_ACCESS_TOKEN"


class Token:
    """The access token. Its text is only reachable through :meth:`reveal`.

    ``str()``, ``repr()`` and formatting all show ``***`` so that the token cannot slip
    into a log line, an exception message or a report by accident.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str):
        value = value.strip()
        if not value:
            raise UsageError("the access token is empty")
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Token('***')"

    __str__ = __repr__

    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("a Token cannot be pickled")


# What a bearer token looks like wherever a server or proxy echoes a request's headers.
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{6,}")


def scrub(text: str, secret: str = "") -> str:
    """``text`` with the token, and anything shaped like a bearer token, shown as ``***``:
    what every text that came from the network goes through before it is shown or kept."""
    if secret:
        text = text.replace(secret, "***")
    return _BEARER.sub(r"\1***", text)


def require_token(token: Token | None) -> Token:
    """The token, or the one message that says there is none and how to give one."""
    if token is None:
        raise UsageError.naming_settings(
            "no access token: set {token} (or try the built-in simulator with {sandbox})"
        )
    return token


def read_token(given: str | Token | None = None, variable: str = TOKEN_ENV_VAR) -> Token | None:
    """The token given, else the one in the environment ``variable``; None when neither."""
    if isinstance(given, Token):
        return given
    value = given if given is not None else os.environ.get(variable, "")
    if any(character.isspace() for character in value.strip()):
        holder = "the access token" if given is not None else f"${variable}"
        raise UsageError(
            f"{holder} holds a line break or a space inside it (a copy-paste of more than the "
            "token?): set it to the token alone"
        )
    return Token(value) if value.strip() else None
