"""A cell's text → the JSON value Intercom takes, under the sheet's conventions (decimal comma
or point, day- or month-first dates, the time zone of zone-less times).

Nothing is guessed: a number the chosen convention cannot read, or a date whose order is not
known, makes the row invalid with a message saying what to set.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import math
import re
from collections.abc import Callable, Iterable
from typing import Any

from bulk_update.config import DateOrder
from bulk_update.errors import NamesSettings, escape


class ValueProblem(NamesSettings, ValueError):
    """A cell's text cannot be converted to its attribute's type (the row is invalid).

    Made with :meth:`naming_settings`, the message names settings as ``{date_order}``, shown
    by :meth:`describe` as the caller calls them (a flag on the command line).
    """


# --- numbers ----------------------------------------------------------------------------

# 1,234.5 / 1234.5 / .5 / 1e3 (a decimal point; commas group thousands). A group separator
# never follows a leading zero: 0,125 is not 125, it is a number in the other convention.
_POINT_NUMBER = re.compile(
    r"[+-]?(?:(?:[1-9]\d{0,2}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
)
# 1.234,5 / 1 234,5 / 1234,5 / ,5 (a decimal comma; dots or spaces group thousands)
_COMMA_NUMBER = re.compile(
    r"[+-]?(?:(?:[1-9]\d{0,2}(?:([. \u00a0\u202f])\d{3})(?:\1\d{3})*|\d+)(?:,\d*)?|,\d+)"
    r"(?:[eE][+-]?\d+)?"
)
_GROUPING = str.maketrans("", "", ". \u00a0\u202f")
_WHOLE = re.compile(r"[+-]?\d+(?:\.0*)?")
INTERCOM_INT_LIMIT = 2**63


def _plain_number(text: str, decimal_comma: bool) -> str | None:
    """The number in Python's spelling (``1234.5``), or None if the convention cannot read it."""
    value = text.strip()
    if decimal_comma:
        if not _COMMA_NUMBER.fullmatch(value):
            return None
        return value.translate(_GROUPING).replace(",", ".")
    if not _POINT_NUMBER.fullmatch(value):
        return None
    return value.replace(",", "")


def _number_hint(decimal_comma: bool) -> str:
    """Which setting reads a number written in the other convention."""
    if decimal_comma:
        return (
            " (the file is read with a decimal comma, as in 1.234,5; if its numbers are written "
            "with a decimal point, say so with {decimal_comma})"
        )
    return (
        " (the file is read with a decimal point; if its numbers are written with a decimal "
        "comma, as in 1.234,5, say so with {decimal_comma})"
    )


def to_integer(text: str, *, decimal_comma: bool = False) -> int:
    plain = _plain_number(text, decimal_comma)
    if plain is None or not _WHOLE.fullmatch(plain):
        # Which convention read it, where that may be the surprise (3,5 is 3.5 with a comma).
        hint = _number_hint(decimal_comma) if plain is None or decimal_comma else ""
        raise ValueProblem.naming_settings(f"{escape(repr(text))} is not a whole number{hint}")
    number = int(plain.split(".")[0])
    if abs(number) >= INTERCOM_INT_LIMIT:
        raise ValueProblem(f"{text!r} is too large for an integer attribute")
    return number


def to_float(text: str, *, decimal_comma: bool = False) -> float | int:
    plain = _plain_number(text, decimal_comma)
    if plain is None:
        raise ValueProblem.naming_settings(
            f"{escape(repr(text))} is not a number{_number_hint(decimal_comma)}"
        )
    number = float(plain)
    if not math.isfinite(number):
        raise ValueProblem(f"{text!r} is not a finite number")
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


# --- booleans ---------------------------------------------------------------------------

# English spellings, and Excel's TRUE/FALSE in the languages it is localised to.
_TRUE = {"true", "yes", "y", "t", "1", "1.0", "vrai", "wahr", "verdadero", "vero", "waar"}
_TRUE |= {"verdadeiro", "sant", "prawda"}
_FALSE = {"false", "no", "n", "f", "0", "0.0", "faux", "falsch", "falso", "onwaar", "falskt"}
_FALSE |= {"fałsz"}


