"""Telegram's failures, through ``adapter.send`` (how digests go out) and through the replies
to commands: flood control and pacing, chats that are gone or moved, server errors, timeouts
that may or may not have delivered, and HTML Telegram refuses."""

from __future__ import annotations

import asyncio
import time

import pytest

from adapters.telegram import TelegramLimits
from bot.contract.messages import Reply, bold, para, reply
from bot.contract.outbound import DeliveryError
from bot.services import Services
from tests.fakes.fake_telegram import FakeTelegram, FloodLimits, ManualClock
from tests.telegram.conftest import RunBot
from tests.telegram.support import GROUP, SUPERGROUP, USER, WAIT, TgBot

PARSE_ERROR = 'Bad Request: can\'t parse entities: unsupported start tag "foo" at byte offset 0'


def two_messages(first: str, second: str) -> Reply:
    return Reply(reply(first).blocks, extra=(reply(second),))


def statuses(tg: FakeTelegram) -> list[int]:
    return [r.status for r in tg.rejections]


# --- flood control --------------------------------------------------------------------------


async def test_a_429_is_waited_out_then_the_message_goes(bot: TgBot, tg: FakeTelegram) -> None:
    tg.fail_next("sendMessage", 429, parameters={"retry_after": 1})
    started = time.monotonic()
    assert await bot.adapter.send(bot.chat(USER), reply("hello")) == 1
    assert time.monotonic() - started >= 1.0, "retry_after honoured"
    assert statuses(tg) == [429]
    assert [m.text for m in tg.sent_to(USER)] == ["hello"]


async def test_a_command_reply_caught_by_flood_control_still_arrives(
    bot: TgBot, tg: FakeTelegram
) -> None:
    """The acknowledgement and the summary hit the fake's 1/s per-chat limit (on a clock the
    test moves); the summary waits for the retry_after and is delivered."""
    clock = ManualClock()
    tg.clock = clock
    tg.limits = FloodLimits(global_per_second=None, per_chat_per_second=1,
                            per_group_per_minute=None)  # fmt: skip
    update = tg.send_text(USER, "/summarize 2512.03394")
    async with asyncio.timeout(WAIT):
        await tg.wait_until(lambda: 429 in statuses(tg))
    clock.advance(1.0)
    await bot.handled(update)
    ack, summary = tg.sent_to(USER)
    assert ack.text.startswith("Summarizing")
    assert summary.entities_of("expandable_blockquote")
    assert statuses(tg) == [429]


async def test_a_long_retry_after_is_reported_not_slept_through(
    bot: TgBot, tg: FakeTelegram
) -> None:
    tg.fail_next("sendMessage", 429, parameters={"retry_after": 600})
    with pytest.raises(DeliveryError) as caught:
        await bot.adapter.send(bot.chat(USER), reply("hello"))
    assert caught.value.kind == "rate_limited"
    assert caught.value.retry_after == 600
    assert caught.value.sent == 0
    assert tg.sent == []


async def test_a_burst_to_many_chats_is_paced_below_every_limit(
    run_bot: RunBot, services: Services, tg: FakeTelegram
) -> None:
    """Telegram's limits on the fake (30/s overall, 1/s per private chat, 20/min per group)
    and the adapter's own pacing at its defaults: 40 messages, not one 429."""
    tg.limits = FloodLimits(global_per_second=30, per_chat_per_second=1, per_group_per_minute=20)
    async with run_bot(services, limits=TelegramLimits()) as bot:
        chats = [10_000 + n for n in range(36)]
        sends = [
            bot.adapter.send(bot.chat(GROUP), two_messages("g1", "g2")),
            *(bot.adapter.send(bot.chat(c), reply(f"digest for {c}")) for c in chats),
            # Last in line: its first message waits for an overall turn, and its second
            # must still keep a second's distance from when the first really left.
            bot.adapter.send(bot.chat(USER), two_messages("one", "two")),
        ]
        started = time.monotonic()
        async with asyncio.timeout(WAIT):
            counts = await asyncio.gather(*sends)
        elapsed = time.monotonic() - started
    assert sum(counts) == 40
    assert len(tg.sent) == 40
    assert 429 not in statuses(tg), tg.rejections[:3]
    assert elapsed >= 1.0, "40 messages at 30/s take more than a second"
    assert [m.text for m in tg.sent_to(USER)] == ["one", "two"]


