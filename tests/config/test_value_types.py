"""The value types settings hold, checked when built."""

from __future__ import annotations

import pytest

from bulk_update.config import Rate
from bulk_update.errors import UsageError


def test_a_rate_says_its_window() -> None:
    assert Rate.parse("1666/10") == Rate(1666, 10)
    assert Rate.parse(" 100 / 1.5 ") == Rate(100, 1.5)
    # 100 alone could mean per second or per Intercom's 10-second window: asked, not guessed.
    for text in ("100", "100/", "/10", "fast"):
        with pytest.raises(UsageError, match="must look like 1666/10"):
            Rate.parse(text)
