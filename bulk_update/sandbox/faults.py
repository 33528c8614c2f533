"""The sandbox's faults: what Intercom, a proxy or the network does on a bad day (5xx, dropped
connections, hangs, answers that are not what they claim), and Intercom's error bodies."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

from aiohttp import web

from bulk_update.sandbox.config import SandboxConfig

_GATEWAY_PAGE = (
    "<html><head><title>{status} {reason}</title></head><body><center><h1>{status} {reason}"
    "</h1></center><hr><center>nginx</center></body></html>"
)


def error_response(
    status: int, code: str, message: str, *, headers: dict[str, str] | None = None
) -> web.Response:
    body = {
        "type": "error.list",
        "request_id": str(uuid.uuid4()),
        "errors": [{"code": code, "message": message}],
    }
    return web.json_response(body, status=status, headers=headers)


def conversation_named(request: web.Request) -> str | None:
    """The conversation id a request's path names (``/conversations/{id}[/...]``), if any."""
    parts = request.path.split("/")
    if len(parts) >= 3 and parts[1] == "conversations" and parts[2].isdigit():
        return parts[2]
    return None


class Faults:
    """Which requests fail and how, as the config says, drawn from the sandbox's seed."""

    def __init__(
        self,
        config: Callable[[], SandboxConfig],
        draw: random.Random,
        conversation: Callable[[str], dict[str, Any]],
    ):
        self._config = config
        self._random = draw
        self._conversation = conversation
        self._wrong_pages: Counter[int] = Counter()

    async def injected(
        self, request: web.Request, rate_headers: dict[str, str]
    ) -> web.Response | None:
        """A 5xx, a dropped connection or a hang, as configured; None: answer normally."""
        config = self._config()
        if request.path.endswith(config.failing_paths):
            return self.server_error(rate_headers)
        if config.echo_rate and self._random.random() < config.echo_rate:
            echoed = "; ".join(f"{name}: {value}" for name, value in request.headers.items())
            return web.Response(status=502, text=f"Bad gateway. Your request: {echoed}")
        fault = self._random.random()
        if fault < config.reset_rate:
            if request.transport is not None:
                request.transport.abort()
            raise asyncio.CancelledError  # nothing is answered on a dropped connection
        fault -= config.reset_rate
        if fault < config.hang_rate:
            await asyncio.sleep(config.hang_seconds)
        elif fault - config.hang_rate < config.error_rate:
            return self.server_error(rate_headers)
        return None

    def server_error(self, headers: dict[str, str]) -> web.Response:
        """A 5xx as Intercom (JSON) or its gateway (an HTML page) answers one."""
        status = self._random.choice((500, 502, 503, 504))
        if status == 500:
            return error_response(500, "server_error", "Server Error", headers=headers)
        if status == 503:
            return error_response(
                503, "service_unavailable", "Service Unavailable", headers=headers
            )
        reason = {502: "Bad Gateway", 504: "Gateway Time-out"}[status]
        return web.Response(
            status=status,
            text=_GATEWAY_PAGE.format(status=status, reason=reason),
            content_type="text/html",
        )

    def wrong_answer(
        self, request: web.Request, response: web.StreamResponse
    ) -> web.StreamResponse:
        """A 200 that is not what it claims, to a request on a conversation carried out."""
        named = conversation_named(request)
        if named is None or response.status != 200 or not isinstance(response, web.Response):
            return response
        kind = self._random.choice(self._config().wrong_answers)
        if kind == "other":
            return web.json_response(self._conversation("999999000001"))
        if kind == "html":
            return web.Response(text="<html><body>Welcome</body></html>", content_type="text/html")
        if kind == "truncated":
            body = response.body if isinstance(response.body, bytes) else b"{}"
            return web.Response(body=body[: len(body) // 2], content_type="application/json")
        if kind == "array":
            return web.json_response([self._conversation(named)])
        return web.json_response({})

    def search_page(self, number: int) -> str | None:
        """How search page ``number`` is answered wrongly this time (config
        ``wrong_search_pages``), or None: as it should be."""
        config = self._config()
        kind = config.wrong_search_pages.get(number)
        times = config.wrong_search_times
        if kind is None or (times is not None and self._wrong_pages[number] >= times):
            return None
        self._wrong_pages[number] += 1
        return kind
