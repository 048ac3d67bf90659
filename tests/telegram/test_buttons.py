"""Inline keyboards: the category picker, paper buttons, answered callback queries, and
callback data that always fits Telegram's 64 bytes."""

from __future__ import annotations

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions

from bot.commands.router import ADMIN_ONLY_TEXT
from tests.fakes.fake_telegram import FakeTelegram
from tests.telegram.support import ADMIN, GROUP, MEMBER, USER, TgBot


def assert_callback_data_fits(tg: FakeTelegram) -> None:
    data = [d for m in tg.sent for d in m.callback_data]
    assert data
    assert all(0 < len(d.encode()) <= 64 for d in data), max(data, key=len)


async def test_the_category_picker_subscribes_in_two_presses(bot: TgBot, tg: FakeTelegram) -> None:
    [archives] = await bot.exchange(USER, "/subscribe")
    assert archives.text == "Pick an arXiv archive, then a category:"
    assert "pick:cs" in archives.callback_data
    assert "pick:math" in archives.callback_data

    [categories] = await bot.press(archives, "pick:cs")
    assert categories.text.startswith("Categories of cs (Computer Science):")
    assert "sub:cs.AI" in categories.callback_data
    assert "all:cs" in categories.callback_data
    assert await bot.subscription(USER) is None

    [done] = await bot.press(categories, "sub:cs.AI")
    assert "Subscribed to cs.AI" in done.text
    assert (await bot.stored(USER)).categories == ("cs.AI",)

    # Every press was answered (no endless spinner), each exactly once.
    assert len(tg.callback_answers) == 2
    assert len({a["callback_query_id"] for a in tg.callback_answers}) == 2
    assert not tg.rejections


async def test_every_archive_and_category_button_fits_in_64_bytes(
    bot: TgBot, tg: FakeTelegram
) -> None:
    [archives] = await bot.exchange(USER, "/subscribe")
    for data in archives.callback_data:
        await bot.press(archives, data)  # every archive's category list, really sent
    assert len(tg.sent) == 1 + len(archives.callback_data)
    assert len(tg.callback_answers) == len(archives.callback_data)
    assert_callback_data_fits(tg)
    assert not tg.rejections, tg.rejections[:3]


async def test_a_whole_archive_by_button(bot: TgBot, tg: FakeTelegram) -> None:
    [archives] = await bot.exchange(USER, "/subscribe")
    [categories] = await bot.press(archives, "pick:math")
    await bot.press(categories, "all:math")
    assert (await bot.stored(USER)).categories == ("math",)
    assert len(tg.callback_answers) == 2


async def test_group_buttons_check_who_presses(bot: TgBot, tg: FakeTelegram) -> None:
    tg.admins[GROUP] = {ADMIN}
    [archives] = await bot.exchange(GROUP, "/subscribe", user_id=ADMIN)
    [categories] = await bot.press(archives, "pick:cs", user_id=ADMIN)

    [refusal] = await bot.press(categories, "sub:cs.AI", user_id=MEMBER)
    assert refusal.text == ADMIN_ONLY_TEXT
    assert await bot.subscription(GROUP) is None

    [done] = await bot.press(categories, "sub:cs.AI", user_id=ADMIN)
    assert "Subscribed to cs.AI" in done.text
    assert (await bot.stored(GROUP)).categories == ("cs.AI",)
    assert len(tg.callback_answers) == 3, "refused presses are answered too"
    assert all(m.reply_parameters is None for m in tg.sent)


async def test_paper_buttons_in_a_digest_fit_and_open_the_summary(
    bot: TgBot, tg: FakeTelegram
) -> None:
    await bot.exchange(USER, "/subscribe cs.LG")
    _ack, *digest = await bot.exchange(USER, "/digest")
    assert_callback_data_fits(tg)
    message = digest[0]
    data = message.callback_data[0]
    assert data.startswith("sum:2611.")
    rows = message.reply_markup["inline_keyboard"]  # a row per paper, beside its summary
    assert all(len(row) == 3 for row in rows)
    assert all(row[0]["text"].startswith("Summary: ") for row in rows)
    assert all([row[1]["text"], row[2]["text"]] == ["👍", "👎"] for row in rows)
    assert [row[1]["callback_data"] for row in rows] == [
        d.replace("sum:", "up:") for d in message.callback_data if d.startswith("sum:")
    ]

    answer = await bot.press(message, data)
    assert answer, "the summary arrives"
    assert answer[-1].entities_of("expandable_blockquote")
    assert answer[-1].links == [f"https://arxiv.org/abs/{data[4:].split('v')[0]}"]
    assert len(tg.callback_answers) == 1
    assert not tg.rejections


