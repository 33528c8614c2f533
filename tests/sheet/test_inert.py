"""The inert mark: reversible for every text, and no marked cell starts a formula."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bulk_update.sheet.inert import FORMULA_STARTS, neutralise, neutralised, restore

TEXTS = st.text(alphabet=st.sampled_from("=+-@'\t\r0123456789.,eE aZ|!"), max_size=12) | st.text()
# Cells that hold the separator a line's cells are joined by to be searched at once.
CELLS = st.text(alphabet=st.sampled_from("=+-@'\t\r\x1f0a"), max_size=4) | TEXTS


@given(TEXTS)
def test_restore_undoes_neutralise(text: str) -> None:
    assert restore(neutralise(text)) == text


@given(TEXTS)
def test_a_marked_cell_never_starts_a_formula_unless_it_is_a_plain_number(text: str) -> None:
    marked = neutralise(text)
    if marked.startswith(FORMULA_STARTS):
        assert marked == text and text.lstrip("+-")[:1].isdigit()
        float(text.replace(",", ""))  # a number a spreadsheet shows as one


@given(st.lists(CELLS, max_size=6))
def test_a_line_is_neutralised_as_each_of_its_cells_is(cells: list[str]) -> None:
    assert neutralised(cells) == [neutralise(cell) for cell in cells]


def test_examples() -> None:
    assert neutralise("=1+1") == "'=1+1"
    assert neutralise("-3") == "-3"
    assert neutralise("-3 apples") == "'-3 apples"
    assert neutralise("'s-Hertogenbosch") == "''s-Hertogenbosch"
    assert neutralise("plain") == "plain"
