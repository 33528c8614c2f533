"""The floor: csv module, typed bodies, aiohttp with a semaphore, only the PUTs. No pacing,
no retries, no journal, no report: what any client must spend at the least."""

from __future__ import annotations

import asyncio
import sys

import aiohttp

from bench.clients.common import headers as client_headers
from bench.clients.common import report, typed_bodies


async def main(path: str, url: str, token: str, concurrency: int) -> None:
    statuses: dict[int, int] = {}
    headers = client_headers(token)
    queue: asyncio.Queue[tuple[str, bytes] | None] = asyncio.Queue(maxsize=2 * concurrency)

    async def worker(session: aiohttp.ClientSession) -> None:
        while (item := await queue.get()) is not None:
            async with session.put(f"{url}/conversations/{item[0]}", data=item[1]) as response:
                await response.read()
                statuses[response.status] = statuses.get(response.status, 0) + 1

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(headers=headers, connector=connector) as session:
        workers = [asyncio.create_task(worker(session)) for _ in range(concurrency)]
        for item in typed_bodies(path):
            await queue.put(item)
        for _ in workers:
            await queue.put(None)
        await asyncio.gather(*workers)
    report(statuses=statuses)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
