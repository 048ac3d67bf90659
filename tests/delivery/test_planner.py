"""Summaries made ahead (issue 17): the planner's order, resuming after a restart, and never a
summary made twice, against the fake arXiv and the fake model."""

from __future__ import annotations

import asyncio
import itertools
import re
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import Settings
from bot.delivery.digests import DigestRanker
from bot.delivery.planner import SummaryPlanner
from bot.model.store import LiveDigest
from tests.delivery.recording_sender import RecordingSender
from tests.delivery.support import (
    TUESDAY,
    Clock,
    World,
    announced,
    settings,
    subscription,
    utc,
)
from tests.fakes.fake_arxiv import FakeArxiv
from tests.fakes.fake_openai import FakeOpenAI

WIDE = ("cs.LG", "cs.AI", "cs.CL", "math.OC")


def pid(n: int) -> str:
    return f"2611.024{n:02d}v1"


def summarized(llm: FakeOpenAI) -> list[tuple[str, str]]:
    """(versioned id, language) of every model request, in arrival order."""
    out = []
    for call in llm.received:
        found = re.search(r"2611\.\d{5}v\d+", call.last_user_text)
        assert found is not None
        language = "zh" if "Chinese" in call.system_text else "en"
        out.append((found[0], language))
    return out


async def readers(world: World) -> None:
    """One early reader of the mixture-of-experts paper; two at 09:00 sharing two LLM papers
    (one of them also sees three more); one at 12:00 reading in Chinese."""
    await world.subscribe(subscription("early", at="02:00", keywords=("mixture of experts",)))
    await world.subscribe(subscription("wide", at="09:00", categories=WIDE))
    await world.subscribe(subscription("narrow", at="09:00"))
    await world.subscribe(subscription("chinese", at="12:00", language="zh"))


@pytest.fixture
async def world(
    db_path: Path, arxiv: FakeArxiv, clock: Clock, sender: RecordingSender, llm: FakeOpenAI
) -> AsyncIterator[World]:
    config = settings(summary_workers=4)
    opened = await World(db_path, arxiv, clock, sender, llm=llm, config=config).open()
    try:
        yield opened
    finally:
        await opened.close()


async def test_earliest_due_first_then_most_readers_in_each_language(
    world: World, llm: FakeOpenAI
) -> None:
    await readers(world)
    await world.at(announced(TUESDAY))  # the batch is stored
    planned = [(i.paper.versioned_id, i.language) for i in await world.planner.plan()]
    assert planned == [
        (pid(3), "en"),  # due 02:00
        (pid(1), "en"),  # due 09:00, two readers each
        (pid(4), "en"),
        (pid(2), "en"),  # due 09:00, one reader (a cross-list in cs.LG)
        (pid(6), "en"),
        (pid(7), "en"),
        (pid(1), "zh"),  # due 12:00
        (pid(4), "zh"),
    ]
    one_at_a_time = SummaryPlanner(
        settings=world.settings,
        store=world.store,
        summarizer=world.summarizer,
        clock=world.clock,
        workers=1,
    )
    stats = await one_at_a_time.run_once()
    assert summarized(llm) == planned
    assert (stats.made, stats.cached) == (8, 0)


async def test_a_stored_batch_starts_the_plan_and_the_digests_then_wait_for_nothing(
    world: World, llm: FakeOpenAI, sender: RecordingSender
) -> None:
    await readers(world)
    world.planner.start()
    await world.at(announced(TUESDAY))  # fetch -> batch stored -> replan
    async with asyncio.timeout(30):
        await world.planner.settled()
    assert world.planner.stats.made == 8
    made = len(llm.received)
    await world.at(utc(TUESDAY, "09:00"))
    assert len(llm.received) == made, "the 09:00 digests needed no new model call"
    made_tldrs = set()
    for vid in (pid(1), pid(2), pid(4), pid(6), pid(7)):
        paper = await world.store.get_paper(vid.removesuffix("v1"), 1)
        assert paper is not None
        summary = await world.summarizer.cached(paper, "en")
        assert summary is not None
        made_tldrs.add(summary.tldr)
    assert {c.tldr for s in sender.to("wide") for c in s.cards} == made_tldrs


async def test_a_restart_resumes_the_plan_and_makes_nothing_twice(
    db_path: Path, arxiv: FakeArxiv, clock: Clock, sender: RecordingSender, llm: FakeOpenAI
) -> None:
    world = await World(
        db_path, arxiv, clock, sender, llm=llm, config=settings(llm_daily_calls=4)
    ).open()
    try:
        await readers(world)
        await world.at(announced(TUESDAY))
        first = await world.planner.run_once()
        assert (first.planned, first.made, first.refused > 0) == (8, 4, True)
        world.settings = settings(llm_daily_calls=1000)  # a new process, a new budget
        await world.restart()
        second = await world.planner.run_once()
        assert (second.planned, second.cached, second.made) == (8, 4, 4)
        assert Counter(summarized(llm)).most_common(1)[0][1] == 1
        assert len(summarized(llm)) == 8
    finally:
        await world.close()


