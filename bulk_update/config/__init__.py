"""Settings: what each setting is, its default and its check (``config.settings``), how a
setting is declared (``config.fields``), the value types settings hold
(``config.value_types``) and the access token (``config.token``)."""

from bulk_update.config.fields import Flag, flagged_fields, pick
from bulk_update.config.keying import KeyOptions, Match
from bulk_update.config.settings import (
    DEFAULT_CLEAR_MARKER,
    REGION_BASE_URLS,
    Destination,
    JobSettings,
    ReadOptions,
    SendOptions,
    default_report_path,
    journal_beside,
)
from bulk_update.config.token import TOKEN_ENV_VAR, Token, read_token, require_token, scrub
from bulk_update.config.unattended import Unattended
from bulk_update.config.value_types import (
    POINT,
    Conventions,
    DateOrder,
    Rate,
    ReadVia,
    check_base_url,
    is_loopback_url,
)
from bulk_update.config.versions import DEFAULT_API_VERSION

__all__ = [
    "DEFAULT_API_VERSION",
    "DEFAULT_CLEAR_MARKER",
    "POINT",
    "REGION_BASE_URLS",
    "TOKEN_ENV_VAR",
    "Conventions",
    "DateOrder",
    "Destination",
    "Flag",
    "JobSettings",
    "KeyOptions",
    "Match",
    "Rate",
    "ReadOptions",
    "ReadVia",
    "SendOptions",
    "Token",
    "Unattended",
    "check_base_url",
    "default_report_path",
    "flagged_fields",
    "is_loopback_url",
    "journal_beside",
    "pick",
    "read_token",
    "require_token",
    "scrub",
]
