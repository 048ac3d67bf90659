"""Every kind of command in a private chat, end to end: the fake Bot API server delivers the
update, the real adapter and command layer answer, and the fake parses the HTML as Telegram
does."""

from __future__ import annotations

from tests.fakes.fake_arxiv import FakeArxiv
from tests.fakes.fake_openai import FakeOpenAI
from tests.fakes.fake_telegram import FakeTelegram, SentMessage
from tests.telegram.support import USER, TgBot, expandable


def assert_plain_reply(message: SentMessage) -> None:
    """What every message of the bot carries: HTML, no link preview, no quoting."""
    assert message.parse_mode == "HTML"
    assert message.link_preview_options == {"is_disabled": True}
    assert message.reply_parameters is None


async def test_start_introduces_the_bot_and_this_chat(bot: TgBot, tg: FakeTelegram) -> None:
    [answer] = await bot.exchange(USER, "/start")
    assert_plain_reply(answer)
    assert "I follow arXiv for this chat" in answer.text
    assert "/subscribe [category ...]" in answer.entities_of("code")
    assert "Not subscribed yet" in answer.text
    assert "Commands" in answer.entities_of("bold")
    assert not tg.rejections


async def test_help_lists_every_command_and_one_in_detail(bot: TgBot) -> None:
    [listing] = await bot.exchange(USER, "/help")
    codes = listing.entities_of("code")
    for name in ("start", "subscribe", "keywords", "settings", "digest", "summarize"):
        assert any(code.startswith(f"/{name}") for code in codes), name

    [detail] = await bot.exchange(USER, "/help keywords")
    assert_plain_reply(detail)
    assert 'Example: /keywords add LLM "mixture of experts"' in detail.text


async def test_subscribe_keywords_and_settings_change_and_show_the_store(bot: TgBot) -> None:
    [subscribed] = await bot.exchange(USER, "/subscribe cs.AI")
    assert "Subscribed to cs.AI" in subscribed.text
    assert (await bot.stored(USER)).categories == ("cs.AI",)

    [keywords] = await bot.exchange(USER, '/keywords add "mixture of experts"')
    assert "mixture of experts" in keywords.text
    sub = await bot.stored(USER)
    assert sub.keywords == ("mixture of experts",)
    assert sub.chat_kind == "private"
    assert sub.created_by == str(USER)

    [settings] = await bot.exchange(USER, "/settings")
    assert_plain_reply(settings)
    assert "Settings of this chat" in settings.entities_of("bold")
    assert "cs.AI" in settings.text
    assert '"mixture of experts"' in settings.text
    assert "Active: next digest Wed 25 Nov 2026, 08:00 UTC" in settings.text  # fixed clock


async def test_digest_acknowledges_then_lists_papers_from_arxiv(
    bot: TgBot, tg: FakeTelegram, arxiv: FakeArxiv, llm: FakeOpenAI
) -> None:
    await bot.exchange(USER, "/subscribe cs.LG")
    await bot.exchange(USER, "/keywords add LLM")
    ack, *digest = await bot.exchange(USER, "/digest")

    assert ack.text == "Fetching today's papers..."
    assert 1 <= len(digest) <= 2
    assert any(r.route == "rss" for r in arxiv.requests)
    first = digest[0]
    assert first.text.startswith("arXiv digest · Tue 24 Nov 2026 · cs.LG · 10 of 12 papers")
    # Each card: the title links to the paper, its TL;DR (the model's) folds away, and a
    # button asks for the full summary.
    links = [link for m in digest for link in m.links]
    assert "https://arxiv.org/abs/2611.00001" in links
    quotes = [q for m in digest for q in expandable(m)]
    assert len(quotes) == 10
    assert all("proposes a simple, scalable method" in q for q in quotes)
    data = [d for m in digest for d in m.callback_data]
    assert len(data) == 30  # each paper: its summary, 👍 and 👎
    assert [d.split(":")[0] for d in data] == ["sum", "up", "down"] * 10
    assert all(d.split(":")[1].startswith("2611.") for d in data)
    assert len(llm.calls) == 10
    assert not tg.rejections


