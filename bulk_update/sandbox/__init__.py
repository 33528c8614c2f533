"""The built-in Intercom simulator (``bulk-update sandbox``, ``--sandbox``).

Its settings (``sandbox.config``) import nothing heavy; the server and its aiohttp are
imported when first used, so that ``bulk-update --help`` does not pay for them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from bulk_update.sandbox.attributes import default_listing
from bulk_update.sandbox.config import SANDBOX_POPULATION, SANDBOX_TOKEN, SandboxConfig

if TYPE_CHECKING:
    from bulk_update.sandbox.server import Sandbox, SandboxApp, SandboxState

__all__ = [
    "SANDBOX_POPULATION",
    "SANDBOX_TOKEN",
    "Sandbox",
    "SandboxApp",
    "SandboxConfig",
    "SandboxState",
    "default_listing",
]


def __getattr__(name: str) -> Any:
    if name in ("Sandbox", "SandboxApp", "SandboxState"):
        return getattr(importlib.import_module("bulk_update.sandbox.server"), name)
    raise AttributeError(f"module 'bulk_update.sandbox' has no attribute {name!r}")
