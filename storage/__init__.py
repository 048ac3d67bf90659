"""Persistence behind one interface (aiosqlite by default)."""
