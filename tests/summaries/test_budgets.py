"""Cost control: a daily budget of calls and tokens, and a per-person limit on on-demand
summaries. Past a cap, new summaries wait for the next UTC day with a clear note; summaries
already made are still served."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest

from bot.summaries.summarizer import SummaryUnavailable
from tests.summaries.support import World, fake_paper

ALICE = ("test", "alice")
BOB = ("test", "bob")


async def test_the_daily_call_budget_refuses_new_papers_but_serves_cached_ones(
    world: World,
) -> None:
    first, second, third = [await world.paper(fake_paper(n)) for n in (1, 2, 3)]
    summarizer = world.summarizer(daily_calls=2)
    made = await summarizer.summary(first, "en")
    await summarizer.summary(second, "en")

    with pytest.raises(SummaryUnavailable) as refused:
        await summarizer.summary(third, "en")

    assert refused.value.reason == "budget"
    assert "tomorrow" in str(refused.value)
    assert world.llm.attempts == 2
    assert await summarizer.summary(first, "en") == made  # cached: still served
    assert world.arxiv.count("html") == 2  # the refused paper's text was not even fetched
    assert await world.failures() == []  # a refusal is not a failure


async def test_the_budget_is_per_utc_day(world: World) -> None:
    first, second = await world.paper(fake_paper(4)), await world.paper(fake_paper(5))
    summarizer = world.summarizer(daily_calls=1)
    await summarizer.summary(first, "en")
    with pytest.raises(SummaryUnavailable):
        await summarizer.summary(second, "en")

    world.clock.next_utc_day()
    summary = await summarizer.summary(second, "en")

    assert summary.created_at == world.clock()
    assert world.llm.attempts == 2
    yesterday = await world.store.llm_usage(world.clock().date() - timedelta(days=1))
    today = await world.store.llm_usage(world.clock().date())
    assert (yesterday.calls, today.calls) == (1, 1)


async def test_the_daily_token_budget(world: World) -> None:
    world.llm.usage = (900, 100)
    first, second = await world.paper(fake_paper(6)), await world.paper(fake_paper(7))
    summarizer = world.summarizer(daily_tokens=1000)
    await summarizer.summary(first, "en")

    with pytest.raises(SummaryUnavailable) as refused:
        await summarizer.summary(second, "en")

    assert refused.value.reason == "budget"
    assert world.llm.attempts == 1
    usage = await world.store.llm_usage(world.clock().date())
    assert usage.tokens == 1000
    world.clock.next_utc_day()
    await summarizer.summary(second, "en")
    assert world.llm.attempts == 2


async def test_the_budget_is_shared_by_every_summarizer_on_the_database(world: World) -> None:
    """Usage lives in the store: a restart does not reset the day's budget."""
    first, second = await world.paper(fake_paper(8)), await world.paper(fake_paper(9))
    await world.summarizer(daily_calls=1).summary(first, "en")

    with pytest.raises(SummaryUnavailable) as refused:
        await world.summarizer(daily_calls=1).summary(second, "en")

    assert refused.value.reason == "budget"


async def test_a_person_past_their_limit_is_refused_new_papers_only(world: World) -> None:
    first, second = await world.paper(fake_paper(10)), await world.paper(fake_paper(11))
    summarizer = world.summarizer(per_user_per_day=1)
    made = await summarizer.summary(first, "en", requester=ALICE)

    with pytest.raises(SummaryUnavailable) as refused:
        await summarizer.summary(second, "en", requester=ALICE)

    assert refused.value.reason == "user_limit"
    assert "limit" in str(refused.value)
    # A paper already summarized costs nothing and is still served.
    assert await summarizer.summary(first, "en", requester=ALICE) == made
    # Someone else may still ask for the new paper; a digest (no requester) is not limited.
    await summarizer.summary(second, "en", requester=BOB)
    third = await world.paper(fake_paper(12))
    await summarizer.summary(third, "en")
    assert world.llm.attempts == 3
    day = world.clock().date()
    assert await world.store.count_user_requests(*ALICE, day) == 1
    assert await world.store.count_user_requests(*BOB, day) == 1


async def test_cached_summaries_do_not_count_toward_a_persons_limit(world: World) -> None:
    first, second = await world.paper(fake_paper(13)), await world.paper(fake_paper(14))
    summarizer = world.summarizer(per_user_per_day=1)
    await summarizer.summary(first, "en", requester=BOB)  # Bob's one new summary

    await summarizer.summary(first, "en", requester=ALICE)  # cached: free for Alice
    await summarizer.summary(second, "en", requester=ALICE)  # so this one is allowed

    assert world.llm.attempts == 2
    assert await world.store.count_user_requests(*ALICE, world.clock().date()) == 1


async def test_a_persons_limit_resets_the_next_day(world: World) -> None:
    first, second = await world.paper(fake_paper(15)), await world.paper(fake_paper(16))
    summarizer = world.summarizer(per_user_per_day=1)
    await summarizer.summary(first, "en", requester=ALICE)
    with pytest.raises(SummaryUnavailable):
        await summarizer.summary(second, "en", requester=ALICE)

    world.clock.next_utc_day()

    await summarizer.summary(second, "en", requester=ALICE)
    assert world.llm.attempts == 2


async def test_a_failed_call_does_not_use_up_a_persons_limit(world: World) -> None:
    paper = await world.paper(fake_paper(17))
    summarizer = world.summarizer(per_user_per_day=1)
    world.llm.fail_next(500)
    with pytest.raises(SummaryUnavailable) as failed:
        await summarizer.summary(paper, "en", requester=ALICE)
    assert failed.value.reason == "failed"

    await summarizer.summary(paper, "en", requester=ALICE)

    assert await world.store.count_user_requests(*ALICE, world.clock().date()) == 1


async def test_a_digest_refused_by_the_budget_gets_its_summaries_when_the_next_day_starts(
    world: World,
) -> None:
    """A digest goes out with extracts when the day's budget is used up; the papers it
    showed are summarized as soon as the next UTC day's budget starts, not never."""
    papers = [await world.paper(fake_paper(n)) for n in (11, 12, 13)]
    summarizer = world.summarizer(daily_calls=1)

    shown = await summarizer.summarize_many(papers, "en", deadline=30)

    assert list(shown) == [papers[0].versioned_id]
    waiting = await world.failures()
    assert {f.key.arxiv_id for f in waiting} == {papers[1].arxiv_id, papers[2].arxiv_id}
    tomorrow = world.clock.now.date() + timedelta(days=1)
    assert {f.next_attempt_at.astimezone(UTC).date() for f in waiting} == {tomorrow}
    assert await summarizer.retry_failed(world.store.get_paper) == 0  # not due yet today
    assert world.llm.attempts == 1

    world.clock.next_utc_day()
    made = await summarizer.retry_failed(world.store.get_paper)

    assert made == 1  # tomorrow's budget of one call, spent on the first waiting paper
    assert world.llm.attempts == 2
    still = await world.failures()
    assert len(still) == 1  # the other waits for the day after, not retried in a loop
    assert still[0].attempts == 1
    assert still[0].next_attempt_at.astimezone(UTC).date() == tomorrow + timedelta(days=1)
