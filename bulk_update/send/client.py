"""One aiohttp session to Intercom: one request in, one classified response out.

No retries and no pacing here (see ``retry`` and ``ratelimit``); transport failures come
back as responses with ``status=None`` so that nothing aiohttp-specific leaks out.
"""

from __future__ import annotations

import email.utils
import json
import logging
import math
import time
from dataclasses import dataclass, replace
from typing import Any, TypedDict
from urllib.parse import quote

import aiohttp
import msgspec

from bulk_update.config import SendOptions, Token, require_token, scrub
from bulk_update.config.versions import has_since
from bulk_update.rules import is_refused
from bulk_update.version import __version__

log = logging.getLogger(__name__)

MAX_ERROR_BODY = 2000


class _Claim(TypedDict, total=False):
    """What a write's answer is checked for (:func:`the_conversation`): the decoder skips the
    rest of it (all of it is still parsed, so JSON cut short is no claim) and builds nothing
    else; nothing reads more of a write's answer."""

    type: Any
    id: Any
    request_id: Any


ANY_JSON: msgspec.json.Decoder[Any] = msgspec.json.Decoder()
CLAIM: msgspec.json.Decoder[Any] = msgspec.json.Decoder(_Claim)


def decoded(raw: bytes, decoder: msgspec.json.Decoder[Any] = ANY_JSON) -> Any:
    """An answer's JSON (None when it is none), by msgspec's decoder; what that one refuses
    and the standard library reads (a lone surrogate, NaN; ``CLAIM``: no object) is read by
    the standard library, so that no answer is taken for less than it was."""
    try:
        return decoder.decode(raw)
    except ValueError:  # msgspec.DecodeError, ValidationError
        try:
            return json.loads(raw)
        except ValueError:  # JSONDecodeError, UnicodeDecodeError
            return None


@dataclass(frozen=True, slots=True)
class RateLimitInfo:
    """What ``X-RateLimit-*`` said; any of them may be missing."""

    limit: int | None
    remaining: int | None
    reset_at: float | None


