"""/digest in seconds (issue 17), through the real Telegram adapter wired as ``arxiv-bot run``
wires it: from the stored announcement the digest is answered without asking arXiv, shows the
summaries that are ready and gets the others by edits; a /digest that must ask arXiv says so
first; a second /digest while one is being made joins it."""

from __future__ import annotations

import asyncio

from app.wiring import make_delivery, make_planner
from bot.commands import CommandRouter
from bot.contract.chats import CommandContext
from bot.contract.messages import Reply, plain_text
from bot.delivery.planner import SummaryPlanner
from bot.delivery.service import DeliveryService
from bot.services import Services
from tests.fakes.fake_arxiv import FakeArxiv
from tests.fakes.fake_openai import FakeOpenAI
from tests.fakes.fake_telegram import FakeTelegram
from tests.telegram.support import USER, TgBot

WAIT = 20.0


def wired(bot: TgBot) -> tuple[DeliveryService, SummaryPlanner]:
    delivery = make_delivery(bot.services, [bot.adapter])
    return delivery, make_planner(bot.services, delivery)


async def test_digest_from_the_stored_announcement_asks_arxiv_nothing_and_fills_in_by_edits(
    bot: TgBot, tg: FakeTelegram, arxiv: FakeArxiv, llm: FakeOpenAI
) -> None:
    delivery, planner = wired(bot)
    await bot.exchange(USER, "/subscribe cs.LG")
    await bot.exchange(USER, "/keywords add LLM")
    async with asyncio.timeout(WAIT):
        assert await delivery.fetch() is not None  # the scheduled fetch stored the day
    asked_before = len(arxiv.requests)

    answer = await bot.exchange(USER, "/digest")
    assert len(arxiv.requests) == asked_before, "answered from the stored announcement"
    assert llm.received == [], "and without waiting for the model"
    assert answer[0].text.startswith("arXiv digest · Tue 24 Nov 2026 · cs.LG · 10 of 12 papers")
    assert not any("Fetching" in m.text for m in answer)
    assert not any("proposes a simple, scalable method" in m.text for m in answer)

    async with asyncio.timeout(WAIT):
        stats = await planner.run_once()  # the planner makes the summaries the reply waits for
        assert stats.made == 10
        await delivery.complete()
    assert tg.sent_to(USER)[-len(answer) :] == answer, "nothing was sent again"
    edits = [e for e in tg.edits if e.chat_id == USER]
    assert edits
    assert {e.message_id for e in edits} <= {m.message_id for m in answer}
    edited = "".join(e.text for e in edits)
    assert edited.count("proposes a simple, scalable method") == 10
    for edit in edits:
        original = next(m for m in answer if m.message_id == edit.message_id)
        assert edit.reply_markup == original.reply_markup
        assert edit.entities


async def test_a_second_digest_while_the_first_asks_arxiv_joins_it(
    bot: TgBot, arxiv: FakeArxiv, services: Services
) -> None:
    wired(bot)
    await bot.exchange(USER, "/subscribe cs.LG")
    arxiv.delay = 2.0  # arXiv is slow today (configuration of the fake)
    router = CommandRouter(services)
    ctx = CommandContext(chat=bot.chat(USER), user_id=str(USER), is_admin=True)
    asking = asyncio.Event()

    async def progress(reply: Reply) -> None:
        assert "Fetching today's papers" in plain_text(reply.blocks[0].inlines)  # type: ignore[union-attr]
        asking.set()

    async with asyncio.timeout(WAIT):
        first = asyncio.create_task(router.handle_text(ctx, "/digest", progress))
        await asking.wait()  # the first says at once that it asks arXiv
        second = await router.handle_text(ctx, "/digest", progress)
        assert second is not None
        assert "still working on the /digest" in plain_text(second.blocks[0].inlines)  # type: ignore[union-attr]
        answer = await first
    assert answer is not None
    assert sum(1 for r in arxiv.requests if r.route == "rss") == 1
    third = await router.handle_text(ctx, "/digest", progress)  # the first is done: served
    assert third is not None
    assert "still working on" not in plain_text(third.blocks[0].inlines)  # type: ignore[union-attr]
