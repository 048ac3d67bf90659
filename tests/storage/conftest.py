"""Fixtures for the storage suite: the store contract runs on both engines (``engine``): a
real SQLite file in ``tmp_path``, and a schema of its own on the test PostgreSQL server
(tests/postgres.py; skipped without one)."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from bot.model.subscriptions import Subscription
from storage import PostgresStore, SqliteStore
from tests.postgres import postgres_schema, require_postgres

CREATED = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


@dataclass(frozen=True)
class Engine:
    """One database engine under test: how to open its store, and how to look at its rows
    from outside the store (another connection, as another process would)."""

    name: str
    url: str
    integrity_error: type[Exception]
    """What a broken constraint raises (the store leaves it the caller's error)."""

    async def open(self) -> SqliteStore:
        if self.name == "postgresql":
            return await PostgresStore.open(self.url)
        return await SqliteStore.open(self.url)

    async def raw(self, sql: str) -> list[tuple[Any, ...]]:
        """The rows of ``sql`` read over a connection of its own."""
        if self.name == "postgresql":
            connection = await asyncpg.connect(self.url)
            try:
                return [tuple(row) for row in await connection.fetch(sql)]
            finally:
                await connection.close()
        raw = sqlite3.connect(self.url)
        try:
            return raw.execute(sql).fetchall()
        finally:
            raw.close()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "bot.db"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine_name(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql":
        require_postgres()
    return str(request.param)


@pytest.fixture
async def engine(engine_name: str, db_path: Path) -> AsyncIterator[Engine]:
    if engine_name == "sqlite":
        yield Engine("sqlite", str(db_path), sqlite3.IntegrityError)
        return
    async with postgres_schema() as url:
        yield Engine("postgresql", url, asyncpg.IntegrityConstraintViolationError)


@pytest.fixture
async def store(engine: Engine) -> AsyncIterator[SqliteStore]:
    opened = await engine.open()
    try:
        yield opened
    finally:
        await opened.close()


FULL = Subscription(
    platform="telegram",
    chat_id="42",
    chat_kind="group",
    created_by="user-7",
    categories=("cs.AI", "cs.LG", "stat.ML"),
    keywords=("LLM", "mixture of experts", "深度学习", "🚀 rockets"),
    exclude=("survey", "综述"),
    include_cross=True,
    max_papers=7,
    min_score=2.5,
    delivery_time="06:45",
    timezone="Asia/Shanghai",
    frequency="weekly",
    weekday=4,
    language="zh",
    paused=True,
    active=False,
    inactive_reason="bot was blocked by the user",
    created_at=CREATED,
    updated_at=datetime(2026, 11, 21, 10, 0, tzinfo=UTC),
)
"""Every field away from its default, so a column that is not written or not read back
shows up as a difference."""


def subscription(chat_id: str = "42", **changes: Any) -> Subscription:
    return replace(FULL, chat_id=chat_id, **changes)


@pytest.fixture
async def instances(postgres_url: str) -> AsyncIterator[list[PostgresStore]]:
    """Three stores on one PostgreSQL schema, as three ``arxiv-bot run`` would open it."""
    opened = [await PostgresStore.open(postgres_url, instance=f"i{n}") for n in range(3)]
    try:
        yield opened
    finally:
        for store in opened:
            await store.close()
