"""bulk-update: apply a spreadsheet of changes to Intercom conversations, safely and fast.

The command line is a thin layer over this package. From Python::

    import asyncio, os
    from pathlib import Path
    from bulk_update import Job, JobSettings, Token

    settings = JobSettings(input_path=Path("changes.csv"), report_path=Path("results.csv"))
    result = asyncio.run(Job(settings, Token(os.environ["INTERCOM_ACCESS_TOKEN"])).run())
    print(result.summary.counts)

Names are imported lazily so that ``bulk-update --help`` does not pay for aiohttp or pandas.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "Job": "bulk_update.job",
    "RunResult": "bulk_update.job",
    "JobSettings": "bulk_update.config",
    "ReadOptions": "bulk_update.config",
    "SendOptions": "bulk_update.config",
    "Rate": "bulk_update.config",
    "Token": "bulk_update.config",
    "RowStatus": "bulk_update.models",
    "RowOutcome": "bulk_update.models",
    "RunSummary": "bulk_update.models",
    "UpdateRequest": "bulk_update.models",
    "Table": "bulk_update.reader",
    "Schema": "bulk_update.schema",
    "plan_columns": "bulk_update.validate",
    "validate_row": "bulk_update.validate",
    "BulkUpdateError": "bulk_update.errors",
    "InputError": "bulk_update.errors",
    "UsageError": "bulk_update.errors",
    "Sandbox": "bulk_update.sandbox",
    "SandboxConfig": "bulk_update.sandbox",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'bulk_update' has no attribute {name!r}")