async def test_the_plan_and_a_due_digest_share_each_model_call(
    world: World, llm: FakeOpenAI, sender: RecordingSender
) -> None:
    await readers(world)
    await world.at(announced(TUESDAY))
    world.clock.set(utc(TUESDAY, "09:00"))
    llm.hold()
    plan = asyncio.create_task(world.planner.run_once())
    round_ = asyncio.create_task(world.tick())  # the 09:00 digests want the same papers
    async with asyncio.timeout(30):
        await llm.wait_for_attempts(4)  # every model slot taken, by either side
        llm.release()
        await asyncio.gather(plan, round_)
    counts = Counter(summarized(llm))
    assert len(counts) >= 2
    assert max(counts.values()) == 1
    assert {c.arxiv_id for s in sender.to("narrow") for c in s.cards} == {pid(1), pid(4)}


async def test_the_plan_keeps_arxivs_clock_while_a_digest_and_a_fetch_ask_too(
    world: World, arxiv: FakeArxiv, llm: FakeOpenAI
) -> None:
    """The bot's own default interval (3 s), not zero: every request arXiv sees, from the
    planner's workers, a due digest and the next fetch, comes at least 3 s after the last."""
    await world.subscribe(subscription("narrow", at="02:00"))
    await world.at(announced(TUESDAY))
    world.http.interval = Settings().arxiv_request_interval
    assert world.http.interval == 3.0
    world.clock.set(utc(TUESDAY, "02:00"))
    before = len(arxiv.requests)
    async with asyncio.timeout(60):
        await asyncio.gather(
            world.planner.run_once(), world.tick(), world.service.fetch(force=True)
        )
    times = [r.at for r in arxiv.requests[before:]]
    assert len(times) >= 3  # two full texts and a feed
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 3.0 - 0.05, gaps


async def test_the_planner_gives_way_while_a_round_schedules_its_due_digests(
    world: World,
) -> None:
    """Ranking every subscription takes seconds at 10,000: the digests due now go first."""
    await readers(world)
    await world.at(announced(TUESDAY))
    assert world.service.not_ranking.is_set()  # a round leaves it set, whatever happened
    world.service.not_ranking.clear()  # as a round does while it schedules
    planning = asyncio.create_task(world.planner.plan())
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(asyncio.shield(planning), 0.3)
    world.service.not_ranking.set()
    async with asyncio.timeout(10):
        assert await planning


async def test_a_fan_out_ranked_from_many_tasks_matches_ranking_one_by_one(
    world: World,
) -> None:
    """Delivery ranks each digest just before sending it, from up to ``parallel`` tasks
    sharing one ranker: the batch is read once and every digest is the one the planner
    planned."""
    await readers(world)
    await world.at(announced(TUESDAY))
    subs = await world.store.list_subscriptions(delivering_only=True)
    batch = await world.store.latest_batch()
    assert batch is not None

    def ranker() -> DigestRanker:
        return DigestRanker(world.store, world.settings, world.clock, None)

    one_by_one = [await ranker().rank(s, batch.day, "daily") for s in subs]
    shared = ranker()
    together = await asyncio.gather(*(shared.rank(s, batch.day, "daily") for s in subs))
    assert [r.digest.papers for r in together] == [r.digest.papers for r in one_by_one]
    assert [r.digest.announced for r in together] == [r.digest.announced for r in one_by_one]
    assert len({id(r.batches[0]) for r in together}) == 1  # read once, shared


async def test_a_periodic_refresh_never_interrupts_a_plan_in_progress(world: World) -> None:
    """The leader plans again every few minutes (subscriptions saved through another
    instance); a plan still making its summaries is not started over."""
    await readers(world)
    world.planner.refresh()  # not running: nothing to do
    assert not world.planner._changed.is_set()
    world.planner.start()
    async with asyncio.timeout(30):
        await world.at(announced(TUESDAY))
        assert not world.planner._idle.is_set()  # planning what the new batch needs
        world.planner.refresh()
        assert not world.planner._changed.is_set()  # the plan in progress goes on
        await world.planner.settled()
        world.planner.refresh()
        assert world.planner._changed.is_set()  # idle: it plans again
        await world.planner.settled()


async def test_papers_live_digests_still_wait_for_come_first_each_planned_once(
    world: World,
) -> None:
    """Digests sent with extracts are overdue: their papers lead the plan, one item per paper
    and language however many digests wait for it, a coming digest's reader included (a
    paper gone from the store is left)."""
    await world.subscribe(subscription("narrow", at="09:00"))
    await world.at(announced(TUESDAY))  # the batch is stored
    sent_at = utc(TUESDAY, "01:00")
    waiting = [
        ("1", "en", (pid(1), pid(3)), sent_at),
        ("2", "en", (pid(1), "2611.99999v1"), sent_at - timedelta(minutes=5)),
        ("3", "zh", (pid(1),), sent_at),
    ]
    for chat_id, language, pending, created_at in waiting:
        await world.store.save_live_digest(
            LiveDigest(
                platform="telegram",
                chat_id=chat_id,
                ref="2026-11-24:daily",
                language=language,
                snapshot="{}",
                pending=pending,
                created_at=created_at,
            )
        )

    planned = [
        (i.paper.versioned_id, i.language, i.due, i.readers) for i in await world.planner.plan()
    ]
    assert planned == [
        (pid(1), "en", sent_at - timedelta(minutes=5), 3),  # two live digests, "narrow"
        (pid(1), "zh", sent_at, 1),
        (pid(3), "en", sent_at, 1),
        (pid(4), "en", utc(TUESDAY, "09:00"), 1),  # "narrow" alone
    ]
