import json
import sys
from pathlib import Path

import pytest

from bulk_update.config import ReadOptions
from bulk_update.errors import InputError, UsageError
from bulk_update.history.journal import Journal
from bulk_update.job.validation import cross_row_problems
from bulk_update.models import PreparedUpdate, UpdateRequest
from bulk_update.sandbox import default_listing
from bulk_update.sheet.columns import plan_columns
from bulk_update.sheet.schema import Schema, ValueProblem
from bulk_update.sheet.validate import (
    RowProblem,
    check_conversation_id,
    exported_base,
    since_base,
    validate_row,
)
from tests.conftest import HOSTILE_IDS

SCHEMA = Schema.from_listing(default_listing())
PATH = Path("changes.csv")


def plan(columns: list[str], **kwargs: object):  # type: ignore[no-untyped-def]
    read = ReadOptions(
        ignore_columns=kwargs.pop("ignore", frozenset()), renames=kwargs.pop("renames", {})
    )
    return plan_columns(PATH, columns, SCHEMA, read=read, **kwargs)


def test_values_are_typed_as_their_attributes() -> None:
    columns = [
        "id",
        "read",
        "title",
        "csat_score",
        "monthly_spend",
        "vip",
        "due_date",
        "orders",
        "priority",
    ]
    cells = ["000123", "yes", "NA", "3.0", "1.50", "0", "1796083200", "21;34", "High"]
    request = validate_row(plan(columns), 2, cells)
    assert request == UpdateRequest(
        2,
        "000123",
        {
            "read": True,
            "title": "NA",
            "custom_attributes": {
                "csat_score": 3,
                "monthly_spend": 1.5,
                "vip": False,
                "due_date": 1796083200,
                "orders": ["21", "34"],
                "priority": "High",
            },
        },
    )


def test_empty_cells_are_left_out_and_the_clear_marker_sends_null() -> None:
    request = validate_row(
        plan(["id", "title", "priority", "region"]), 2, ["5", "", "#N/A", "null"]
    )
    assert isinstance(request, UpdateRequest)
    assert request.body == {"custom_attributes": {"priority": None, "region": "null"}}


def test_read_cannot_be_cleared() -> None:
    problem = validate_row(plan(["id", "read"]), 7, ["5", "#N/A"])
    assert isinstance(problem, RowProblem) and problem.column == "read"


def test_a_row_with_nothing_to_change_is_invalid() -> None:
    problem = validate_row(plan(["id", "title"]), 3, ["5", ""])
    assert isinstance(problem, RowProblem)
    assert "no value to change" in problem.message


def test_a_bad_value_names_its_column() -> None:
    problem = validate_row(plan(["id", "csat_score"]), 4, ["5", "3.5"])
    assert problem == RowProblem(4, "csat_score", "'3.5' is not a whole number")


def test_a_row_with_extra_cells_is_invalid() -> None:
    problem = validate_row(plan(["id", "title"]), 4, ["5", "a"], "the row has 1 more cell")
    assert problem == RowProblem(4, "", "the row has 1 more cell")


def test_unknown_column_stops_with_a_suggestion() -> None:
    with pytest.raises(InputError, match="did you mean 'priority'") as caught:
        plan(["id", "priorty"])
    assert "changes.csv" in str(caught.value)


def test_headers_as_people_write_them_are_mapped_and_said() -> None:
    mapped = plan(["Conversation ID", "Priority", "Issue type", "CSAT score", "due date"])
    assert mapped.mapped == (
        ("Conversation ID", "id"),
        ("Priority", "priority"),
        ("Issue type", "issue_type"),  # the attribute's label
        ("CSAT score", "csat_score"),
        ("due date", "due_date"),
    )
    assert [field.key for field in mapped.fields] == [
        "priority",
        "issue_type",
        "csat_score",
        "due_date",
    ]
    for header in (["ID", "title"], ["Id", "title"], ["conversation_id", "title"]):
        assert plan(header).id_index == 0


