"""Private and public feeds: revocable tokens, and the feeds' content for a profile.

Imports ``bot.services`` and below; the HTTP routes live at the edge (``adapters/http``).
"""
