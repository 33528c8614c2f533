"""The page's choices are the library's settings objects: named, checked and converted by them."""

from __future__ import annotations

import pytest

from bulk_update.config import JobSettings, KeyOptions, ReadOptions
from bulk_update.errors import UsageError
from bulk_update.ui.choices import PAGE_SETTINGS, Choices
from bulk_update.ui.shown import PAGE_NAMES


def test_what_the_page_sends_reaches_the_library_as_the_command_line_s_would() -> None:
    given = {
        "decimal_comma": True,
        "date_order": "dayfirst",
        "timezone": "Europe/Paris",
        "admin": " ada@example.com ",
        "ignore_columns": ["title "],
        "renames": ["Kind of issue=issue_type"],
        "skip_unchanged": True,
        "overwrite_conflicts": False,
        "create_tags": None,
        "key": "zendesk_ticket_id",
        "match": "all",
    }
    choices = Choices.from_json(given)
    assert choices.settings() == {
        "decimal_comma": True,
        "date_order": "dayfirst",
        "timezone": "Europe/Paris",
        "ignore_columns": frozenset({"title"}),
        "renames": (("Kind of issue", "issue_type"),),
        "admin": "ada@example.com",
        "skip_unchanged": True,
        "key": "zendesk_ticket_id",
        "match": "all",
    }
    assert choices.read == ReadOptions(
        **{k: v for k, v in given.items() if k in ReadOptions.__annotations__}
    )
    assert choices.admin == choices.run.admin == "ada@example.com"
    assert Choices.from_json({}).settings() == {}  # the library's defaults: nothing chosen


def test_every_setting_the_page_offers_is_the_library_s_and_has_a_name_on_the_page() -> None:
    for holder, names in PAGE_SETTINGS.items():
        assert holder in (ReadOptions, JobSettings, KeyOptions)
        for name in names:
            assert name in holder.__annotations__ and name in PAGE_NAMES


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ({"skip_unchanged": "true"}, "Skip what is already in place is a switch"),
        ({"timezone": "Mars/Olympus"}, "Mars/Olympus"),
        ({"date_order": "yearfirst"}, "the Dates choice"),
        ({"renames": ["no equals sign"]}, "Read as takes 'OLD=new'"),
        ({"dryrun": True}, "the page has no setting dryrun"),
        ({"match": "first"}, "the Match choice must be one, all or latest"),
    ],
)
def test_a_value_the_library_refuses_is_refused_in_the_pages_words(
    given: dict[str, object], said: str
) -> None:
    with pytest.raises(UsageError) as refused:
        Choices.from_json(given)
    assert said in refused.value.describe(PAGE_NAMES)
