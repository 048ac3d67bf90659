"""A summary is made once across instances (issue #16): two summarizers on two stores of one
PostgreSQL schema (two ``arxiv-bot run``), against one model server. Synchronisation is by
the fake's gate and attempt counter, never by sleeping."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.arxiv.transport import ArxivHttp
from bot.summaries.summarizer import Summarizer, SummaryUnavailable
from storage import PostgresStore
from storage.sqlite import LEASE
from tests.fakes.fake_arxiv import FakeArxiv
from tests.fakes.fake_openai import FakeOpenAI
from tests.summaries.support import NOW, Clock, World, fake_paper

pytestmark = pytest.mark.postgres

WAIT = 10.0
POLL = 0.01
"""The waiting instance's polling interval: configuration (product code polls the store, the
instances share nothing else), not the test's synchronisation."""


@pytest.fixture
async def world(
    arxiv: FakeArxiv, llm: FakeOpenAI, postgres_url: str, tmp_path: Path
) -> AsyncIterator[World]:
    """The suite's world with its store on PostgreSQL: the first instance."""
    clock = Clock(NOW)
    http = ArxivHttp(interval=0, retries=1, retry_delay=0.01, timeout=10)
    store = await PostgresStore.open(postgres_url, clock=clock, instance="first")
    made = World(arxiv=arxiv, llm=llm, http=http, store=store, clock=clock, db_path=tmp_path)
    try:
        yield made
    finally:
        await made.close()


@pytest.fixture
async def other_store(world: World, postgres_url: str) -> AsyncIterator[PostgresStore]:
    """The second instance's store: the same tables, its own connections and name."""
    store = await PostgresStore.open(postgres_url, clock=world.clock, instance="other")
    try:
        yield store
    finally:
        await store.close()


def second(world: World, store: PostgresStore, **options: float) -> Summarizer:
    """A summarizer of the second instance."""
    options.setdefault("claim_poll", POLL)
    return world.summarizer(store=store, **options)


async def test_an_instance_waits_for_the_summary_another_is_making(
    world: World, other_store: PostgresStore
) -> None:
    paper = await world.paper(fake_paper(1))
    making, waiting = world.summarizer(), second(world, other_store)
    world.llm.hold()
    first = asyncio.create_task(making.summary(paper, "en"))
    async with asyncio.timeout(WAIT):
        await world.llm.wait_for_attempts(1)

    impatient = second(world, other_store, claim_wait=0)
    with pytest.raises(SummaryUnavailable, match="Another instance"):
        await impatient.summary(paper, "en")  # no model call of its own meanwhile
    patient = asyncio.create_task(waiting.summary(paper, "en"))
    world.llm.release()
    async with asyncio.timeout(WAIT):
        made, waited = await asyncio.gather(first, patient)

    assert made == waited
    assert world.llm.attempts == 1
    assert (await world.store.llm_usage(world.clock().date())).calls == 1


async def test_a_summary_a_dead_instance_was_making_is_made_once_its_lease_runs_out(
    world: World, other_store: PostgresStore
) -> None:
    paper = await world.paper(fake_paper(2))
    taking_over = second(world, other_store, claim_wait=0)
    dead = world.summarizer()
    assert await world.store.claim_summary(dead.key(paper, "en"), world.clock())
    # ... and the instance dies before calling the model (its heartbeat stops).

    world.clock.advance(seconds=LEASE.total_seconds() - 1)
    with pytest.raises(SummaryUnavailable):
        await taking_over.summary(paper, "en")
    world.clock.advance(seconds=1)
    summary = await taking_over.summary(paper, "en")

    assert world.llm.attempts == 1
    assert await dead.cached(paper, "en") == summary


async def test_a_failed_summary_can_be_tried_at_once_by_another_instance(
    world: World, other_store: PostgresStore
) -> None:
    paper = await world.paper(fake_paper(3))
    world.llm.fail_next(500)
    with pytest.raises(SummaryUnavailable, match="could not be made"):
        await world.summarizer().summary(paper, "en")

    summary = await second(world, other_store, claim_wait=0).summary(paper, "en")

    assert world.llm.attempts == 2
    assert summary.source != "extract"


async def test_a_heartbeat_keeps_a_long_summary_its_makers(
    world: World, other_store: PostgresStore
) -> None:
    paper = await world.paper(fake_paper(4))
    key = world.summarizer().key(paper, "en")
    assert await world.store.claim_summary(key, world.clock())
    for _ in range(4):  # a slow model: the claim outlives several leases
        world.clock.advance(seconds=LEASE.total_seconds() / 2)
        await world.store.heartbeat(leader=False)
        assert not await other_store.claim_summary(key, world.clock())
    world.clock.advance(seconds=LEASE.total_seconds())
    assert await other_store.claim_summary(key, world.clock())
