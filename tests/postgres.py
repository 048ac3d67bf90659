"""PostgreSQL for the tests: the store contract and a few end-to-end flows run on it too.

The server is ``ARXIV_BOT_TEST_POSTGRES_URL`` (default: the CI machine's
``postgresql://postgres@127.0.0.1:5432/test``). Each test gets a schema of its own, created
empty and dropped afterwards, so runs never see each other's rows. Without a reachable server
the PostgreSQL tests are skipped with one line, unless ``ARXIV_BOT_REQUIRE_POSTGRES=1`` (set by
``.ci/run``) makes that a failure.

Both variables are read at import, before ``clean_env`` hides every ``ARXIV_*`` variable from
the tests.
"""

from __future__ import annotations

import asyncio
import functools
import os
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import pytest

from storage import display_url

POSTGRES_URL = os.environ.get(
    "ARXIV_BOT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
REQUIRED = os.environ.get("ARXIV_BOT_REQUIRE_POSTGRES") == "1"


@functools.cache
def unreachable() -> str | None:
    """Why the test server cannot be used (None when it can); asked once per run."""

    async def probe() -> None:
        connection = await asyncpg.connect(POSTGRES_URL, timeout=5)
        await connection.close()

    try:
        asyncio.run(probe())
    except Exception as exc:
        return " ".join(f"{type(exc).__name__}: {exc}".split())
    return None


def require_postgres() -> None:
    """Skip (or, with ARXIV_BOT_REQUIRE_POSTGRES=1, fail) the test without a server. Call it
    from a synchronous fixture: the probe runs its own event loop."""
    reason = unreachable()
    if reason is None:
        return
    message = f"no PostgreSQL at {display_url(POSTGRES_URL)} ({reason})"
    if REQUIRED:
        pytest.fail(f"{message}, and ARXIV_BOT_REQUIRE_POSTGRES=1")
    pytest.skip(f"{message}; set ARXIV_BOT_TEST_POSTGRES_URL to run the PostgreSQL tests")


def with_search_path(url: str, schema: str) -> str:
    """The URL with its tables in ``schema`` (asyncpg passes query parameters on as server
    settings)."""
    return f"{url}{'&' if '?' in url else '?'}search_path={schema}"


@asynccontextmanager
async def postgres_schema() -> AsyncIterator[str]:
    """A new, empty schema on the test server, dropped with everything in it afterwards: the
    database URL that uses it."""
    name = f"arxiv_bot_test_{uuid.uuid4().hex[:16]}"
    admin = await asyncpg.connect(POSTGRES_URL)
    try:
        await admin.execute(f'CREATE SCHEMA "{name}"')
        try:
            yield with_search_path(POSTGRES_URL, name)
        finally:
            await admin.execute(f'DROP SCHEMA "{name}" CASCADE')
    finally:
        await admin.close()


def fetch_rows(url: str, sql: str) -> list[dict[str, Any]]:
    """The rows of ``sql`` over a connection of its own, for synchronous helpers called
    inside a test's event loop (the query runs in a thread with its own loop)."""

    async def fetch() -> list[dict[str, Any]]:
        connection = await asyncpg.connect(url)
        try:
            return [dict(row) for row in await connection.fetch(sql)]
        finally:
            await connection.close()

    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, fetch()).result()


@pytest.fixture
def postgres_available() -> None:
    require_postgres()


@pytest.fixture
async def postgres_url(postgres_available: None) -> AsyncIterator[str]:
    """A database URL of an empty schema of its own on the test server."""
    async with postgres_schema() as url:
        yield url
