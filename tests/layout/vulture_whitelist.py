"""Names vulture cannot see used: each with who uses it. (Read by vulture, never imported.)"""

# ruff: noqa
__getattr__  # a module's lazy attributes (bulk_update, bulk_update.sandbox): Python calls it
_.freeze_panes  # openpyxl reads it when the report's workbook is saved
_.ref  # openpyxl's auto_filter.ref, read when the workbook is saved
_.initial  # SilentProgress.initial: what tests read of where a resumed run started
_.example  # Action.example: the cells the table-wide tests read, plan, send and undo per action
_.required  # Attribute.required: what 2.16's listing says, for the library's callers (bulk_update.Schema)
_.visible_to_team_ids  # Attribute.visible_to_team_ids: the same
_.add_contact  # SandboxApp.add_contact: how a test seeds contacts and their conversations (tests/sandbox)
_.failures_by_reason  # Alert.failures_by_reason: posted in the alert JSON (asdict), read by its receiver and callback
bulk_update_asset  # bulk_update.dagster: what a Dagster project imports (tests/test_dagster.py)
