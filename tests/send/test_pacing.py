"""The pacer, on a fake clock: no real waiting, exact waits asserted."""

import asyncio

from bulk_update.config import Rate
from bulk_update.send.client import ApiResponse, RateLimitInfo
from bulk_update.send.pacing import Pacer
from bulk_update.send.retry import RetryPolicy


class FakeClock:
    def __init__(self, now: float = 1000.0):
        self.now = now
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def answer(
    status: int, remaining: int | None, reset: float | None, limit: int = 100, **kw: object
) -> ApiResponse:
    return ApiResponse(status, rate=RateLimitInfo(limit, remaining, reset), **kw)  # type: ignore[arg-type]


def pacer_with(clock: FakeClock, **kw: object) -> Pacer:
    return Pacer(Rate(1_000_000, 1), clock=clock, sleep=clock.sleep, **kw)  # type: ignore[arg-type]


async def sent_before_waiting(pacer: Pacer, clock: FakeClock, most: int = 1000) -> int:
    """How many requests the pacer lets go before one waits for the window to end: what it
    believes is left of the window, as its callers meet it. (The probe spends the window.)"""
    for sent in range(most):
        waits = len(clock.slept)
        await pacer.acquire()
        if len(clock.slept) > waits:
            return sent
    return most


async def test_a_429_pauses_every_caller_until_the_reset() -> None:
    clock = FakeClock()
    pacer = pacer_with(clock)
    await pacer.acquire()
    pacer.observe(answer(429, 0, 1007.0))
    await pacer.acquire()
    assert round(sum(clock.slept), 6) == 7.0
    assert pacer.rate_limited == 1


async def test_retry_after_wins_over_the_reset_header() -> None:
    clock = FakeClock()
    pacer = pacer_with(clock)
    await pacer.acquire()
    pacer.observe(answer(429, 0, 1009.0, retry_after=2.0))
    await pacer.acquire()
    assert round(sum(clock.slept), 6) == 2.0


async def test_spent_budget_waits_for_the_window_without_a_429() -> None:
    clock = FakeClock()
    pacer = pacer_with(clock)
    await pacer.acquire()
    pacer.observe(answer(200, 2, 1010.0))
    await pacer.acquire()
    await pacer.acquire()
    assert clock.slept == []
    await pacer.acquire()  # the third would exceed what the header said was left
    assert round(sum(clock.slept), 6) == 10.0


async def test_requests_in_flight_count_against_the_reported_budget() -> None:
    async def five_sent_then(remaining: list[int]) -> int:
        clock = FakeClock()
        pacer = pacer_with(clock)
        await pacer.acquire()
        pacer.observe(answer(200, 50, 1010.0))
        for _ in range(5):
            await pacer.acquire()
        for left in remaining:
            pacer.observe(answer(200, left, 1010.0))
        return await sent_before_waiting(pacer, clock)

    assert await five_sent_then([5]) == 1  # the 4 others in flight may not be counted yet
    # Every answer in: the last one's count is exact.
    assert await five_sent_then([5, 4, 3, 2, 1]) == 1


async def test_headroom_leaves_a_share_of_the_limit_unused() -> None:
    clock = FakeClock()
    pacer = pacer_with(clock, headroom_percent=20)
    await pacer.acquire()
    pacer.observe(answer(200, 50, 1010.0, limit=100))
    assert await sent_before_waiting(pacer, clock) == 30


async def test_reset_far_in_the_future_is_capped() -> None:
    clock = FakeClock()
    pacer = pacer_with(clock, max_wait=60)
    await pacer.acquire()
    pacer.observe(answer(429, 0, 1000.0 + 86_400))
    await pacer.acquire()
    assert round(sum(clock.slept), 6) == 60.0


async def test_reset_in_the_past_or_missing_headers_fall_back_to_a_short_pause() -> None:
    clock = FakeClock()
    pacer = pacer_with(clock)
    await pacer.acquire()
    pacer.observe(ApiResponse(429))
    await pacer.acquire()
    past = sum(clock.slept)
    await pacer.acquire()
    pacer.observe(answer(429, 0, 10.0))
    await pacer.acquire()
    assert 0 < past <= 5 and 0 < sum(clock.slept) - past <= 5


async def test_stale_window_answers_do_not_shrink_the_new_window() -> None:
    clock = FakeClock()
    pacer = pacer_with(clock)
    await pacer.acquire()
    pacer.observe(answer(200, 90, 1010.0))
    await pacer.acquire()
    await pacer.acquire()
    pacer.observe(answer(200, 80, 1020.0))
    pacer.observe(answer(200, 0, 1010.0))  # from the earlier window, arriving late
    assert await sent_before_waiting(pacer, clock) == 79  # 80 left, one request in flight


def test_backoff_is_full_jitter_capped_exponential() -> None:
    policy = RetryPolicy(max_retries=5, base_delay=0.5, max_delay=4.0, random=lambda: 1.0)
    assert [policy.backoff(n) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    half = RetryPolicy(base_delay=1.0, random=lambda: 0.5)
    assert half.backoff(3) == 2.0


def test_retry_decisions() -> None:
    policy = RetryPolicy(max_retries=2)
    for status in (None, 408, 429, 500, 502, 503, 504):
        assert policy.allows_retry(ApiResponse(status), 1)
        assert not policy.allows_retry(ApiResponse(status), 3)
    for status in (400, 401, 403, 404, 409, 422):
        assert not policy.allows_retry(ApiResponse(status), 1)


async def test_an_answer_overtaken_by_a_fresher_one_does_not_raise_the_budget() -> None:
    async def three_sent_then(remaining: list[int]) -> int:
        clock = FakeClock()
        pacer = pacer_with(clock)
        await pacer.acquire()
        pacer.observe(answer(200, 50, 1010.0))  # the probe: now the others may go
        for _ in range(3):
            await pacer.acquire()
        for left in remaining:
            pacer.observe(answer(200, left, 1010.0))
        return await sent_before_waiting(pacer, clock)

    assert await three_sent_then([10]) == 8  # counted last, answered first
    assert await three_sent_then([10, 40]) == 8  # counted earlier, answered late: stale
    assert await three_sent_then([10, 40, 9]) == 9


async def test_one_request_probes_the_window_before_the_others_go() -> None:
    clock = FakeClock()
    pacer = pacer_with(clock)
    await pacer.acquire()
    second = asyncio.create_task(pacer.acquire())
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert not second.done()  # nothing known about the window yet: wait for the answer
    pacer.observe(answer(200, 1, 1010.0))
    await second
    assert round(sum(clock.slept), 6) == 0  # no time passed while probing
