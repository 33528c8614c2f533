"""Workbooks refused before they are unpacked (zip bombs)."""

from pathlib import Path

import pytest

from bulk_update.config import ReadOptions
from bulk_update.errors import InputError
from bulk_update.sheet.reader import Table
from tests.conftest import write_zip_bomb


def test_a_part_that_expands_absurdly_is_refused_by_name_and_numbers(tmp_path: Path) -> None:
    bomb = write_zip_bomb(tmp_path / "bomb.xlsx", megabytes=50)
    assert bomb.stat().st_size < 100_000
    with pytest.raises(InputError) as refused:
        Table(bomb, ReadOptions())
    message = str(refused.value)
    assert message.startswith("bomb.xlsx: refused before unpacking: its part ")
    assert "xl/worksheets/sheet1.xml expands" in message
    assert "to 52.4 MB), past the 100 times" in message
    assert str(tmp_path) not in message


def test_parts_that_together_expand_past_the_limit_are_refused(tmp_path: Path) -> None:
    # Each part small enough to shrink as it likes; together 225 MB.
    bomb = write_zip_bomb(tmp_path / "many.xlsm", parts=25, megabytes=9)
    with pytest.raises(InputError, match=r"^many.xlsm: .* expand to 235.9 MB, past the 200 MB"):
        Table(bomb, ReadOptions())
