"""The workspace a run is about to change, read from ``GET /me`` before the first write over
loopback against the sandbox: shown in the summary and its JSON, checked against
``workspace`` (a mismatch stops the run with nothing sent, exit 2 at the command line), and
confirmed by whoever started a big run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bulk_update import api
from bulk_update.cli.commands import main
from bulk_update.errors import UsageError
from bulk_update.job.hooks import RunHooks
from bulk_update.models import Workspace
from bulk_update.sandbox import Sandbox, SandboxConfig
from tests.conftest import SAMPLE_DATA, TOKEN, ThreadedSandbox, run_on, write_csv

SANDBOX_WORKSPACE = Workspace("bulk-update sandbox", "sandbox", "US", "sandbox@example.invalid")


def _sheet(tmp_path: Path, rows: int = 3, name: str = "in") -> Path:
    lines = [[str(7001 + 2 * n), "Bug"] for n in range(rows)]
    return write_csv(tmp_path / f"{name}.csv", ["id", "issue_type"], lines)


_run = run_on


@pytest.mark.parametrize("named", ["BULK-UPDATE Sandbox", "sandbox"])  # its name, or its id
async def test_the_workspace_is_read_before_the_first_write_and_shown(
    sandbox: Sandbox, tmp_path: Path, named: str
) -> None:
    summary_json = tmp_path / "summary.json"
    result = await _run(sandbox, _sheet(tmp_path), workspace=named, summary_json=summary_json)
    assert result.summary.workspace == SANDBOX_WORKSPACE
    assert sandbox.state.paths[0] == "/me" and len(sandbox.state.put_counts) == 3
    told = json.loads(summary_json.read_text())["workspace"]
    assert told == {
        "name": "bulk-update sandbox",
        "app_id": "sandbox",
        "region": "US",
        "teammate": "sandbox@example.invalid",
    }


async def test_another_workspace_stops_the_run_before_anything_is_sent(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    sheet = _sheet(tmp_path)
    with pytest.raises(UsageError, match=r"belongs to the workspace bulk-update sandbox \(app"):
        await _run(sandbox, sheet, workspace="Acme EU production")
    assert sandbox.state.put_counts == {}
    # Nothing was sent: the same command, pointed right, is a first round.
    assert not (tmp_path / "in.results.csv.journal").exists()
    result = await _run(sandbox, sheet, workspace="bulk-update sandbox")
    assert result.summary.counts == {"updated": 3}


def test_the_command_line_exits_2_naming_the_token_s_workspace(
    tmp_path: Path, token_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with ThreadedSandbox(SandboxConfig(token=TOKEN)) as server:
        args = ["run", str(_sheet(tmp_path)), "--base-url", server.url, "-q"]
        code = main([*args, "--schema", str(SAMPLE_DATA / "schema.json"), "--workspace", "prod"])
        writes = dict(server.state.put_counts)
    err = capsys.readouterr().err
    assert code == 2 and writes == {}
    assert "bulk-update sandbox (app sandbox, US)" in err and "--workspace" in err


async def test_a_workspace_that_cannot_be_read_is_said_and_refused_only_when_expected(
    tmp_path: Path,
) -> None:
    config = SandboxConfig(token=TOKEN, failing_paths=("/me",))
    async with Sandbox(config) as sandbox:
        result = await _run(sandbox, _sheet(tmp_path), max_retries=1)
        assert result.summary.workspace is None
        assert any("workspace could not be read" in notice for notice in result.summary.notices)
        assert result.summary.counts == {"updated": 3}
        with pytest.raises(UsageError, match="cannot be checked; nothing was sent"):
            await _run(sandbox, _sheet(tmp_path, 2, "b"), max_retries=1, workspace="sandbox")
        assert len(sandbox.state.put_counts) == 3  # the first run's only


async def test_a_dry_run_reads_no_workspace_unless_one_is_expected(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    result = await _run(sandbox, _sheet(tmp_path), dry_run=True)
    assert result.summary.workspace is None and sandbox.state.paths == []
    checked = await _run(sandbox, _sheet(tmp_path, 2, "b"), dry_run=True, workspace="sandbox")
    assert checked.summary.workspace == SANDBOX_WORKSPACE


async def test_a_run_not_confirmed_sends_nothing(sandbox: Sandbox, tmp_path: Path) -> None:
    asked: list[tuple[Workspace, int]] = []

    def refuse(workspace: Workspace, conversations: int) -> bool:
        asked.append((workspace, conversations))
        return False

    with pytest.raises(UsageError, match="not confirmed"):
        await api.run_async(
            _sheet(tmp_path, 5),
            token=TOKEN,
            base_url=sandbox.url,
            schema_path=SAMPLE_DATA / "schema.json",
            hooks=RunHooks(confirm=refuse),
        )
    assert asked == [(SANDBOX_WORKSPACE, 5)] and sandbox.state.put_counts == {}


def test_the_command_line_asks_for_the_name_above_the_threshold(
    tmp_path: Path, token_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A person at a terminal types the workspace's name; a wrong one sends nothing (exit 2).
    (The terminal is the one thing a test cannot open here: stdin's isatty and input are.)"""
    typed = iter(["", "acme", "Bulk-Update Sandbox"])

    def answer(_prompt: str) -> str:
        given = next(typed)
        if not given:
            raise EOFError  # Ctrl-D: not confirmed
        return given

    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", answer)
    with ThreadedSandbox(SandboxConfig(token=TOKEN)) as server:
        args = ["run", str(_sheet(tmp_path, 3)), "--base-url", server.url, "-q"]
        args += ["--schema", str(SAMPLE_DATA / "schema.json"), "--confirm-above", "2"]
        assert main(args) == 2 and server.state.put_counts == {}  # Ctrl-D
        assert not (tmp_path / "in.results.csv.journal").exists()  # the same command works
        assert main(args) == 2 and server.state.put_counts == {}  # a wrong name
        assert main(args) == 0 and len(server.state.put_counts) == 3
        below = [str(_sheet(tmp_path, 3, "b")), *args[2:-1], "10"]
        assert main(["run", *below]) == 0  # 3 rows, not above 10: not asked (typed is spent)


async def test_a_keyed_sheet_searches_nothing_in_another_workspace(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    sandbox.server.add_contact(email="ana@acme.test", conversations=["7001"])
    sheet = write_csv(
        tmp_path / "keyed.csv", ["contact_email", "issue_type"], [["ana@acme.test", "Bug"]]
    )
    with pytest.raises(UsageError, match="belongs to the workspace"):
        await _run(sandbox, sheet, workspace="Acme EU production")
    assert sandbox.state.paths == ["/me"]  # no search, no write
    result = await _run(sandbox, sheet, workspace="sandbox")
    assert result.summary.counts == {"updated": 1}
    assert sandbox.state.paths.count("/me") == 2  # read once for the run (its pairs' too)
