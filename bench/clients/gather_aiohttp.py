"""What a careful engineer writes by hand: asyncio.gather over every row, a semaphore, a
fixed rate guessed up front (aiolimiter), and a sleep-until-reset retry on 429."""

from __future__ import annotations

import asyncio
import sys
import time

import aiohttp
from aiolimiter import AsyncLimiter

from bench.clients.common import headers as client_headers
from bench.clients.common import report, typed_bodies


async def main(path: str, url: str, token: str, concurrency: int, rate: str) -> None:
    requests, seconds = (float(part) for part in rate.split("/"))
    limiter = AsyncLimiter(requests, seconds)
    semaphore = asyncio.Semaphore(concurrency)
    statuses: dict[int, int] = {}
    headers = client_headers(token)

    async def update(session: aiohttp.ClientSession, conversation_id: str, body: bytes) -> None:
        async with semaphore:
            for _ in range(6):
                async with (
                    limiter,
                    session.put(f"{url}/conversations/{conversation_id}", data=body) as r,
                ):
                    await r.read()
                    statuses[r.status] = statuses.get(r.status, 0) + 1
                    if r.status != 429:
                        return
                    reset = float(r.headers.get("X-RateLimit-Reset", time.time() + 1))
                await asyncio.sleep(max(0.5, reset - time.time()))

    async with aiohttp.ClientSession(headers=headers) as session:
        await asyncio.gather(*(update(session, i, b) for i, b in typed_bodies(path)))
    report(statuses=statuses)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]))
