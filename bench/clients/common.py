"""What every bench client shares: the sheet's typed bodies, built the plain way."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator

TRUE = {"true", "yes", "1"}


def typed_bodies(path: str) -> Iterator[tuple[str, bytes]]:
    """(id, JSON body) for each row of a bench sheet, with the csv module."""
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        for cells in reader:
            custom: dict[str, object] = {}
            for name, text in zip(header[1:], cells[1:], strict=True):
                if text == "":
                    continue
                if name == "csat_score":
                    custom[name] = int(text)
                elif name == "monthly_spend":
                    custom[name] = float(text)
                elif name == "vip":
                    custom[name] = text.lower() in TRUE
                else:
                    custom[name] = text
            yield cells[0], json.dumps({"custom_attributes": custom}).encode()


def headers(token: str) -> dict[str, str]:
    """What every client sends, as bulk-update does."""
    return {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        "Accept": "application/json",
        "Intercom-Version": "2.14",
    }


def report(**figures: object) -> None:
    print(json.dumps(figures), flush=True)
