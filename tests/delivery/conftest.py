"""Fixtures for the delivery suite: the fake arXiv showing Tuesday 24 November 2026's
announcement, a clock at Tuesday 00:00 UTC (the announcement went out at 01:00 UTC), and the
real pipeline over a SQLite file in ``tmp_path`` sending through the test adapter."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.delivery.recording_sender import RecordingSender
from tests.delivery.support import TUESDAY, Clock, World, announce, utc
from tests.fakes.fake_arxiv import FakeArxiv
from tests.fakes.fake_openai import FakeOpenAI


@pytest.fixture
async def arxiv() -> AsyncIterator[FakeArxiv]:
    async with FakeArxiv() as server:
        announce(server, TUESDAY)
        yield server


@pytest.fixture
async def llm() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as server:
        yield server


@pytest.fixture
def clock() -> Clock:
    return Clock(utc(TUESDAY, "00:00"))


@pytest.fixture
def sender() -> RecordingSender:
    return RecordingSender()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "bot.db"


@pytest.fixture
async def world(
    db_path: Path, arxiv: FakeArxiv, clock: Clock, sender: RecordingSender
) -> AsyncIterator[World]:
    """The pipeline without an API key: summaries are labelled abstract extracts."""
    opened = await World(db_path, arxiv, clock, sender).open()
    try:
        yield opened
    finally:
        await opened.close()
