"""The PostgreSQL store (``DATABASE_URL=postgresql://user:pass@host:port/db``), through asyncpg.

It is :class:`storage.sqlite.SqliteStore` with PostgreSQL's parts: a connection pool, one
PostgreSQL transaction per write, its faults, and its schema versions. Every query is
SQLite's own (written in the dialect both share, storage/sql.py), so a query added to the
store serves both engines, and so does a migration (storage/migrations.py).

The schema mirrors SQLite's, types mapped, so rows copy between engines as they are
(``arxiv-bot db copy``): moments are UTC ISO text, lists JSON text, flags 0/1. Text columns
sort bytewise (``COLLATE "C"``), as in SQLite, whatever the database's locale.

The password of the URL never reaches a message: the database is named without it.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg

from bot.model.store import StoreError
from bot.model.subscriptions import utcnow
from storage.migrations import (
    DATA_STEPS,
    MIGRATIONS,
    POSTGRES_OVERRIDES,
    SCHEMA_VERSION,
    refuse_newer,
)
from storage.sql import Row, Transaction, numbered_placeholders
from storage.sqlite import LEASE, SqliteStore

SCHEMES = ("postgresql", "postgres")
POOL_SIZE = 5
CONNECT_TIMEOUT = 10.0
MIGRATION_LOCK = 0x61727869_76000001
"""Advisory lock key held while migrating: instances starting together migrate once."""
TURN_TOLERANCE = 0.005
"""Seconds: how late a shared turn may be taken and still count from when it freed. Any
run of turns then spans its spacing less at most this (Telegram's 3% slack is 30 ms a
second, which the way to Telegram needs too)."""
FORGET_SLOTS_EVERY = 3600.0
"""Seconds: how often the leader forgets rate limits idle that long (chats' windows)."""


def is_postgres_url(database_url: str) -> bool:
    return database_url.split("://", 1)[0].lower() in SCHEMES


def display_url(database_url: str) -> str:
    """The URL without password or query (``?password=`` is a form asyncpg accepts too)."""
    parts = urlsplit(database_url)
    user = f"{parts.username}@" if parts.username else ""
    host = parts.hostname or ""
    port = f":{parts.port}" if _port(database_url) else ""
    return f"{parts.scheme}://{user}{host}{port}{parts.path}"


def _port(database_url: str) -> bool:
    try:
        return urlsplit(database_url).port is not None
    except ValueError:
        return False


class PostgresStore(SqliteStore):
    """Implements :class:`bot.model.store.Store` on PostgreSQL; any number of processes may
    open one database. Their work is shared through leases: a ledger row is claimed with
    ``FOR UPDATE SKIP LOCKED`` (two instances claiming at once never get the same row), and
    a lease that ran out (its instance died) makes the row claimable again."""

    _SKIP_LOCKED = " FOR UPDATE SKIP LOCKED"

    def __init__(
        self,
        pool: Any,
        database_url: str,
        *,
        clock: Callable[[], datetime] = utcnow,
        instance: str | None = None,
        lease: timedelta = LEASE,
    ) -> None:
        # Not SqliteStore.__init__: no file, no single connection, no process-wide lock.
        self._pool = pool
        self._url = database_url
        self._clock = clock
        self.path = display_url(database_url)
        self._init_instance(instance, lease)
        self._slots_forgotten = 0.0

    def _lease_cutoff(self, now: datetime) -> str:
        # Moments are this instance's clock (as every moment of the store): instances that
        # share a database keep their clocks in sync (NTP), well within a lease.
        return now.astimezone(UTC).isoformat()

    @classmethod
    async def open(
        cls,
        path: str | Path,
        *,
        clock: Callable[[], datetime] = utcnow,
        instance: str | None = None,
        lease: timedelta = LEASE,
    ) -> PostgresStore:
        """Connect to the database URL ``path`` and migrate; refuse a newer schema."""
        url = str(path)
        try:
            pool = await asyncpg.create_pool(
                url, min_size=1, max_size=POOL_SIZE, timeout=CONNECT_TIMEOUT
            )
        except Exception as exc:
            raise unusable(url, exc) from exc
        try:
            async with pool.acquire() as connection:
                await migrate(connection)
        except BaseException as exc:
            await pool.close()
            if fault(exc) is not None:
                raise unusable(url, exc) from exc
            raise
        return cls(pool, url, clock=clock, instance=instance, lease=lease)

    async def check(self, *, thorough: bool = False) -> None:
        """Raise StoreError when the database cannot be used (unreachable, tables gone, no
        longer writable); ``thorough`` (at start) also makes a write."""
        await self._fetchall("SELECT max(version) FROM schema_version")
        if thorough:
            await self.set_meta("last_start", self._clock().isoformat())

    async def close(self) -> None:
        await self._release()
        await self._pool.close()

    async def table_columns(self) -> dict[str, list[str]]:
        rows = await self._fetchall(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name != 'schema_version' "
            "ORDER BY table_name, ordinal_position"
        )
        found: dict[str, list[str]] = {}
        for row in rows:
            found.setdefault(str(row[0]), []).append(str(row[1]))
        return found

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[Transaction]:
        try:
            async with self._pool.acquire() as connection, connection.transaction():
                yield _PostgresTransaction(connection)
        except Exception as exc:
            if fault(exc) is not None:
                raise unusable(self._url, exc) from exc
            raise  # a constraint the caller broke is the caller's error

    async def _fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        try:
            async with self._pool.acquire() as connection:
                return list(await connection.fetch(_postgres_sql(sql), *params))
        except Exception as exc:
            if fault(exc) is not None:
                raise unusable(self._url, exc) from exc
            raise

    async def heartbeat(self, *, leader: bool) -> None:
        await super().heartbeat(leader=leader)
        now = time.time()
        if leader and now - self._slots_forgotten > FORGET_SLOTS_EVERY:
            self._slots_forgotten = now
            await self.forget_slots(now - FORGET_SLOTS_EVERY)

    # --- the platforms' rate limits, shared by the instances (adapters/pacing.py) ----------

    async def take_slot(self, name: str, period: float, now: float | None = None) -> float | None:
        """Implements :class:`adapters.pacing.SharedSlots` (structurally: storage does not
        import adapters). One atomic statement: the turn is taken if it is free, which the
        row lock serializes between instances; otherwise the seconds until it frees. A turn
        taken within ``TURN_TOLERANCE`` of when it freed counts from then (the round trip
        and a wake-up must not slow the bot down), a later one from when it was taken (a
        late sender must not bunch with the next). The moments are the database server's
        clock (``now`` for tests): instances' own clocks may differ by more than the
        spacing of Telegram's sends."""
        # One statement on its own (no BEGIN/COMMIT round trips): a turn is taken at most
        # one round trip before its message leaves.
        taken = await self._fetchall(
            f"WITH t AS (SELECT {_NOW} AS now) "
            "INSERT INTO rate_limits (name, next_at) SELECT ?, t.now + ?::float8 FROM t "
            "ON CONFLICT (name) DO UPDATE SET next_at = GREATEST("
            "excluded.next_at - ?::float8, rate_limits.next_at, rate_limits.paused_until) "
            "+ ?::float8 "
            "WHERE GREATEST(rate_limits.next_at, rate_limits.paused_until) "
            "<= excluded.next_at - ?::float8 RETURNING 1",
            (now, name, period, period + TURN_TOLERANCE, period, period),
        )
        if taken:
            return None
        # Not free: when it frees, as committed by whoever took it (a statement of its own,
        # which sees that).
        return max(await self._turn_frees(name, now), 0.001)

    async def _turn_frees(self, name: str, now: float | None) -> float:
        """Seconds until a one-a-period limit's turn frees (0: free)."""
        rows = await self._fetchall(
            f"SELECT GREATEST(next_at, paused_until) - {_NOW} AS wait "
            "FROM rate_limits WHERE name = ?",
            (now, name),
        )
        return max(float(rows[0]["wait"]), 0.0) if rows else 0.0

    async def reserve_slot(
        self, name: str, rate: int, period: float, now: float | None = None
    ) -> float:
        """Several sends a period: the row's latest sends, read and written under ``FOR
        UPDATE``; the seconds until the reserved moment."""
        async with self._transaction() as db:
            moment = await _now(db, now)
            recent, paused = await _locked_window(db, name)
            at = _next_in_window(recent, paused, rate, period, moment)
            kept = sorted((*recent, at))[-rate:]  # all the next reservation needs
            await db.execute(
                "UPDATE rate_limits SET recent = ?, next_at = ? WHERE name = ?",
                (json.dumps(kept), at, name),
            )
        return at - moment

    async def peek_slot(
        self, name: str, rate: int, period: float, now: float | None = None
    ) -> float:
        if rate <= 1:
            return await self._turn_frees(name, now)
        async with self._transaction() as db:
            moment = await _now(db, now)
            row = await db.fetchone(
                "SELECT next_at, paused_until, recent FROM rate_limits WHERE name = ?", (name,)
            )
        if row is None:
            return 0.0
        recent = [float(t) for t in json.loads(row["recent"])]
        return _next_in_window(recent, float(row["paused_until"]), rate, period, moment) - moment

    async def pause_slots(self, name: str, seconds: float, now: float | None = None) -> None:
        async with self._transaction() as db:
            until = await _now(db, now) + seconds
            await db.execute(
                "INSERT INTO rate_limits (name, next_at, paused_until) VALUES (?, 0, ?) "
                "ON CONFLICT (name) DO UPDATE SET paused_until = "
                "GREATEST(rate_limits.paused_until, excluded.paused_until)",
                (name, until),
            )

    async def forget_slots(self, before: float) -> int:
        """Forget limits idle since ``before`` (a chat's, long after its last message): the
        leader keeps the table small."""
        async with self._transaction() as db:
            return await db.execute(
                "DELETE FROM rate_limits WHERE GREATEST(next_at, paused_until) < ?", (before,)
            )


_NOW = "COALESCE(?::float8, extract(epoch FROM clock_timestamp())::float8)"
"""The moment of a pacing statement: the server's clock, or the one given."""


async def _now(db: Transaction, now: float | None) -> float:
    row = await db.fetchone(f"SELECT {_NOW}", (now,))
    assert row is not None
    return float(row[0])


async def _locked_window(db: Transaction, name: str) -> tuple[list[float], float]:
    """The limit's latest sends and pause, its row locked until the transaction ends."""
    await db.execute(
        "INSERT INTO rate_limits (name, next_at) VALUES (?, 0) ON CONFLICT (name) DO NOTHING",
        (name,),
    )
    row = await db.fetchone(
        "SELECT recent, paused_until FROM rate_limits WHERE name = ? FOR UPDATE", (name,)
    )
    assert row is not None
    return [float(t) for t in json.loads(row["recent"])], float(row["paused_until"])


def _next_in_window(
    recent: list[float], paused: float, rate: int, period: float, now: float
) -> float:
    """The earliest moment a send keeps at most ``rate`` in any ``period`` (``recent``: the
    latest sends, oldest first)."""
    at = max(now, paused)
    if len(recent) >= rate:
        at = max(at, recent[-rate] + period)
    return at


class _PostgresTransaction:
    """:class:`storage.sql.Transaction` on one pooled connection inside a transaction."""

    def __init__(self, connection: Any) -> None:
        self._connection = connection

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        status = await self._connection.execute(_postgres_sql(sql), *params)
        return _rowcount(str(status))

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        row: Row | None = await self._connection.fetchrow(_postgres_sql(sql), *params)
        return row

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return list(await self._connection.fetch(_postgres_sql(sql), *params))

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        await self._connection.executemany(_postgres_sql(sql), list(rows))


@lru_cache(maxsize=512)
def _postgres_sql(sql: str) -> str:
    return numbered_placeholders(sql)


def _rowcount(status: str) -> int:
    """``INSERT 0 1`` / ``UPDATE 3`` / ``DELETE 0`` -> the number of rows."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


# --- schema versions -----------------------------------------------------------------------

_TYPES = {
    "INTEGER": "BIGINT",
    "REAL": "DOUBLE PRECISION",
    "TEXT": 'TEXT COLLATE "C"',
    "BLOB": "BYTEA",
}
_QUOTED = re.compile(r"('(?:[^']|'')*'|\"[^\"]*\")")
_TYPE_WORD = re.compile(r"\b(INTEGER|REAL|TEXT|BLOB)\b")


def postgres_types(sql: str) -> str:
    """SQLite's column types as PostgreSQL's with the same range and order (64-bit integers,
    double precision, bytewise text); quoted text is left alone."""
    pieces = _QUOTED.split(sql)
    for index in range(0, len(pieces), 2):
        pieces[index] = _TYPE_WORD.sub(lambda m: _TYPES[m.group(1)], pieces[index])
    return "".join(pieces)


def postgres_migration(index: int) -> str:
    """PostgreSQL's text for migration ``index``."""
    return POSTGRES_OVERRIDES.get(index) or postgres_types(MIGRATIONS[index])


async def migrate(connection: Any) -> None:
    """Bring the schema up to date in one transaction, one instance at a time."""
    async with connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
        await connection.execute(
            "CREATE TABLE IF NOT EXISTS schema_version ("
            "version BIGINT PRIMARY KEY, applied_at TEXT NOT NULL)"
        )
        version = int(
            await connection.fetchval("SELECT COALESCE(max(version), 0) FROM schema_version")
        )
        refuse_newer(version, "database")
        for index in range(version, SCHEMA_VERSION):
            sql = postgres_migration(index)
            if sql.strip():
                await connection.execute(sql)
            step = DATA_STEPS.get(index)
            if step is not None:
                await step(_PostgresTransaction(connection))
            await connection.execute(
                "INSERT INTO schema_version (version, applied_at) VALUES ($1, $2)",
                index + 1,
                utcnow().isoformat(),
            )


# --- faults --------------------------------------------------------------------------------

_HINTS = (
    ("08", "the connection to PostgreSQL failed: check that it runs and that DATABASE_URL "
     "names its host and port"),
    ("28", "PostgreSQL refused the user or password of DATABASE_URL"),
    ("3D", "the database does not exist: create it (createdb) or fix DATABASE_URL"),
    ("3F", "the schema does not exist: create it or fix the search_path"),
    ("42501", "the user may not use it: grant the user of DATABASE_URL its tables"),
    ("42P01", "its tables are gone (dropped while the bot ran?): restart the bot to create "
     "them again, or restore a backup"),
    ("25006", "it is read-only (a standby?): point DATABASE_URL at the primary"),
    ("53", "PostgreSQL is out of disk, memory or connections: free some"),
    ("57", "PostgreSQL is shutting down or starting: wait for it, then restart the bot"),
    ("58", "PostgreSQL failed to read or write its files: check its server log"),
    ("XX", "PostgreSQL reported an internal error: check its server log"),
)  # fmt: skip


def fault(exc: BaseException) -> str | None:
    """What to do when ``exc`` means the database cannot be used (None for any other error,
    such as a broken constraint)."""
    if isinstance(exc, asyncpg.PostgresError):
        state = str(getattr(exc, "sqlstate", "") or "")
        return next((text for prefix, text in _HINTS if state.startswith(prefix)), None)
    if isinstance(exc, OSError | asyncio.TimeoutError):
        return (
            "PostgreSQL cannot be reached: check that it runs and that DATABASE_URL names "
            "its host and port"
        )
    # InternalClientError: what asyncpg raises on a session the server ended while a query
    # was starting.
    if isinstance(exc, asyncpg.InternalClientError) or (
        isinstance(exc, asyncpg.InterfaceError) and "connection" in str(exc)
    ):
        return "the connection to PostgreSQL was lost: check that it runs"
    return None


def unusable(database_url: str, exc: BaseException) -> StoreError:
    """One line that names the database (never its password), what went wrong, what to do."""
    if isinstance(exc, StoreError):
        return exc
    detail = " ".join(str(exc).split()) or type(exc).__name__
    password = _password(database_url)
    if password:
        detail = detail.replace(password, "***")
    hint = fault(exc) or "check DATABASE_URL (postgresql://user:password@host:port/database)"
    return StoreError(
        f"the database {display_url(database_url)} cannot be used ({detail}): {hint}"
    )


def _password(database_url: str) -> str | None:
    try:
        return urlsplit(database_url).password
    except ValueError:
        return None
