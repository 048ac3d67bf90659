"""Ranking an announcement for a reader: keyword matching, scoring, and the digest it yields.

Imports ``bot.arxiv`` and below; knows nothing of summaries, rendering or chats.
"""
