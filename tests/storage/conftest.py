"""Fixtures for the storage suite: a real SQLite file in ``tmp_path`` per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.model.subscriptions import Subscription
from storage import SqliteStore

CREATED = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "bot.db"


@pytest.fixture
async def store(db_path: Path) -> AsyncIterator[SqliteStore]:
    opened = await SqliteStore.open(db_path)
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