async def test_a_group_gets_20_messages_a_minute_and_the_21st_waits(
    run_bot: RunBot, services: Services, tg: FakeTelegram
) -> None:
    tg.limits = FloodLimits(global_per_second=None, per_chat_per_second=None,
                            per_group_per_minute=20)  # fmt: skip
    async with run_bot(services, limits=TelegramLimits(private_per_second=100)) as bot:
        tasks = [
            asyncio.create_task(bot.adapter.send(bot.chat(GROUP), reply(f"message {n}")))
            for n in range(21)
        ]
        async with asyncio.timeout(WAIT):
            await tg.wait_for_sent(20, GROUP)
        # A bounded look for something that must NOT happen: the 21st is held back by the
        # adapter's pacing rather than sent into a 429.
        _done, pending = await asyncio.wait(tasks, timeout=0.3)
        assert len(pending) == 1
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
    assert len(tg.sent_to(GROUP)) == 20
    assert tg.rejections == []


# --- chats that are gone --------------------------------------------------------------------


async def test_a_blocked_chat_is_gone_until_start(bot: TgBot, tg: FakeTelegram) -> None:
    await bot.subscribe(USER, "cs.AI")
    tg.blocked.add(USER)
    with pytest.raises(DeliveryError) as caught:
        await bot.adapter.send(bot.chat(USER), reply("today's digest"))
    assert caught.value.kind == "gone"
    sub = await bot.stored(USER)
    assert not sub.active
    assert "blocked" in (sub.inactive_reason or "")
    assert sub.categories == ("cs.AI",), "settings are kept"

    # The user unblocks the bot and presses Start.
    await bot.inject(tg.chat_member_update(USER, "member"))
    [welcome] = await bot.exchange(USER, "/start")
    assert "Welcome back: digests to this chat are on again." in welcome.text
    assert (await bot.stored(USER)).active


async def test_a_reply_to_a_chat_that_blocked_the_bot_deactivates_it(
    bot: TgBot, tg: FakeTelegram
) -> None:
    await bot.subscribe(USER, "cs.AI")
    tg.blocked.add(USER)
    assert await bot.exchange(USER, "/settings") == []
    assert [r.status for r in tg.rejections] == [403]
    assert not (await bot.stored(USER)).active


async def test_chat_not_found_is_gone(bot: TgBot, tg: FakeTelegram) -> None:
    tg.strict_chats = True  # the fake knows only chats it has seen
    await bot.subscribe(777, "cs.AI")
    with pytest.raises(DeliveryError) as caught:
        await bot.adapter.send(bot.chat(777), reply("hello"))
    assert caught.value.kind == "gone"
    assert "chat not found" in caught.value.reason.lower()
    assert not (await bot.stored(777)).active
    assert len(tg.calls_of("sendMessage")) == 1, "never retried"


@pytest.mark.parametrize("chat_id", [GROUP, USER], ids=["kicked-from-group", "blocked"])
async def test_a_kicked_update_deactivates_the_chat(
    bot: TgBot, tg: FakeTelegram, chat_id: int
) -> None:
    await bot.subscribe(chat_id, "cs.AI", kind="private" if chat_id > 0 else "group")
    await bot.inject(tg.chat_member_update(chat_id, "kicked"))
    sub = await bot.stored(chat_id)
    assert not sub.active
    assert sub.inactive_reason in ("the bot was removed from the chat",
                                   "the bot was blocked by the user")  # fmt: skip
    assert tg.sent == []


# --- chats that moved -----------------------------------------------------------------------


