"""The local page's guard, over loopback: the key, the origin, the host, the upload limit,
hostile uploads (a zip bomb, a control character in a name) and a slow one."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bulk_update.config import ReadOptions
from bulk_update.history.lock import holding
from bulk_update.sandbox import Sandbox
from bulk_update.sheet.reader import Table
from bulk_update.ui import UiServer
from bulk_update.ui import session as session_module
from bulk_update.ui.choices import Connection
from bulk_update.ui.page_server import MAX_UPLOAD_BYTES
from tests.conftest import SAMPLE_DATA, TOKEN, write_zip_bomb


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
            message = (await answer.json())["error"]
            assert "empty.csv: is empty" in message and "/" not in message
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
            assert answer.status == 202  # a job: its result comes as its last event
        checked = await _last_event(client, ui, headers)
        assert checked["kind"] == "done" and checked["result"]["counts"]["invalid"] == 8
        assert TOKEN not in json.dumps(checked)
        journal = ui.session.folder / "s.results.csv.journal"
        with holding(journal, "bulk-update run s.csv (a teammate's)"):
            async with client.post(ui.origin + "/api/run", json={}, headers=headers) as answer:
                assert answer.status == 202
            event = await _last_event(client, ui, headers)
    assert event["kind"] == "error" and "is in use by" in event["message"]
    assert "a teammate's" in event["message"]


async def _last_event(
    client: aiohttp.ClientSession, ui: UiServer, headers: dict[str, str]
) -> dict[str, Any]:
    """The last event of the job going on (its result, or why it failed)."""
    async with client.get(ui.origin + "/api/events", headers=headers) as events:
        last = [line async for line in events.content if line.startswith(b"data:")][-1]
    event: dict[str, Any] = json.loads(last[len(b"data:") :])
    return event


def _upload(name: bytes, data: bytes) -> tuple[bytes, str]:
    """A multipart body as a browser may send it, whatever its file's name holds (aiohttp's
    own form refuses to write a control character)."""
    head = b'Content-Disposition: form-data; name="sheet"; ' + name + b"\r\n\r\n"
    body = b"--b0und\r\n" + head + data + b"\r\n--b0und--\r\n"
    return body, "multipart/form-data; boundary=b0und"


async def test_a_control_character_in_an_upload_s_name_is_a_400_that_says_so(
    ui: UiServer,
) -> None:
    names = [b'filename="a\x00b.csv"', b'filename="a\x1b.csv"', b"filename*=UTF-8''a%00b.csv"]
    async with aiohttp.ClientSession() as client:
        for name in names:
            body, kind = _upload(name, b"id\n1\n")
            headers = {"X-Key": ui.key, "Origin": ui.origin, "Content-Type": kind}
            async with client.post(ui.origin + "/api/sheet", data=body, headers=headers) as answer:
                assert answer.status == 400, name
                message = (await answer.json())["error"]
                assert "control character" in message and "rename the file" in message
    assert ui.session.sheet is None


async def test_a_zip_bomb_is_refused_before_it_is_unpacked_and_no_message_names_a_server_path(
    ui: UiServer, tmp_path: Path
) -> None:
    headers = {"X-Key": ui.key, "Origin": ui.origin}
    bomb = write_zip_bomb(tmp_path / "bomb.xlsx", megabytes=50)
    async with aiohttp.ClientSession() as client:
        for name, data, expected in [
            ("bomb.xlsx", bomb.read_bytes(), "bomb.xlsx: refused before unpacking: its part "),
            ("junk.xlsx", b"PK\x03\x04junk", "junk.xlsx: cannot be opened as a workbook: "),
        ]:
            form = aiohttp.FormData()
            form.add_field("sheet", data, filename=name)
            async with client.post(ui.origin + "/api/sheet", data=form, headers=headers) as answer:
                assert answer.status == 400
                message = (await answer.json())["error"]
                assert message.startswith(expected)
                assert str(ui.session.folder) not in message and "/.incoming" not in message
    assert ui.session.sheet is None


async def test_the_server_answers_while_an_upload_is_read_and_runs_none_meanwhile(
    ui: UiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    entered, gate = threading.Event(), threading.Event()
    released: list[bool] = []

    class HeldTable(Table):
        """The reader, held until the test has been answered (it fails, not hangs, when
        the read holds the server's loop)."""

        def __init__(self, path: Path, options: ReadOptions):
            entered.set()
            released.append(gate.wait(timeout=10))
            super().__init__(path, options)

    monkeypatch.setattr(session_module, "Table", HeldTable)
    headers = {"X-Key": ui.key, "Origin": ui.origin}
    sheet = aiohttp.FormData()
    sheet.add_field("sheet", (SAMPLE_DATA / "conversations.csv").read_bytes(), filename="s.csv")
    async with aiohttp.ClientSession() as client:
        upload = asyncio.ensure_future(
            client.post(ui.origin + "/api/sheet", data=sheet, headers=headers)
        )
        assert await asyncio.to_thread(entered.wait, 10)
        async with client.get(ui.url) as answer:
            assert answer.status == 200
        async with client.post(ui.origin + "/api/run", json={}, headers=headers) as answer:
            assert answer.status == 400
            refused = (await answer.json())["error"]
            assert refused == "a sheet is being read: start once it is chosen"
        gate.set()
        async with await upload as answer:
            assert answer.status == 200
            assert (await answer.json())["name"] == "s.csv"
    assert released and all(released)
    assert ui.session.sheet == ui.session.folder / "s.csv"