@dataclass(frozen=True, slots=True)
class ApiResponse:
    """A classified answer. ``status`` is None when no HTTP answer came (reset, timeout)."""

    status: int | None
    error_code: str = ""
    error_message: str = ""
    request_id: str = ""
    rate: RateLimitInfo | None = None
    retry_after: float | None = None
    data: Any = None
    latency: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class IntercomClient:
    """Async context manager around one ``aiohttp.ClientSession``; create it inside the loop."""

    def __init__(
        self,
        base_url: str,
        token: Token,
        *,
        api_version: str,
        timeout: float,
        connections: int,
    ):
        self.base_url = base_url.rstrip("/")
        self.api_version = api_version
        self._headers = {
            "Authorization": f"Bearer {token.reveal()}",
            "Accept": "application/json",
            "Content-Type": "application/json",
            "Intercom-Version": api_version,
            "User-Agent": f"bulk-update/{__version__}",
        }
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._connections = connections
        self._session: aiohttp.ClientSession | None = None

    @classmethod
    def for_settings(
        cls, send: SendOptions, token: Token | None, *, connections: int | None = None
    ) -> IntercomClient:
        """The client of a run, an export or a schema read: where and how ``send`` says, as
        many connections as requests in flight (unless told), and a token it must have."""
        return cls(
            send.base_url,
            require_token(token),
            api_version=send.api_version,
            timeout=send.timeout,
            connections=connections or send.concurrency,
        )

    def __repr__(self) -> str:
        return f"IntercomClient({self.base_url!r}, token=***)"

    def _shown_headers(self) -> dict[str, str]:
        return {**self._headers, "Authorization": "Bearer ***"}

    async def __aenter__(self) -> IntercomClient:
        connector = aiohttp.TCPConnector(limit=self._connections, ttl_dns_cache=300)
        self._session = aiohttp.ClientSession(
            headers=self._headers, timeout=self._timeout, connector=connector
        )
        return self

    async def __aexit__(self, *_exc_info: object) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def update_conversation(self, conversation_id: str, body: bytes) -> ApiResponse:
        """PUT one update; its answer must be the conversation updated. Of that answer only
        what the check reads is kept as its ``data`` (``CLAIM``)."""
        path = _conversation_path(conversation_id)
        answer = await self.request("PUT", path, body, decoder=CLAIM)
        return the_conversation(answer, conversation_id)

    async def get_conversation(self, conversation_id: str) -> ApiResponse:
        """GET one conversation; its answer must be that conversation."""
        path = _conversation_path(conversation_id)
        return the_conversation(await self.request("GET", path), conversation_id)

    def _scrubbed(self, answer: ApiResponse) -> ApiResponse:
        """An answer whose texts hold no token: an error page or proxy that echoes the
        request's headers must not carry it into the terminal, the report or a summary."""
        if answer.ok:
            return answer
        secret = self._headers["Authorization"].removeprefix("Bearer ")
        return replace(
            answer,
            error_code=scrub(answer.error_code, secret),
            error_message=scrub(answer.error_message, secret),
            request_id=scrub(answer.request_id, secret),
        )

    async def get_json(self, path: str, params: dict[str, str] | None = None) -> ApiResponse:
        return await self.request("GET", path, None, params)

    async def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        params: dict[str, str] | None = None,
        *,
        decoder: msgspec.json.Decoder[Any] = ANY_JSON,
    ) -> ApiResponse:
        """One request, its answer classified; a 2xx answer's JSON by ``decoder``."""
        assert self._session is not None, "use IntercomClient inside 'async with'"
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s %s%s headers=%s", method, self.base_url, path, self._shown_headers())
        started = time.monotonic()
        try:
            async with self._session.request(
                method,
                self.base_url + path,
                data=body,
                params=params,
                allow_redirects=False,  # never carry the token to wherever a redirect points
            ) as response:
                raw = await response.read()
                latency = time.monotonic() - started
                return self._scrubbed(_classify(response, raw, latency, decoder))
        except TimeoutError:
            return ApiResponse(
                None,
                "timeout",
                f"no answer within {self._timeout.total:g} s",
                latency=time.monotonic() - started,
            )
        except aiohttp.ClientError as error:
            return ApiResponse(
                None,
                "connection_error",
                _describe_transport_error(error),
                latency=time.monotonic() - started,
            )
        except OSError as error:
            return ApiResponse(
                None,
                "connection_error",
                error.strerror or type(error).__name__,
                latency=time.monotonic() - started,
            )


def the_conversation(answer: ApiResponse, conversation_id: str) -> ApiResponse:
    """A 2xx answer stands only when it is a JSON object of type conversation with the id
    asked; anything else (another conversation, an HTML page, JSON cut short, ``{}``) is an
    answer that did not come: retried, then the row fails saying what was wrong, and it is
    never planned against."""
    if not answer.ok:
        return answer
    data = answer.data
    if isinstance(data, dict) and data.get("type") == "conversation":
        if str(data.get("id")) == conversation_id:
            return answer
        what = f"conversation {data.get('id')!r}"
    elif isinstance(data, dict):
        what = f"a JSON object of type {data.get('type')!r}"
    else:
        what = "no JSON object (an HTML page, or JSON cut short)"
    return unexpected(answer, f"that is {what}, not conversation {conversation_id!r}")


def unexpected(answer: ApiResponse, what: str) -> ApiResponse:
    """A 2xx answer that is not what was asked for, as an answer that did not come (status
    None, ``unexpected_answer``: the retry loop tries again, then it fails saying ``what``)."""
    return replace(
        answer,
        status=None,
        error_code="unexpected_answer",
        error_message=f"a {answer.status} answer {what}",
        data=None,
    )


