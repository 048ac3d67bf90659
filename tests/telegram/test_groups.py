"""Groups: commands addressed by name, administrators (asked of Telegram, cached) and
everybody else, anonymous administrators, and silence towards chatter and other bots."""

from __future__ import annotations

from bot.commands.router import ADMIN_ONLY_TEXT
from bot.services import Services
from tests.fakes.fake_telegram import FakeTelegram, SentMessage
from tests.telegram.conftest import RunBot
from tests.telegram.support import ADMIN, GROUP, MEMBER, SUPERGROUP, TgBot


def assert_not_quoting(messages: list[SentMessage]) -> None:
    assert messages
    for message in messages:
        assert message.reply_parameters is None, "group replies must not quote every command"
        assert message.link_preview_options == {"is_disabled": True}


async def test_commands_addressed_to_the_bot_by_name_work(bot: TgBot, tg: FakeTelegram) -> None:
    settings = await bot.exchange(GROUP, "/settings@arxiv_test_bot")
    assert len(settings) == 1
    assert "Settings of this chat" in settings[0].text
    helped = await bot.exchange(GROUP, "/help@Arxiv_Test_Bot subscribe")  # any case
    assert len(helped) == 1
    assert "/subscribe [category ...]" in helped[0].text
    plain = await bot.exchange(GROUP, "/settings")
    assert len(plain) == 1
    assert_not_quoting(settings + helped + plain)
    assert not tg.rejections


async def test_a_member_is_refused_politely_and_nothing_changes(
    bot: TgBot, tg: FakeTelegram
) -> None:
    for text in ("/subscribe@arxiv_test_bot cs.AI", "/keywords add LLM", "/pause"):
        [refusal] = await bot.exchange(GROUP, text, user_id=MEMBER)
        assert refusal.text == ADMIN_ONLY_TEXT
        assert_not_quoting([refusal])
    assert await bot.subscription(GROUP) is None

    # Reading is open to everyone.
    [settings] = await bot.exchange(GROUP, "/settings", user_id=MEMBER)
    assert "Not subscribed yet" in settings.text
    assert await bot.subscription(GROUP) is None
    assert not tg.rejections


async def test_administrators_and_the_creator_may_change_it(bot: TgBot, tg: FakeTelegram) -> None:
    tg.admins[GROUP] = {ADMIN}
    [done] = await bot.exchange(GROUP, "/subscribe@arxiv_test_bot cs.AI", user_id=ADMIN)
    assert "Subscribed to cs.AI" in done.text
    assert_not_quoting([done])
    sub = await bot.stored(GROUP)
    assert sub.categories == ("cs.AI",)
    assert sub.chat_kind == "group"

    creator = 3003
    tg.creators[GROUP] = creator
    await bot.exchange(GROUP, "/keywords add LLM", user_id=creator)
    assert (await bot.stored(GROUP)).keywords == ("LLM",)

    # ...and a member still may not, in the same chat.
    [refusal] = await bot.exchange(GROUP, "/unsubscribe all", user_id=MEMBER)
    assert refusal.text == ADMIN_ONLY_TEXT
    assert (await bot.stored(GROUP)).categories == ("cs.AI",)


async def test_admin_status_is_asked_once_then_cached(bot: TgBot, tg: FakeTelegram) -> None:
    tg.admins[GROUP] = {ADMIN}
    await bot.exchange(GROUP, "/subscribe cs.AI", user_id=ADMIN)
    await bot.exchange(GROUP, "/keywords add LLM", user_id=ADMIN)
    asked = tg.calls_of("getChatMember")
    assert [(c["chat_id"], c["user_id"]) for c in asked] == [(GROUP, ADMIN)]
    assert (await bot.stored(GROUP)).keywords == ("LLM",)

    # Another person is another question; a private chat needs none.
    await bot.exchange(GROUP, "/settings", user_id=MEMBER)
    assert len(tg.calls_of("getChatMember")) == 2
    await bot.exchange(4242, "/settings")
    assert len(tg.calls_of("getChatMember")) == 2


async def test_a_demoted_admin_is_believed_no_longer_than_the_cache_lasts(
    run_bot: RunBot, services: Services, tg: FakeTelegram
) -> None:
    tg.admins[GROUP] = {ADMIN}
    async with run_bot(services, admin_cache_seconds=0) as bot:
        await bot.exchange(GROUP, "/subscribe cs.AI", user_id=ADMIN)
        tg.admins[GROUP].clear()
        [refusal] = await bot.exchange(GROUP, "/subscribe cs.LG", user_id=ADMIN)
    assert refusal.text == ADMIN_ONLY_TEXT
    assert len(tg.calls_of("getChatMember")) == 2
    sub = await services.store.get_subscription("telegram", str(GROUP))
    assert sub is not None
    assert sub.categories == ("cs.AI",), "the refused change changed nothing"


async def test_an_anonymous_administrator_may_change_it(bot: TgBot, tg: FakeTelegram) -> None:
    update = tg.anonymous_admin_command(SUPERGROUP, "/subscribe@arxiv_test_bot cs.LG")
    await bot.handled(update)
    [done] = tg.sent_to(SUPERGROUP)
    assert "Subscribed to cs.LG" in done.text
    assert (await bot.stored(SUPERGROUP)).categories == ("cs.LG",)
    assert tg.calls_of("getChatMember") == [], "the sender chat proves it: nothing to ask"


async def test_chatter_ids_and_commands_for_other_bots_get_no_reply(
    bot: TgBot, tg: FakeTelegram
) -> None:
    tg.privacy_mode = False  # the bot sees every message (as when it is an administrator)
    for text in (
        "hello everyone, has anyone read 2512.03394?",
        "2512.03394",
        "https://arxiv.org/abs/2512.03394",
        "/start@other_bot",
        "/frobnicate",
    ):
        assert await bot.exchange(GROUP, text) == [], text
    assert [u["message"]["text"] for u in tg.injected][-1] == "/frobnicate"
    assert not tg.undelivered


async def test_an_unknown_command_is_answered_only_when_addressed_by_name(
    bot: TgBot, tg: FakeTelegram
) -> None:
    assert await bot.exchange(GROUP, "/frobnicate") == []  # may belong to another bot
    [answer] = await bot.exchange(GROUP, "/frobnicate@arxiv_test_bot")
    assert "I don't know the command /frobnicate" in answer.text
    assert_not_quoting([answer])
    [private] = await bot.exchange(4242, "/frobnicate")
    assert "I don't know the command /frobnicate" in private.text


async def test_a_channel_post_command_subscribes_the_channel(bot: TgBot, tg: FakeTelegram) -> None:
    """Only a channel's administrators can post in it, so its commands are theirs."""
    channel = -1009876543210
    tg.add_chat(channel, "channel", title="Paper feed")
    text = "/subscribe cs.CL"
    update = tg.inject_update(
        {
            "channel_post": {
                "message_id": 1,
                "sender_chat": dict(tg.chats[channel]),
                "chat": dict(tg.chats[channel]),
                "date": 1_790_000_000,
                "text": text,
                "entities": [{"type": "bot_command", "offset": 0, "length": len("/subscribe")}],
            }
        }
    )
    await bot.handled(update)
    [done] = tg.sent_to(channel)
    assert "Subscribed to cs.CL" in done.text
    sub = await bot.stored(channel)
    assert sub.categories == ("cs.CL",)
    assert sub.chat_kind == "channel"
    assert tg.calls_of("getChatMember") == []
