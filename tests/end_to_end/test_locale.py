"""Spreadsheets from any locale, end to end through the command line against the sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest

from bulk_update.cli.commands import main
from bulk_update.sandbox import Sandbox
from tests.conftest import SAMPLE_DATA, read_report

SCHEMA = str(SAMPLE_DATA / "schema.json")
EU_SHEET = (
    "id;monthly_spend;csat_score;due_date;vip;region;title\r\n"
    "101;1,5;3;31/12/2026;VRAI;Île-de-France;Réclamation\r\n"
    "102;1.234,5;4;01.02.2027 9:30;faux;Zürich;\r\n"
)


def test_an_eu_file_needs_no_encoding_flag(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = eu_file(tmp_path)
    url = threaded_sandbox.url
    assert main(["run", str(path), "--base-url", url, "--schema", SCHEMA, "-q", "--dayfirst"]) == 0
    body = threaded_sandbox.state.last_bodies["101"]
    assert body["title"] == "Réclamation" and body["custom_attributes"]["vip"] is True
    assert "Windows-1252" in capsys.readouterr().err


def eu_file(tmp_path: Path) -> Path:
    path = tmp_path / "eu.csv"
    path.write_bytes(EU_SHEET.encode("cp1252"))
    return path


def test_an_eu_excel_file_is_sent_with_the_right_json_values(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = eu_file(tmp_path)
    url = threaded_sandbox.url
    base = ["run", str(path), "--base-url", url, "--schema", SCHEMA, "-q", "--encoding", "cp1252"]
    code = main([*base, "--dayfirst", "--timezone", "Europe/Paris"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert threaded_sandbox.state.last_bodies["101"] == {
        "title": "Réclamation",
        "custom_attributes": {
            "monthly_spend": 1.5,
            "csat_score": 3,
            "due_date": 1798671600,  # 2026-12-31 00:00 in Paris
            "vip": True,
            "region": "Île-de-France",
        },
    }
    assert threaded_sandbox.state.last_bodies["102"]["custom_attributes"] == {
        "monthly_spend": 1234.5,
        "csat_score": 4,
        "due_date": 1801470600,  # 2027-02-01 09:30 in Paris
        "vip": False,
        "region": "Zürich",
    }
    assert "decimal comma" in out and "Europe/Paris" in out


def test_without_a_date_order_only_ambiguous_dates_are_invalid_and_name_both_flags(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path
) -> None:
    path = eu_file(tmp_path)
    url = threaded_sandbox.url
    code = main(
        ["run", str(path), "--base-url", url, "--schema", SCHEMA, "-q", "--encoding", "cp1252"]
    )
    assert code == 1
    lines = read_report(tmp_path / "eu.results.csv")
    # 31/12/2026 says it is day-first; 01.02.2027 could be either.
    assert [line["status"] for line in lines] == ["updated", "invalid"]
    assert "--dayfirst or --monthfirst" in lines[1]["error_message"]
    assert threaded_sandbox.state.puts_applied == 1


def test_decimal_point_overrides_the_semicolon_default(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path
) -> None:
    path = tmp_path / "in.csv"
    path.write_text("id;monthly_spend\n7;1,000\n8;2.5\n", encoding="utf-8")
    url = threaded_sandbox.url
    base = ["run", str(path), "--base-url", url, "--schema", SCHEMA, "-q"]
    assert main(base) == 1
    by_id = {line["id"]: line for line in read_report(tmp_path / "in.results.csv")}
    assert threaded_sandbox.state.last_bodies["7"] == {"custom_attributes": {"monthly_spend": 1}}
    assert by_id["8"]["status"] == "invalid" and "decimal comma" in by_id["8"]["error_message"]
    assert "--decimal-point" in by_id["8"]["error_message"]
    second = ["run", str(path), "--base-url", url, "--schema", SCHEMA, "-q", "--decimal-point"]
    assert main([*second, "--report", str(tmp_path / "r2.csv")]) == 0
    assert threaded_sandbox.state.last_bodies["7"] == {"custom_attributes": {"monthly_spend": 1000}}
    assert threaded_sandbox.state.last_bodies["8"] == {"custom_attributes": {"monthly_spend": 2.5}}
