"""Fixtures for the feeds suite: real services from the composition root (a SQLite file in
``tmp_path``, the real arXiv clients against the local fake arXiv, the real OpenAI client
against the local fake model server), the real HTTP server of ``arxiv-bot run`` with the feed
routes on a free local port, the real command router, and the real delivery service that
stores each announcement.

Zero request intervals and millisecond retry delays are configuration, not synchronisation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from aiohttp import ClientSession
from multidict import CIMultiDictProxy

from adapters.http.feed_routes import FeedRoutes
from adapters.http.server import HttpServer, make_app
from app.wiring import make_delivery, open_services
from bot.commands import CommandRouter
from bot.config import Settings, load_settings
from bot.contract.chats import CommandContext
from bot.contract.messages import Reply
from bot.delivery.service import DeliveryService
from bot.model.store import Batch
from bot.services import Services
from tests.fakes.fake_arxiv import FakeArxiv, FakePaper
from tests.fakes.fake_openai import FAKE_MODEL, FakeOpenAI
from tests.feeds.support import (
    DAY1,
    DAY1_PAPERS,
    FETCHED1,
    OPERATOR_ENV,
    PUBLIC_URL,
    free_port,
)
from tests.harness import CommandBot


@pytest.fixture
async def arxiv() -> AsyncIterator[FakeArxiv]:
    async with FakeArxiv(DAY1_PAPERS, announce_date=DAY1) as server:
        yield server


@pytest.fixture
async def llm() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI(default_retry_after_ms=1) as server:
        yield server


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "bot.db"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Answer:
    status: int
    headers: CIMultiDictProxy[str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


@dataclass
class World:
    """One running bot (no chat platform) and the outside world it talks to."""

    arxiv: FakeArxiv
    llm: FakeOpenAI
    settings: Settings
    services: Services
    router: CommandRouter
    delivery: DeliveryService
    client: ClientSession
    port: int
    clock: Clock
    db_path: Path

    async def announce(
        self, papers: Iterable[FakePaper], announced: datetime, fetched_at: datetime
    ) -> Batch:
        """arXiv announces ``papers``; the bot's scheduled fetch stores the batch."""
        self.arxiv.papers[:] = list(papers)
        self.arxiv.announce_date = announced
        self.clock.now = fetched_at
        batch = await self.delivery.fetch(force=True)
        assert batch is not None, "the fetch stored no batch"
        return batch

    async def get(self, path: str, method: str = "GET", **headers: str) -> Answer:
        async with self.client.request(method, path, headers=headers) as response:
            body = await response.read()
            return Answer(response.status, response.headers, body)

    async def send(self, ctx: CommandContext, text: str) -> Reply:
        return await CommandBot(self.services, self.router).send(ctx, text)

    def outbound(self) -> tuple[int, int]:
        """Requests the bot has made so far: to arXiv, and to the model."""
        return len(self.arxiv.requests), self.llm.attempts


OpenWorld = Callable[..., AbstractAsyncContextManager[World]]


@pytest.fixture
def open_world(
    arxiv: FakeArxiv, llm: FakeOpenAI, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> OpenWorld:
    """Start the bot with the operator's settings (through the environment, as an operator
    configures it); keyword arguments add or override variables (None removes one)."""

    @asynccontextmanager
    async def opener(**env: str | None) -> AsyncIterator[World]:
        environ: dict[str, str | None] = {
            **OPERATOR_ENV,
            "ARXIV_FEED_URL": arxiv.feed_url_template,
            "ARXIV_API_URL": arxiv.api_url,
            "ARXIV_PDF_URL": arxiv.pdf_url_template,
            "ARXIV_HTML_URL": arxiv.html_url_template,
            "ARXIV_BOT_ARXIV_REQUEST_INTERVAL": "0",
            "ARXIV_BOT_ARXIV_RETRIES": "1",
            "ARXIV_BOT_ARXIV_RETRY_DELAY": "0.01",
            "DATABASE_URL": f"sqlite:///{db_path}",
            "OPENAI_API_KEY": "sk-test",
            "OPENAI_BASE_URL": llm.base_url,
            "ARXIV_BOT_LLM_MODEL": FAKE_MODEL,
            "ARXIV_BOT_LLM_RETRIES": "0",
            "PUBLIC_URL": PUBLIC_URL,
            "FEED_TOKEN_SECRET": None,  # the key file next to the database
            **env,
        }
        for name, value in environ.items():
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value)
        settings = load_settings()
        clock = Clock(FETCHED1)
        async with open_services(settings) as services:
            services.clock = clock
            # The real server of `arxiv-bot run` (its runner, its logging) on a free port.
            app = make_app(services, FeedRoutes(services).routes())
            server = HttpServer(app, "127.0.0.1", free_port())
            await server.start()
            try:
                async with ClientSession(f"http://127.0.0.1:{server.port}") as client:
                    yield World(
                        arxiv=arxiv,
                        llm=llm,
                        settings=settings,
                        services=services,
                        router=CommandRouter(services),
                        delivery=make_delivery(services, []),
                        client=client,
                        port=server.port,
                        clock=clock,
                        db_path=db_path,
                    )
            finally:
                await server.stop()

    return opener


@pytest.fixture
async def world(open_world: OpenWorld) -> AsyncIterator[World]:
    async with open_world() as running:
        yield running


@pytest.fixture
async def day1(world: World) -> Batch:
    """The first announcement, stored by the bot's fetch."""
    return await world.announce(DAY1_PAPERS, DAY1, FETCHED1)


async def raw_request(port: int, head: bytes) -> bytes:
    """Send ``head`` (a request line and headers, no blank line) as is, over a fresh
    connection, and read the whole answer: paths the client library would normalise reach
    the server untouched."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(head + b"\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        await writer.drain()
        return await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.close()
        await writer.wait_closed()
