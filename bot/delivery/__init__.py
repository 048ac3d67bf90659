"""Daily delivery: the announcement fetch, the schedule in local time, the outbox ledger that
sends each digest once, and what the platforms tell us about chats (blocked, moved).

Imports ``bot.services`` and below.
"""
