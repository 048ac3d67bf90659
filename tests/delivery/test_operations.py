"""Operating the bot: /status for operators, /healthz and /metrics on the HTTP port, and the
scheduler that runs the delivery rounds."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from adapters.platform_starter import PlatformStarter
from adapters.telegram import TelegramAdapter
from bot import __version__
from bot.chat_events import ChatEvents
from bot.chats import ChatRef, CommandContext
from bot.commands import CommandRouter
from bot.http_server import HttpServer, make_app
from bot.messages import BulletList, Heading, Paragraph, Reply, error, plain_text
from bot.platforms import UNHEALTHY_AFTER, PlatformStatus
from bot.scheduler import make_scheduler
from tests.delivery.recording_sender import RecordingSender
from tests.delivery.support import (
    TUESDAY,
    Clock,
    World,
    announced,
    settings,
    subscription,
    utc,
)
from tests.fakes.fake_arxiv import FakeArxiv
from tests.fakes.fake_openai import FakeOpenAI
from tests.fakes.fake_telegram import FakeTelegram

WAIT = 10.0
OPERATOR = CommandContext(ChatRef("test", "op", "private"), "op", is_admin=True)


def text(reply: Reply) -> str:
    lines: list[str] = []
    for block in reply.blocks:
        if isinstance(block, Paragraph | Heading):
            lines.append(plain_text(block.inlines))
        elif isinstance(block, BulletList):
            lines.extend(plain_text(item) for item in block.items)
    return "\n".join(lines)


@pytest.fixture
async def busy_world(
    db_path: Path, arxiv: FakeArxiv, clock: Clock, sender: RecordingSender, llm: FakeOpenAI
) -> AsyncIterator[World]:
    """Tuesday 12:00: one digest done, one failed (the chat blocked the bot), one waiting
    for a retry; summaries made by the model."""
    config = settings(operators=["test:op", "telegram:42"], summary_workers=4)
    world = await World(db_path, arxiv, clock, sender, llm=llm, config=config).open()
    try:
        await world.subscribe(subscription("a"))
        await world.subscribe(subscription("blocked"))
        await world.subscribe(subscription("retrying"))
        sender.fail("blocked", "gone")
        sender.fail("retrying", "transient", at=1)
        await world.at(announced(TUESDAY))
        await world.at(utc(TUESDAY, "08:00"))
        world.clock.set(utc(TUESDAY, "08:01"))  # before the retry
        yield world
    finally:
        await world.close()


async def test_status_shows_operators_how_delivery_is_going(busy_world: World) -> None:
    services = busy_world.services()
    services.started_at = utc(TUESDAY, "06:55")
    router = CommandRouter(services)
    answer = await router.handle_text(OPERATOR, "/status")
    assert answer is not None
    assert answer.tone != "error"
    assert answer.private
    shown = text(answer)
    assert f"Version {__version__}, up 1h 6m" in shown
    assert "Latest announcement 2026-11-24: 4 papers, fetched 2026-11-24T01:00+00:00" in shown
    assert f"Last fetch attempt: {announced(TUESDAY).isoformat()}" in shown
    assert "Digests for it: 0 due, 1 in progress, 1 done, 1 failed, 0 skipped" in shown
    assert "test:blocked: gone: gone (test platform)" in shown
    usage = await busy_world.store.llm_usage(TUESDAY)
    assert usage.calls == 2  # the two LLM papers in cs.LG, once each for three chats
    assert (
        f"Model today: 2 calls, {usage.prompt_tokens} prompt + {usage.completion_tokens} "
        "completion tokens" in shown
    )
    assert usage.prompt_tokens > 0


@pytest.mark.parametrize(
    "who",
    [
        CommandContext(ChatRef("test", "someone", "private"), "someone", is_admin=True),
        CommandContext(ChatRef("telegram", "op", "private"), "op", is_admin=True),
        CommandContext(ChatRef("test", "-100", "group"), "42", is_admin=True),
    ],
)
async def test_status_is_refused_to_everyone_else(busy_world: World, who: CommandContext) -> None:
    router = CommandRouter(busy_world.services())
    answer = await router.handle_text(who, "/status")
    assert answer is not None
    assert answer.tone == "error"
    assert text(answer) == "/status is for the bot's operators."


async def test_status_before_the_first_fetch(world: World) -> None:
    world.settings = settings(operators=["test:op"])
    router = CommandRouter(world.services())
    answer = await router.handle_text(OPERATOR, "/status")
    assert answer is not None
    assert "No announcement fetched yet" in text(answer)
    assert "Last fetch attempt: never" in text(answer)


METRICS = (
    "arxiv_bot_info",
    "arxiv_bot_uptime_seconds",
    "arxiv_bot_digests_total",
    "arxiv_bot_digest_failures_total",
    "arxiv_bot_messages_total",
    "arxiv_bot_queue_depth",
    "arxiv_bot_llm_calls_today",
    "arxiv_bot_llm_tokens_today",
    "arxiv_bot_last_fetch_timestamp_seconds",
)


async def test_healthz_and_metrics_on_the_http_port(busy_world: World) -> None:
    server = HttpServer(make_app(busy_world.services()), "127.0.0.1", 0)
    await server.start()
    try:
        assert server.port != 0
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
            health = await client.get("/healthz")
            metrics = await client.get("/metrics")
    finally:
        await server.stop()
    assert (health.status_code, health.text) == (200, "ok\n")
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    lines = metrics.text.splitlines()
    for name in METRICS:
        assert f"# TYPE {name} " in metrics.text, name
        assert any(line.startswith(name) for line in lines), name
    assert f'arxiv_bot_info{{version="{__version__}"}} 1' in lines
    assert 'arxiv_bot_digests_total{outcome="delivered"} 1' in lines
    assert 'arxiv_bot_digests_total{outcome="failed"} 1' in lines
    assert 'arxiv_bot_digest_failures_total{reason="gone"} 1' in lines
    assert "arxiv_bot_messages_total 3" in lines  # "a": a header and two cards
    assert "arxiv_bot_queue_depth 1" in lines  # "retrying"
    fetched = announced(TUESDAY).timestamp()
    assert f"arxiv_bot_last_fetch_timestamp_seconds {fetched:g}" in lines


async def test_the_scheduler_runs_rounds_at_once_and_survives_a_failing_one() -> None:
    rounds = 0
    second = asyncio.Event()

    async def delivery_round() -> None:
        nonlocal rounds
        rounds += 1
        if rounds == 1:
            raise RuntimeError("a round failed")
        second.set()

    scheduler = make_scheduler({"delivery": (delivery_round, 0.05)})
    scheduler.start()
    try:
        job = scheduler.get_job("delivery")
        assert job is not None
        # A busy loop must not make APScheduler drop rounds (its default grace is 1 s).
        assert job.misfire_grace_time is None
        assert job.coalesce is True
        assert job.max_instances == 1
        assert str(scheduler.timezone) == "UTC"
        async with asyncio.timeout(WAIT):
            await second.wait()
    finally:
        scheduler.shutdown(wait=False)
    assert rounds >= 2


async def test_a_platform_down_at_start_shows_in_status_and_healthz_until_it_is_back(
    busy_world: World,
) -> None:
    """Telegram unreachable at start (a proxy's 502): retried in the background; after the
    first retries /status names it and /healthz answers 503 with the reason; once it answers
    it runs, and both say so."""
    services = busy_world.services()
    router = CommandRouter(services)
    async with FakeTelegram() as tg:
        tg.fail_next("getMe", 502, body=b"<html>502 Bad Gateway</html>", times=1000)
        adapter = TelegramAdapter(
            token=tg.token, router=router, events=ChatEvents(busy_world.store),
            api_url=tg.api_base,
        )  # fmt: skip
        status = services.platforms["telegram"] = PlatformStatus("telegram", busy_world.clock())
        starter = PlatformStarter(
            adapter, status, on_up=lambda: None, clock=busy_world.clock,
            first_delay=0.05, max_delay=0.2,
        )  # fmt: skip
        server = HttpServer(make_app(services), "127.0.0.1", 0)
        await server.start()
        await starter.start()
        try:
            async with asyncio.timeout(WAIT):
                # The fourth attempt comes after the third failure was recorded.
                await tg.wait_until(lambda: len(tg.rejections) >= UNHEALTHY_AFTER + 1)
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as http:
                down = await http.get("/healthz")
                assert down.status_code == 503
                assert down.text.startswith("Telegram: unreachable since 2026-11-24 08:01 UTC")
                assert "Bad Gateway" in down.text
                report = text(await router.handle_text(OPERATOR, "/status") or error("none"))
                assert "Telegram: unreachable since 2026-11-24 08:01 UTC" in report

                tg.clear_failures()
                async with asyncio.timeout(WAIT):
                    await tg.wait_for_call("getUpdates")
                up = await http.get("/healthz")
                assert (up.status_code, up.text) == (200, "ok\n")
                report = text(await router.handle_text(OPERATOR, "/status") or error("none"))
                assert "Telegram: running since 2026-11-24 08:01 UTC" in report
        finally:
            await starter.stop()
            await server.stop()
    assert status.state == "up"
    assert not adapter.app.running
