"""Several ``arxiv-bot run`` processes on one PostgreSQL database (issue #16), for real:
every digest goes out once, one instance polls Telegram, and when it is SIGKILLed another
leads, polls and answers within a few heartbeats (shortened here by configuration)."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storage import PostgresStore
from tests.delivery.process_day import all_arrived, papers, subscribe_due
from tests.delivery.processes import BotProcess, bot_env
from tests.fakes.fake_arxiv import FakeArxivThread
from tests.fakes.fake_telegram import FakeTelegramThread
from tests.postgres import fetch_rows

pytestmark = pytest.mark.postgres

WAIT = 60.0
USER = 777


async def prepare(url: str, now: datetime) -> None:
    store = await PostgresStore.open(url)
    try:
        await subscribe_due(store, now)
    finally:
        await store.close()


async def test_two_instances_send_each_digest_once_and_one_takes_over_from_a_killed_leader(
    postgres_url: str, tmp_path: Path
) -> None:
    await prepare(postgres_url, datetime.now(UTC))
    with FakeTelegramThread() as tg, FakeArxivThread(papers()) as arxiv:
        env = bot_env(
            tmp_path / "unused.db",
            tg,
            arxiv,
            DATABASE_URL=postgres_url,
            ARXIV_BOT_DELIVERY_GRACE_HOURS="2",
            ARXIV_BOT_HEARTBEAT_SECONDS="0.5",
        )
        bots = [BotProcess(env, tmp_path / f"bot{n}.log") for n in range(2)]
        try:
            for bot in bots:
                await bot.start()
            async with asyncio.timeout(WAIT):
                await tg.wait_until(lambda: all_arrived(tg))
            sent = Counter((m.chat_id, m.text) for m in tg.sent)
            assert [k for k, n in sent.items() if n > 1] == []  # each message once
            assert [r for r in tg.rejections if r.status == 409] == []  # one poller

            rows = fetch_rows(postgres_url, "SELECT pid, leader FROM instances")
            assert sorted(r["leader"] for r in rows) == [0, 1]
            leader_pid = next(r["pid"] for r in rows if r["leader"])
            leader = next(b for b in bots if b.pid == leader_pid)
            survivor = next(b for b in bots if b is not leader)
            await leader.kill()

            tg.send_text(USER, "/start")  # taken by the new leader's polling
            async with asyncio.timeout(WAIT):
                await tg.wait_for_sent(1, USER)
            rows = fetch_rows(postgres_url, "SELECT pid, leader FROM instances")
            assert {(r["pid"], r["leader"]) for r in rows} >= {(survivor.pid, 1)}
            assert await survivor.stop() == 0, survivor.log()
        finally:
            for bot in bots:
                await bot.ensure_stopped()
        logs = "".join(b.log() for b in bots)
        assert "Traceback" not in logs, logs[-3000:]
