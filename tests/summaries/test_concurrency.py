"""Made once, however many ask at the same moment; never more model calls at once than the
configured workers. Synchronisation is by the fake's gate (hold/release) and its attempt
counter, never by sleeping."""

from __future__ import annotations

import asyncio

import pytest

from bot.summaries.summarizer import SummaryUnavailable
from tests.summaries.support import World, fake_paper

WAIT = 10.0  # seconds: only a bound on waits that must end by themselves


async def test_ten_readers_asking_at_once_cause_one_model_call(world: World) -> None:
    paper = await world.paper(fake_paper(1))
    summarizer = world.summarizer(workers=3)
    world.llm.hold()

    readers = [asyncio.create_task(summarizer.summary(paper, "en")) for _ in range(10)]
    async with asyncio.timeout(WAIT):
        await world.llm.wait_for_attempts(1)
    assert world.llm.in_flight() == 1
    world.llm.release()
    async with asyncio.timeout(WAIT):
        results = await asyncio.gather(*readers)

    assert world.llm.attempts == 1
    assert len(world.llm.calls) == 1
    assert all(r == results[0] for r in results)
    assert world.arxiv.count("html") == 1
    usage = await world.store.llm_usage(world.clock().date())
    assert usage.calls == 1


async def test_a_reader_giving_up_does_not_cancel_the_call_others_wait_for(
    world: World,
) -> None:
    paper = await world.paper(fake_paper(2))
    summarizer = world.summarizer()
    world.llm.hold()

    impatient = asyncio.create_task(summarizer.summary(paper, "en"))
    patient = asyncio.create_task(summarizer.summary(paper, "en"))
    async with asyncio.timeout(WAIT):
        await world.llm.wait_for_attempts(1)
    impatient.cancel()
    with pytest.raises(asyncio.CancelledError):
        await impatient
    world.llm.release()
    async with asyncio.timeout(WAIT):
        summary = await patient

    assert world.llm.attempts == 1
    assert await summarizer.cached(paper, "en") == summary


async def test_model_calls_are_bounded_by_the_workers(world: World) -> None:
    papers = [await world.paper(fake_paper(n)) for n in range(10, 16)]
    summarizer = world.summarizer(workers=2)
    world.llm.hold()

    tasks = [asyncio.create_task(summarizer.summary(p, "en")) for p in papers]
    async with asyncio.timeout(WAIT):
        await world.llm.wait_for_attempts(2)
    # Two calls wait at the gate; the four other papers wait for a worker: they have not
    # even fetched their full text yet.
    assert world.llm.in_flight() == 2
    assert world.arxiv.count("html") == 2
    world.llm.release()
    async with asyncio.timeout(WAIT):
        results = await asyncio.gather(*tasks)

    assert world.llm.max_concurrency() == 2
    assert world.llm.attempts == len(papers)
    assert sorted(r.key.arxiv_id for r in results) == sorted(p.arxiv_id for p in papers)


async def test_a_digest_waits_for_its_summaries_with_bounded_concurrency(world: World) -> None:
    papers = [await world.paper(fake_paper(n)) for n in range(20, 27)]
    summarizer = world.summarizer(workers=3)
    world.llm.hold()

    digest = asyncio.create_task(summarizer.summarize_many(papers, "en", deadline=WAIT))
    async with asyncio.timeout(WAIT):
        await world.llm.wait_for_attempts(3)
    world.llm.release()
    found = await digest

    assert set(found) == {p.versioned_id for p in papers}
    assert world.llm.max_concurrency() == 3
    assert world.llm.attempts == len(papers)


async def test_a_digest_goes_out_without_summaries_that_miss_its_deadline(
    world: World,
) -> None:
    """The late call is not lost: it finishes after the digest left, and is cached."""
    quick, late = await world.paper(fake_paper(30)), await world.paper(fake_paper(31))
    summarizer = world.summarizer(workers=1)
    await summarizer.summary(quick, "en")
    world.llm.hold()

    digest = asyncio.create_task(summarizer.summarize_many([quick, late], "en", deadline=0.2))
    async with asyncio.timeout(WAIT):
        await world.llm.wait_for_attempts(2)
    found = await digest  # the deadline passes while the call for `late` is held
    assert set(found) == {quick.versioned_id}

    world.llm.release()
    async with asyncio.timeout(WAIT):
        made = await summarizer.summary(late, "en")  # joins the call still in flight
    assert world.llm.attempts == 2
    assert made.key.arxiv_id == late.arxiv_id


async def test_concurrent_new_papers_cannot_overrun_the_daily_call_budget(
    world: World,
) -> None:
    papers = [await world.paper(fake_paper(n)) for n in range(40, 43)]
    summarizer = world.summarizer(workers=3, daily_calls=2)
    world.llm.hold()

    tasks = [asyncio.create_task(summarizer.summary(p, "en")) for p in papers]
    async with asyncio.timeout(WAIT):
        await world.llm.wait_for_attempts(2)
        world.llm.release()
        results = await asyncio.gather(*tasks, return_exceptions=True)

    refused = [r for r in results if isinstance(r, SummaryUnavailable)]
    assert [r.reason for r in refused] == ["budget"]
    assert world.llm.attempts == 2
    usage = await world.store.llm_usage(world.clock().date())
    assert usage.calls == 2


async def test_one_person_asking_for_papers_at_once_cannot_overrun_their_limit(
    world: World,
) -> None:
    papers = [await world.paper(fake_paper(n)) for n in range(50, 53)]
    summarizer = world.summarizer(workers=3, per_user_per_day=1)
    alice = ("test", "alice")
    world.llm.hold()

    tasks = [asyncio.create_task(summarizer.summary(p, "en", requester=alice)) for p in papers]
    async with asyncio.timeout(WAIT):
        await world.llm.wait_for_attempts(1)
        world.llm.release()
        results = await asyncio.gather(*tasks, return_exceptions=True)

    refused = [r for r in results if isinstance(r, SummaryUnavailable)]
    assert [r.reason for r in refused] == ["user_limit", "user_limit"]
    assert world.llm.attempts == 1
    assert await world.store.count_user_requests(*alice, world.clock().date()) == 1
