"""The results stage: what is known of each row across runs. The journal (SQLite: outcomes,
resume, row contents), what a run keeps from earlier ones, backups, the before → after
descriptions, the report and the breakdown of why rows were not updated.
"""
