"""Fixtures for the Discord suite: the real :class:`DiscordAdapter` (real discord.py) against a
local fake Discord, over the real command layer and services built by the composition root
(SQLite in ``tmp_path``, the real arXiv clients against a local fake arXiv, the real OpenAI
client against a local fake OpenAI).

Zero request intervals and millisecond retry delays are configuration, not synchronisation.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import discord.gateway
import discord.http
import pytest

from adapters.discord import DiscordAdapter
from app.settings import AppSettings, load_app_settings
from app.wiring import open_services
from bot.commands import CommandRouter
from bot.delivery.chat_events import ChatEvents
from bot.model.subscriptions import Subscription
from bot.services import Services
from tests.discord.support import (
    ATTENTION,
    CHAN,
    CHAN2,
    CHAN3,
    CHAN_G2,
    GUILD,
    GUILD2,
    TIMEOUT,
    TODAY,
    Response,
    all_text,
)
from tests.fakes.fake_arxiv import FakeArxiv
from tests.fakes.fake_discord import ADMIN_PERMS, FakeDiscord
from tests.fakes.fake_openai import FakeOpenAI


@pytest.fixture(autouse=True)
def restore_discord_py() -> Any:
    """The adapter points discord.py at the fake through two class attributes: put them back
    so no other test inherits them."""
    base = discord.http.Route.BASE
    gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    yield
    discord.http.Route.BASE = base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway


@pytest.fixture
async def arxiv() -> AsyncIterator[FakeArxiv]:
    async with FakeArxiv(TODAY, [ATTENTION]) as server:
        yield server


@pytest.fixture
async def llm() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI(default_retry_after_ms=1) as server:
        yield server


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord(guilds={GUILD: [CHAN, CHAN2, CHAN3], GUILD2: [CHAN_G2]}) as server:
        yield server


@pytest.fixture
def settings(
    arxiv: FakeArxiv,
    llm: FakeOpenAI,
    fake: FakeDiscord,
    tmp_path: Path,
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
        "DATABASE_URL": f"sqlite:///{tmp_path / 'data' / 'bot.db'}",
        "OPENAI_API_KEY": "sk-test",
        "OPENAI_BASE_URL": llm.base_url,
        "ARXIV_BOT_LLM_MODEL": "fake-model",
        "ARXIV_BOT_LLM_RETRIES": "0",
        "DISCORD_BOT_TOKEN": fake.token,
        "DISCORD_API_URL": fake.api_base,
        "DISCORD_GATEWAY_URL": fake.gateway_url,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return load_app_settings()


@dataclass
class Bot:
    """The real adapter(s) over the real command layer; the fake Discord they talk to."""

    fake: FakeDiscord
    services: Services
    router: CommandRouter
    events: ChatEvents
    settings: AppSettings
    adapters: list[DiscordAdapter] = field(default_factory=list)

    async def start(self, **options: Any) -> DiscordAdapter:
        """A new adapter with its real lifecycle: login (setup_hook syncs the commands),
        then the gateway; returns once the fake has sent READY and every GUILD_CREATE."""
        options.setdefault("guild_ready_timeout", 0.05)
        adapter = DiscordAdapter(
            token=self.fake.token,
            router=self.router,
            events=self.events,
            api_url=self.fake.api_base,
            gateway_url=self.fake.gateway_url,
            **options,
        )
        return await self.run(adapter)

    async def run(self, adapter: DiscordAdapter) -> DiscordAdapter:
        self.adapters.append(adapter)
        readies = self.fake.ready_count
        await adapter.start()
        async with asyncio.timeout(TIMEOUT):
            await self.fake.wait_ready(readies + 1)
        return adapter

    async def stop(self) -> None:
        while self.adapters:
            await self.adapters.pop().stop()

    async def slash(
        self, name: str, options: Mapping[str, Any] | None = None, *, n: int = 1, **kw: Any
    ) -> list[Response]:
        """Run ``/name`` and return its first ``n`` responses (callback, then follow-ups)."""
        iid = self.fake.slash(name, options, **kw)
        async with asyncio.timeout(TIMEOUT):
            return await self.fake.wait_for_responses(iid, n)

    async def slash_until(
        self, name: str, options: Mapping[str, Any] | None, marker: str, **kw: Any
    ) -> list[Response]:
        """Run ``/name`` and return its responses once ``marker`` shows in them (for answers
        of several messages)."""
        iid = self.fake.slash(name, options, **kw)
        async with asyncio.timeout(TIMEOUT):
            await self.fake.wait_for(lambda: marker in all_text(self.fake.responses_for(iid)))
        return self.fake.responses_for(iid)

    async def subscription(self, chat_id: int | str) -> Subscription | None:
        return await self.services.store.get_subscription("discord", str(chat_id))

    async def stored(self, chat_id: int | str) -> Subscription:
        found = await self.subscription(chat_id)
        assert found is not None, f"discord:{chat_id} has no stored subscription"
        return found

    async def subscribe(self, chat_id: int, categories: str = "cs.AI cs.LG") -> Subscription:
        """Set a channel up the way an administrator would, through the slash command."""
        await self.slash(
            "subscribe", {"categories": categories}, channel_id=chat_id, permissions=ADMIN_PERMS
        )
        return await self.stored(chat_id)


@pytest.fixture
async def bot(settings: AppSettings, fake: FakeDiscord) -> AsyncIterator[Bot]:
    async with open_services(settings) as services:
        router = CommandRouter(services)
        made = Bot(fake, services, router, ChatEvents(services.store), settings)
        try:
            yield made
        finally:
            await made.stop()
