"""The send stage: one aiohttp session (client), pacing under the rate limit, the one retry
loop, the bounded worker pool, and what is sent for one row (an update, or a row's
actions in their order), with the reads and name lookups they need.
"""
