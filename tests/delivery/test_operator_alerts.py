"""The operators hear, in a direct message, when chats become unusable: one message per
operator per delivery round (however many chats went), each chat named once per change of its
state, with why and what fixes it; an operator who cannot be reached is logged. Through the
real Telegram adapter against the fake Bot API, and a real ``arxiv-bot run``."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapters.telegram import TelegramAdapter, TelegramLimits
from bot.commands import CommandRouter
from bot.contract.messages import reply
from bot.contract.outbound import DeliveryError
from bot.delivery.chat_events import ChatEvents
from bot.delivery.operator_alerts import OperatorAlerts
from bot.delivery.unusable import fix_for
from tests.delivery.processes import BotProcess, bot_env, due_subscriptions
from tests.delivery.support import (
    TUESDAY,
    WEDNESDAY,
    World,
    announce,
    announced,
    subscription,
    utc,
)
from tests.fakes.fake_arxiv import FakeArxivThread
from tests.fakes.fake_telegram import FakeTelegram, FakeTelegramThread, SentMessage
from tests.telegram.support import TODAY as LLM_PAPERS
from tests.telegram.support import UpdateLog

WAIT = 20.0
OPERATOR = 9001
BLOCKING_OPERATOR = 9002  # blocked the bot himself: cannot be told
FINE = [3001, 3003]
BLOCKED = [3002, 3004]
DEACTIVATED = 3005
FAST = TelegramLimits(overall_per_second=10_000, private_per_second=10_000,
                      group_per_minute=100_000)  # fmt: skip


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
def alerts() -> OperatorAlerts:
    operators = [f"telegram:{OPERATOR}", f"telegram:{BLOCKING_OPERATOR}", "discord:77"]
    return OperatorAlerts(operators, settle_seconds=1.0)


@pytest.fixture
async def adapter(
    world: World, tg: FakeTelegram, alerts: OperatorAlerts
) -> AsyncIterator[TelegramAdapter]:
    running = TelegramAdapter(
        token=tg.token,
        router=CommandRouter(world.services()),
        events=ChatEvents(world.store, alerts),
        api_url=tg.api_base,
        limits=FAST,
    )
    await running.start()
    world.service.senders["telegram"] = running
    alerts.add(running)  # as `arxiv-bot run` does once the platform is up
    try:
        yield running
    finally:
        await running.stop()


async def subscribe(world: World, *chat_ids: int) -> None:
    for chat_id in chat_ids:
        await world.subscribe(replace(subscription(str(chat_id)), platform="telegram"))


def told(tg: FakeTelegram) -> list[SentMessage]:
    return tg.sent_to(OPERATOR)


async def test_chats_that_go_in_a_round_are_one_message_per_operator_naming_each_and_its_fix(
    world: World,
    tg: FakeTelegram,
    adapter: TelegramAdapter,
    alerts: OperatorAlerts,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await subscribe(world, *FINE, *BLOCKED, DEACTIVATED)
    tg.blocked.update([*BLOCKED, BLOCKING_OPERATOR])
    tg.deactivated.add(DEACTIVATED)
    delivery_round = alerts.around(world.tick)  # as the scheduler runs it
    await world.at(announced(TUESDAY))
    world.clock.set(utc(TUESDAY, "08:00"))

    with caplog.at_level(logging.INFO):
        async with asyncio.timeout(WAIT):
            await delivery_round()

    assert {m.chat_id for m in tg.sent} - {OPERATOR} == set(FINE), "the digests went out"
    [message] = told(tg)
    text = message.text
    for chat_id in BLOCKED:
        assert f"telegram:{chat_id} (private chat): Forbidden: bot was blocked by the user" in text
    assert f"telegram:{DEACTIVATED} (private chat): Forbidden: user is deactivated" in text
    assert fix_for("Forbidden: bot was blocked by the user") in text
    assert fix_for("Forbidden: user is deactivated") in text
    assert "3 chats can no longer get digests" in text
    assert all(f"telegram:{chat_id}" not in text for chat_id in FINE)
    # The operator who blocked the bot, and the one on a platform that is not running: logged.
    logged = caplog.text
    assert f"operator telegram:{BLOCKING_OPERATOR} not told that 3 chats became unusable" in logged
    assert "operator discord:77 not told that 3 chats became unusable: discord is not running" in (
        logged
    )

    # Still unusable the next day: nothing new to tell (they are not even tried).
    announce(world.arxiv, WEDNESDAY)
    await world.at(announced(WEDNESDAY))
    world.clock.set(utc(WEDNESDAY, "08:00"))
    async with asyncio.timeout(WAIT):
        await delivery_round()
    assert len(told(tg)) == 1

    # Someone turns a chat back on (/resume) while the bot is still blocked there: it goes
    # again, a new change of state, told once more (alone).
    sub = await world.store.get_subscription("telegram", str(BLOCKED[0]))
    assert sub is not None
    await world.store.save_subscription(sub.changed(active=True, inactive_reason=None))
    async with alerts.round():
        with pytest.raises(DeliveryError):
            await adapter.send(sub.chat, reply("a digest"))
    [_, again] = told(tg)
    assert "1 chat can no longer get digests" in again.text
    assert f"telegram:{BLOCKED[0]} (private chat)" in again.text
    assert f"telegram:{BLOCKED[1]}" not in again.text


async def test_a_burst_of_removals_between_rounds_is_one_message(
    world: World, tg: FakeTelegram, adapter: TelegramAdapter, alerts: OperatorAlerts
) -> None:
    """Kicked from three groups at once (membership updates, no round running): the operator
    hears once, the groups named by their titles."""
    log = UpdateLog()
    log.attach(adapter)
    groups = [-7001, -7002, -7003]
    for n, chat_id in enumerate(groups):
        tg.add_chat(chat_id, "group", title=f"Reading group {n}")
        await world.subscribe(
            replace(subscription(str(chat_id)), platform="telegram", chat_kind="group")
        )
    private = 3006  # blocked by its user: named by the user's name
    tg.add_chat(private, "private", username="ada_l", first_name="Ada")
    await subscribe(world, private)

    updates = [tg.chat_member_update(chat_id, "kicked") for chat_id in [*groups, private]]
    await log.wait(*(u["update_id"] for u in updates))
    async with asyncio.timeout(WAIT):
        [message] = await tg.wait_for_sent(1, OPERATOR)

    assert "4 chats can no longer get digests" in message.text
    for n, chat_id in enumerate(groups):
        assert (
            f'telegram:{chat_id} ("Reading group {n}", group): the bot was removed from the chat'
        ) in message.text
    assert f'telegram:{private} ("@ada_l", private chat): the bot was blocked by the user' in (
        message.text
    )
    assert fix_for("the bot was removed from the chat") in message.text
    for chat_id in [*groups, private]:
        sub = await world.store.get_subscription("telegram", str(chat_id))
        assert sub is not None
        assert not sub.active


async def test_arxiv_bot_run_tells_its_operators_once_per_round(tmp_path: Path) -> None:
    """The composition root wires it: ``ARXIV_BOT_OPERATORS`` as operators write it, the
    digests of a round, two chats that blocked the bot, one message."""
    db_path = tmp_path / "data" / "bot.db"
    chats = [6001, 6002, 6003, 6004]
    blocked = [6002, 6004]
    await due_subscriptions(db_path, [str(c) for c in chats], datetime.now(UTC))
    with FakeTelegramThread() as tg, FakeArxivThread(LLM_PAPERS) as arxiv:
        tg.blocked.update(blocked)
        env = bot_env(
            db_path,
            tg,
            arxiv,
            ARXIV_BOT_OPERATORS=f"telegram:{OPERATOR}, discord:77",
            ARXIV_BOT_DELIVERY_GRACE_HOURS="2",
        )
        bot = await BotProcess(env, tmp_path / "bot.log").start()
        try:
            async with asyncio.timeout(WAIT):
                await tg.wait_for_sent(1, OPERATOR)
            delivered = {m.chat_id for m in tg.sent} - {OPERATOR}
            assert await bot.stop() == 0, bot.log()
        finally:
            await bot.ensure_stopped()
    assert delivered == {6001, 6003}, "the round had ended: its digests were out"
    [message] = tg.sent_to(OPERATOR)
    assert "2 chats can no longer get digests" in message.text
    for chat_id in blocked:
        assert f"telegram:{chat_id} (private chat): Forbidden: bot was blocked" in message.text
    assert "Traceback" not in bot.log()