async def test_a_send_to_a_migrated_group_goes_to_the_supergroup(
    bot: TgBot, tg: FakeTelegram
) -> None:
    await bot.subscribe(GROUP, "cs.AI", kind="group")
    tg.add_chat(SUPERGROUP, "supergroup")
    tg.migrated[GROUP] = SUPERGROUP
    assert await bot.adapter.send(bot.chat(GROUP), two_messages("part 1", "part 2")) == 2
    assert [m.text for m in tg.sent_to(SUPERGROUP)] == ["part 1", "part 2"]
    assert tg.sent_to(GROUP) == []
    assert len(tg.rejections) == 1, "the second message goes straight to the new id"
    assert await bot.subscription(GROUP) is None
    assert (await bot.stored(SUPERGROUP)).categories == ("cs.AI",)


async def test_the_migration_service_message_moves_the_subscription(
    bot: TgBot, tg: FakeTelegram
) -> None:
    await bot.subscribe(GROUP, "cs.AI", kind="group")
    await bot.inject(tg.migrate(GROUP, SUPERGROUP))
    assert await bot.subscription(GROUP) is None
    moved = await bot.stored(SUPERGROUP)
    assert moved.categories == ("cs.AI",)
    assert moved.active


async def test_a_migrated_group_that_removed_the_bot_is_deactivated_under_its_new_id(
    bot: TgBot, tg: FakeTelegram
) -> None:
    await bot.subscribe(GROUP, "cs.AI", kind="group")
    tg.add_chat(SUPERGROUP, "supergroup")
    tg.migrated[GROUP] = SUPERGROUP
    tg.kicked.add(SUPERGROUP)
    with pytest.raises(DeliveryError) as caught:
        await bot.adapter.send(bot.chat(GROUP), reply("hello"))
    assert caught.value.kind == "gone"
    assert await bot.subscription(GROUP) is None
    assert not (await bot.stored(SUPERGROUP)).active


# --- server errors, timeouts, refused HTML --------------------------------------------------


async def test_a_server_error_is_retried(bot: TgBot, tg: FakeTelegram) -> None:
    tg.fail_next("sendMessage", 500)
    assert await bot.adapter.send(bot.chat(USER), reply("hello")) == 1
    assert statuses(tg) == [500]
    assert [m.text for m in tg.sent_to(USER)] == ["hello"]


async def test_a_bad_gateway_page_from_a_proxy_is_retried(bot: TgBot, tg: FakeTelegram) -> None:
    """5xx answers prove the message was not taken (the adapter's documented policy), even
    when a proxy answers with an HTML page instead of Telegram's JSON."""
    tg.fail_next("sendMessage", 502, body=b"<html><body><h1>502 Bad Gateway</h1></body></html>")
    assert await bot.adapter.send(bot.chat(USER), reply("hello")) == 1
    assert statuses(tg) == [502]
    assert [m.text for m in tg.sent_to(USER)] == ["hello"]


async def test_a_server_that_keeps_failing_is_a_transient_failure(
    run_bot: RunBot, services: Services, tg: FakeTelegram
) -> None:
    limits = TelegramLimits(overall_per_second=1000, private_per_second=1000, retries=1)
    async with run_bot(services, limits=limits) as bot:
        tg.fail_next("sendMessage", 500, times=2)
        with pytest.raises(DeliveryError) as caught:
            await bot.adapter.send(bot.chat(USER), reply("hello"))
    assert caught.value.kind == "transient"
    assert statuses(tg) == [500, 500]
    assert tg.sent == []


async def test_a_timeout_is_uncertain_and_never_resent(bot: TgBot, tg: FakeTelegram) -> None:
    """The fake takes the message but never answers (Telegram has no idempotency key)."""
    tg.timeout_next("sendMessage")
    with pytest.raises(DeliveryError) as caught:
        async with asyncio.timeout(WAIT):
            await bot.adapter.send(bot.chat(USER), two_messages("one", "two"))
    assert caught.value.kind == "uncertain"
    assert caught.value.sent == 0
    assert [m.text for m in tg.sent] == ["one"], "delivered once, not resent, not continued"
    assert len(tg.calls_of("sendMessage")) == 1


