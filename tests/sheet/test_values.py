"""Numbers are read by the sheet's convention and never reinterpreted: a group separator
never follows a leading zero, and a number the convention cannot read says which setting
reads it."""

from __future__ import annotations

import pytest

from bulk_update.sheet.values import ValueProblem, to_float, to_integer

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
