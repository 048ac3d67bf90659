"""End to end through the real Telegram adapter (python-telegram-bot, our pacing and error
mapping) against the local fake Bot API enforcing Telegram's flood limits: a 429 storm, a
chat that blocked the bot, and every digest arriving exactly once."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from adapters.telegram import TelegramAdapter, TelegramLimits
from bot.commands import CommandRouter
from bot.delivery.chat_events import ChatEvents
from tests.delivery.support import (
    TUESDAY,
    WEDNESDAY,
    World,
    announce,
    announced,
    subscription,
    utc,
)
from tests.fakes.fake_telegram import FakeTelegram, FloodLimits

WAIT = 20.0
WIDE = ("cs.LG", "cs.AI", "cs.CL", "math.OC")
PRIVATE = [1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009, 1010]
GROUPS = [-2001, -2002]
BLOCKED = 1005

# PTB 22 warns that RetryAfter.retry_after will become a timedelta; the adapter takes both.
pytestmark = pytest.mark.filterwarnings("ignore:Deprecated since version v22.2")


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(limits=FloodLimits(30, 1, 20)) as server:
        yield server


@pytest.fixture
async def adapter(world: World, tg: FakeTelegram) -> AsyncIterator[TelegramAdapter]:
    services = world.services()
    running = TelegramAdapter(
        token=tg.token,
        router=CommandRouter(services),
        events=ChatEvents(world.store),
        api_url=tg.api_base,
        limits=TelegramLimits(),  # Telegram's published limits: 30/s, 1/s a chat, 20/min
    )
    await running.start()
    world.service.senders["telegram"] = running
    try:
        yield running
    finally:
        await running.stop()


async def test_every_digest_arrives_once_through_a_429_storm_and_a_blocked_chat(
    world: World, tg: FakeTelegram, adapter: TelegramAdapter
) -> None:
    for chat_id in PRIVATE:
        sub = subscription(str(chat_id), categories=WIDE)
        await world.subscribe(replace(sub, platform="telegram"))
    for chat_id in GROUPS:
        sub = subscription(str(chat_id), categories=WIDE, keywords=("LLM", "experts"))
        await world.subscribe(replace(sub, platform="telegram", chat_kind="group"))
    tg.blocked.add(BLOCKED)
    await world.at(announced(TUESDAY))
    tg.fail_next("sendMessage", 429, times=12)  # a storm: every send for a while is refused
    world.clock.set(utc(TUESDAY, "08:00"))
    async with asyncio.timeout(WAIT):
        await world.tick()
        # A message refused more often than the adapter retries is rescheduled: later rounds.
        for _ in range(5):
            if not await world.store.pending_deliveries(world.clock.advance(minutes=1)):
                break
            await world.tick()
    assert not await world.store.pending_deliveries(utc(TUESDAY, "23:59"))

    refused = [r for r in tg.rejections if r.method == "sendMessage"]
    assert sum(1 for r in refused if r.status == 429) >= 12
    receivers = {m.chat_id for m in tg.sent}
    assert receivers == (set(PRIVATE) | set(GROUPS)) - {BLOCKED}
    for chat_id in receivers:
        texts = [m.text for m in tg.sent_to(chat_id)]
        assert len(texts) == len(set(texts)), f"{chat_id} got a message twice"
        row = world.row(str(chat_id), TUESDAY)
        assert (row["state"], row["messages_sent"]) == ("done", len(texts))
        assert texts[0].startswith("arXiv digest · Tue 24 Nov 2026")
    assert Counter(r["state"] for r in world.ledger()) == {"done": 11, "failed": 1}

    # The blocked chat: failed with Telegram's reason, and deactivated.
    row = world.row(str(BLOCKED), TUESDAY)
    assert row["state"] == "failed"
    assert "blocked by the user" in row["detail"]
    sub = await world.store.get_subscription("telegram", str(BLOCKED))
    assert sub is not None
    assert not sub.active
    assert "blocked by the user" in (sub.inactive_reason or "")
    # It is never tried again, not even on the next announcement day.
    assert sum(1 for r in refused if r.chat_id == BLOCKED and r.status == 403) == 1
    announce(world.arxiv, WEDNESDAY)
    await world.at(announced(WEDNESDAY))
    async with asyncio.timeout(WAIT):
        await world.at(utc(WEDNESDAY, "08:00"))
    assert all(r.chat_id != BLOCKED for r in tg.rejections[len(refused) :])
    assert {r["chat_id"] for r in world.ledger() if r["announcement_day"] == "2026-11-25"} == {
        str(c) for c in receivers
    }
