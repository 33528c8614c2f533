"""How the simulator behaves (each setting with its default and, for the ``sandbox``
command, its flag), the token it accepts, and the conversations it holds from the start."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bulk_update.config.fields import setting
from bulk_update.sandbox.attributes import default_listing

SANDBOX_TOKEN = "sandbox-token"
# Conversations a sandbox started for a run or by ``bulk-update sandbox`` holds from the start
# (ids from POPULATION_FIRST_ID on), for a search or an export to find; a test's holds none.
SANDBOX_POPULATION = 500
POPULATION_FIRST_ID = 215467900000


@dataclass
class SandboxConfig:
    """How the simulator behaves. Mutable: a test may change it while a run goes on."""

    token: str = setting(SANDBOX_TOKEN, "--token", "token to accept (default {default!r})")
    # requests per window (Intercom's private-app default, 10,000/min)
    limit: int = setting(
        1666, "--limit", "requests allowed per window (default {default})", parse=int
    )
    # seconds, windows aligned to multiples of it, as Intercom's are
    window: int = setting(10, "--window", "window length in seconds (default {default})", parse=int)
    # mean seconds added to every answer (exponential distribution)
    latency: float = setting(0.0, "--latency", "mean seconds added to each answer", parse=float)
    # share answered 500/502/503/504
    error_rate: float = setting(0.0, "--error-rate", "share of requests answered 5xx", parse=float)
    # share whose connection is dropped without an answer
    reset_rate: float = setting(0.0, "--reset-rate", "share of connections dropped", parse=float)
    # share that hang for hang_seconds
    hang_rate: float = setting(0.0, "--hang-rate", "share of requests that hang", parse=float)
    # share that are carried out, then their connection dropped: the answer is lost
    lost_answer_rate: float = 0.0
    hang_seconds: float = 120.0
    # Paths ending so are answered 5xx: a step that fails after the ones before it landed.
    failing_paths: tuple[str, ...] = ()
    # Share answered 502 by a "proxy" whose error page repeats the request's headers.
    echo_rate: float = 0.0
    # Share of conversation answers carried out, then replaced by one of these: "other" (another
    # conversation), "html", "truncated" (JSON cut short), "empty" ({}), "array" (the
    # conversation inside a JSON array).
    wrong_answer_rate: float = 0.0
    wrong_answers: tuple[str, ...] = ("other", "html", "truncated", "empty", "array")
    # Intercom sends no Retry-After. None: none; "auto": the seconds to the reset; any other
    # text is sent as it is (to try hostile values: "-5", "99999", "soon").
    retry_after: str | None = setting(
        None, "--retry-after", "send Retry-After on 429s", values=("auto",)
    )
    # How X-RateLimit-Reset is told: "normal", or hostile: "past", "far_future", "malformed";
    # "missing" leaves out all three X-RateLimit headers.
    reset_header: str = "normal"
    missing_suffix: str = "404"
    seed: int | None = setting(None, "--seed", "seed for the fault injection", parse=int)
    # Conversations that exist from the start (ids 215467900000 onwards), with varied
    # attribute values, for a search or an export to find.
    population: int = setting(
        0,
        "--conversations",
        "conversations there from the start, for searches and exports (default "
        f"{SANDBOX_POPULATION})",
        metavar="N",
        parse=int,
    )
    # Search as Intercom's index may: never finding these ids (not indexed yet), or refusing
    # every search with this status (400 parameter_invalid, say).
    unindexed: frozenset[str] = frozenset()
    # Seconds Intercom's search index lags behind a change: a search finds a conversation
    # changed more recently as it was before that change.
    index_lag: float = 0.0
    search_refusal: int | None = None
    # Search pages (1 is the first) answered with a 200 that is not the page: "empty" ({}),
    # "repeat" (its next cursor is the one that asked for it), "short" (half its conversations
    # and no next page); each so answered wrong_search_times times (None: always), then right.
    wrong_search_pages: dict[int, str] = field(default_factory=dict)
    wrong_search_times: int | None = None
    listing: dict[str, Any] = field(default_factory=default_listing)
    # Answer as this Intercom-Version whatever a request's header says (None: as it says): an
    # Intercom that answers ahead of (or behind) the version asked.
    answers_as_version: str | None = None
