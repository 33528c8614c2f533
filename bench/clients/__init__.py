"""The alternatives bulk-update is measured against, each a standalone script."""