async def test_refused_html_is_resent_once_as_plain_text(bot: TgBot, tg: FakeTelegram) -> None:
    [offer] = await bot.exchange(USER, "2512.03394")  # a reply with a button
    assert offer.parse_mode == "HTML"
    tg.fail_next("sendMessage", 400, PARSE_ERROR)
    [plain_offer] = await bot.exchange(USER, "2512.03394")
    assert plain_offer.parse_mode is None
    assert plain_offer.text == offer.text
    assert plain_offer.callback_data == offer.callback_data, "the buttons stay"
    assert plain_offer.link_preview_options == {"is_disabled": True}

    # Through send: the plain resend shows the text, without markup and unescaped.
    tg.reset_records()
    tg.fail_next("sendMessage", 400, PARSE_ERROR)
    rich = reply(para(bold("Bold"), " <b> & friends"))
    assert await bot.adapter.send(bot.chat(USER), rich) == 1
    [plain] = tg.sent
    assert plain.text == "Bold <b> & friends"
    assert plain.parse_mode is None
    assert len(tg.calls_of("sendMessage")) == 2


async def test_refused_twice_is_rejected_not_retried_again(bot: TgBot, tg: FakeTelegram) -> None:
    tg.fail_next("sendMessage", 400, PARSE_ERROR, times=2)
    with pytest.raises(DeliveryError) as caught:
        await bot.adapter.send(bot.chat(USER), reply("hello"))
    assert caught.value.kind == "rejected"
    assert len(tg.calls_of("sendMessage")) == 2
    assert tg.sent == []


# --- isolation ------------------------------------------------------------------------------


async def test_one_chats_failure_does_not_stop_the_others(bot: TgBot, tg: FakeTelegram) -> None:
    blocked, good = 5001, 5002
    await bot.subscribe(blocked, "cs.AI")
    await bot.subscribe(good, "cs.AI")
    tg.blocked.add(blocked)
    results = await asyncio.gather(
        bot.adapter.send(bot.chat(blocked), two_messages("a", "b")),
        bot.adapter.send(bot.chat(good), two_messages("c", "d")),
        return_exceptions=True,
    )
    assert isinstance(results[0], DeliveryError)
    assert results[0].kind == "gone"
    assert results[1] == 2
    assert [m.text for m in tg.sent_to(good)] == ["c", "d"]
    assert not (await bot.stored(blocked)).active
    assert (await bot.stored(good)).active


async def test_one_chats_flood_wait_does_not_delay_the_others(
    bot: TgBot, tg: FakeTelegram
) -> None:
    slow, fast = 6001, 6002
    tg.fail_next("sendMessage", 429, parameters={"retry_after": 1})
    waiting = asyncio.create_task(bot.adapter.send(bot.chat(slow), reply("slow")))
    async with asyncio.timeout(WAIT):
        await tg.wait_until(lambda: bool(tg.rejections))
    assert await bot.adapter.send(bot.chat(fast), reply("fast")) == 1
    assert not waiting.done(), "the other chat went first"
    async with asyncio.timeout(WAIT):
        assert await waiting == 1
    assert [m.chat_id for m in tg.sent] == [fast, slow]


async def test_a_resumed_send_skips_what_went_out_and_a_failure_counts_what_did(
    bot: TgBot, tg: FakeTelegram
) -> None:
    three = Reply(reply("one").blocks, extra=(reply("two"), reply("three")))
    assert await bot.adapter.send(bot.chat(USER), three, skip=1) == 3
    assert [m.text for m in tg.sent] == ["two", "three"]

    tg.reset_records()
    progress: list[int] = []

    async def on_sent(count: int) -> None:
        progress.append(count)
        tg.blocked.add(USER)  # the user blocks the bot after the first message

    with pytest.raises(DeliveryError) as caught:
        await bot.adapter.send(bot.chat(USER), three, on_sent=on_sent)
    assert caught.value.kind == "gone"
    assert caught.value.sent == 1
    assert progress == [1]
    assert [m.text for m in tg.sent] == ["one"]
