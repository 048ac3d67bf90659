"""Persistence behind one interface (:class:`bot.model.store.Store`): SQLite through aiosqlite
by default, PostgreSQL through asyncpg for ``postgresql://`` URLs."""

from __future__ import annotations

import contextlib
from datetime import timedelta

from bot.model.store import Store, StoreError
from storage.instance_lock import InstanceLock
from storage.postgres import PostgresStore, display_url, is_postgres_url
from storage.sqlite import LEASE, SqliteStore


def sqlite_path(database_url: str) -> str:
    """``sqlite:///data/bot.db`` -> ``data/bot.db``; ``sqlite:////srv/bot.db`` -> ``/srv/bot.db``;
    a bare path is taken as it is."""
    if database_url.startswith("sqlite://"):
        rest = database_url.removeprefix("sqlite://")
        return rest[1:] if rest.startswith("/") else rest
    if "://" in database_url:
        scheme = database_url.split("://", 1)[0]
        raise StoreError(
            f"DATABASE_URL scheme {scheme!r} is not supported; use sqlite:///path/to/file.db "
            "or postgresql://user:password@host:port/database"
        )
    return database_url


async def open_store(
    database_url: str, *, instance: str | None = None, lease: timedelta = LEASE
) -> Store:
    """The store ``DATABASE_URL`` names, migrated (both engines share the store's queries).
    ``instance`` names this process in it (a new ``host:pid:random`` by default); its
    claims last ``lease`` without renewal."""
    if is_postgres_url(database_url):
        return await PostgresStore.open(database_url, instance=instance, lease=lease)
    return await SqliteStore.open(sqlite_path(database_url), instance=instance, lease=lease)


def single_instance(database_url: str) -> contextlib.AbstractContextManager[object]:
    """Held for the life of ``arxiv-bot run``: one instance per SQLite file. PostgreSQL is
    shared by design: its instances claim their work with leases and elect a leader
    (storage/leadership.py) instead."""
    if is_postgres_url(database_url):
        return contextlib.nullcontext()
    return InstanceLock(sqlite_path(database_url))


__all__ = [
    "PostgresStore",
    "SqliteStore",
    "Store",
    "StoreError",
    "display_url",
    "is_postgres_url",
    "open_store",
    "single_instance",
    "sqlite_path",
]
