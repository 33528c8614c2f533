"""Names vulture cannot see used: each with who uses it. (Read by vulture, never imported.)"""

# ruff: noqa
__getattr__  # a module's lazy attributes (bulk_update, bulk_update.sandbox): Python calls it
_.freeze_panes  # openpyxl reads it when the report's workbook is saved
_.ref  # openpyxl's auto_filter.ref, read when the workbook is saved
_.initial  # SilentProgress.initial: what tests read of where a resumed run started
