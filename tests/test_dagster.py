"""The Dagster asset, materialized in-process against sandboxes over loopback: one partition
per workspace, each run's figures as metadata and its outcomes as the value; a failure policy
that fails the step; settings refused when misspelt; an upstream asset's DataFrame as the
sheet; and a retry after the worker was killed (kill -9) that resumes the partition's history:
every note exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import dagster
import pandas as pd
import pytest

from bulk_update.dagster import IntercomConnection, bulk_update_asset
from bulk_update.sandbox import SandboxConfig
from tests.conftest import SAMPLE_DATA, TOKEN, ThreadedSandbox, write_csv
from tests.end_to_end.test_resume import wait_until

SCHEMA = str(SAMPLE_DATA / "schema.json")


@pytest.fixture
def tokens(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    names = ["TOKEN_US", "TOKEN_EU", "TOKEN_AU"]
    for name in names:
        monkeypatch.setenv(name, TOKEN)
    return names


def _notes(server: ThreadedSandbox, conversation_id: str) -> int:
    parts = server.state.conversations[conversation_id]["conversation_parts"]
    return sum(part.get("part_type") == "note" for part in parts["conversation_parts"])


def test_three_workspaces_are_three_partitions(tmp_path: Path, tokens: list[str]) -> None:
    sheet = write_csv(tmp_path / "in.csv", ["id", "issue_type"], [["7001", "Bug"], ["1404", "Bug"]])
    with (
        ThreadedSandbox(SandboxConfig(token=TOKEN)) as us,
        ThreadedSandbox(SandboxConfig(token=TOKEN)) as eu,
        ThreadedSandbox(SandboxConfig(token=TOKEN)) as au,
    ):
        servers = {"us": us, "eu": eu, "au": au}
        workspaces = {
            key: IntercomConnection(token_env=env, base_url=server.url)
            for (key, server), env in zip(servers.items(), tokens, strict=True)
        }
        asset = bulk_update_asset(
            "backfill",
            sheet,
            workspaces,
            history_dir=tmp_path / "h",
            fail_on=0.5,
            schema_path=SCHEMA,
            backup_path="before.csv",
        )
        for key in servers:
            done = dagster.materialize([asset], partition_key=key)
            assert done.success
            [materialized] = done.asset_materializations_for_node("backfill")
            figures = {name: value.value for name, value in materialized.metadata.items()}
            assert figures["rows_updated"] == 1 and figures["rows_failed"] == 1
            assert figures["workspace"] == "bulk-update sandbox (app sandbox, US)"
            assert figures["report"] == str(tmp_path / "h" / "backfill" / key / "results.csv")
            assert (tmp_path / "h" / "backfill" / key / "before.csv").exists()  # its own
            outcomes = done.output_for_node("backfill")
            assert list(outcomes["status"]) == ["updated", "failed"]
        for server in servers.values():  # each workspace got its own write, once
            assert server.state.put_counts == {"7001": 1}


def test_the_failure_policy_fails_the_step(tmp_path: Path, tokens: list[str]) -> None:
    sheet = write_csv(tmp_path / "in.csv", ["id", "issue_type"], [["7001", "Bug"], ["1404", "Bug"]])
    with ThreadedSandbox(SandboxConfig(token=TOKEN)) as server:
        us = {"us": IntercomConnection(token_env=tokens[0], base_url=server.url)}
        strict = bulk_update_asset("strict", sheet, us, history_dir=tmp_path, schema_path=SCHEMA)
        done = dagster.materialize([strict], partition_key="us", raise_on_error=False)
        assert not done.success
        [failure] = [event for event in done.all_events if event.is_step_failure]
        assert "1 of 2 rows failed or were invalid" in str(failure.event_specific_data)
        lenient = bulk_update_asset(
            "lenient", sheet, us, history_dir=tmp_path, fail_on="never", schema_path=SCHEMA
        )
        assert dagster.materialize([lenient], partition_key="us").success


def test_settings_are_refused_when_misspelt_or_decided_elsewhere(tmp_path: Path) -> None:
    us = {"us": IntercomConnection(token_env="T")}
    with pytest.raises(TypeError, match="did you mean 'dry_run'"):
        bulk_update_asset("a", "in.csv", us, history_dir=tmp_path, dryrun=True)
    with pytest.raises(TypeError, match="per workspace"):
        bulk_update_asset("a", "in.csv", us, history_dir=tmp_path, region="eu")
    with pytest.raises(ValueError, match="fail_on"):
        bulk_update_asset("a", "in.csv", us, history_dir=tmp_path, fail_on="sometimes")


def test_an_upstream_asset_s_dataframe_is_the_sheet(tmp_path: Path, tokens: list[str]) -> None:
    @dagster.asset
    def changes() -> pd.DataFrame:
        return pd.DataFrame({"id": ["007001", "007003"], "issue_type": ["Bug", "Billing"]})

    with ThreadedSandbox(SandboxConfig(token=TOKEN)) as server:
        us = {"us": IntercomConnection(token_env=tokens[0], base_url=server.url)}
        apply = bulk_update_asset("apply", "changes", us, history_dir=tmp_path, schema_path=SCHEMA)
        instance = dagster.DagsterInstance.ephemeral()
        assert dagster.materialize([changes], instance=instance).success
        done = dagster.materialize(
            [changes, apply], selection=[apply], partition_key="us", instance=instance
        )
        assert done.success
        assert server.state.put_counts == {"007001": 1, "007003": 1}  # leading zeros kept
        assert (tmp_path / "apply" / "us" / "results.csv").exists()


WORKER = textwrap.dedent(
    """
    import sys
    import dagster
    from bulk_update.dagster import IntercomConnection, bulk_update_asset

    sheet, history, url, schema = sys.argv[1:]
    us = {"us": IntercomConnection(token_env="TOKEN_US", base_url=url)}
    asset = bulk_update_asset(
        "notes", sheet, us, history_dir=history, admin="ada@example.com", schema_path=schema
    )
    dagster.materialize([asset], partition_key="us")
    """
)


def test_a_retry_after_the_worker_was_killed_resumes_every_note_once(
    tmp_path: Path, tokens: list[str]
) -> None:
    rows = [[str(7001 + 2 * n), f"Migrated from Zendesk #{n}"] for n in range(120)]
    sheet = write_csv(tmp_path / "notes.csv", ["id", "note"], rows)
    worker = tmp_path / "worker.py"
    worker.write_text(WORKER, encoding="utf-8")
    with ThreadedSandbox(SandboxConfig(token=TOKEN, latency=0.02)) as server:
        process = subprocess.Popen(
            [sys.executable, str(worker), str(sheet), str(tmp_path / "h"), server.url, SCHEMA],
            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
        )
        wait_until(lambda: sum(server.state.put_counts.values()) + len(server.state.paths) > 60)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        server.config.latency = 0.0
        us = {"us": IntercomConnection(token_env=tokens[0], base_url=server.url)}
        asset = bulk_update_asset(
            "notes",
            sheet,
            us,
            history_dir=tmp_path / "h",
            admin="ada@example.com",
            schema_path=SCHEMA,
        )
        done = dagster.materialize([asset], partition_key="us")
        assert done.success
        assert all(_notes(server, row[0]) == 1 for row in rows)
    outcomes = done.output_for_node("notes")
    # A note that landed before the kill, unconfirmed, is found (unchanged), not sent again.
    assert set(outcomes["status"]) <= {"updated", "skipped"} and len(outcomes) == 120
