from pathlib import Path

import pytest

from bulk_update.config import Conventions
from bulk_update.errors import InputError, UsageError
from bulk_update.sandbox import default_listing
from bulk_update.sheet.schema import Attribute, AttributeType, Schema, converter_for
from bulk_update.sheet.values import (
    OptionMatcher,
    ValueProblem,
    to_boolean,
    to_float,
    to_id_list,
    to_integer,
)
from tests.conftest import SAMPLE_DATA, to_unix_seconds


@pytest.mark.parametrize(
    ("text", "expected"), [("3", 3), ("3.0", 3), (" 3 ", 3), ("-7", -7), ("1,000", 1000)]
)
def test_integers_accept_whole_numbers_in_spreadsheet_spellings(text: str, expected: int) -> None:
    assert to_integer(text) == expected
    assert type(to_integer(text)) is int


@pytest.mark.parametrize("text", ["3.5", "abc", "1e3", "1,00", "", "99999999999999999999"])
def test_integers_reject_what_is_not_a_whole_number(text: str) -> None:
    with pytest.raises(ValueProblem):
        to_integer(text)


def test_floats_keep_fractions_and_send_whole_values_as_ints() -> None:
    assert to_float("1.50") == 1.5
    assert to_float("155.5") == 155.5
    assert to_float("3") == 3 and type(to_float("3")) is int
    with pytest.raises(ValueProblem):
        to_float("nan")
    with pytest.raises(ValueProblem):
        to_float("1.2.3")


@pytest.mark.parametrize("text", ["true", "TRUE", "Yes", "y", "1", "1.0", " t "])
def test_true_spellings(text: str) -> None:
    assert to_boolean(text) is True


@pytest.mark.parametrize("text", ["false", "FALSE", "No", "n", "0", "0.0"])
def test_false_spellings(text: str) -> None:
    assert to_boolean(text) is False


def test_booleans_reject_other_words() -> None:
    with pytest.raises(ValueProblem):
        to_boolean("maybe")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-01", 1796083200),
        ("2026-12-01T00:00:00Z", 1796083200),
        ("2026-12-01T01:00:00+01:00", 1796083200),
        ("2026-12-01 00:00:00", 1796083200),
        ("1796083200", 1796083200),
        ("46357", 1796083200),  # Excel's serial for 2026-12-01
    ],
)
def test_dates_become_unix_seconds(text: str, expected: int) -> None:
    assert to_unix_seconds(text) == expected


def test_dates_reject_prose() -> None:
    with pytest.raises(ValueProblem, match="ISO 8601"):
        to_unix_seconds("next tuesday")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("21", ["21"]),
        ("21;34", ["21", "34"]),
        ("21, 34", ["21", "34"]),
        ('["55","89"]', ["55", "89"]),
    ],
)
def test_relationship_values_become_lists_of_id_strings(text: str, expected: list[str]) -> None:
    assert to_id_list(text) == expected


def test_relationship_rejects_empty_ids_and_bad_json() -> None:
    for text in ["21;;34", "[1,", '[{"a":1}]']:
        with pytest.raises(ValueProblem):
            to_id_list(text)


def test_listing_types_map_to_conversions() -> None:
    schema = Schema.from_listing(default_listing())
    attrs = schema.attributes
    assert attrs["priority"].type is AttributeType.LIST
    assert attrs["region"].type is AttributeType.STRING
    assert attrs["monthly_spend"].type is AttributeType.FLOAT
    assert attrs["due_date"].type is AttributeType.DATE
    assert attrs["orders"].type is AttributeType.RELATIONSHIP
    assert not attrs["legacy_code"].writable
    assert not attrs["sla_breached"].writable


def test_preview_listing_shape_is_understood() -> None:
    listing = {
        "type": "list",
        "data": [
            {
                "type": "conversation_attribute",
                "name": "tier",
                "data_type": "list",
                "options": [{"id": "a", "label": "Gold", "archived": False}],
            },
            {"type": "conversation_attribute", "name": "amount", "data_type": "decimal"},
            {"type": "conversation_attribute", "name": "when", "data_type": "datetime"},
            {"type": "conversation_attribute", "name": "doc", "data_type": "files"},
            {
                "type": "conversation_attribute",
                "name": "account",
                "data_type": "relationship",
                "required": True,
                "visible_to_team_ids": ["201"],
                "reference": {"type": "one", "object_type_id": "Account"},
            },
            {
                "type": "conversation_attribute",
                "name": "old_field",
                "data_type": "string",
                "archived": True,
            },
        ],
    }
    attrs = Schema.from_listing(listing).attributes
    assert attrs["tier"].type is AttributeType.LIST and attrs["tier"].options == ("Gold",)
    assert attrs["amount"].type is AttributeType.FLOAT
    assert attrs["when"].type is AttributeType.DATE
    assert not attrs["doc"].writable  # files take uploads, not a cell's text
    account = attrs["account"]
    assert account.type is AttributeType.RELATIONSHIP and account.reference == "one"
    assert account.required and account.visible_to_team_ids == ("201",)
    assert attrs["old_field"].archived and not attrs["old_field"].writable


def test_a_one_relationship_takes_a_single_id() -> None:
    one = Attribute("account", AttributeType.RELATIONSHIP, reference="one")
    many = Attribute("orders", AttributeType.RELATIONSHIP, reference="many")
    assert converter_for(one)("21") == ["21"] and converter_for(one)('["21"]') == ["21"]
    with pytest.raises(ValueProblem, match="'21;34' is 2 ids: this relationship takes one id"):
        converter_for(one)("21;34")
    assert converter_for(many)("21;34") == ["21", "34"]


