"""Fixtures for the command suite: real services (SQLite file in ``tmp_path``, the real arXiv
clients against a local fake arXiv) built by the composition root, and a fixed clock.

Zero request interval and a tiny retry delay are configuration, not synchronisation."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import pytest

from app.wiring import open_services
from bot.commands import CommandRouter
from bot.config import Settings, load_settings
from tests.commands.support import ATTENTION, TODAY, Bot
from tests.fakes.fake_arxiv import FakeArxiv

RETRIES = 1


@pytest.fixture
async def fake() -> AsyncIterator[FakeArxiv]:
    async with FakeArxiv(TODAY, [ATTENTION]) as server:
        yield server


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "bot.db"


@pytest.fixture
def database_url(db_path: Path) -> str:
    """SQLite here; tests/commands/test_on_postgres.py puts the same commands on PostgreSQL."""
    return f"sqlite:///{db_path}"


@pytest.fixture
def settings(fake: FakeArxiv, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Through the environment, as an operator configures the bot."""
    monkeypatch.setenv("ARXIV_FEED_URL", fake.feed_url_template)
    monkeypatch.setenv("ARXIV_API_URL", fake.api_url)
    monkeypatch.setenv("ARXIV_PDF_URL", fake.pdf_url_template)
    monkeypatch.setenv("ARXIV_HTML_URL", fake.html_url_template)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("ARXIV_BOT_ARXIV_REQUEST_INTERVAL", "0")
    monkeypatch.setenv("ARXIV_BOT_ARXIV_RETRIES", str(RETRIES))
    monkeypatch.setenv("ARXIV_BOT_ARXIV_RETRY_DELAY", "0.01")
    return load_settings()


OpenBot = Callable[[], AbstractAsyncContextManager[Bot]]


@pytest.fixture
def open_bot(settings: Settings) -> OpenBot:
    """Start the bot on the test's database; call it again after closing to "restart"."""

    @asynccontextmanager
    async def opener() -> AsyncIterator[Bot]:
        async with open_services(settings) as services:
            yield Bot(services, CommandRouter(services))

    return opener


@pytest.fixture
async def bot(open_bot: OpenBot) -> AsyncIterator[Bot]:
    async with open_bot() as running:
        yield running
