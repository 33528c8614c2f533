"""The built-in Intercom simulator (``bulk-update sandbox``, ``--sandbox``)."""

from bulk_update.sandbox.attributes import default_listing
from bulk_update.sandbox.server import (
    SANDBOX_TOKEN,
    Sandbox,
    SandboxApp,
    SandboxConfig,
    SandboxState,
)

__all__ = [
    "SANDBOX_TOKEN",
    "Sandbox",
    "SandboxApp",
    "SandboxConfig",
    "SandboxState",
    "default_listing",
]