def to_boolean(text: str) -> bool:
    value = text.strip().casefold()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueProblem(
        f"{text!r} is not true/false (also accepted: yes/no, 1/0, and Excel's TRUE/FALSE in "
        "its languages, such as VRAI/FAUX or WAHR/FALSCH)"
    )


# --- dates ------------------------------------------------------------------------------

# Excel stores dates as days since 1899-12-30; a bare number below this is such a serial,
# anything larger is unix seconds (1,000,000 s is 12 January 1970, no real date).
_EXCEL_SERIAL_LIMIT = 1_000_000
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)  # a serial is a local time, as Excel shows it
_BARE_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
# Google Sheets writes 2026-12-31 9:30:00: a one-digit hour that ISO 8601 does not allow.
_ONE_DIGIT_HOUR = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T](\d):")
# 31/12/2026, 31.12.2026, 31-12-2026, with an optional time.
_NUMERIC_DATE = re.compile(
    r"(\d{1,2})([/.-])(\d{1,2})\2(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?"
)


class DateReader:
    """ISO 8601 date or date-time, a day/month/year date (when ``date_order`` says which comes
    first), unix seconds, or an Excel date serial → unix seconds; a time without a zone is in
    ``zone``. Counts the values it read in the zone because they were written without one
    (what the summary's note is about)."""

    def __init__(self, date_order: DateOrder | None, zone: dt.tzinfo):
        self._date_order = date_order
        self._zone = zone
        self.read_in_zone = 0

    def __call__(self, text: str) -> int:
        seconds, in_zone = _read_moment(text, self._date_order, self._zone)
        self.read_in_zone += in_zone
        return seconds


def _read_moment(text: str, date_order: DateOrder | None, zone: dt.tzinfo) -> tuple[int, bool]:
    """(unix seconds, whether ``zone`` decided them)."""
    value = text.strip()
    if _BARE_NUMBER.fullmatch(value):
        number = float(value)
        if not 0 < number < _EXCEL_SERIAL_LIMIT:
            return round(number), False
        moment = _EXCEL_EPOCH + dt.timedelta(days=number)
    elif numeric := _NUMERIC_DATE.fullmatch(value):
        moment = _numeric_date(text, numeric, date_order)
    else:
        iso = _ONE_DIGIT_HOUR.sub(r"\1T0\2:", value)
        try:
            moment = dt.datetime.fromisoformat(iso.replace(" ", "T", 1))
        except ValueError:
            raise ValueProblem(
                f"{text!r} is not a date: use ISO 8601 (2026-11-26 or 2026-11-26T14:30:00Z), "
                "unix seconds, or day/month/year with the date order set"
            ) from None
    if moment.tzinfo is None:
        return round(_local(text, moment, zone).timestamp()), True
    return round(moment.timestamp()), False


def _local(text: str, moment: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """A wall-clock time in ``zone``: one the clocks skip (a spring gap) is no time at all,
    and one they pass twice (an autumn hour) must say which, with an offset."""
    earlier, later = moment.replace(tzinfo=zone, fold=0), moment.replace(tzinfo=zone, fold=1)
    if earlier.utcoffset() == later.utcoffset():
        return earlier
    back = earlier.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None)
    if back != moment:
        raise ValueProblem.naming_settings(
            f"{escape(repr(text))} does not exist in {escape(str(zone))} (the clocks skip it); "
            "write the time it was meant, or one with an offset (+01:00), or set {timezone}"
        )
    raise ValueProblem.naming_settings(
        f"{escape(repr(text))} happens twice in {escape(str(zone))} (the clocks go back); "
        "write it with an offset (+02:00 or +01:00), or set {timezone}"
    )


