"""Leader election on the shared database (:class:`bot.model.leadership.Leadership`).

PostgreSQL: the leader is the instance that holds a session-level advisory lock
(``pg_try_advisory_lock``) on a connection of its own, outside the store's pool. The server
releases the lock the moment that session ends, however the instance ended (a SIGKILL closes
its socket; a machine that vanished is noticed by TCP keepalive), so another instance takes
over at its next try. An instance that cannot reach the database (its connection broke, a
check timed out) stops leading at once: it may not be the leader any more, and two leaders
for a few seconds are harmless (fetching, scheduling and claiming are idempotent), while
none for long is not.

The lock's key is derived from the schema the bot's tables live in, so installations in
separate schemas of one database (the tests' own) elect their leaders separately.

SQLite: the single-instance lock (storage/instance_lock.py) already makes the one instance
the leader.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from typing import Any

import asyncpg

from bot.model.leadership import Leadership
from storage.postgres import CONNECT_TIMEOUT, display_url, is_postgres_url

log = logging.getLogger(__name__)

CHECK_TIMEOUT = 5.0
"""How long the leader's check of its connection may take before it counts as lost."""


def leader_key(schema: str) -> int:
    """A signed 64-bit advisory lock key for the installation in ``schema``."""
    digest = hashlib.sha256(f"arxiv-bot leader:{schema}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class SoleLeadership:
    """The only instance (SQLite) always leads."""

    @property
    def leads(self) -> bool:
        return True

    async def refresh(self) -> bool:
        return True

    async def close(self) -> None:
        return None


class AdvisoryLeadership:
    """Leads while its own session holds the installation's advisory lock."""

    def __init__(self, database_url: str, *, instance: str = "") -> None:
        self._url = database_url
        self._name = f"arxiv-bot leader {instance}"[:63]  # PostgreSQL's application_name
        self._connection: Any = None
        self._key: int | None = None
        self._leads = False

    @property
    def leads(self) -> bool:
        return self._leads and self._connection is not None

    async def refresh(self) -> bool:
        try:
            async with asyncio.timeout(CHECK_TIMEOUT + CONNECT_TIMEOUT):
                await self._refresh()
        except Exception as exc:  # whatever broke the session may have released the lock
            # asyncpg raises more than its documented errors on a session the server ended
            # under it (e.g. InternalClientError while the terminated state is still being
            # noticed); every one of them means this instance may no longer hold the lock.
            if self._leads:
                log.warning(
                    "lost the leadership: the database %s cannot be reached (%s)",
                    display_url(self._url),
                    " ".join(str(exc).split()) or type(exc).__name__,
                )
            await self._drop()
        return self.leads

    async def _refresh(self) -> None:
        if self._connection is None or self._connection.is_closed():
            await self._drop()
            self._connection = await asyncpg.connect(
                self._url,
                timeout=CONNECT_TIMEOUT,
                server_settings={"application_name": self._name},
            )
            self._connection.add_termination_listener(self._terminated)
            self._key = leader_key(str(await self._connection.fetchval("SELECT current_schema()")))
        if self._leads:
            # The lock lives as long as the session: the session answering is the check.
            await self._connection.fetchval("SELECT 1", timeout=CHECK_TIMEOUT)
            return
        self._leads = bool(
            await self._connection.fetchval(
                "SELECT pg_try_advisory_lock($1)", self._key, timeout=CHECK_TIMEOUT
            )
        )

    def _terminated(self, _connection: Any) -> None:
        """The session ended (the server restarted, an operator terminated it): the lock
        is gone with it."""
        if self._leads:
            log.warning("lost the leadership: the connection to the database ended")
        self._leads = False

    async def _drop(self) -> None:
        self._leads = False
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.terminate()

    async def close(self) -> None:
        """Ends the session, which releases the lock (an explicit unlock could wait on a
        database that no longer answers)."""
        connection, self._connection = self._connection, None
        self._leads = False
        if connection is not None:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(CHECK_TIMEOUT):
                    await connection.close()
            if not connection.is_closed():
                connection.terminate()


def leadership_for(database_url: str, *, instance: str = "") -> Leadership:
    """How the instances of ``DATABASE_URL`` elect their leader."""
    if is_postgres_url(database_url):
        return AdvisoryLeadership(database_url, instance=instance)
    return SoleLeadership()
