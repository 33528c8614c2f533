"""The main job end to end through the library, over loopback HTTP against the sandbox."""

import dataclasses
from pathlib import Path

import pytest

from bulk_update.config import JobSettings, Rate, ReadOptions, SendOptions, Token
from bulk_update.errors import AuthenticationFailed, InputError, UsageError
from bulk_update.job import Job
from bulk_update.models import RowStatus
from bulk_update.sandbox import Sandbox, SandboxConfig
from bulk_update.send.retry import RetryPolicy
from tests.conftest import SAMPLE_DATA, TOKEN, VirtualClock, read_report, write_csv

FAST_RETRY = RetryPolicy(max_retries=8, base_delay=0.001, max_delay=0.01)


def settings_for(
    sandbox: Sandbox, input_path: Path, tmp_path: Path, **changes: object
) -> JobSettings:
    send = SendOptions(
        base_url=sandbox.url,
        rate=changes.pop("rate", Rate(100_000, 1)),  # type: ignore[arg-type]
        concurrency=8,
        timeout=changes.pop("timeout", 5.0),  # type: ignore[arg-type]
        max_failures=changes.pop("max_failures", None),  # type: ignore[arg-type]
    )
    return JobSettings(
        input_path=input_path,
        report_path=tmp_path / "report.csv",
        send=send,
        **changes,  # type: ignore[arg-type]
    )


async def run(sandbox: Sandbox, settings: JobSettings, token: str = TOKEN):  # type: ignore[no-untyped-def]
    return await Job(settings, Token(token), retry_policy=FAST_RETRY).run()