def test_an_archived_duplicate_never_shadows_the_live_attribute() -> None:
    live = {"name": "region", "data_type": "string"}
    old = {**live, "data_type": "integer", "archived": True}
    for items in ([live, old], [old, live]):
        region = Schema.from_listing({"data": items}).attributes["region"]
        assert region.type is AttributeType.STRING and not region.archived


def test_list_values_must_be_options_and_near_misses_are_suggested() -> None:
    attrs = Schema.from_listing(default_listing()).attributes
    convert = converter_for(attrs["priority"])
    assert convert("High") == "High"
    with pytest.raises(ValueProblem, match="did you mean 'High'"):
        convert("Hihg")
    # Differing only in case or surrounding spaces: sent as the exact option, and counted.
    assert convert("high") == "High" and convert(" HIGH ") == "High"
    assert isinstance(convert, OptionMatcher) and convert.corrected == 2


def test_sample_schema_file_is_the_sandbox_listing() -> None:
    assert Schema.load(SAMPLE_DATA / "schema.json").listing == default_listing()


def test_a_file_that_is_not_a_listing_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "schema.json"
    path.write_text('{"nope": 1}')
    with pytest.raises(InputError, match="not an attribute listing"):
        Schema.load(path)
    path.write_text("{broken")
    with pytest.raises(InputError, match="not valid JSON"):
        Schema.load(path)


def test_other_models_attributes_are_neither_used_nor_saved(tmp_path: Path) -> None:
    listing = default_listing()
    listing["data"].append(
        {"type": "data_attribute", "model": "company", "name": "plan", "data_type": "string"}
    )
    listing["data"].append(
        {"type": "data_attribute", "model": "contact", "name": "priority", "data_type": "integer"}
    )
    schema = Schema.from_listing(listing)
    assert "plan" not in schema.attributes
    assert schema.attributes["priority"].type is AttributeType.LIST  # the conversation's
    schema.save(tmp_path / "schema.json")
    saved = Schema.load(tmp_path / "schema.json")
    assert "plan" not in saved.attributes
    assert all(item.get("model") == "conversation" for item in saved.listing["data"])


@pytest.mark.parametrize(
    ("text", "comma", "point"),
    [
        ("1,5", 1.5, None),
        ("1.234,5", 1234.5, None),
        ("1 234,5", 1234.5, None),
        ("1.234", 1234, 1.234),
        ("1,000", 1, 1000),  # never reinterpreted: each convention reads it its own way
        ("1,234.5", None, 1234.5),
        ("1.5", None, 1.5),
        ("-0,25", -0.25, None),
    ],
)
def test_numbers_follow_the_decimal_convention(
    text: str, comma: float | None, point: float | None
) -> None:
    for decimal_comma, expected in ((True, comma), (False, point)):
        if expected is None:
            with pytest.raises(ValueProblem):
                to_float(text, decimal_comma=decimal_comma)
        else:
            assert to_float(text, decimal_comma=decimal_comma) == expected


def test_integers_with_a_decimal_comma() -> None:
    assert to_integer("1.000", decimal_comma=True) == 1000
    assert to_integer("3,0", decimal_comma=True) == 3
    with pytest.raises(ValueProblem, match="decimal comma"):
        to_integer("3,5", decimal_comma=True)


@pytest.mark.parametrize("text", ["31/12/2026", "31.12.2026", "31-12-2026"])
def test_day_first_dates(text: str) -> None:
    assert to_unix_seconds(text, date_order="dayfirst") == 1798675200  # 2026-12-31 UTC
    # A day that cannot be a month says which it is.
    assert to_unix_seconds(text) == 1798675200
    assert to_unix_seconds("12/31/2026") == 1798675200  # nor can this month be a day


@pytest.mark.parametrize("text", ["03/04/2026", "03.04.2026", "11-12-2026"])
def test_only_a_date_whose_day_and_month_could_swap_needs_to_be_told(text: str) -> None:
    with pytest.raises(ValueProblem, match="day-first or month-first") as ambiguous:
        to_unix_seconds(text)
    names = {"date_order": "--dayfirst or --monthfirst"}
    assert "say which with --dayfirst or --monthfirst" in ambiguous.value.describe(names)
    assert to_unix_seconds("05/05/2026") == to_unix_seconds("2026-05-05")


def test_month_first_dates_and_dates_that_do_not_exist() -> None:
    assert to_unix_seconds("12/31/2026", date_order="monthfirst") == 1798675200
    with pytest.raises(ValueProblem, match="not a date that exists"):
        to_unix_seconds("12/31/2026", date_order="dayfirst")


def test_google_sheets_one_digit_hours_and_time_zones() -> None:
    assert to_unix_seconds("2026-12-31 9:30:00") == 1798675200 + 9 * 3600 + 1800
    paris = Conventions(timezone="Europe/Paris").zone
    assert to_unix_seconds("2026-12-31 9:30:00", zone=paris) == 1798675200 + 8 * 3600 + 1800
    assert to_unix_seconds("2026-12-31T09:30:00Z", zone=paris) == 1798675200 + 9 * 3600 + 1800
    with pytest.raises(UsageError, match="IANA"):
        Conventions(timezone="Mars/Olympus")


@pytest.mark.parametrize(
    ("true", "false"),
    [
        ("VRAI", "FAUX"),
        ("wahr", "falsch"),
        ("Verdadero", "Falso"),
        ("WAAR", "ONWAAR"),
        ("VERDADEIRO", "FALSO"),
        ("SANT", "FALSKT"),
        ("PRAWDA", "FAŁSZ"),
        ("VERO", "FALSO"),
    ],
)
def test_excel_localised_booleans(true: str, false: str) -> None:
    assert to_boolean(true) is True and to_boolean(false) is False