def test_a_near_miss_still_gets_a_suggestion() -> None:
    with pytest.raises(InputError, match="did you mean 'priority'"):
        plan(["id", "Priorty"])


def test_rename_maps_any_header_and_two_columns_for_one_attribute_stop_the_run() -> None:
    renamed = plan(["id", "Prio (new)"], renames={"Prio (new)": "priority"})
    assert renamed.mapped == (("Prio (new)", "priority"),)
    with pytest.raises(InputError, match="both name 'priority'"):
        plan(["id", "priority", "Priority"])


def test_settings_naming_no_column_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="ignore_columns names 'nope'"):
        plan(["id", "title"], ignore=frozenset({"nope"}))
    with pytest.raises(UsageError, match="renames names 'Old'"):
        plan(["id", "title"], renames={"Old": "priority"})


def test_unwritable_and_archived_attributes_stop_the_run() -> None:
    with pytest.raises(InputError, match="cannot write"):
        plan(["id", "sla_breached"])
    archived = "is an archived conversation attribute: unarchive it in Intercom or drop the column"
    with pytest.raises(InputError, match=f"'legacy_code' {archived}"):
        plan(["id", "legacy_code"])
    with pytest.raises(InputError, match=rf"column 'Legacy code' \('legacy_code'\) {archived}"):
        plan(["id", "Legacy code"])


def test_missing_id_column_and_duplicate_columns_stop_the_run() -> None:
    with pytest.raises(InputError, match="no 'id'"):
        plan(["title"])
    with pytest.raises(InputError, match="'ID' and 'conversation_id': two id columns"):
        plan(["ID", "conversation_id", "title"])
    with pytest.raises(InputError, match="twice"):
        plan(["id", "title", "title"])


def test_ignored_and_outcome_columns_are_not_changes() -> None:
    column_plan = plan(["id", "notes", "title", "status", "row"], ignore=frozenset({"notes"}))
    assert [f.column for f in column_plan.fields] == ["title"]


def test_conversation_id_alias() -> None:
    request = validate_row(plan(["conversation_id", "title"]), 2, ["42", "x"])
    assert isinstance(request, UpdateRequest) and request.conversation_id == "42"


@pytest.mark.parametrize("text", ["000123", " 42 ", "64619700005694"])
def test_good_ids(text: str) -> None:
    assert check_conversation_id(text) == text.strip()


@pytest.mark.parametrize("text", ["", "12a45", *HOSTILE_IDS])
def test_bad_ids_never_pass(text: str) -> None:
    with pytest.raises(ValueProblem):
        check_conversation_id(text)


@pytest.mark.parametrize(
    "text", ["1.23457E+17", "123.0", "2.15468E+11", "2,15468E+11", "123,0", "1,23457E+17"]
)
def test_excel_mangled_ids_say_how_to_fix_them(text: str) -> None:
    with pytest.raises(ValueProblem, match="Excel"):
        check_conversation_id(text)


def prepared(ids: list[str]) -> Journal:
    journal = Journal.temporary()
    journal.start_validation()
    for row, conversation_id in enumerate(ids, start=2):
        journal.add_update(PreparedUpdate(row, conversation_id, b""))
    return journal


def test_duplicates_point_at_the_first_row_and_compare_ids_as_numbers() -> None:
    # Intercom's ids are numbers: 5 and 005 (1000001 and 01000001) name one conversation.
    journal = prepared(["5", "7", "5", "005", "5", "9" * 20, "9" * 20])
    rejected = cross_row_problems(journal)
    assert rejected == {
        4: "duplicate of row 2",
        5: "duplicate of row 2",
        6: "duplicate of row 2",
        8: "duplicate of row 7",
    }
    journal.drop_updates(rejected)
    assert journal.count_prepared() == 3  # rows 2, 3 and 7
    assert [journal.last_row(n) for n in (1, 2, 3, 4, None)] == [2, 3, 7] + [sys.maxsize] * 2