def _conversation_path(conversation_id: str) -> str:
    # Validated ids are ASCII digits; anything else is escaped into a single segment.
    if not (conversation_id.isascii() and conversation_id.isdigit()):
        conversation_id = quote(conversation_id, safe="")
    return f"/conversations/{conversation_id}"


def _describe_transport_error(error: aiohttp.ClientError) -> str:
    if isinstance(error, aiohttp.ServerDisconnectedError):
        return "the server closed the connection"
    if isinstance(error, aiohttp.ClientConnectorError):
        return f"cannot connect to {error.host}:{error.port} ({error.strerror or 'refused'})"
    if isinstance(error, aiohttp.ClientPayloadError):
        return "the answer was cut off"
    return type(error).__name__


def _classify(
    response: aiohttp.ClientResponse, raw: bytes, latency: float, decoder: msgspec.json.Decoder[Any]
) -> ApiResponse:
    status = response.status
    headers = response.headers
    success = 200 <= status < 300
    data = decoded(raw, decoder if success else ANY_JSON) if raw else None
    code, message, request_id = "", "", headers.get("X-Request-Id", "")
    if isinstance(data, dict):
        request_id = str(data.get("request_id") or request_id or "")
    if not success:
        code, message = _error_details(status, data, raw, response)
    return ApiResponse(
        status,
        code,
        message,
        request_id,
        rate=_rate_limit_info(headers),
        retry_after=_retry_after(headers.get("Retry-After")),
        data=data if success else None,
        latency=latency,
    )


def _error_details(
    status: int, data: Any, raw: bytes, response: aiohttp.ClientResponse
) -> tuple[str, str]:
    if isinstance(data, dict):
        errors = data.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            first = errors[0]
            messages = [str(e.get("message") or "") for e in errors if isinstance(e, dict)]
            return str(first.get("code") or ""), "; ".join(m for m in messages if m)
        if "message" in data:
            return str(data.get("code") or data.get("type") or ""), str(data["message"])
    if 300 <= status < 400:
        return "redirect", f"redirected to {response.headers.get('Location', '?')}; not followed"
    text = raw[:MAX_ERROR_BODY].decode("utf-8", "replace").strip()
    kind = response.headers.get("Content-Type", "").split(";")[0] or "no content type"
    summary = " ".join(text.split())[:200] if "html" not in kind else ""
    reason = response.reason or ""
    return "", f"HTTP {status} {reason} ({kind} body{': ' + summary if summary else ''})"


def _int_header(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        pass
    try:
        number = float(value)
    except ValueError:
        return None
    return int(number) if math.isfinite(number) else None


def _rate_limit_info(headers: Any) -> RateLimitInfo | None:
    limit = _int_header(headers.get("X-RateLimit-Limit"))
    remaining = _int_header(headers.get("X-RateLimit-Remaining"))
    reset = _int_header(headers.get("X-RateLimit-Reset"))
    if limit is None and remaining is None and reset is None:
        return None
    return RateLimitInfo(limit, remaining, float(reset) if reset is not None else None)


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date), if valid."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


async def fetch_listing(client: IntercomClient) -> ApiResponse:
    """The workspace's conversation attributes, archived ones too (a column naming one is
    told it is archived): ``GET /conversations/attributes`` from Intercom-Version 2.16 on,
    ``GET /data_attributes?model=conversation`` before; and the other where the one asked
    first is not there: the old one answers that it is gone (a workspace may be ahead of the
    version asked), the new one is not found (a server behind it)."""
    archived = {"include_archived": "true"}
    old = ("/data_attributes", {"model": "conversation", **archived})
    new = ("/conversations/attributes", archived)
    first, other = (new, old) if has_since(client.api_version, "2.16") else (old, new)
    response = await client.get_json(*first)
    gone = is_refused(response.status) and "conversations/attributes" in response.error_message
    if gone or response.status == 404:
        return await client.get_json(*other)
    return response
