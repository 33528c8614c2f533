"""The local page's server (aiohttp, 127.0.0.1 only): the page itself, a JSON route per step,
the run's progress as server-sent events, and the files to download.

Every request needs the per-start secret (``?key=`` or the ``X-Key`` header): 403 without it.
A request from another page (its ``Origin`` or ``Host`` not this server's) is refused, so a
site open in the same browser cannot drive the tool. Uploads are size-limited. The Intercom
token stays in this process. Nothing here logs a request line (the key is in the address).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import secrets
import tempfile
from collections.abc import Awaitable, Callable
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Any

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import BadHttpMessage

from bulk_update.errors import BulkUpdateError
from bulk_update.ui.choices import Choices, Connection
from bulk_update.ui.folder import remove_folder
from bulk_update.ui.jobs import LAST_EVENTS, JobKind, Work
from bulk_update.ui.session import Session

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
PAGE_FILES = {"app.js": "text/javascript", "style.css": "text/css"}
_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # the key is in the page's address
    "Cache-Control": "no-store",
}
_BROKEN_UPLOAD = (
    "the upload could not be read: its file's name holds a control character (or the "
    "browser sent it broken); rename the file and choose it again"
)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class UiServer:
    """``bulk-update ui``: serves the page on 127.0.0.1 until stopped."""

    def __init__(self, connection: Connection, *, port: int = 0, key: str | None = None):
        self.key = key or secrets.token_urlsafe(24)
        self._port = port
        self._folder = Path(tempfile.mkdtemp(prefix="bulk-update-ui-"))
        self.session = Session(self._folder, connection)
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        """The page's address, secret included: what to open (and what never to log)."""
        return f"http://127.0.0.1:{self.port}/?key={self.key}"

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES, middlewares=[self._guard])
        routes = Routes(self.session)
        app.router.add_get("/", routes.page)
        app.router.add_get("/page/{name}", routes.page_file)
        app.router.add_post("/api/sheet", routes.sheet)
        app.router.add_post("/api/check", routes.check)
        app.router.add_post("/api/preview", routes.preview)
        app.router.add_post("/api/plan", routes.plan)
        app.router.add_post("/api/run", routes.run)
        app.router.add_post("/api/stop", routes.stop)
        app.router.add_post("/api/undo", routes.undo)
        app.router.add_post("/api/find", routes.find)
        app.router.add_post("/api/use-found", routes.use_found)
        app.router.add_get("/api/events", routes.events)
        app.router.add_get("/api/teammates", routes.teammates)
        app.router.add_get("/api/workspace", routes.workspace)
        app.router.add_get("/api/report", routes.report)
        app.router.add_get("/api/found", routes.found)
        return app

    async def start(self) -> str:
        self._runner = web.AppRunner(self.app(), access_log=None, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self._port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self.url

    async def stop(self) -> None:
        self.session.stop()
        running = self.session.running
        if running is not None and running.going:
            await asyncio.wait([running.task], timeout=30)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        remove_folder(self._folder)

    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        refused = self._refusal(request)
        if refused is not None:
            return web.json_response({"error": refused}, status=403, headers=_HEADERS)
        try:
            response = await handler(request)
        except BulkUpdateError as error:
            response = web.json_response({"error": self.session.message(error)}, status=400)
        except web.HTTPException:
            raise
        if not response.prepared:  # an event stream sent its own
            response.headers.update(_HEADERS)
        return response

    def _refusal(self, request: web.Request) -> str | None:
        """Why the request is refused, or None."""
        hosts = {f"127.0.0.1:{self.port}", f"localhost:{self.port}"}
        if request.host not in hosts:  # a name that resolved here (DNS rebinding)
            return "this page answers only at its own address"
        origin = request.headers.get("Origin")
        if origin is not None and origin not in {f"http://{host}" for host in hosts}:
            return "requests from another page are refused"
        if request.method != "GET" and origin is None:
            return "a change must come from the page itself"
        if request.method == "GET" and request.path.startswith("/page/"):
            return None  # the page's script and style: the same for everyone, no data
        given = request.query.get("key") or request.headers.get("X-Key") or ""
        if not hmac.compare_digest(given.encode(), self.key.encode()):
            return "open the address bulk-update ui printed (with its key)"
        return None


class Routes:
    """One handler per step; each is a call of the session."""

    def __init__(self, session: Session):
        self._session = session

    async def page(self, _request: web.Request) -> web.StreamResponse:
        html = resources.files("bulk_update.ui").joinpath("page/index.html").read_text("utf-8")
        return web.Response(text=html, content_type="text/html")

    async def page_file(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name not in PAGE_FILES:
            raise web.HTTPNotFound()
        text = resources.files("bulk_update.ui").joinpath(f"page/{name}").read_text("utf-8")
        return web.Response(text=text, content_type=PAGE_FILES[name])

    async def sheet(self, request: web.Request) -> web.StreamResponse:
        reader = await request.multipart()
        try:
            part = await reader.next()
        except BadHttpMessage:  # a NUL or line break in the part's headers: its file's name
            return web.json_response({"error": _BROKEN_UPLOAD}, status=400)
        if not isinstance(part, BodyPartReader) or not part.filename:
            return web.json_response({"error": "choose a sheet"}, status=400)
        data = await part.read()
        return web.json_response(await self._session.choose(part.filename, bytes(data)))

    # Check, Preview, the review's plan, Run, Undo and Find are jobs: each answers 202 when
    # started; its progress and its result come as events (``/api/events``).

    async def check(self, request: web.Request) -> web.StreamResponse:
        choices = await _choices(request)
        return self._started("check", partial(self._session.check, choices))

    async def preview(self, request: web.Request) -> web.StreamResponse:
        given = await _json(request)
        whole = given.pop("whole", False) is True  # the page's, not a setting
        choices = Choices.from_json(given)
        return self._started("preview", partial(self._session.preview, choices, whole=whole))

    async def plan(self, request: web.Request) -> web.StreamResponse:
        choices = await _choices(request)
        return self._started("plan", partial(self._session.plan, choices))

    async def run(self, request: web.Request) -> web.StreamResponse:
        self._session.start_run(await _choices(request))
        return web.json_response({"started": "run"}, status=202)

    async def stop(self, _request: web.Request) -> web.StreamResponse:
        self._session.stop()
        return web.json_response({"stopping": True})

    async def undo(self, request: web.Request) -> web.StreamResponse:
        choices = await _choices(request)
        return self._started("undo", partial(self._session.undo, choices))

    async def find(self, request: web.Request) -> web.StreamResponse:
        given = await _json(request)
        where = [str(condition) for condition in given.get("where") or () if str(condition)]
        suffix = str(given.get("format") or ".csv")
        return self._started("find", partial(self._session.find, where, suffix))

    def _started(self, kind: JobKind, work: Work) -> web.StreamResponse:
        self._session.start(kind, work)
        return web.json_response({"started": kind}, status=202)

    async def use_found(self, request: web.Request) -> web.StreamResponse:
        given = await _json(request)
        return web.json_response(await self._session.use_found(str(given.get("name") or "")))

    async def events(self, request: web.Request) -> web.StreamResponse:
        """The job's progress as server-sent events, until its last event."""
        running = self._session.running
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", **_HEADERS, "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        if running is None:
            await response.write(b'data: {"kind": "idle"}\n\n')
            return response
        with running.events.listening() as queue:
            while True:
                event = await queue.get()
                await response.write(f"data: {json.dumps(event)}\n\n".encode())
                if event["kind"] in LAST_EVENTS:
                    return response

    async def teammates(self, _request: web.Request) -> web.StreamResponse:
        return web.json_response({"teammates": await self._session.teammates()})

    async def workspace(self, _request: web.Request) -> web.StreamResponse:
        return web.json_response({"workspace": await self._session.workspace()})

    async def report(self, request: web.Request) -> web.StreamResponse:
        suffix = ".xlsx" if request.query.get("format") == "xlsx" else ".csv"
        return _download(self._session.report_file(suffix))

    async def found(self, request: web.Request) -> web.StreamResponse:
        return _download(self._session.found_file(request.query.get("name", "")))


def _download(path: Path) -> web.StreamResponse:
    return web.FileResponse(
        path, headers={"Content-Disposition": f'attachment; filename="{path.name}"'}
    )


async def _json(request: web.Request) -> dict[str, Any]:
    try:
        given = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        given = None
    if not isinstance(given, dict):
        raise web.HTTPBadRequest(text="a JSON object, please")
    return given


async def _choices(request: web.Request) -> Choices:
    return Choices.from_json(await _json(request))
