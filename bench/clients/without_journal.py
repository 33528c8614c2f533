"""bulk-update through its library with the journal kept in memory: the same run as the CLI's
but for the durable journal, to measure what the journal costs."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from bench.clients.common import report
from bulk_update import Job, JobSettings, Token
from bulk_update.config import Rate, SendOptions


def main(path: str, url: str, token: str, concurrency: int, rate: str) -> None:
    settings = JobSettings(
        input_path=Path(path),
        report_path=Path(path).with_suffix(f".nojournal-{id(path)}.csv"),
        send=SendOptions(base_url=url, rate=Rate.parse(rate), concurrency=concurrency),
        durable_journal=False,
    )
    result = asyncio.run(Job(settings, Token(token)).run())
    report(counts=result.summary.counts)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
