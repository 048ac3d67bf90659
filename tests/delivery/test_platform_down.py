"""``arxiv-bot run`` started while Telegram is unreachable: it keeps running what it can (the
HTTP port, the scheduler), retries Telegram in the background, says so on /healthz (503 once
the first retries failed), and starts polling and delivering as soon as Telegram is back."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

from tests.delivery.processes import BotProcess, bot_env, due_subscriptions
from tests.fakes.fake_arxiv import FakeArxivThread, FakePaper
from tests.fakes.fake_telegram import FakeTelegram, FakeTelegramThread
from tests.feeds.support import free_port

WAIT = 30.0
POLL_INTERVAL = 0.1  # between requests to the other process; bounded by WAIT
CHAT = 7201
HTML_502 = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
PAPERS = [
    FakePaper(
        arxiv_id="2611.00001",
        title="LLM serving at scale",
        abstract="We study LLM serving. More detail follows here.",
        authors=["Ada Lovelace"],
        categories=["cs.LG"],
    )
]


async def healthz_until(
    session: aiohttp.ClientSession, bot: BotProcess, status: int
) -> tuple[int, str]:
    """GET /healthz until it answers ``status`` (the bot must stay up meanwhile)."""
    async with asyncio.timeout(WAIT):
        while True:
            assert bot.proc is not None
            assert bot.proc.returncode is None, f"arxiv-bot exited:\n{bot.log()[-3000:]}"
            try:
                async with session.get("/healthz") as response:
                    if response.status == status:
                        return response.status, await response.text()
            except aiohttp.ClientConnectionError:
                pass  # not listening yet
            await asyncio.sleep(POLL_INTERVAL)


def digest_arrived(tg: FakeTelegram) -> bool:
    return any(m.text.startswith("arXiv digest") for m in tg.sent_to(CHAT))


async def test_telegram_down_at_start_is_retried_reported_and_delivers_once_back(
    tmp_path: Path,
) -> None:
    db_path = tmp_path / "data" / "bot.db"
    await due_subscriptions(db_path, [str(CHAT)], datetime.now(UTC))
    port = free_port()
    with FakeTelegramThread() as tg, FakeArxivThread(PAPERS) as arxiv:
        tg.fail_next("getMe", 502, body=HTML_502, times=1000)  # a proxy in front of it
        env = bot_env(
            db_path, tg, arxiv,
            ARXIV_BOT_HTTP_PORT=str(port),
            ARXIV_BOT_PLATFORM_RETRY_SECONDS="0.1",
            ARXIV_BOT_PLATFORM_RETRY_MAX_SECONDS="0.5",
            ARXIV_BOT_DELIVERY_GRACE_HOURS="2",
        )  # fmt: skip
        bot = await BotProcess(env, tmp_path / "bot.log").start()
        try:
            async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as http:
                _, down = await healthz_until(http, bot, 503)
                assert "Telegram: unreachable since" in down, down
                assert "502" in down or "NetworkError" in down, down
                assert len(tg.rejections) >= 3  # retried
                assert not tg.calls_of("getUpdates")

                tg.clear_failures()  # Telegram is back
                async with asyncio.timeout(WAIT):
                    await tg.wait_for_call("getUpdates")
                    await tg.wait_until(lambda: digest_arrived(tg))
                _, ok = await healthz_until(http, bot, 200)
                assert ok == "ok\n"
            assert await bot.stop(WAIT) == 0, bot.log()
        finally:
            await bot.ensure_stopped()
    log = bot.log()
    assert "Telegram is unreachable" in log
    assert "Telegram is reachable again" in log
    assert "Traceback" not in log
    assert tg.token.split(":", 1)[1] not in log
