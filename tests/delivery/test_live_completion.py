"""Digests on the minute (issue 17), through the real Telegram adapter against the fake Bot
API: a digest whose summaries are not made yet goes out at once with its abstracts' extracts,
and each message is completed in place (editMessageText, buttons kept) when the summaries
land; nothing is sent twice."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from adapters.telegram import TelegramAdapter, TelegramLimits
from bot.commands import CommandRouter
from bot.delivery.chat_events import ChatEvents
from bot.model.store import Batch
from bot.text.excerpts import abstract_tldr
from tests.delivery.recording_sender import RecordingSender
from tests.delivery.support import (
    TUESDAY,
    Clock,
    World,
    announced,
    day_papers,
    settings,
    subscription,
    utc,
)
from tests.fakes.fake_arxiv import FakeArxiv
from tests.fakes.fake_openai import FakeOpenAI
from tests.fakes.fake_telegram import FakeTelegram, FloodLimits

WAIT = 20.0
WIDE = ("cs.LG", "cs.AI", "cs.CL", "math.OC")
CHAT = 1001
GROUP = -2001

pytestmark = pytest.mark.filterwarnings("ignore:Deprecated since version v22.2")


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(limits=FloodLimits(30, 1, 20)) as server:
        yield server


@pytest.fixture
async def world(
    db_path: object, arxiv: FakeArxiv, clock: Clock, sender: RecordingSender, llm: FakeOpenAI
) -> AsyncIterator[World]:
    config = settings(summary_workers=4)
    opened = await World(db_path, arxiv, clock, sender, llm=llm, config=config).open()  # type: ignore[arg-type]
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
async def adapter(world: World, tg: FakeTelegram) -> AsyncIterator[TelegramAdapter]:
    running = TelegramAdapter(
        token=tg.token,
        router=CommandRouter(world.services()),
        events=ChatEvents(world.store),
        api_url=tg.api_base,
        limits=TelegramLimits(),
    )
    await running.start()
    world.service.senders["telegram"] = running
    try:
        yield running
    finally:
        await running.stop()


EXTRACTS = {abstract_tldr(p.abstract) for p in day_papers(TUESDAY)}


async def latest(world: World) -> Batch:
    batch = await world.store.latest_batch()
    assert batch is not None
    return batch


def live_rows(world: World) -> int:
    with sqlite3.connect(world.db_path) as db:
        return int(db.execute("SELECT COUNT(*) FROM live_digests").fetchone()[0])


async def test_a_digest_leaves_on_time_and_is_completed_in_place(
    world: World, tg: FakeTelegram, llm: FakeOpenAI, adapter: TelegramAdapter
) -> None:
    sub = subscription(str(CHAT), categories=WIDE)
    await world.subscribe(replace(sub, platform="telegram"))
    group = subscription(str(GROUP), categories=WIDE, keywords=("LLM", "experts"))
    await world.subscribe(replace(group, platform="telegram", chat_kind="group"))
    await world.at(announced(TUESDAY))
    async with asyncio.timeout(WAIT):
        await world.at(utc(TUESDAY, "08:00"))  # nothing summarized ahead yet
    assert llm.received == [], "the digest did not wait for the model"
    sent = {c: tg.sent_to(c) for c in (CHAT, GROUP)}
    assert all(sent.values())
    assert all(any(x in m.text for x in EXTRACTS) for m in sent[CHAT][1:])
    assert live_rows(world) == 2

    async with asyncio.timeout(WAIT):
        await world.planner.run_once()  # the summaries land
        assert await world.service.complete() > 0  # the completions job edits them
    for chat_id, messages in sent.items():
        assert tg.sent_to(chat_id) == messages, "nothing was sent again"
        edits = [e for e in tg.edits if e.chat_id == chat_id]
        assert edits
        assert {e.message_id for e in edits} <= {m.message_id for m in messages}
        for edit in edits:
            original = next(m for m in messages if m.message_id == edit.message_id)
            assert edit.reply_markup == original.reply_markup, "the Summary buttons stay"
            assert edit.entities, "still formatted (the fake parsed the HTML)"
            assert not any(x in edit.text for x in EXTRACTS)
            assert "TL;DR" not in edit.text
        before = "".join(m.text for m in messages)
        after = "".join(e.text for e in edits)
        for paper in await world.store.batch_papers(await latest(world)):
            summary = await world.summarizer.cached(paper, "en")
            if paper.title in before and summary is not None:
                assert summary.tldr[:60] in after, f"{paper.title} got its summary"
    assert live_rows(world) == 0
    edits_before = len(tg.edits)
    assert await world.service.complete() == 0
    assert len(tg.edits) == edits_before, "a completed digest is not edited again"
