"""The token never leaks, redirects do not carry it, and report cells are inert."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aiohttp import web

from bulk_update.cli.commands import main
from bulk_update.config import JobSettings, SendOptions, Token
from bulk_update.history.breakdown import Tally
from bulk_update.history.report import read_report as read_tool_report
from bulk_update.history.report import report_lines, write_report
from bulk_update.job import Job
from bulk_update.models import RowOutcome, RowStatus
from bulk_update.sandbox import Sandbox, SandboxConfig, default_listing
from bulk_update.sheet.rows import SheetRow
from tests.conftest import SAMPLE_DATA, TOKEN, ThreadedSandbox, read_report, write_csv


def every_byte_written(folder: Path, *captured: str) -> list[str]:
    texts = list(captured)
    for path in folder.rglob("*"):
        if path.is_file():
            texts.append(path.read_bytes().decode("utf-8", "replace"))
    return texts


def test_token_is_in_no_byte_written_on_any_error_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("INTERCOM_ACCESS_TOKEN", TOKEN)
    # The schema file knows an attribute the workspace does not: the server answers 400.
    listing = default_listing()
    listing["data"].append({**listing["data"][2], "name": "ghost"})
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps(listing))
    rows = [[str(n), "Bug", ""] for n in range(1, 300)]
    rows += [
        ["9404", "Bug", ""],
        ["bad id", "Bug", ""],
        ["80000", "Nope", ""],
        ["90000", "Bug", "boo"],
    ]
    path = write_csv(tmp_path / "in.csv", ["id", "issue_type", "ghost"], rows)
    # No rate-limit headers: nothing warns the tool before a window is spent.
    config = SandboxConfig(
        token=TOKEN,
        limit=100_000,
        window=1,
        error_rate=0.1,
        reset_rate=0.03,
        hang_rate=0.02,
        hang_seconds=5,
        seed=4,
        reset_header="missing",
    )

    def run_on(server: Sandbox, sheet: Path, *flags: str) -> None:
        main(["run", str(sheet), "--base-url", server.url, "--schema", str(schema), "-vv", *flags])

    with ThreadedSandbox(config) as server:
        main(
            [
                "run",
                str(path),
                "--base-url",
                server.url,
                "--schema",
                str(schema),
                "-vv",
                "--log-bodies",
                "--log-file",
                str(tmp_path / "run.log"),
                "--timeout",
                "0.5",
                "--summary-json",
                str(tmp_path / "summary.json"),
                "--report",
                str(tmp_path / "r.csv"),
            ]
        )
        # A spent window: a 429 whatever the machine's speed (the budget is none at all).
        config.limit = 0
        one_row = write_csv(tmp_path / "one.csv", ["id", "issue_type"], [["7", "Bug"]])
        run_on(server, one_row, "--max-retries", "0", "--report", str(tmp_path / "r429.csv"))
        config.limit = 100_000
        statuses = dict(server.state.status_counts)
        # A revoked token: the run stops on 401.
        monkeypatch.setenv("INTERCOM_ACCESS_TOKEN", "revoked-" + TOKEN)
        run_on(server, path, "--report", str(tmp_path / "r401.csv"))
    main(["run", str(tmp_path / "missing.csv"), "--sandbox"])  # an input error
    out, err = capsys.readouterr()
    assert {200, 400, 404, 429, 500} <= set(statuses)
    assert "Bearer ***" in err and "body=" in (tmp_path / "run.log").read_text()
    assert "Intercom answered 401" in err and "no such file" in err
    for text in every_byte_written(tmp_path, out, err):
        assert TOKEN not in text


def test_token_env_names_another_variable(
    threaded_sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("INTERCOM_ACCESS_TOKEN", raising=False)
    monkeypatch.setenv("MY_INTERCOM", TOKEN)
    path = write_csv(tmp_path / "in.csv", ["id", "title"], [["1", "a"]])
    assert (
        main(
            [
                "run",
                str(path),
                "--base-url",
                threaded_sandbox.url,
                "--token-env",
                "MY_INTERCOM",
                "-q",
            ]
        )
        == 0
    )


async def test_a_redirect_is_not_followed_with_the_token(tmp_path: Path) -> None:
    seen: list[str] = []

    async def elsewhere(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Authorization", ""))
        return web.json_response({})

    other = web.Application()
    other.router.add_route("*", "/{tail:.*}", elsewhere)
    other_runner = web.AppRunner(other)
    await other_runner.setup()
    await web.TCPSite(other_runner, "127.0.0.2", 0).start()
    other_port = other_runner.addresses[0][1]

    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPTemporaryRedirect(f"http://127.0.0.2:{other_port}{request.path}")

    front = web.Application()
    front.router.add_route("PUT", "/conversations/{id}", redirect)
    front_runner = web.AppRunner(front)
    await front_runner.setup()
    await web.TCPSite(front_runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{front_runner.addresses[0][1]}"
    try:
        path = write_csv(tmp_path / "in.csv", ["id", "title"], [["1", "a"]])
        settings = JobSettings(
            path,
            tmp_path / "r.csv",
            send=SendOptions(base_url=url),
            schema_path=SAMPLE_DATA / "schema.json",
        )
        await Job(settings, Token(TOKEN)).run()
    finally:
        await front_runner.cleanup()
        await other_runner.cleanup()
    assert seen == []
    (line,) = read_report(tmp_path / "r.csv")
    assert (line["status"], line["http_status"], line["error_code"]) == (
        "failed",
        "307",
        "redirect",
    )


def test_report_cells_are_inert_in_the_file_and_read_back_exactly(tmp_path: Path) -> None:
    row = SheetRow(2, ["5", "=1+1", "@SUM(A1)", "-3", "+x"])
    outcome = RowOutcome(2, RowStatus.FAILED, 400, "=cmd", '=HYPERLINK("http://x")', 1, "\tid")
    lines = list(report_lines(["id", "a", "b", "c", "d"], [row], iter([outcome]), Tally()))
    path = tmp_path / "r.csv"
    write_report(path, iter(lines))
    (written,) = read_report(path)  # the file as any spreadsheet reads it
    assert [written[key] for key in ("a", "b", "c", "d")] == ["'=1+1", "'@SUM(A1)", "-3", "'+x"]
    assert [written[key] for key in ("error_code", "error_message", "request_id")] == [
        "'=cmd",
        '\'=HYPERLINK("http://x")',
        "'\tid",
    ]
    assert read_tool_report(path, None) == lines  # as this tool reads it back


async def test_formula_looking_values_are_sent_and_reported_as_written(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "in.csv", ["id", "title"], [["5", "=1+1"]])
    settings = JobSettings(
        path,
        tmp_path / "r.csv",
        send=SendOptions(base_url=sandbox.url),
        schema_path=SAMPLE_DATA / "schema.json",
    )
    result = await Job(settings, Token(TOKEN)).run()
    assert sandbox.state.conversations["5"]["title"] == "=1+1"
    assert read_report(tmp_path / "r.csv")[0]["title"] == "'=1+1"  # inert in the file
    assert list(result.outcomes["title"]) == ["=1+1"]  # and read back exactly


def test_an_error_page_that_echoes_the_headers_never_carries_the_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("INTERCOM_ACCESS_TOKEN", TOKEN)
    sheet = write_csv(tmp_path / "in.csv", ["id", "title"], [["1", "a"], ["2", "b"]])
    config = SandboxConfig(token=TOKEN, limit=100_000, seed=1, echo_rate=1.0)
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps(default_listing()))
    summary = tmp_path / "summary.json"
    with ThreadedSandbox(config) as server:
        flags = ["--schema", str(schema), "--max-retries", "0", "--summary-json", str(summary)]
        code = main(["run", str(sheet), "--base-url", server.url, *flags, "-v"])
    out, err = capsys.readouterr()
    assert code == 1
    report = (tmp_path / "in.results.csv").read_text(encoding="utf-8-sig")
    assert "Bearer ***" in report  # the echo is kept, the token is not
    for text in (out, err, report, summary.read_text()):
        assert TOKEN not in text