def _numeric_date(text: str, match: re.Match[str], order: DateOrder | None) -> dt.datetime:
    first, _separator, second, year, hour, minute, second_of_minute = match.groups()
    if order is None:
        order = _order_it_shows(text, int(first), int(second))
    day, month = (first, second) if order == "dayfirst" else (second, first)
    try:
        return dt.datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second_of_minute or 0),
        )
    except ValueError:
        raise ValueProblem(f"{text!r} is not a date that exists ({order})") from None


def _order_it_shows(text: str, first: int, second: int) -> DateOrder:
    """A date whose day cannot be a month (31/12/2026) says which it is; only one whose day and
    month could be swapped (03/04/2026) needs to be told (it is never guessed)."""
    if first > 12 >= second:
        return "dayfirst"
    if second > 12 >= first:
        return "monthfirst"
    if first == second:
        return "dayfirst"  # 05/05/2026 is the same date either way
    raise ValueProblem.naming_settings(
        f"{escape(repr(text))} could be day-first or month-first; say which with "
        "{date_order} (it is never guessed)"
    )


def iso_8601(seconds: int | float) -> str:
    """Unix seconds as the ISO 8601 UTC text this tool reads back (``2026-12-01T09:30:00Z``)."""
    moment = dt.datetime.fromtimestamp(seconds, dt.UTC)
    return moment.isoformat().replace("+00:00", "Z")


# --- relationships and lists ------------------------------------------------------------


def split_list(text: str, what: str, *, numbers: bool = False) -> list[str]:
    """A cell holding several ``what``: a JSON array of strings (and of numbers, with
    ``numbers``), or items separated by ``;`` or ``,``. Each item stripped; empty ones kept
    (the caller decides)."""
    value = text.strip()
    if not value.startswith("["):
        return [part.strip() for part in re.split(r"[;,]", value)]
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError:
        raise ValueProblem(f"{text!r} is not a valid JSON array of {what}s") from None
    kinds = (str, int) if numbers else (str,)
    if not isinstance(parsed, list) or not all(
        isinstance(item, kinds) and not isinstance(item, bool) for item in parsed
    ):
        raise ValueProblem(f"{text!r} must be an array of {what} strings")
    return [str(item).strip() for item in parsed]


def to_id_list(text: str) -> list[str]:
    """A relationship value: a JSON array of ids, or ids separated by ``;`` or ``,``."""
    ids = split_list(text, "id", numbers=True)
    if not ids or any(not item for item in ids):
        raise ValueProblem(f"{text!r} has an empty id in it")
    return ids


def to_one_id(text: str) -> list[str]:
    """A ``one`` relationship's value: a single id (sent, as any relationship's, in a list)."""
    ids = to_id_list(text)
    if len(ids) > 1:
        raise ValueProblem(f"{text!r} is {len(ids)} ids: this relationship takes one id")
    return ids


def did_you_mean(wanted: str, known: Iterable[str]) -> str:
    """``; did you mean 'x'?`` naming the closest of ``known`` (compared in any case, shown
    as spelt there), or nothing when none is close."""
    by_folded = {name.casefold(): name for name in known}
    near = difflib.get_close_matches(wanted.strip().casefold(), list(by_folded), n=1, cutoff=0.6)
    return f"; did you mean {by_folded[near[0]]!r}?" if near else ""


class OptionMatcher:
    """A list attribute's value: one of its options exactly, or one differing only in case
    or surrounding spaces (sent as the exact option, and counted in ``corrected``)."""

    def __init__(self, options: tuple[str, ...]):
        self._options = options
        self._exact = set(options)
        self._by_folded = {option.strip().casefold(): option for option in options}
        self.corrected = 0

    def __call__(self, text: str) -> str:
        if text in self._exact:
            return text
        folded = self._by_folded.get(text.strip().casefold())
        if folded is not None:
            self.corrected += 1
            return folded
        hint = did_you_mean(text, self._options)
        shown = ", ".join(repr(o) for o in self._options[:10])
        more = ", ..." if len(self._options) > 10 else ""
        raise ValueProblem(f"{text!r} is not one of the options ({shown}{more}){hint}")


Converter = Callable[[str], Any]
