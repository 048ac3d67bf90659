"""/ask through the real command router and the console, over real services built by the
composition root (fake arXiv, fake model server): answers, bad input, refusals, and the
choice of paper when a question replies to a message that shows several."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.config import Settings, load_settings
from tests.commands.support import (
    AGENTS,
    ATTENTION,
    GROUP_MEMBER,
    MOE_LLM,
    PRIVATE,
    Bot,
    is_error,
    text,
)
from tests.commands.test_console import Session, chat
from tests.fakes.fake_openai import FakeOpenAI, grounded_answer_responder

QUESTION = "Does attention still work?"


@pytest.fixture
async def llm() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI(grounded_answer_responder, default_retry_after_ms=1) as server:
        yield server


@pytest.fixture
def settings(settings: Settings, llm: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The suite's settings with a model: the fake model server."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("OPENAI_BASE_URL", llm.base_url)
    monkeypatch.setenv("ARXIV_BOT_LLM_MODEL", "fake-model")
    monkeypatch.setenv("ARXIV_BOT_LLM_RETRIES", "0")
    monkeypatch.setenv("ARXIV_BOT_SUMMARIES_PER_USER_PER_DAY", "2")
    return load_settings()


async def test_ask_answers_from_the_paper_and_says_where(bot: Bot, llm: FakeOpenAI) -> None:
    answer = await bot.send(PRIVATE, f"/ask 2512.03394 {QUESTION}")

    assert not is_error(answer)
    shown = text(answer)
    assert "Attention, again" in shown
    assert f"Q: {QUESTION}" in shown
    assert "We revisit attention." in shown
    assert "From: Abstract" in shown
    assert answer.paper == ATTENTION.versioned_id
    assert [text(r) for r in bot.interim] == ["Reading arXiv:2512.03394v2, one moment..."]
    assert len(llm.calls) == 1


async def test_ask_takes_links_and_works_for_every_member_of_a_group(
    bot: Bot, llm: FakeOpenAI
) -> None:
    answer = await bot.send(GROUP_MEMBER, f"/ask https://arxiv.org/abs/2512.03394v2 {QUESTION}")

    assert not is_error(answer)
    assert "From: Abstract" in text(answer)


@pytest.mark.parametrize(
    ("command", "says"),
    [
        ("/ask", "Which paper, and what do you want to know?"),
        ("/ask 2512.03394", "What do you want to know about arXiv:2512.03394?"),
        ("/ask <script>alert(1)</script>", "is not an arXiv identifier"),  # no question either
        (f"/ask not-a-paper {QUESTION}", "not-a-paper"),
        (f"/ask 2512.99999 {QUESTION}", "Check the identifier"),
    ],
)
async def test_bad_input_gets_a_clear_answer_and_costs_nothing(
    bot: Bot, llm: FakeOpenAI, command: str, says: str
) -> None:
    answer = await bot.send(PRIVATE, command)

    assert is_error(answer)
    assert says in text(answer)
    assert llm.attempts == 0


async def test_past_the_daily_limit_the_refusal_is_friendly_and_spends_nothing(
    bot: Bot, llm: FakeOpenAI
) -> None:
    await bot.send(PRIVATE, f"/ask 2512.03394 {QUESTION}")
    await bot.send(PRIVATE, "/ask 2512.03394 What do they revisit?")

    refused = await bot.send(PRIVATE, "/ask 2512.03394 And then?")

    assert is_error(refused)
    assert "the daily limit" in text(refused)
    assert bot.interim == []  # no "one moment" before a refusal
    assert llm.attempts == 2


async def test_a_question_about_one_of_several_papers_names_it(bot: Bot, llm: FakeOpenAI) -> None:
    await bot.send(PRIVATE, "/subscribe cs.AI cs.LG")
    await bot.send(PRIVATE, "/digest")  # the digest's papers are stored
    shown = (f"{MOE_LLM.arxiv_id}v1", f"{AGENTS.arxiv_id}v1")

    by_title = await bot.router.handle_ask(PRIVATE, shown, "How do the agents plan?")
    by_id = await bot.router.handle_ask(PRIVATE, shown, f"Is {MOE_LLM.arxiv_id} sparse?")
    unclear = await bot.router.handle_ask(PRIVATE, shown, "What is new here?")

    assert "Agents that plan" in text(by_title)
    assert not is_error(by_title)
    assert "Mixture-of-Experts LLM serving" in text(by_id)
    assert not is_error(by_id)
    assert is_error(unclear)
    assert "Which one do you mean?" in text(unclear)
    assert f"{AGENTS.arxiv_id}v1 Agents that plan" in text(unclear)
    assert len([c for c in llm.calls if "<question>" in c.last_user_text]) == 2


async def test_a_follow_up_in_the_same_chat_continues_the_conversation(
    bot: Bot, llm: FakeOpenAI
) -> None:
    await bot.router.handle_ask(PRIVATE, (ATTENTION.versioned_id,), QUESTION)
    await bot.send(PRIVATE, "/ask 2512.03394 What do they revisit?")

    follow_up = llm.calls[1]
    assert QUESTION in follow_up.text_of("user")
    assert follow_up.text_of("assistant") == llm.calls[0].answer


async def test_help_lists_ask(bot: Bot) -> None:
    assert "/ask" in text(await bot.send(PRIVATE, "/help"))
    assert "ask ID-or-URL question" in text(await bot.send(PRIVATE, "/help ask"))


async def test_ask_in_the_console(bot: Bot, llm: FakeOpenAI) -> None:
    output = await chat(bot, f"/ask 2512.03394 {QUESTION}", "/ask 2512.03394 What is revisited?")

    assert "Reading arXiv:2512.03394v2, one moment..." in output
    assert f"Q: {QUESTION}" in output
    assert "From: Abstract" in output
    assert "(!)" not in output
    assert len(llm.calls) == 2
    assert QUESTION in llm.calls[1].text_of("user")  # the console's chat is one conversation


async def test_the_console_refuses_an_ask_without_a_question(bot: Bot, llm: FakeOpenAI) -> None:
    answer = await Session(bot).type("/ask 2512.03394")

    assert answer.startswith("(!)")
    assert "What do you want to know" in answer
    assert llm.attempts == 0
