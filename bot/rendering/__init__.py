"""Digests and summaries as output: the neutral reply (paper cards) that adapters render, and
Markdown, HTML, plain text, JSON and RSS/Atom documents for files and feeds.

Imports ``bot.summaries`` and below; never a platform.
"""
