"""The command line end to end: exit codes, output channels, the token never shown."""

import json
import re
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from bulk_update.cli.commands import main
from bulk_update.sandbox import Sandbox, SandboxConfig
from tests.conftest import SAMPLE_DATA, TOKEN, ThreadedSandbox, read_report, write_csv


def run_cli(*args: str) -> int:
    return main(list(args))


def test_sandbox_run_of_the_sample(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "results.csv"
    summary_json = tmp_path / "summary.json"
    code = run_cli(
        "run",
        str(SAMPLE_DATA / "conversations.csv"),
        "--sandbox",
        "--report",
        str(report),
        "--summary-json",
        str(summary_json),
    )
    out = capsys.readouterr().out
    assert code == 1  # the sample has invalid rows on purpose
    assert "290 updated, 2 failed, 8 invalid" in out
    assert "rate-limited (429)" in out
    assert len(read_report(report)) == 300
    summary = json.loads(summary_json.read_text())
    assert summary["updated"] == 290 and summary["invalid"] == 8 and summary["rows"] == 300


def test_all_rows_updated_exits_0(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "in.csv", ["id", "title"], [["1", "a"], ["2", "b"]])
    assert run_cli("run", str(path), "--base-url", threaded_sandbox.url, "-q") == 0
    assert (tmp_path / "in.results.csv").exists()


def test_bad_column_exits_2_and_sends_nothing(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv(tmp_path / "in.csv", ["id", "priorty"], [["1", "High"]])
    assert run_cli("run", str(path), "--base-url", threaded_sandbox.url) == 2
    err = capsys.readouterr().err
    assert "did you mean 'priority'" in err and str(path) in err
    assert "Traceback" not in err
    assert threaded_sandbox.state.put_counts == {}


def test_missing_token_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("INTERCOM_ACCESS_TOKEN", raising=False)
    path = write_csv(tmp_path / "in.csv", ["id", "title"], [["1", "a"]])
    assert run_cli("run", str(path)) == 2
    assert "INTERCOM_ACCESS_TOKEN" in capsys.readouterr().err


def test_plain_http_to_a_remote_host_is_refused(
    token_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv(tmp_path / "in.csv", ["id", "title"], [["1", "a"]])
    assert run_cli("run", str(path), "--base-url", "http://example.com") == 2
    assert "clear text" in capsys.readouterr().err


def test_401_exits_1_with_a_clear_message(
    threaded_sandbox: Sandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("INTERCOM_ACCESS_TOKEN", "revoked-token-value")
    path = write_csv(tmp_path / "in.csv", ["id", "title"], [["1", "a"]])
    code = run_cli(
        "run",
        str(path),
        "--base-url",
        threaded_sandbox.url,
        "--schema",
        str(SAMPLE_DATA / "schema.json"),
    )
    err = capsys.readouterr().err
    assert code == 1
    assert "401" in err and "access token" in err
    assert "revoked-token-value" not in err


def test_dry_run_prints_bodies_and_exits_1_for_invalid_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("INTERCOM_ACCESS_TOKEN", raising=False)
    report = tmp_path / "dry.csv"
    code = run_cli(
        "run",
        str(SAMPLE_DATA / "conversations.csv"),
        "--dry-run",
        "--schema",
        str(SAMPLE_DATA / "schema.json"),
        "--report",
        str(report),
    )
    out = capsys.readouterr().out
    assert code == 1
    assert "PUT /conversations/215467800000" in out
    assert "292 would be updated, 8 invalid" in out
    assert {line["status"] for line in read_report(report)} == {"would_update", "invalid"}


def test_token_appears_in_no_output_report_log_or_journal(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    threaded_sandbox.config.error_rate = 0.2
    rows = [[str(n), "Bug"] for n in range(1, 60)] + [
        ["5404", "Bug"],
        ["bad", "Bug"],
        ["7", "Nope"],
    ]
    path = write_csv(tmp_path / "in.csv", ["id", "issue_type"], rows)
    log_file = tmp_path / "run.log"
    report = tmp_path / "out.csv"
    run_cli(
        "run",
        str(path),
        "--base-url",
        threaded_sandbox.url,
        "--report",
        str(report),
        "-vv",
        "--log-file",
        str(log_file),
        "--summary-json",
        str(tmp_path / "s.json"),
    )
    out, err = capsys.readouterr()
    written = [out, err] + [p.read_bytes().decode("utf-8", "replace") for p in tmp_path.iterdir()]
    assert "row=" in log_file.read_text()  # the audit lines were written
    for text in written:
        assert TOKEN not in text


def test_schema_command_saves_the_listing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_file = tmp_path / "schema.json"
    assert run_cli("schema", "--sandbox", "--out", str(out_file)) == 0
    assert json.loads(out_file.read_text())["data"][0]["name"] == "issue_type"


def test_help_does_not_import_pandas_or_aiohttp() -> None:
    code = (
        "import sys\n"
        "from bulk_update.cli.commands import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "assert 'pandas' not in sys.modules and 'aiohttp' not in sys.modules, 'heavy import'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)


def test_progress_bar_on_a_terminal_shows_counts_on_stderr(
    threaded_sandbox: Sandbox,
    token_env: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    rows = [["1", "a"], ["2404", "b"], ["3", "c"]]
    path = write_csv(tmp_path / "in.csv", ["id", "title"], rows)
    assert run_cli("run", str(path), "--base-url", threaded_sandbox.url) == 1
    out, err = capsys.readouterr()
    assert "3/3" in err and "updated=2" in err and "failed=1" in err and "\r" in err
    assert "updated=" not in out and "3 rows: 2 updated, 1 failed" in out


def test_progress_off_a_terminal_is_plain_lines(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [["1", "a"], ["2404", "b"], ["3", "c"]]
    path = write_csv(tmp_path / "in.csv", ["id", "title"], rows)
    assert run_cli("run", str(path), "--base-url", threaded_sandbox.url) == 1
    out, err = capsys.readouterr()
    assert "\r" not in err and "\x1b" not in err
    assert "progress: 3/3 rows (100%): 2 updated, 1 failed;" in err
    assert "progress:" not in out


def test_a_refused_token_still_gives_a_report_of_every_row(
    threaded_sandbox: Sandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("INTERCOM_ACCESS_TOKEN", "not-the-token")
    path = write_csv(tmp_path / "in.csv", ["id", "title"], [["1", "a"], ["2", "b"]])
    assert run_cli("run", str(path), "--base-url", threaded_sandbox.url) == 1
    assert "401" in capsys.readouterr().err
    lines = read_report(tmp_path / "in.results.csv")
    assert [(line["id"], line["status"]) for line in lines] == [
        ("1", "not_attempted"),
        ("2", "not_attempted"),
    ]
    assert threaded_sandbox.state.put_counts == {}


def test_a_report_folder_that_does_not_exist_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "missing" / "r.csv"
    assert (
        run_cli("run", str(SAMPLE_DATA / "conversations.csv"), "--sandbox", "--report", str(report))
        == 2
    )
    err = capsys.readouterr().err
    assert "does not exist" in err and "unexpected" not in err
    summary = tmp_path / "missing" / "s.json"
    code = run_cli(
        "run",
        str(SAMPLE_DATA / "conversations.csv"),
        "--sandbox",
        "--summary-json",
        str(summary),
        "--report",
        str(tmp_path / "r.csv"),
    )
    assert code == 2 and "--summary-json" in capsys.readouterr().err


@pytest.mark.parametrize("where", [["--base-url", "http://127.0.0.1:9"], ["--region", "eu"]])
def test_sandbox_with_another_destination_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], where: list[str]
) -> None:
    report = tmp_path / "r.csv"
    code = run_cli(
        "run", str(SAMPLE_DATA / "conversations.csv"), "--sandbox", "--report", str(report), *where
    )
    assert code == 2
    assert "--sandbox and " + where[0] in capsys.readouterr().err
    assert not report.exists()


def test_a_dry_run_never_overwrites_a_real_runs_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet = str(SAMPLE_DATA / "conversations.csv")
    report = tmp_path / "r.csv"
    assert run_cli("run", sheet, "--sandbox", "--report", str(report), "-q") == 1
    before = report.read_bytes()
    assert run_cli("run", sheet, "--sandbox", "--report", str(report), "--dry-run", "-q") == 2
    err = capsys.readouterr().err
    assert "real run" in err and "--report" in err and "r.dry-run.csv" in err
    assert report.read_bytes() == before
    # The journal deleted, the report's own 'updated' rows still protect it.
    Path(f"{report}.journal").unlink()
    assert run_cli("run", sheet, "--sandbox", "--report", str(report), "--dry-run", "-q") == 2
    assert report.read_bytes() == before


def test_a_dry_run_reports_beside_the_real_report_by_default(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "in.csv", ["id", "title"], [["1", "a"], ["2", "b"]])
    assert run_cli("run", str(path), "--base-url", threaded_sandbox.url, "-q") == 0
    before = (tmp_path / "in.results.csv").read_bytes()
    assert run_cli("run", str(path), "--base-url", threaded_sandbox.url, "-q", "--dry-run") == 0
    assert (tmp_path / "in.results.csv").read_bytes() == before
    dry = read_report(tmp_path / "in.dry-run.csv")
    assert [line["status"] for line in dry] == ["would_update", "would_update"]


def test_quiet_hides_progress_and_sample_bodies_but_never_a_warning(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    book = tmp_path / "in.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["id", "title"])
    sheet.append(["5", "x"])
    workbook.create_sheet("notes")
    workbook.save(book)
    url = threaded_sandbox.url
    assert run_cli("run", str(book), "--base-url", url, "--dry-run", "-q") == 0
    out, err = capsys.readouterr()
    assert "PUT /conversations" not in out and "progress:" not in err
    assert "the first of 2" in err and "--sheet picks another" in err  # the warning stays
    assert run_cli("run", str(book), "--base-url", url, "--dry-run") == 0
    assert "row 2: PUT /conversations/5" in capsys.readouterr().out


def test_verbose_progress_off_a_terminal_shows_retries_and_rate_waits(
    token_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = SandboxConfig(
        token=TOKEN, limit=6, window=1, error_rate=0.1, seed=3, missing_suffix=""
    )
    path = write_csv(tmp_path / "in.csv", ["id", "title"], [[str(n), "t"] for n in range(1, 13)])
    with ThreadedSandbox(config) as server:
        code = run_cli("run", str(path), "--base-url", server.url, "-v", "--rate", "1000/1")
    err = capsys.readouterr().err
    assert code == 0
    assert re.search(r"waiting [\d.]+ s for the next rate-limit window", err), err
    assert re.search(r"row \d+: retrying after (429|50[0-4]) \(attempt [2-9]\)", err), err
    assert "\r" not in err


def test_headers_as_people_write_them_reach_the_right_attributes(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv(
        tmp_path / "in.csv", ["Conversation ID", "Issue type", "Prio"], [["61", "Bug", "High"]]
    )
    url = threaded_sandbox.url
    schema = str(SAMPLE_DATA / "schema.json")
    code = run_cli(
        "run", str(path), "--base-url", url, "--schema", schema, "--rename", "Prio=priority"
    )
    out = capsys.readouterr().out
    assert code == 0
    assert threaded_sandbox.state.last_bodies["61"] == {
        "custom_attributes": {"issue_type": "Bug", "priority": "High"}
    }
    assert "columns read as: 'Conversation ID' → id, 'Issue type' → issue_type" in out


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--ignore-column", "nope"], "--ignore-column names 'nope', not a column"),
        (["--rename", "Old=priority"], "--rename names 'Old', not a column"),
        (["--rename", "no-equals"], "--rename takes 'OLD=new'"),
        (["--rate", "fast"], "--rate must look like 1666/10"),
    ],
)
def test_flags_naming_what_is_not_there_exit_2(
    threaded_sandbox: Sandbox,
    token_env: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    flags: list[str],
    message: str,
) -> None:
    path = write_csv(tmp_path / "in.csv", ["id", "title"], [["1", "a"]])
    url = threaded_sandbox.url
    assert run_cli("run", str(path), "--base-url", url, "-q", *flags) == 2
    assert message in capsys.readouterr().err
    assert threaded_sandbox.state.put_counts == {}


def test_sheet_names_match_in_any_case(
    threaded_sandbox: Sandbox, token_env: str, tmp_path: Path
) -> None:
    book = tmp_path / "in.xlsx"
    workbook = openpyxl.Workbook()
    workbook.create_sheet("Changes").append(["id", "title"])
    workbook["Changes"].append(["71", "x"])
    workbook.save(book)
    url = threaded_sandbox.url
    assert run_cli("run", str(book), "--base-url", url, "-q", "--sheet", "changes") == 0
    assert threaded_sandbox.state.last_bodies["71"] == {"title": "x"}


def test_ui_prints_its_address_serves_the_page_and_stops_on_ctrl_c() -> None:
    import signal
    import urllib.error
    import urllib.request

    command = [sys.executable, "-m", "bulk_update", "ui", "--sandbox", "--no-browser"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+/\?key=\S+", line)
        assert url is not None, line
        with urllib.request.urlopen(url.group(0), timeout=10) as page:
            assert page.status == 200 and b"Sheet" in page.read()
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url.group(0).split("?")[0], timeout=10)
        assert refused.value.code == 403
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    finally:
        process.kill()


def test_ui_without_a_token_is_refused_at_once(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("MINE", raising=False)
    assert main(["ui", "--no-browser", "--token-env", "MINE"]) == 2
    assert "no access token: set $MINE" in capsys.readouterr().err
