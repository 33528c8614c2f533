"""The search stage: Intercom's conversation search fields, ``--where`` → Intercom's query,
paged search, and ``export`` (the conversations a search finds, as a sheet).
"""
