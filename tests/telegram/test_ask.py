"""Asking about a paper on Telegram: /ask, and simply replying to a message of the bot that
shows a paper (a summary, a digest entry, an answer), in private chats and in groups in
privacy mode, where the bot sees replies to its own messages and nothing else."""

from __future__ import annotations

import pytest

from bot.services import Services
from tests.fakes.fake_openai import FakeOpenAI, grounded_answer_responder
from tests.fakes.fake_telegram import FakeTelegram, SentMessage
from tests.telegram.conftest import RunBot
from tests.telegram.support import GROUP, MEMBER, OTHER_USER, TODAY, USER, TgBot

QUESTION = "Does attention still work?"


@pytest.fixture(autouse=True)
def grounded(llm: FakeOpenAI) -> None:
    llm.responder = grounded_answer_responder


def questions_sent(llm: FakeOpenAI) -> list[str]:
    """The user messages of every question the model was asked (the paper excluded)."""
    return [c.last_user_text for c in llm.calls if "<question>" in c.last_user_text]


async def summary_in(bot: TgBot, chat_id: int, **kwargs: int) -> SentMessage:
    *_, summary = await bot.exchange(chat_id, "/summarize 2512.03394", **kwargs)
    assert "Attention, again" in summary.text
    return summary


async def test_replying_to_a_summary_asks_about_its_paper(
    bot: TgBot, tg: FakeTelegram, llm: FakeOpenAI
) -> None:
    summary = await summary_in(bot, USER)

    ack, answer = await bot.exchange(USER, QUESTION, reply_to=summary)

    assert ack.text == "Reading arXiv:2512.03394v2, one moment..."
    assert f"Q: {QUESTION}" in answer.text
    assert "We revisit attention." in answer.text
    assert "From: Abstract" in answer.text
    assert answer.entities_of("text_link")  # the paper's linked title
    assert questions_sent(llm) == [f"<question>\n{QUESTION}\n</question>"]
    assert not tg.rejections


async def test_replying_to_an_answer_continues_the_conversation(
    bot: TgBot, llm: FakeOpenAI
) -> None:
    summary = await summary_in(bot, USER)
    *_, answer = await bot.exchange(USER, QUESTION, reply_to=summary)

    *_, follow_up = await bot.exchange(USER, "And why does it work?", reply_to=answer)

    assert "Q: And why does it work?" in follow_up.text
    second = [c for c in llm.calls if "<question>" in c.last_user_text][1]
    assert QUESTION in second.text_of("user")  # the first turn went with it
    assert second.text_of("assistant").startswith("SECTIONS: Abstract")


async def test_in_a_group_any_member_may_reply_to_ask(
    bot: TgBot, tg: FakeTelegram, llm: FakeOpenAI
) -> None:
    assert tg.privacy_mode
    summary = await summary_in(bot, GROUP)

    *_, answer = await bot.exchange(GROUP, QUESTION, reply_to=summary, user_id=MEMBER)
    chatter = tg.send_text(GROUP, "Does attention work?", user_id=MEMBER)
    tg.privacy_mode = False  # the bot sees every message (as when it is an administrator)
    unaddressed = await bot.exchange(GROUP, "Does attention work?", user_id=MEMBER)

    assert "From: Abstract" in answer.text
    assert chatter in tg.undelivered  # privacy mode withholds what does not reply to the bot
    assert unaddressed == []  # and a question that replies to nothing is chatter
    assert len(questions_sent(llm)) == 1
    assert not tg.rejections


async def test_replying_to_a_digest_asks_about_the_paper_the_question_names(
    bot: TgBot, llm: FakeOpenAI
) -> None:
    await bot.subscribe(USER, "cs.LG")
    sent = await bot.exchange(USER, "/digest")
    digest = next(m for m in sent if "KV-Cache Compression" in m.text)

    *_, answer = await bot.exchange(
        USER, "How does the KV-cache compression evict tokens?", reply_to=digest
    )

    assert "KV-Cache Compression for Long-Context Transformers" in answer.text
    assert "From:" in answer.text
    paper = next(p for p in TODAY if p.title.startswith("KV-Cache"))
    assert f"arXiv:{paper.arxiv_id}" in llm.calls[-1].text_of("user")


async def test_a_reply_to_a_message_without_a_paper_is_ordinary_text(
    bot: TgBot, llm: FakeOpenAI
) -> None:
    [settings] = await bot.exchange(USER, "/settings")

    [answer] = await bot.exchange(USER, "What is this?", reply_to=settings)

    assert "I answer commands" in answer.text
    assert llm.attempts == 0


async def test_after_a_restart_a_reply_finds_the_paper_by_its_link(
    run_bot: RunBot, services: Services, llm: FakeOpenAI
) -> None:
    async with run_bot(services) as before:
        summary = await summary_in(before, OTHER_USER)

    async with run_bot(services) as after:
        *_, answer = await after.exchange(OTHER_USER, QUESTION, reply_to=summary)

    assert "From: Abstract" in answer.text
    assert len(questions_sent(llm)) == 1


async def test_ask_works_as_a_command_in_a_group(bot: TgBot, llm: FakeOpenAI) -> None:
    *_, answer = await bot.exchange(
        GROUP, f"/ask@arxiv_test_bot 2512.03394 {QUESTION}", user_id=MEMBER
    )

    assert "From: Abstract" in answer.text
    assert len(questions_sent(llm)) == 1