async def test_summarize_acks_shows_typing_then_an_expandable_summary(
    bot: TgBot, tg: FakeTelegram, llm: FakeOpenAI
) -> None:
    first_call = len(tg.calls)
    ack, summary = await bot.exchange(USER, "/summarize 2512.03394")

    # Telegram clears "typing..." when the bot's next message arrives, so the indicator must
    # follow the acknowledgement to be seen while the summary is made.
    sequence = [
        (method, params.get("action"))
        for method, params in tg.calls[first_call:]
        if method in ("sendMessage", "sendChatAction")
    ]
    assert sequence == [("sendMessage", None), ("sendChatAction", "typing"), ("sendMessage", None)]
    assert tg.chat_actions == [(USER, "typing")]
    assert ack.text == "Summarizing arXiv:2512.03394v2, one moment..."

    assert_plain_reply(summary)
    assert summary.links == ["https://arxiv.org/abs/2512.03394"]
    assert summary.text.startswith("Attention, again\nGrace Hopper, 张伟\ncs.CL, cs.LG")
    [quote] = expandable(summary)
    tldr = 'The paper "Attention, again" proposes a simple, scalable method'
    assert tldr in quote
    assert quote.index(tldr) < quote.index("Contributions") < quote.index("Summary by")
    # The quote covers the whole summary: everything after the card's head.
    head = summary.text.index(quote)
    assert summary.text[head:] == quote
    assert "Contributions" in summary.entities_of("bold")
    assert len(llm.calls) == 1
    assert not tg.rejections


async def test_a_bare_arxiv_id_offers_its_summary_and_the_button_delivers_it(
    bot: TgBot, tg: FakeTelegram
) -> None:
    [offer] = await bot.exchange(USER, "2512.03394")
    assert offer.text == "Summarize arXiv:2512.03394?"
    assert offer.callback_data == ["sum:2512.03394"]

    ack, summary = await bot.press(offer, "sum:2512.03394")
    assert len(tg.callback_answers) == 1
    assert ack.text.startswith("Summarizing arXiv:2512.03394v2")
    assert expandable(summary)
    assert "Attention, again" in summary.text

    # A link works too; asking again is answered from the cache, without an acknowledgement.
    [offer_again] = await bot.exchange(USER, "https://arxiv.org/abs/2512.03394v2")
    assert offer_again.callback_data == ["sum:2512.03394v2"]
    [cached] = await bot.press(offer_again, "sum:2512.03394v2")
    assert expandable(cached) == expandable(summary)
    assert len(tg.callback_answers) == 2
    assert not tg.rejections


async def test_other_private_text_gets_a_hint(bot: TgBot) -> None:
    [hint] = await bot.exchange(USER, "hello there")
    assert "/help lists them" in hint.text
    [unknown] = await bot.exchange(USER, "/subscirbe cs.AI")
    assert "I don't know the command /subscirbe. Did you mean /subscribe?" in unknown.text


async def test_a_sticker_or_photo_in_a_private_chat_gets_a_pointer(
    bot: TgBot, tg: FakeTelegram
) -> None:
    user = {"id": USER, "is_bot": False, "first_name": "Ada"}
    chat = {"id": USER, "type": "private", "first_name": "Ada"}
    for extra in (
        {"sticker": {"file_id": "s1", "file_unique_id": "u1", "type": "regular",
                     "width": 512, "height": 512, "is_animated": False, "is_video": False}},
        {"photo": [{"file_id": "p1", "file_unique_id": "u2", "width": 90, "height": 90}],
         "caption": "2611.00001"},
    ):  # fmt: skip
        before = len(tg.sent_to(USER))
        message = {"message_id": 900 + before, "from": user, "chat": chat, "date": 0, **extra}
        await bot.inject(tg.inject_update({"message": message}))
        [answer] = tg.sent_to(USER)[before:]
        assert "I read text only" in answer.text
        assert "/help" in answer.text
