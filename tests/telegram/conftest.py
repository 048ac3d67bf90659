"""Fixtures for the Telegram suite: the real :class:`TelegramAdapter` (real python-telegram-bot
client, real lifecycle) against the local fake Bot API server, over real services built by the
composition root (SQLite file in ``tmp_path``, the real arXiv clients against the fake arXiv,
the real OpenAI client against the fake model server) with a fixed clock.

Zero request intervals and millisecond retry delays are configuration, not synchronisation."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from telegram.ext import ContextTypes

from adapters.telegram import TelegramAdapter, TelegramLimits
from app.settings import AppSettings, load_app_settings
from app.wiring import open_services
from bot.commands import CommandRouter
from bot.delivery.chat_events import ChatEvents
from bot.services import Services
from tests.fakes.fake_arxiv import FakeArxiv
from tests.fakes.fake_openai import FakeOpenAI
from tests.fakes.fake_telegram import FakeTelegram
from tests.telegram.support import ATTENTION, FAST, NOW, TODAY, TgBot, UpdateLog


@pytest.fixture
async def arxiv() -> AsyncIterator[FakeArxiv]:
    async with FakeArxiv(TODAY, [ATTENTION]) as server:
        yield server


@pytest.fixture
async def llm() -> AsyncIterator[FakeOpenAI]:
    # Injected failures ask the client to retry after 1 ms instead of its 0.5 s, 1 s, ...
    async with FakeOpenAI(default_retry_after_ms=1) as server:
        yield server


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "bot.db"


@pytest.fixture
def settings(
    arxiv: FakeArxiv,
    llm: FakeOpenAI,
    tg: FakeTelegram,
    db_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> AppSettings:
    """Through the environment, as an operator configures the bot."""
    env = {
        "ARXIV_FEED_URL": arxiv.feed_url_template,
        "ARXIV_API_URL": arxiv.api_url,
        "ARXIV_PDF_URL": arxiv.pdf_url_template,
        "ARXIV_HTML_URL": arxiv.html_url_template,
        "ARXIV_BOT_ARXIV_REQUEST_INTERVAL": "0",
        "ARXIV_BOT_ARXIV_RETRIES": "1",
        "ARXIV_BOT_ARXIV_RETRY_DELAY": "0.01",
        "OPENAI_API_KEY": "sk-test",
        "OPENAI_BASE_URL": llm.base_url,
        "DATABASE_URL": f"sqlite:///{db_path}",
        "TELEGRAM_BOT_TOKEN": tg.token,
        "TELEGRAM_API_URL": tg.api_base,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return load_app_settings()


OpenServices = Callable[[], AbstractAsyncContextManager[Services]]


@pytest.fixture
def open_fixed_services(settings: AppSettings) -> OpenServices:
    """Services exactly as the composition root opens them, on the fixed clock; call it again
    after closing to "restart" on the same database."""

    @asynccontextmanager
    async def opener() -> AsyncIterator[Services]:
        async with open_services(settings) as services:
            services.clock = lambda: NOW
            services.summarizer.clock = lambda: NOW
            yield services

    return opener


@pytest.fixture
async def services(open_fixed_services: OpenServices) -> AsyncIterator[Services]:
    async with open_fixed_services() as opened:
        yield opened


RunBot = Callable[..., AbstractAsyncContextManager[TgBot]]


@pytest.fixture
def run_bot(tg: FakeTelegram, settings: AppSettings) -> RunBot:
    """``async with run_bot(services) as bot``: a started adapter (getMe, setMyCommands,
    polling), stopped on the way out. Handler errors fail the test."""

    @asynccontextmanager
    async def runner(
        services: Services, *, limits: TelegramLimits | None = FAST, **kwargs: Any
    ) -> AsyncIterator[TgBot]:
        adapter = TelegramAdapter(
            token=tg.token,
            router=CommandRouter(services),
            events=ChatEvents(services.store),
            api_url=tg.api_base,
            admin_cache_seconds=kwargs.pop("admin_cache_seconds", settings.admin_cache_seconds),
            limits=limits,
            **kwargs,
        )
        log = UpdateLog()
        log.attach(adapter)
        bot = TgBot(tg, adapter, services, log)

        async def record(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
            assert context.error is not None
            bot.errors.append(context.error)

        adapter.app.add_error_handler(record)
        await adapter.start()
        try:
            yield bot
        finally:
            await adapter.stop()
        assert not bot.errors, f"handler errors: {bot.errors!r}"
        # What holds for every message and every press, whatever the test was about.
        for message in tg.sent:
            assert message.link_preview_options == {"is_disabled": True}, message.text[:80]
            assert message.reply_parameters is None, "replies never quote"
            assert all(0 < len(d.encode()) <= 64 for d in message.callback_data)
        pressed = sum("callback_query" in update for update in tg.injected)
        answered = tg.calls_of("answerCallbackQuery")
        assert len(answered) == pressed, "every callback query is answered"

    return runner


@pytest.fixture
async def bot(run_bot: RunBot, services: Services) -> AsyncIterator[TgBot]:
    async with run_bot(services) as running:
        yield running
