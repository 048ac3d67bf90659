"""Fixtures for the foundation suite: a clean environment, a local fake arXiv and a polite
client with zero/tiny delays (configuration, not synchronisation)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest

from bot.arxiv.transport import ArxivHttp
from tests.fakes.fake_arxiv import FakeArxiv

# Settings the developer's shell (or CI) might carry and that would change what tests see.
_ENV_PREFIXES = ("ARXIV_", "OPENAI_", "DASHSCOPE_")
_ENV_NAMES = ("DATABASE_URL",)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(_ENV_PREFIXES) or name in _ENV_NAMES:
            monkeypatch.delenv(name)


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
