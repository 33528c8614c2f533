"""The local page's guard, over loopback: the key, the origin, the host, the upload limit."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bulk_update.history.lock import holding
from bulk_update.sandbox import Sandbox
from bulk_update.ui import UiServer
from bulk_update.ui.page_server import MAX_UPLOAD_BYTES
from bulk_update.ui.session import Connection
from tests.conftest import SAMPLE_DATA, TOKEN


@pytest.fixture
async def ui(sandbox: Sandbox) -> AsyncIterator[UiServer]:
    server = UiServer(Connection({"base_url": sandbox.url}, TOKEN))
    await server.start()
    yield server
    await server.stop()


async def test_the_page_needs_its_key(ui: UiServer) -> None:
    async with aiohttp.ClientSession() as client:
        async with client.get(ui.origin + "/") as answer:
            assert answer.status == 403
        async with client.get(ui.origin + "/?key=wrong") as answer:
            assert answer.status == 403
        async with client.get(ui.url) as answer:
            assert answer.status == 200
            assert '<label for="sheet-file">Sheet</label>' in await answer.text()
            assert answer.headers["Referrer-Policy"] == "no-referrer"
            assert "script-src 'self'" in answer.headers["Content-Security-Policy"]


async def test_a_request_from_another_page_is_refused(ui: UiServer) -> None:
    headers = {"X-Key": ui.key, "Content-Type": "application/json"}
    async with aiohttp.ClientSession() as client:
        evil = {**headers, "Origin": "http://evil.example"}
        async with client.post(ui.origin + "/api/check", data="{}", headers=evil) as answer:
            assert answer.status == 403
        async with client.post(ui.origin + "/api/check", data="{}", headers=headers) as answer:
            assert answer.status == 403  # a change with no Origin did not come from the page
        rebound = {**headers, "Origin": ui.origin, "Host": "evil.example"}
        async with client.post(ui.origin + "/api/check", data="{}", headers=rebound) as answer:
            assert answer.status == 403
        own = {**headers, "Origin": ui.origin}
        async with client.post(ui.origin + "/api/check", data="{}", headers=own) as answer:
            assert answer.status == 400  # let through: no sheet chosen yet
            assert (await answer.json())["error"] == "choose a sheet first"


async def test_an_upload_over_the_limit_is_refused_and_one_the_reader_refuses_says_why(
    ui: UiServer,
) -> None:
    headers = {"X-Key": ui.key, "Origin": ui.origin}
    async with aiohttp.ClientSession() as client:
        big = aiohttp.FormData()
        big.add_field("sheet", b"id\n" + b"1\n" * (MAX_UPLOAD_BYTES // 2 + 1), filename="a.csv")
        async with client.post(ui.origin + "/api/sheet", data=big, headers=headers) as answer:
            assert answer.status == 413
        empty = aiohttp.FormData()
        empty.add_field("sheet", b"", filename="../../etc/empty.csv")
        async with client.post(ui.origin + "/api/sheet", data=empty, headers=headers) as answer:
            assert answer.status == 400
            assert "empty.csv: is empty" in (await answer.json())["error"]
    assert not (ui.session.folder.parent / "etc").exists()


async def test_the_token_never_reaches_the_page_and_a_held_history_is_named(
    ui: UiServer, tmp_path: Path
) -> None:
    headers = {"X-Key": ui.key, "Origin": ui.origin}
    sheet = aiohttp.FormData()
    sheet.add_field("sheet", (SAMPLE_DATA / "conversations.csv").read_bytes(), filename="s.csv")
    async with aiohttp.ClientSession() as client:
        async with client.post(ui.origin + "/api/sheet", data=sheet, headers=headers) as answer:
            assert answer.status == 200
        async with client.post(ui.origin + "/api/check", json={}, headers=headers) as answer:
            assert TOKEN not in await answer.text()
        journal = ui.session.folder / "s.results.csv.journal"
        with holding(journal, "bulk-update run s.csv (a teammate's)"):
            async with client.post(ui.origin + "/api/run", json={}, headers=headers) as answer:
                assert answer.status == 202
            async with client.get(ui.origin + "/api/events", headers=headers) as events:
                last = [line async for line in events.content if line.startswith(b"data:")][-1]
    event = json.loads(last[len(b"data:") :])
    assert event["kind"] == "error" and "is in use by" in event["message"]
    assert "a teammate's" in event["message"]
