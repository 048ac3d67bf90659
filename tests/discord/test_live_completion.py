"""Digests on the minute (issue 17) on Discord: a channel digest sent before its summaries
were made is completed in place (a message PATCH of its embeds, buttons kept), never posted
again."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from app.wiring import make_delivery, make_planner
from tests.discord.conftest import Bot
from tests.discord.support import CHAN, TIMEOUT, messages_of
from tests.fakes.fake_arxiv import FakeArxiv
from tests.fakes.fake_discord import MEMBER_PERMS, FakeDiscord
from tests.fakes.fake_openai import FakeOpenAI


async def test_a_channel_digest_is_completed_in_place(bot: Bot, llm: FakeOpenAI) -> None:
    adapter = await bot.start()
    fake: FakeDiscord = bot.fake
    await bot.subscribe(CHAN)
    services = bot.services
    delivery = make_delivery(services, [adapter])
    planner = make_planner(services, delivery)
    now = services.clock()
    await services.store.set_next_due("discord", str(CHAN), now - timedelta(minutes=1))
    async with asyncio.timeout(TIMEOUT):
        await delivery.tick()  # fetch, schedule, send: with extracts, not waiting
    assert llm.received == []
    posts = [m for m in fake.messages_in(CHAN) if m.via == "channel"]
    assert posts
    embeds_before = [e for m in posts for e in m.embeds]
    assert embeds_before

    async with asyncio.timeout(TIMEOUT):
        await planner.run_once()
        assert await delivery.complete() > 0
    assert [m for m in fake.messages_in(CHAN) if m.via == "channel"] == posts, "not re-sent"
    edits = [m for m in fake.messages_in(CHAN) if m.via == "edit"]
    assert edits
    assert {e.message_id for e in edits} <= {m.message_id for m in posts}
    for edit in edits:
        original = next(m for m in posts if m.message_id == edit.message_id)
        assert edit.components == original.components, "the Summary buttons stay"
        assert len(edit.embeds) == len(original.embeds)
    batch = await services.store.latest_batch()
    assert batch is not None
    after = "\n".join(e.get("description", "") for m in edits for e in m.embeds)
    completed = 0
    for paper in await services.store.batch_papers(batch):
        summary = await services.summarizer.cached(paper, "en")
        if summary is not None and any(
            e.get("footer", {}).get("text") == f"arXiv:{paper.versioned_id}" for e in embeds_before
        ):
            assert summary.tldr[:50] in after.replace("\\", "")
            completed += 1
    assert completed
    assert await services.store.live_digests() == []


async def test_digest_answers_from_the_stored_announcement_then_is_edited(
    bot: Bot, llm: FakeOpenAI, arxiv: FakeArxiv
) -> None:
    adapter = await bot.start()
    await bot.subscribe(CHAN)
    await bot.slash("keywords", {"words": 'add LLM "mixture of experts"'})
    delivery = make_delivery(bot.services, [adapter])
    planner = make_planner(bot.services, delivery)
    async with asyncio.timeout(TIMEOUT):
        assert await delivery.fetch() is not None
    asked = len(arxiv.requests)

    responses = await bot.slash("digest", permissions=MEMBER_PERMS, n=1)
    assert len(arxiv.requests) == asked, "no arXiv request"
    assert llm.received == []
    (answer,) = messages_of(responses)
    assert "3 of 3 papers" in answer.content
    assert "proposes a simple, scalable method" not in str(answer.embeds)

    async with asyncio.timeout(TIMEOUT):
        assert (await planner.run_once()).made == 3
        assert await delivery.complete() == 1
    edits = [m for m in bot.fake.messages_in(CHAN) if m.via == "edit"]
    assert [e.message_id for e in edits] == [answer.message_id], "edited, not sent again"
    (edit,) = edits
    assert edit.components == answer.components
    assert [e["title"] for e in edit.embeds] == [e["title"] for e in answer.embeds]
    assert all("proposes a simple, scalable method" in e["description"] for e in edit.embeds)
