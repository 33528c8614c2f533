"""bulk-update: apply a spreadsheet of changes to Intercom conversations, safely and fast.

The command line is a thin layer over this package. From Python (a notebook, a scheduler)::

    import bulk_update
    import pandas as pd

    changes = pd.DataFrame({"id": ["000123", "000456"], "priority": ["High", "Low"]})
    result = bulk_update.run(changes, sandbox=True)   # or token=..., or $INTERCOM_ACCESS_TOKEN
    result.outcomes                                    # a DataFrame, one line per input row
    result.summary.counts

``run`` also takes a CSV/TSV/XLSX path; ``run_async`` is the coroutine; ``undo`` and
``save_schema`` mirror the ``undo`` and ``schema`` commands; ``Job`` and ``JobSettings`` are
the parts underneath.

Names are imported when first used so that ``bulk-update --help`` does not pay for aiohttp;
type checkers see the real definitions through the ``TYPE_CHECKING`` imports below.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bulk_update.api import (
        Connection,
        ExportOptions,
        RunSettings,
        export,
        export_async,
        log,
        retry,
        retry_async,
        run,
        run_async,
        run_in_folder,
        save_schema,
        save_schema_async,
        undo,
        undo_async,
    )
    from bulk_update.config import JobSettings, Rate, ReadOptions, SendOptions, Token
    from bulk_update.errors import (
        AuthenticationFailed,
        BulkUpdateError,
        InputError,
        RunStopped,
        UsageError,
    )
    from bulk_update.job import Job
    from bulk_update.job.alerts import Alert
    from bulk_update.job.hooks import Interruption, RunHooks
    from bulk_update.job.undoing import UndoPlan, undo_plan
    from bulk_update.models import (
        RowOutcome,
        RowStatus,
        RunResult,
        RunSummary,
        UpdateRequest,
        Workspace,
    )
    from bulk_update.sandbox import Sandbox, SandboxConfig
    from bulk_update.search.exporter import ExportResult
    from bulk_update.sheet.columns import plan_columns
    from bulk_update.sheet.reader import Table
    from bulk_update.sheet.schema import Schema
    from bulk_update.sheet.validate import validate_row

from bulk_update.version import __version__

_EXPORTS = {
    "run": "bulk_update.api",
    "run_async": "bulk_update.api",
    "undo": "bulk_update.api",
    "undo_async": "bulk_update.api",
    "retry": "bulk_update.api",
    "retry_async": "bulk_update.api",
    "log": "bulk_update.api",
    "run_in_folder": "bulk_update.api",
    "Alert": "bulk_update.job.alerts",
    "Workspace": "bulk_update.models",
    "undo_plan": "bulk_update.job.undoing",
    "UndoPlan": "bulk_update.job.undoing",
    "RunHooks": "bulk_update.job.hooks",
    "Interruption": "bulk_update.job.hooks",
    "export": "bulk_update.api",
    "ExportOptions": "bulk_update.api",
    "export_async": "bulk_update.api",
    "ExportResult": "bulk_update.search.exporter",
    "save_schema": "bulk_update.api",
    "save_schema_async": "bulk_update.api",
    "RunSettings": "bulk_update.api",
    "Connection": "bulk_update.api",
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
    "Table": "bulk_update.sheet.reader",
    "Schema": "bulk_update.sheet.schema",
    "plan_columns": "bulk_update.sheet.columns",
    "validate_row": "bulk_update.sheet.validate",
    "BulkUpdateError": "bulk_update.errors",
    "InputError": "bulk_update.errors",
    "UsageError": "bulk_update.errors",
    "RunStopped": "bulk_update.errors",
    "AuthenticationFailed": "bulk_update.errors",
    "Sandbox": "bulk_update.sandbox",
    "SandboxConfig": "bulk_update.sandbox",
}

__all__ = [
    "Alert",
    "AuthenticationFailed",
    "BulkUpdateError",
    "Connection",
    "ExportOptions",
    "ExportResult",
    "InputError",
    "Interruption",
    "Job",
    "JobSettings",
    "Rate",
    "ReadOptions",
    "RowOutcome",
    "RowStatus",
    "RunHooks",
    "RunResult",
    "RunSettings",
    "RunStopped",
    "RunSummary",
    "Sandbox",
    "SandboxConfig",
    "Schema",
    "SendOptions",
    "Table",
    "Token",
    "UndoPlan",
    "UpdateRequest",
    "UsageError",
    "Workspace",
    "__version__",
    "export",
    "export_async",
    "log",
    "plan_columns",
    "retry",
    "retry_async",
    "run",
    "run_async",
    "run_in_folder",
    "save_schema",
    "save_schema_async",
    "undo",
    "undo_async",
    "undo_plan",
    "validate_row",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'bulk_update' has no attribute {name!r}")
