"""storage/postgres.py: one schema history for both engines, schema versions on PostgreSQL,
and a database it cannot use said in one line without the password."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from bot.model.store import StoreError
from storage import PostgresStore, SqliteStore, open_store
from storage.migrations import SCHEMA_VERSION
from storage.postgres import postgres_types, unusable
from tests.postgres import POSTGRES_URL


@pytest.mark.postgres
async def test_both_engines_end_with_the_same_tables_and_columns(
    postgres_url: str, tmp_path: Path
) -> None:
    lite = await SqliteStore.open(tmp_path / "bot.db")
    await lite.close()
    pg = await PostgresStore.open(postgres_url)
    await pg.close()

    raw = sqlite3.connect(tmp_path / "bot.db")
    try:
        tables = [t for (t,) in raw.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        sqlite_columns = {
            (table, row[1])
            for table in tables
            for row in raw.execute(f"PRAGMA table_info({table})")
        }
    finally:
        raw.close()
    connection = await asyncpg.connect(postgres_url)
    try:
        rows = await connection.fetch(
            "SELECT table_name, column_name, data_type, collation_name "
            "FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND table_name != 'schema_version'"
        )
    finally:
        await connection.close()

    assert {(r["table_name"], r["column_name"]) for r in rows} == sqlite_columns
    # Text sorts bytewise as in SQLite (ISO moments, ids), whatever the server's locale.
    assert {r["collation_name"] for r in rows if r["data_type"] == "text"} == {"C"}
    assert {r["data_type"] for r in rows} <= {"text", "bigint", "double precision", "bytea"}


@pytest.mark.postgres
async def test_each_migration_is_recorded_once_even_when_instances_start_together(
    postgres_url: str,
) -> None:
    stores = await asyncio.gather(*(PostgresStore.open(postgres_url) for _ in range(3)))
    for store in stores:
        await store.close()

    connection = await asyncpg.connect(postgres_url)
    try:
        versions = [v for (v,) in await connection.fetch("SELECT version FROM schema_version")]
    finally:
        await connection.close()
    assert sorted(versions) == list(range(1, SCHEMA_VERSION + 1))


@pytest.mark.postgres
async def test_a_newer_database_is_refused(postgres_url: str) -> None:
    store = await PostgresStore.open(postgres_url)
    await store.close()
    connection = await asyncpg.connect(postgres_url)
    try:
        await connection.execute(
            "INSERT INTO schema_version (version, applied_at) VALUES ($1, 'later')",
            SCHEMA_VERSION + 1,
        )
    finally:
        await connection.close()

    with pytest.raises(StoreError, match="newer release"):
        await PostgresStore.open(postgres_url)


@pytest.mark.postgres
async def test_open_store_takes_a_postgresql_url(postgres_url: str) -> None:
    store = await open_store(postgres_url)
    try:
        assert isinstance(store, PostgresStore)
        await store.check(thorough=True)
        assert await store.get_meta("last_start") is not None
    finally:
        await store.close()


@pytest.mark.postgres
async def test_the_check_finds_tables_dropped_under_the_running_bot(postgres_url: str) -> None:
    store = await PostgresStore.open(postgres_url)
    try:
        connection = await asyncpg.connect(postgres_url)
        try:
            await connection.execute("DROP TABLE schema_version, meta")
        finally:
            await connection.close()
        with pytest.raises(StoreError, match="tables are gone"):
            await store.check()
    finally:
        await store.close()


@pytest.mark.postgres
async def test_a_missing_database_is_one_line_without_the_password(
    postgres_available: None,
) -> None:
    parts = urlsplit(POSTGRES_URL)
    login = f"{parts.username or 'postgres'}:S3cret-pw@{parts.hostname}:{parts.port or 5432}"
    url = urlunsplit((parts.scheme, login, "/arxiv_bot_no_such_database", "", ""))

    with pytest.raises(StoreError) as caught:
        await PostgresStore.open(url)

    message = str(caught.value)
    assert "does not exist" in message
    assert "\n" not in message
    assert "S3cret-pw" not in message


async def test_an_unreachable_server_is_one_line_without_the_password() -> None:
    """Port 1 on 127.0.0.1: nothing listens there (no server needed for this test)."""
    with pytest.raises(StoreError) as caught:
        await PostgresStore.open("postgresql://bot:S3cret-pw@127.0.0.1:1/bot")

    message = str(caught.value)
    assert message.startswith("the database postgresql://bot@127.0.0.1:1/bot cannot be used")
    assert "cannot be reached" in message
    assert "S3cret-pw" not in message


def test_asyncpg_on_a_session_ended_mid_query_is_a_lost_connection() -> None:
    """What asyncpg raised in CI after the server terminated a session under a query."""
    error = asyncpg.InternalClientError(
        "cannot switch to state 11; another operation (2) is in progress"
    )
    message = str(unusable("postgresql://bot:S3cret-pw@db:5432/bot", error))
    assert "the connection to PostgreSQL was lost" in message
    assert "S3cret-pw" not in message


def test_sqlite_types_map_to_postgresql_types_of_the_same_range_and_order() -> None:
    sql = "CREATE TABLE t (a INTEGER, b REAL, c TEXT NOT NULL DEFAULT 'TEXT', d BLOB, e_text TEXT)"
    assert postgres_types(sql) == (
        'CREATE TABLE t (a BIGINT, b DOUBLE PRECISION, c TEXT COLLATE "C" NOT NULL DEFAULT '
        """'TEXT', d BYTEA, e_text TEXT COLLATE "C")"""
    )
