"""A canary first: ``--sample N`` sends N rows drawn at random (the same with the same seed)
and exits 0 when they went through; running the report then sends every other row, never a
drawn one again. Over loopback against the sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bulk_update.cli.commands import main
from bulk_update.sandbox import SandboxConfig
from tests.conftest import SAMPLE_DATA, TOKEN, ThreadedSandbox, examples, read_report, write_csv

SCHEMA = str(SAMPLE_DATA / "schema.json")


def _sheet(folder: Path, rows: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = [[str(9001 + 2 * n), "Bug"] for n in range(rows)]
    return write_csv(folder / "in.csv", ["id", "issue_type"], lines)


def _run(server: ThreadedSandbox, *args: str) -> int:
    return main(["run", *args, "--base-url", server.url, "--schema", SCHEMA, "-q"])


def test_a_sample_then_the_report_sends_every_row_once(
    tmp_path: Path, token_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with ThreadedSandbox(SandboxConfig(token=TOKEN)) as server:
        sheet = _sheet(tmp_path / "a", 20)
        assert _run(server, str(sheet), "--sample", "5", "--seed", "7") == 0
        drawn = set(server.state.put_counts)
        report = tmp_path / "a" / "in.results.csv"
        statuses = [line["status"] for line in read_report(report)]
        assert len(drawn) == 5 and statuses.count("updated") == 5
        assert statuses.count("not_attempted") == 15
        out = capsys.readouterr().out
        assert "the 5 rows drawn at random went through" in out and str(report) in out
        assert _run(server, str(report)) == 0
        assert len(server.state.put_counts) == 20
        assert set(server.state.put_counts.values()) == {1}  # none sent twice
        # The same seed draws the same rows from the same sheet elsewhere.
        again = _sheet(tmp_path / "b", 20)
        before = dict(server.state.put_counts)
        assert _run(server, str(again), "--sample", "5", "--seed", "7") == 0
        assert {i for i, n in server.state.put_counts.items() if n > before[i]} == drawn


def test_a_sample_is_a_real_run_only(tmp_path: Path, token_env: str) -> None:
    with ThreadedSandbox(SandboxConfig(token=TOKEN)) as server:
        sheet = _sheet(tmp_path, 4)
        assert _run(server, str(sheet), "--sample", "2", "--dry-run") == 2
        assert _run(server, str(sheet), "--sample", "2", "--limit", "3") == 2
        assert _run(server, str(sheet), "--seed", "2") == 2
        assert server.state.paths == []


@settings(
    max_examples=examples(8),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(rows=st.integers(1, 12), sample=st.integers(1, 15), seed=st.integers(0, 99))
def test_sample_then_report_covers_every_row_exactly_once(
    tmp_path_factory: pytest.TempPathFactory, token_env: str, rows: int, sample: int, seed: int
) -> None:
    folder = tmp_path_factory.mktemp("sample")
    with ThreadedSandbox(SandboxConfig(token=TOKEN)) as server:
        sheet = _sheet(folder, rows)
        assert _run(server, str(sheet), "--sample", str(sample), "--seed", str(seed)) == 0
        assert len(server.state.put_counts) == min(rows, sample)
        assert _run(server, str(folder / "in.results.csv")) == 0
        assert len(server.state.put_counts) == rows
        assert set(server.state.put_counts.values()) == {1}
