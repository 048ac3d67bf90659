"""Retries: the openai client retries 429s (honouring ``retry-after-ms``), 5xx answers and
timeouts; a summary that still fails is recorded, retried later by ``retry_failed``, and never
silently dropped."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest

from bot.summaries.summarizer import MAX_ATTEMPTS, RETRY_BASE, SummaryUnavailable
from tests.fakes.fake_openai import MALFORMED_ANSWERS, static_responder
from tests.summaries.support import World, fake_paper

WAIT = 10.0


async def test_429s_with_retry_after_are_retried_until_the_summary_is_made(
    world: World,
) -> None:
    paper = await world.paper(fake_paper(1))
    world.llm.fail_next((429, {"retry-after-ms": "150"}), (429, {"retry-after-ms": "150"}))
    started = time.monotonic()

    summary = await world.summarizer(max_retries=2).summary(paper, "en")

    assert time.monotonic() - started >= 0.3  # the client waited as the server asked
    assert world.llm.attempts == 3
    assert len(world.llm.calls) == 1
    assert summary.tldr
    assert await world.failures() == []
    usage = await world.store.llm_usage(world.clock().date())
    assert usage.calls == 1  # one summary made, whatever the retries


async def test_server_errors_are_retried(world: World) -> None:
    paper = await world.paper(fake_paper(2))
    world.llm.fail_next(500, 503)

    summary = await world.summarizer(max_retries=3).summary(paper, "en")

    assert world.llm.attempts == 3
    assert summary.source == "html"
    assert await world.failures() == []


async def test_a_timed_out_call_is_retried(world: World) -> None:
    paper = await world.paper(fake_paper(3))
    summarizer = world.summarizer(max_retries=1, timeout=0.2)
    world.llm.delay = 30  # the first attempt answers long after the client gave up

    task = asyncio.create_task(summarizer.summary(paper, "en"))
    async with asyncio.timeout(WAIT):
        await world.llm.wait_for_attempts(1)
    world.llm.delay = 0  # the retry is answered at once
    async with asyncio.timeout(WAIT):
        summary = await task

    assert world.llm.attempts == 2
    assert len(world.llm.calls) == 1
    assert summary.tldr


async def test_timeouts_that_persist_make_a_recorded_failure(world: World) -> None:
    paper = await world.paper(fake_paper(4))
    world.llm.delay = 30

    with pytest.raises(SummaryUnavailable) as refused:
        await world.summarizer(max_retries=1, timeout=0.1).summary(paper, "en")

    assert refused.value.reason == "failed"
    assert world.llm.attempts == 2
    (failure,) = await world.failures()
    assert failure.key.arxiv_id == paper.arxiv_id
    assert "Timeout" in failure.last_error


async def test_a_persistent_failure_is_recorded_and_retried_later(world: World) -> None:
    paper = await world.paper(fake_paper(5))
    summarizer = world.summarizer(max_retries=1)
    world.llm.fail_next(500, 500)

    with pytest.raises(SummaryUnavailable) as refused:
        await summarizer.summary(paper, "en")

    assert refused.value.reason == "failed"
    assert "retried" in str(refused.value)
    assert world.llm.attempts == 2
    (failure,) = await world.failures()
    assert (failure.key.arxiv_id, failure.key.version) == (paper.arxiv_id, paper.version)
    assert failure.key.language == "en"
    assert failure.attempts == 1
    assert "InternalServerError" in failure.last_error
    assert failure.next_attempt_at == world.clock() + RETRY_BASE
    assert await summarizer.cached(paper, "en") is None

    # Not due yet: nothing is tried, and the failure stays recorded.
    world.clock.advance(seconds=RETRY_BASE.total_seconds() - 1)
    assert await summarizer.retry_failed(world.store.get_paper) == 0
    assert world.llm.attempts == 2
    assert len(await world.failures()) == 1

    # Due: the retry makes the summary and the failure is forgotten.
    world.clock.advance(seconds=2)
    assert await summarizer.retry_failed(world.store.get_paper) == 1
    assert world.llm.attempts == 3
    assert await world.failures() == []
    made = await summarizer.cached(paper, "en")
    assert made is not None
    assert made.created_at == world.clock()


async def test_a_retry_that_fails_again_waits_twice_as_long(world: World) -> None:
    paper = await world.paper(fake_paper(6))
    summarizer = world.summarizer(max_retries=0)
    world.llm.fail_next(500, 500)
    with pytest.raises(SummaryUnavailable):
        await summarizer.summary(paper, "en")

    world.clock.advance(seconds=RETRY_BASE.total_seconds())
    assert await summarizer.retry_failed(world.store.get_paper) == 0

    (failure,) = await world.failures()
    assert failure.attempts == 2
    assert failure.next_attempt_at == world.clock() + 2 * RETRY_BASE


async def test_the_failure_is_kept_until_a_summary_is_made(world: World) -> None:
    """Whoever makes the summary next (a reader, not the retry job) clears the failure."""
    paper = await world.paper(fake_paper(7))
    summarizer = world.summarizer(max_retries=0)
    world.llm.fail_next(500)
    with pytest.raises(SummaryUnavailable):
        await summarizer.summary(paper, "de")
    assert len(await world.failures()) == 1

    await summarizer.summary(paper, "de")

    assert await world.failures() == []


async def test_an_empty_answer_is_a_failure_not_a_summary(world: World) -> None:
    paper = await world.paper(fake_paper(8))
    summarizer = world.summarizer()
    world.llm.responder = static_responder("   ")

    with pytest.raises(SummaryUnavailable) as refused:
        await summarizer.summary(paper, "en")

    assert refused.value.reason == "failed"
    assert await summarizer.cached(paper, "en") is None
    (failure,) = await world.failures()
    assert "no text" in failure.last_error


async def test_a_failure_with_an_old_prompt_is_dropped_not_retried(world: World) -> None:
    paper = await world.paper(fake_paper(9))
    world.llm.fail_next(500)
    with pytest.raises(SummaryUnavailable):
        await world.summarizer().summary(paper, "en")

    world.clock.advance(days=1)
    renewed = world.summarizer(instruction_text="A new prompt. Start with TL;DR:")
    assert await renewed.retry_failed(world.store.get_paper) == 0

    assert world.llm.attempts == 1
    assert await world.failures() == []


async def test_retries_stop_after_the_last_attempt_and_say_so(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    paper = await world.paper(fake_paper(10))
    summarizer = world.summarizer(max_retries=0)
    world.llm.fail_next(*[500] * MAX_ATTEMPTS)
    with pytest.raises(SummaryUnavailable):
        await summarizer.summary(paper, "en")

    for attempt in range(2, MAX_ATTEMPTS + 1):
        (failure,) = await world.failures()  # recorded until the very last attempt
        assert failure.attempts == attempt - 1
        world.clock.now = failure.next_attempt_at + timedelta(seconds=1)
        assert await summarizer.retry_failed(world.store.get_paper) == 0

    assert world.llm.attempts == MAX_ATTEMPTS
    assert await world.failures() == []
    assert f"giving up on the summary of {paper.versioned_id}" in caplog.text


@pytest.mark.parametrize("mode", sorted(MALFORMED_ANSWERS))
async def test_an_answer_that_is_not_a_completion_is_a_recorded_failure(
    world: World, mode: str
) -> None:
    paper = await world.paper(fake_paper(20))
    summarizer = world.summarizer()
    world.llm.malformed = mode

    with pytest.raises(SummaryUnavailable) as refused:
        await summarizer.summary(paper, "en")

    assert refused.value.reason == "failed"
    assert "model service" in str(refused.value) or "no text" in str(refused.value)
    assert "\n" not in str(refused.value)
    (failure,) = await world.failures()
    assert failure.key.arxiv_id == paper.arxiv_id
    world.llm.malformed = None  # the endpoint recovers: the recorded failure is retried
    world.clock.advance(hours=1)
    assert await summarizer.retry_failed(world.store.get_paper) == 1
    assert await summarizer.cached(paper, "en") is not None