async def test_an_unknown_or_stale_button_is_answered_and_explained(
    bot: TgBot, tg: FakeTelegram
) -> None:
    # A message an older version of the bot sent, with a button this version no longer knows.
    async with Bot(tg.token, base_url=tg.api_base) as old_version:
        markup = InlineKeyboardMarkup(
            [[InlineKeyboardButton("Open", callback_data="legacy:2512.03394")]]
        )
        await old_version.send_message(
            USER,
            "An old message",
            reply_markup=markup,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )
    [old] = tg.sent_to(USER)

    [answer] = await bot.press(old, "legacy:2512.03394")
    assert len(tg.callback_answers) == 1
    assert "That button has expired" in answer.text
    assert not tg.rejections


async def test_a_press_whose_answer_is_refused_still_acts(bot: TgBot, tg: FakeTelegram) -> None:
    """Pressed while the bot was down: too old to answer, still worth doing."""
    [offer] = await bot.exchange(USER, "2512.03394")
    tg.fail_next(
        "answerCallbackQuery",
        400,
        "Bad Request: query is too old and response timeout expired or query ID is invalid",
    )
    *_, summary = await bot.press(offer, "sum:2512.03394")
    assert summary.entities_of("expandable_blockquote")
    assert [r.method for r in tg.rejections] == ["answerCallbackQuery"]


async def test_in_a_channel_only_administrators_may_press_subscription_buttons(
    bot: TgBot, tg: FakeTelegram
) -> None:
    """Anyone who reads a channel can press the buttons under its posts."""
    channel = -1009876543210
    tg.add_chat(channel, "channel", title="Paper feed")
    tg.admins[channel] = {ADMIN}
    update = tg.inject_update(
        {
            "channel_post": {
                "message_id": 1,
                "sender_chat": dict(tg.chats[channel]),
                "chat": dict(tg.chats[channel]),
                "date": 1_790_000_000,
                "text": "/subscribe",
                "entities": [{"type": "bot_command", "offset": 0, "length": len("/subscribe")}],
            }
        }
    )
    await bot.handled(update)
    [archives] = tg.sent_to(channel)

    reader = 8888
    [refusal] = await bot.press(archives, "pick:cs", user_id=reader)
    assert refusal.text == ADMIN_ONLY_TEXT
    [categories] = await bot.press(archives, "pick:cs", user_id=ADMIN)
    [refused] = await bot.press(categories, "sub:cs.AI", user_id=reader)
    assert refused.text == ADMIN_ONLY_TEXT
    assert await bot.subscription(channel) is None
    [done] = await bot.press(categories, "sub:cs.AI", user_id=ADMIN)
    assert "Subscribed to cs.AI" in done.text
    assert (await bot.stored(channel)).categories == ("cs.AI",)
    assert len(tg.callback_answers) == 4


async def test_votes_by_button_count_once_per_member_and_stay_in_their_chat(
    bot: TgBot, tg: FakeTelegram
) -> None:
    await bot.exchange(GROUP, "/subscribe cs.LG", user_id=ADMIN)
    tg.admins[GROUP] = {ADMIN}
    _ack, *digest = await bot.exchange(GROUP, "/digest", user_id=MEMBER)
    message = digest[0]
    up = next(d for d in message.callback_data if d.startswith("up:"))
    paper = up[3:].split("v")[0]

    [noted] = await bot.press(message, up, user_id=MEMBER)
    [again] = await bot.press(message, up, user_id=MEMBER)
    await bot.press(message, up, user_id=ADMIN)
    await bot.press(message, up.replace("up:", "down:"), user_id=USER)

    store = bot.services.store
    assert "👍 noted" in noted.text
    assert "already voted" in again.text
    assert await store.chat_votes("telegram", str(GROUP)) == {paper: (2, 1)}
    assert await store.chat_votes("telegram", str(USER)) == {}
    assert len(tg.callback_answers) == 4
    assert not tg.rejections
