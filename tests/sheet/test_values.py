"""Numbers are read by the sheet's convention and never reinterpreted: a group separator
never follows a leading zero, and a number the convention cannot read says which setting
reads it."""

from __future__ import annotations

import zoneinfo

import pytest

from bulk_update.sheet.values import ValueProblem, to_float, to_integer
from tests.conftest import to_unix_seconds

NAMES = {"decimal_comma": "--decimal-comma or --decimal-point"}


@pytest.mark.parametrize(
    ("text", "decimal_comma"),
    [("0.125", True), ("-0.250", True), ("0,125", False), ("-0,250", False), ("12,5", False)],
)
def test_a_separator_after_a_leading_zero_is_never_a_thousands_group(
    text: str, decimal_comma: bool
) -> None:
    with pytest.raises(ValueProblem) as problem:
        to_float(text, decimal_comma=decimal_comma)
    assert "--decimal-comma or --decimal-point" in problem.value.describe(NAMES)


def test_grouped_and_decimal_numbers_read_by_their_convention() -> None:
    assert to_float("1.234,5", decimal_comma=True) == 1234.5
    assert to_float("1,234.5") == 1234.5
    assert to_float("0,5", decimal_comma=True) == 0.5
    assert to_integer("1.000", decimal_comma=True) == 1000
    assert to_integer("10,000") == 10000


PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def test_an_excel_serial_is_a_local_time_in_the_sheets_zone() -> None:
    # 46000.5 is 2025-12-09 12:00 as Excel shows it: 11:00 UTC in Paris in winter.
    assert to_unix_seconds("46000.5") == 1765281600
    assert to_unix_seconds("46000.5", zone=PARIS) == 1765281600 - 3600


def test_a_local_time_the_clocks_skip_or_repeat_is_invalid_unless_it_has_an_offset() -> None:
    with pytest.raises(ValueProblem, match="does not exist in Europe/Paris"):
        to_unix_seconds("2026-03-29 02:30", zone=PARIS)
    with pytest.raises(ValueProblem, match="happens twice in Europe/Paris"):
        to_unix_seconds("2026-10-25 02:30", zone=PARIS)
    assert to_unix_seconds("2026-10-25 02:30+02:00", zone=PARIS) == 1792888200
    assert to_unix_seconds("2026-10-25 02:30+01:00", zone=PARIS) == 1792888200 + 3600
