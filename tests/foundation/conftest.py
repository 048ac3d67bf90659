"""Fixtures for the foundation suite: a clean environment, a local fake arXiv and a polite
client with zero/tiny delays (configuration, not synchronisation)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.arxiv.transport import ArxivHttp
from tests.fakes.fake_arxiv import FakeArxiv


@pytest.fixture
async def fake() -> AsyncIterator[FakeArxiv]:
    async with FakeArxiv() as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[ArxivHttp]:
    client = ArxivHttp(interval=0, retries=2, retry_delay=0.01)
    try:
        yield client
    finally:
        await client.aclose()
