"""Fixtures for the summaries suite: the real
:class:`~bot.summaries.summarizer.Summarizer` over a real SQLite file in ``tmp_path``, the
real full-text source against the local fake arXiv, and the real ``AsyncOpenAI`` client
against the local fake OpenAI-compatible server.

Zero request intervals and millisecond retry delays are configuration, not synchronisation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.arxiv.transport import ArxivHttp
from storage import SqliteStore
from tests.fakes.fake_arxiv import FakeArxiv
from tests.fakes.fake_openai import FakeOpenAI
from tests.summaries.support import NOW, Clock, World


@pytest.fixture
async def arxiv() -> AsyncIterator[FakeArxiv]:
    async with FakeArxiv() as server:
        yield server


@pytest.fixture
async def llm() -> AsyncIterator[FakeOpenAI]:
    # Injected failures ask the client to retry after 1 ms instead of its 0.5 s, 1 s, ...
    async with FakeOpenAI(default_retry_after_ms=1) as server:
        yield server


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "bot.db"


@pytest.fixture
async def world(arxiv: FakeArxiv, llm: FakeOpenAI, db_path: Path) -> AsyncIterator[World]:
    http = ArxivHttp(interval=0, retries=1, retry_delay=0.01, timeout=10)
    store = await SqliteStore.open(db_path)
    made = World(arxiv=arxiv, llm=llm, http=http, store=store, clock=Clock(NOW), db_path=db_path)
    try:
        yield made
    finally:
        await made.close()