def test_an_id_with_leading_zeros_is_a_duplicate_of_the_same_number() -> None:
    ids = ["1000001", "2000002", "3000003", "01000001"]
    assert cross_row_problems(prepared(ids)) == {5: "duplicate of row 2"}


def test_ids_that_lost_the_column_s_leading_zeros_are_rejected() -> None:
    rejected = cross_row_problems(prepared(["000123", "000456", "789", "001000", "012345"]))
    assert list(rejected) == [4]
    assert "zero-padded to 6" in rejected[4] and "Text" in rejected[4]


def test_unpadded_ids_of_varied_length_are_fine() -> None:
    assert cross_row_problems(prepared(["123", "4567", "89", "0012"])) == {}


def test_huge_cells_and_control_characters_are_invalid_rows() -> None:
    column_plan = plan(["id", "title"])
    huge = validate_row(column_plan, 2, ["5", "x" * 1_000_000])
    bell = validate_row(column_plan, 3, ["5", "ding\x07"])
    assert isinstance(huge, RowProblem) and "1,000,000 characters" in huge.message
    assert isinstance(bell, RowProblem) and "U+0007" in bell.message


def test_emoji_tabs_and_newlines_are_sent_as_written() -> None:
    request = validate_row(plan(["id", "title"]), 2, ["5", "🎉 a\tb\nc\r\nd"])
    assert isinstance(request, UpdateRequest) and request.body == {"title": "🎉 a\tb\nc\r\nd"}


def test_an_invalid_row_names_every_bad_cell_at_once() -> None:
    checked = validate_row(
        plan(["id", "csat_score", "due_date", "vip", "title"]),
        7,
        ["12x", "twelve", "someday", "maybe", "fine"],
    )
    assert isinstance(checked, RowProblem) and checked.row == 7
    parts = checked.message.split("; column ")
    assert [part.split(":")[0].removeprefix("column ") for part in parts] == [
        "'id'",
        "'csat_score'",
        "'due_date'",
        "'vip'",
    ]
    assert "'twelve' is not a whole number" in checked.message


EXPORTED = ["id", "issue_type", "title", "bulk_update_base"]


def base(**cells: str) -> str:
    return json.dumps(cells)


def edited_since_export(cells: list[str]) -> tuple[list[str], dict[str, list[str]]] | None:
    exported = plan(EXPORTED)
    return since_base(exported, cells, exported_base(exported, cells))


def test_a_base_naming_its_row_s_conversation_sends_only_the_edited_cells() -> None:
    cells = ["101", "Account", "t", base(id="101", issue_type="Bug", title="t")]
    edited = edited_since_export(cells)
    assert edited == (["101", "Account", "", cells[3]], {"issue_type": ["Bug", "Account"]})


def test_a_base_naming_another_conversation_is_a_row_sorted_without_its_base() -> None:
    cells = ["102", "Account", "t", base(id="101", issue_type="Bug", title="t")]
    with pytest.raises(ValueProblem) as problem:
        edited_since_export(cells)
    assert str(problem.value) == (
        "the bulk_update_base cell is another conversation's: the rows look sorted or moved "
        "without their bulk_update_base column; sort all the columns together (or undo the "
        "sort), or export again"
    )


def test_a_base_written_before_bases_named_their_conversation_still_reads() -> None:
    cells = ["102", "Bug", "t2", base(issue_type="Bug", title="t")]
    assert edited_since_export(cells) == (
        ["102", "", "t2", cells[3]],
        {"title": ["t", "t2"]},
    )


def test_a_bad_id_is_the_id_s_problem_not_the_base_s() -> None:
    cells = ["2.15468E+11", "Account", "t", base(id="215467900001", issue_type="Bug", title="t")]
    assert edited_since_export(cells) is not None
