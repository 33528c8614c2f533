"""What an analyst writes first: a requests loop, one row after another, sleeping on 429."""

from __future__ import annotations

import sys
import time

import requests

from bench.clients.common import headers as client_headers
from bench.clients.common import report, typed_bodies


def main(path: str, url: str, token: str) -> None:
    statuses: dict[int, int] = {}
    session = requests.Session()
    session.headers.update(client_headers(token))
    for conversation_id, body in typed_bodies(path):
        for _ in range(6):
            response = session.put(f"{url}/conversations/{conversation_id}", data=body)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            if response.status_code != 429:
                break
            reset = float(response.headers.get("X-RateLimit-Reset", time.time() + 1))
            time.sleep(max(0.5, reset - time.time()))
    report(statuses=statuses)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3])
