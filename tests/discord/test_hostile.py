"""Hostile text from papers and the model: nothing the bot posts can ping anyone or break the
layout, whichever way it is posted (channel digests, command replies, follow-ups, button
answers)."""

from __future__ import annotations

import asyncio
import re

from bot.contract.chats import ChatRef
from bot.rendering.paper_cards import digest_reply
from tests.discord.conftest import Bot
from tests.discord.support import (
    CHAN,
    HOSTILE,
    MEMBER_USER,
    RAW_PINGS,
    TIMEOUT,
    all_text,
    long_digest,
    messages_of,
    text_of,
)
from tests.fakes.fake_arxiv import FakeArxiv, FakePaper
from tests.fakes.fake_discord import ADMIN_PERMS, MEMBER_PERMS, PostedMessage
from tests.fakes.fake_openai import HOSTILE_FRAGMENTS, FakeOpenAI, hostile_markup_responder

CREDIT = "Summary by fake-model"
NO_PINGS = {"everyone": False, "users": [], "roles": []}
MASKED_EVIL_LINK = re.compile(r"(?<!\\)\[[^\]\n]*\]\(<?https?://evil")

HOSTILE_PAPER = FakePaper(
    arxiv_id="2611.00666",
    title=f"LLM attacks {HOSTILE}",
    abstract=f"We ping everyone. {HOSTILE} The end.",
    authors=["@everyone", "<@&123456789012345678>", "**Mallory** ||hidden||"],
    categories=["cs.AI"],
)


def check_defused(message: PostedMessage) -> None:
    text = text_of(message)
    assert message.allowed_mentions == {"parse": []}, message.allowed_mentions
    assert message.pings == NO_PINGS
    for raw in RAW_PINGS:
        assert raw not in text, raw
    assert "<@!123456789012345678>" not in text
    assert "||" not in text  # no spoiler can hide (or unbalance) the rest of the message
    assert not MASKED_EVIL_LINK.search(text)  # no link whose text hides where it goes
    for embed in message.embeds:
        assert "evil" not in embed.get("url", "")
    # Markdown from paper text is shown as typed, not applied.
    assert "**bold**" not in text
    assert "__under__" not in text
    assert "~~gone~~" not in text


async def test_a_channel_digest_of_hostile_papers(bot: Bot) -> None:
    adapter = await bot.start()

    await adapter.send(
        ChatRef("discord", str(CHAN), "channel"), digest_reply(long_digest(4, hostile=True))
    )

    posted = bot.fake.messages_in(CHAN)
    assert len([e for m in posted for e in m.embeds]) == 4  # every paper made it
    for message in posted:
        check_defused(message)
    text = "\n".join(text_of(m) for m in posted)
    assert "论文 🤖" in text  # CJK and emoji arrive intact
    assert "@\u200beveryone" in text  # defused, not deleted
    assert "\\*\\*bold\\*\\*" in text  # escaped: the reader sees the asterisks


async def test_slash_replies_and_button_answers_about_a_hostile_paper(
    bot: Bot, arxiv: FakeArxiv, llm: FakeOpenAI
) -> None:
    arxiv.add(HOSTILE_PAPER)
    llm.responder = hostile_markup_responder
    await bot.start()
    await bot.subscribe(CHAN, "cs.AI")
    await bot.slash("keywords", {"words": "add LLM"}, permissions=ADMIN_PERMS)

    digest = await bot.slash("digest", permissions=MEMBER_PERMS, n=2)
    summarize = await bot.slash_until(
        "summarize", {"paper": HOSTILE_PAPER.arxiv_id}, CREDIT, permissions=MEMBER_PERMS
    )
    (posted,) = messages_of(digest)
    iid = bot.fake.press(
        posted, f"sum:{HOSTILE_PAPER.arxiv_id}v1", user_id=MEMBER_USER, permissions=MEMBER_PERMS
    )
    async with asyncio.timeout(TIMEOUT):
        await bot.fake.wait_for(lambda: CREDIT in all_text(bot.fake.responses_for(iid)))
    pressed = bot.fake.responses_for(iid)

    answers = [*messages_of(digest), *messages_of(summarize), *messages_of(pressed)]
    assert len(answers) >= 3
    for message in answers:
        check_defused(message)
    summary_text = all_text(summarize)
    assert "论文" in summary_text
    assert "🤖" in summary_text
    assert "\u03b1" in summary_text  # LaTeX made readable: \alpha is an alpha
    assert "]]>" in summary_text  # harmless on Discord: shown as typed
    assert "<script>alert(1)</script>" in summary_text  # Discord shows HTML as text
    assert "R&D" in summary_text
    # The model's pings are in the answer, defused (the fake's responder put them there).
    assert {"@everyone", "@here"} <= set(HOSTILE_FRAGMENTS)
    assert "@\u200beveryone" in summary_text
    assert "@\u200bhere" in summary_text
