"""Instances sharing a database (issue #16): Telegram lets one consumer per bot poll for
updates (a second ``getUpdates`` gets 409 Conflict), so only the leading instance polls and
the others only send; a webhook is every instance's."""

from __future__ import annotations

import asyncio

import pytest

from adapters.telegram import TelegramLimits
from app.settings import AppSettings, load_app_settings
from app.wiring import build_adapters, webhook_secret
from bot.contract.adapter import LeaderUpdates
from bot.contract.chats import ChatRef
from bot.contract.messages import reply
from bot.services import Services
from storage import PostgresStore
from tests.fakes.fake_telegram import FakeTelegram, FloodLimits
from tests.telegram.conftest import RunBot
from tests.telegram.support import USER, WAIT, TgBot


async def test_only_the_leader_polls_and_another_takes_over_when_it_stops_leading(
    run_bot: RunBot, services: Services, tg: FakeTelegram
) -> None:
    async with (
        run_bot(services, poll_when_leading=True) as first,
        run_bot(services, poll_when_leading=True) as second,
    ):
        assert tg.calls_of("getUpdates") == []  # started, sending only, until told
        await first.adapter.set_leading(True)
        await second.adapter.set_leading(False)
        assert len(await first.exchange(USER, "/start")) == 1
        # The other instance sends all the same (its claimed digests).
        await second.adapter.send(ChatRef("telegram", str(USER), "private"), reply("hi"))
        assert tg.sent_to(USER)[-1].text == "hi"

        await first.adapter.set_leading(False)  # e.g. its database connection broke
        await second.adapter.set_leading(True)
        assert len(await second.exchange(USER, "/start")) == 1
        await second.adapter.set_leading(True)  # told again: nothing changes
        assert len(await second.exchange(USER, "/help")) >= 1

    assert [r for r in tg.rejections if r.status == 409] == []  # never two pollers


async def test_sqlite_polls_from_the_start_and_postgresql_waits_for_leadership(
    settings: AppSettings, services: Services, tg: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    (sole,) = build_adapters(settings, services)
    assert isinstance(sole, LeaderUpdates)
    await sole.start()
    try:
        async with asyncio.timeout(WAIT):
            await tg.wait_for_call("getUpdates")
    finally:
        await sole.stop()

    monkeypatch.setenv("DATABASE_URL", "postgresql://bot@db.example/arxiv")
    shared = load_app_settings()
    (waiting,) = build_adapters(shared, services)
    calls = len(tg.calls_of("getUpdates"))
    await waiting.start()
    try:
        assert len(tg.calls_of("getUpdates")) == calls
        tg.send_text(USER, "/start")
        await waiting.set_leading(True)  # type: ignore[attr-defined]
        async with asyncio.timeout(WAIT):
            await tg.wait_for_sent(1, USER)
    finally:
        await waiting.stop()


def test_instances_sharing_a_webhook_register_the_same_secret(
    settings: AppSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TELEGRAM_WEBHOOK_URL", "https://bot.example.org/telegram")
    alone = load_app_settings()
    assert webhook_secret(alone) != webhook_secret(alone)  # SQLite: a new one each start
    monkeypatch.setenv("DATABASE_URL", "postgresql://bot@db.example/arxiv")
    shared = load_app_settings()
    secret = webhook_secret(shared)
    assert secret == webhook_secret(load_app_settings())
    assert 1 <= len(secret) <= 256
    assert secret.replace("-", "").replace("_", "").isalnum()
    assert shared.telegram_bot_token is not None
    assert shared.telegram_bot_token.get_secret_value() not in secret
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "chosen_by-me")
    assert webhook_secret(load_app_settings()) == "chosen_by-me"


@pytest.mark.postgres
async def test_instances_sending_at_once_keep_telegrams_limit_together(
    run_bot: RunBot, services: Services, tg: FakeTelegram, postgres_url: str
) -> None:
    """Each instance alone would send 20 messages a second; together they must too."""
    tg.limits = FloodLimits(global_per_second=20, per_chat_per_second=1, per_group_per_minute=20)
    limits = TelegramLimits(overall_per_second=20)
    stores = [await PostgresStore.open(postgres_url, instance=f"i{n}") for n in range(2)]
    try:
        async with (
            run_bot(services, limits=limits, shared=stores[0]) as first,
            run_bot(services, limits=limits, shared=stores[1]) as second,
        ):

            async def fan_out(bot: TgBot, chats: range) -> None:
                await asyncio.gather(
                    *(bot.adapter.send(ChatRef("telegram", str(c), "private"), reply("hi"))
                      for c in chats)
                )  # fmt: skip

            async with asyncio.timeout(WAIT):
                await asyncio.gather(
                    fan_out(first, range(1000, 1015)), fan_out(second, range(2000, 2015))
                )
    finally:
        for store in stores:
            await store.close()

    assert len(tg.sent) == 30
    assert [r for r in tg.rejections if r.status == 429] == []