async def test_sample_sheet_every_row_once_with_the_right_status(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    result = await run(sandbox, settings_for(sandbox, SAMPLE_DATA / "conversations.csv", tmp_path))
    report = read_report(tmp_path / "report.csv")
    assert [line["row"] for line in report] == [str(n) for n in range(2, 302)]
    by_row = {int(line["row"]): line for line in report}
    invalid_rows = {11, 16, 21, 26, 31, 36, 46, 56}
    assert {n for n, line in by_row.items() if line["status"] == "invalid"} == invalid_rows
    assert {n for n, line in by_row.items() if line["status"] == "failed"} == {41, 94}
    assert by_row[41]["http_status"] == "404" and by_row[41]["error_code"] == "not_found"
    assert by_row[36]["error_message"] == "column 'id': duplicate of row 5"
    assert result.summary.count(RowStatus.UPDATED) == 290
    assert sum(sandbox.state.put_counts.values()) == 290 + 0  # 404s are not counted as PUTs applied
    # the id with leading zeros and the text "NA" arrive untouched
    assert by_row[6]["id"] == "000123" and by_row[6]["title"] == "NA"
    assert sandbox.state.conversations["000123"]["title"] == "NA"
    # the clear marker removed the attribute
    assert "issue_type" not in sandbox.state.last_bodies[by_row[51]["id"]].get(
        "custom_attributes", {}
    ) or (sandbox.state.last_bodies[by_row[51]["id"]]["custom_attributes"]["issue_type"] is None)


async def test_typed_values_arrive_as_json_types(sandbox: Sandbox, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "in.csv",
        [
            "id",
            "read",
            "csat_score",
            "monthly_spend",
            "vip",
            "due_date",
            "orders",
            "region",
            "issue_type",
        ],
        [["7", "TRUE", "3.0", "1.50", "no", "2026-12-01", "21;34", "NA", "#N/A"]],
    )
    await run(sandbox, settings_for(sandbox, path, tmp_path))
    assert sandbox.state.last_bodies["7"] == {
        "read": True,
        "custom_attributes": {
            "csat_score": 3,
            "monthly_spend": 1.5,
            "vip": False,
            "due_date": 1796083200,
            "orders": ["21", "34"],
            "region": "NA",
            "issue_type": None,
        },
    }


async def test_a_bad_column_stops_before_any_request(sandbox: Sandbox, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "in.csv", ["id", "priorty"], [["1", "High"]])
    with pytest.raises(InputError, match="did you mean 'priority'"):
        await run(
            sandbox, settings_for(sandbox, path, tmp_path, schema_path=SAMPLE_DATA / "schema.json")
        )
    assert sandbox.state.put_counts == {}
    assert not (tmp_path / "report.csv").exists()


async def test_injected_5xx_resets_and_a_429_storm_end_with_every_valid_row_updated(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    sandbox.config.error_rate = 0.1
    sandbox.config.reset_rate = 0.05
    sandbox.config.limit = 60
    sandbox.config.window = 1
    rows = [[str(1000 + n), "Bug"] for n in range(150)]
    path = write_csv(tmp_path / "in.csv", ["id", "issue_type"], rows)
    result = await run(sandbox, settings_for(sandbox, path, tmp_path))
    report = read_report(tmp_path / "report.csv")
    assert {line["status"] for line in report} == {"updated"}
    assert len(report) == 150
    assert result.summary.retries > 0
    assert set(sandbox.state.put_counts) == {r[0] for r in rows}
    assert sandbox.state.status_counts[429] <= result.summary.rate_limited


async def test_401_stops_the_run_and_leaves_the_rest_not_attempted(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    rows = [[str(1000 + n), "Bug"] for n in range(200)]
    path = write_csv(tmp_path / "in.csv", ["id", "issue_type"], rows)
    settings = settings_for(sandbox, path, tmp_path, schema_path=SAMPLE_DATA / "schema.json")
    with pytest.raises(AuthenticationFailed, match="401") as refused:
        await run(sandbox, settings, token="revoked-token")
    # The caller still gets what the run did.
    result = refused.value.result
    assert result is not None and result.summary.rows == 200
    assert result.summary.count(RowStatus.NOT_ATTEMPTED) >= 200 - 8 * 2
    report = read_report(tmp_path / "report.csv")
    statuses = [line["status"] for line in report]
    assert len(report) == 200
    assert statuses.count("updated") == 0
    assert statuses.count("not_attempted") >= 200 - 8 * 2  # at most the in-flight ones were sent
    assert sandbox.state.status_counts[401] <= 8


async def test_max_failures_stops_the_run(sandbox: Sandbox, tmp_path: Path) -> None:
    rows = [[f"{n}404", "Bug"] for n in range(100)]
    path = write_csv(tmp_path / "in.csv", ["id", "issue_type"], rows)
    result = await run(sandbox, settings_for(sandbox, path, tmp_path, max_failures=5))
    assert "5 rows failed" in result.summary.stop_reason
    assert result.summary.count(RowStatus.NOT_ATTEMPTED) >= 100 - 5 - 8 * 3
    assert result.summary.count(RowStatus.FAILED) < 100


async def test_dry_run_sends_nothing(sandbox: Sandbox, tmp_path: Path) -> None:
    settings = settings_for(sandbox, SAMPLE_DATA / "conversations.csv", tmp_path, dry_run=True)
    result = await run(sandbox, settings)
    assert sandbox.state.put_counts == {}
    assert result.summary.count(RowStatus.WOULD_UPDATE) == 292
    assert len(result.sample_requests) == 3
    assert not settings.journal_path.exists()


async def test_limit_sends_only_the_first_valid_rows(sandbox: Sandbox, tmp_path: Path) -> None:
    rows = [["x"], *[[str(n)] for n in range(1, 10)]]
    path = write_csv(tmp_path / "in.csv", ["id", "title"], [[r[0], "t"] for r in rows])
    result = await run(sandbox, settings_for(sandbox, path, tmp_path, limit=3))
    assert set(sandbox.state.put_counts) == {"1", "2", "3"}
    assert result.summary.count(RowStatus.NOT_ATTEMPTED) == 6
    assert result.summary.count(RowStatus.INVALID) == 1


async def test_timeouts_are_retried_then_fail_with_a_reason(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    sandbox.config.hang_rate = 1.0
    path = write_csv(tmp_path / "in.csv", ["id", "title"], [["5", "t"]])
    settings = settings_for(
        sandbox, path, tmp_path, timeout=0.2, schema_path=SAMPLE_DATA / "schema.json"
    )
    result = await Job(
        settings, Token(TOKEN), retry_policy=RetryPolicy(max_retries=2, base_delay=0.001)
    ).run()
    (line,) = read_report(tmp_path / "report.csv")
    assert line["status"] == "failed" and line["error_code"] == "timeout"
    assert line["attempts"] == "3"
    assert result.summary.retries == 2


async def test_report_keeps_input_columns_and_can_be_fed_back(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "in.csv", ["id", "title"], [["1404", "a"], ["2", "b"]])
    await run(sandbox, settings_for(sandbox, path, tmp_path))
    first = tmp_path / "first.csv"
    (tmp_path / "report.csv").rename(first)
    settings = settings_for(sandbox, first, tmp_path, resume=False)
    settings = JobSettings(settings.input_path, tmp_path / "second.csv", send=settings.send)
    result = await run(sandbox, settings)
    second = read_report(tmp_path / "second.csv")
    assert list(second[0]) == [
        "id",
        "title",
        "row",
        "status",
        "http_status",
        "error_code",
        "error_message",
        "attempts",
        "request_id",
        "changes",
        "steps",
        "bulk_update_history",  # the report fed back had one: it is this report's own now
    ]
    assert len({line["bulk_update_history"].split(" ")[0] for line in second}) == 1
    assert result.summary.rows == 2


async def test_an_existing_journal_is_never_overwritten_silently(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "in.csv", ["id", "title"], [["1", "a"]])
    await run(sandbox, settings_for(sandbox, path, tmp_path))
    with pytest.raises(UsageError, match="was run already") as refused:
        await run(sandbox, settings_for(sandbox, path, tmp_path))
    assert "--" not in str(refused.value)  # the library speaks of settings, not flags


async def test_xlsx_report_keeps_ids_as_text(sandbox: Sandbox, tmp_path: Path) -> None:
    import openpyxl

    path = write_csv(tmp_path / "in.csv", ["id", "title"], [["000123", "a"]])
    settings = settings_for(sandbox, path, tmp_path)
    settings = JobSettings(path, tmp_path / "report.xlsx", send=settings.send, read=ReadOptions())
    await run(sandbox, settings)
    sheet = openpyxl.load_workbook(tmp_path / "report.xlsx").active
    assert sheet is not None
    assert sheet["A2"].value == "000123"


async def test_pacing_to_the_headers_avoids_429s(tmp_path: Path) -> None:
    # The static ceiling is far above what the server allows: only the headers can keep the
    # run from collecting 429s, including callers already queued when the budget ran out.
    # Intercom's own 10-second windows, in virtual time shared by server and client.
    clock = VirtualClock()
    config = SandboxConfig(token=TOKEN, limit=40, window=10, missing_suffix="")
    async with Sandbox(config, clock=clock) as sandbox:
        rows = [[str(1000 + n), "Bug"] for n in range(100)]
        path = write_csv(tmp_path / "in.csv", ["id", "issue_type"], rows)
        settings = settings_for(sandbox, path, tmp_path, schema_path=SAMPLE_DATA / "schema.json")
        job = Job(settings, Token(TOKEN), retry_policy=FAST_RETRY, clock=clock)
        result = await job.run()
    assert result.summary.count(RowStatus.UPDATED) == 100
    assert sandbox.state.status_counts[429] == 0
    # 100 rows at 40 a window: the third window, reached by waiting, not by 429s.
    assert len(sandbox.state.window_history) == 3
    assert 10 < clock.slept < 30


async def test_dry_run_with_limit_marks_the_rest_not_attempted(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    rows = [["1", "a"], ["x", "b"], ["2", "c"], ["1", "d"], ["3", "e"], ["4", "f"]]
    path = write_csv(tmp_path / "in.csv", ["id", "title"], rows)
    result = await run(sandbox, settings_for(sandbox, path, tmp_path, dry_run=True, limit=2))
    statuses = [line["status"] for line in read_report(tmp_path / "report.csv")]
    assert statuses == [
        "would_update",
        "invalid",
        "would_update",
        "invalid",
        "not_attempted",
        "not_attempted",
    ]
    assert [r.row for r in result.sample_requests] == [2, 4]


async def test_the_first_window_is_probed_before_a_burst(tmp_path: Path) -> None:
    # Nothing is known of the window until an answer says: one request finds out, and the
    # other 19 of --concurrency 20 do not crowd into a window another integration has nearly
    # spent (14 of 20 used). Virtual time, Intercom's 10-second windows.
    clock = VirtualClock()
    config = SandboxConfig(token=TOKEN, limit=20, window=10, missing_suffix="")
    async with Sandbox(config, clock=clock) as sandbox:
        sandbox.state.window_index = int(clock.now // 10)
        sandbox.state.window_used = 14
        rows = [[str(2000 + n), "Bug"] for n in range(12)]
        path = write_csv(tmp_path / "in.csv", ["id", "issue_type"], rows)
        settings = settings_for(sandbox, path, tmp_path, schema_path=SAMPLE_DATA / "schema.json")
        settings = dataclasses.replace(
            settings, send=dataclasses.replace(settings.send, concurrency=20)
        )
        job = Job(settings, Token(TOKEN), retry_policy=FAST_RETRY, clock=clock)
        result = await job.run()
    assert result.summary.count(RowStatus.UPDATED) == 12
    assert sandbox.state.status_counts[429] == 0
    # 6 left (GET /me, which workspace, and 5 writes), then the other 7 writes
    assert list(sandbox.state.window_history.values()) == [6, 7]
