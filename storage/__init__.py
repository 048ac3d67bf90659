"""Persistence behind one interface (:class:`bot.model.store.Store`): aiosqlite by default."""

from __future__ import annotations

from bot.model.store import Store, StoreError
from storage.sqlite import SqliteStore


def sqlite_path(database_url: str) -> str:
    """``sqlite:///data/bot.db`` -> ``data/bot.db``; ``sqlite:////srv/bot.db`` -> ``/srv/bot.db``;
    a bare path is taken as it is."""
    if database_url.startswith("sqlite://"):
        rest = database_url.removeprefix("sqlite://")
        return rest[1:] if rest.startswith("/") else rest
    if "://" in database_url:
        scheme = database_url.split("://", 1)[0]
        raise StoreError(
            f"DATABASE_URL scheme {scheme!r} is not supported yet; use sqlite:///path/to/file.db"
        )
    return database_url


async def open_store(database_url: str) -> Store:
    return await SqliteStore.open(sqlite_path(database_url))


__all__ = ["SqliteStore", "Store", "StoreError", "open_store", "sqlite_path"]
