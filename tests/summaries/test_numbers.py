"""Every number of a summary is checked against the text the model was given: a wrong one
is corrected by one more call, or marked where every rendering shows it; correct numbers cost
nothing more. Against the real summarizer, the real client and the fake model server."""

from __future__ import annotations

from bot.model.summaries import NumberCheck, Summary, UnsupportedNumber
from bot.summaries.number_check import MARK
from tests.fakes.fake_openai import ChatCall, correcting_responder, is_correction
from tests.summaries.support import World, fake_paper, full_text

# fake_paper's full text says "accuracy rises by 2.1 points" (and nothing about 3.4).
RIGHT = (
    "TL;DR: Routing tokens to experts lifts accuracy by 2.1 points.\n\n"
    "## Results\n- Accuracy rises by 2.1 points over the dense baseline."
)
WRONG = RIGHT.replace("2.1", "3.4")


async def test_a_wrong_number_is_corrected_by_one_more_call(world: World) -> None:
    world.llm.responder = correcting_responder(WRONG, corrected=RIGHT)
    paper = await world.paper(fake_paper(1))

    summary = await world.summarizer().summary(paper, "en")

    assert summary.text == RIGHT
    assert MARK not in summary.text
    assert summary.numbers == NumberCheck(found=2, supported=2, corrected=2, marked=0)
    first, correction = world.llm.calls
    assert not is_correction(first)
    assert is_correction(correction)
    asked = correction.last_user_text
    assert "'3.4 points'" in asked  # the unsupported number, with the sentence it is in
    assert "accuracy rises by 2.1 points" in asked  # and the paper's passage with the right one
    stored = await world.store.get_summary(summary.key)
    assert stored == summary


async def test_a_number_the_model_fails_to_correct_is_marked(world: World) -> None:
    world.llm.responder = correcting_responder(WRONG)  # answers the correction unchanged
    paper = await world.paper(fake_paper(2))

    summary = await world.summarizer().summary(paper, "en")

    assert len(world.llm.calls) == 2
    assert summary.tldr == f"Routing tokens to experts lifts accuracy by 3.4 points ({MARK})."
    assert f"- Accuracy rises by 3.4 points ({MARK}) over the dense baseline." in summary.body
    assert summary.numbers == NumberCheck(
        found=2,
        supported=0,
        corrected=0,
        marked=2,
        unsupported=(UnsupportedNumber("3.4 points", 3.4, "points"),) * 2,
    )
    assert await world.store.get_summary(summary.key) == summary  # stored with its marks


async def test_correct_numbers_are_untouched_and_cost_no_extra_call(world: World) -> None:
    world.llm.responder = correcting_responder(RIGHT, corrected="TL;DR: must not be asked")
    paper = await world.paper(fake_paper(3))

    summary = await world.summarizer().summary(paper, "en")

    assert summary.text == RIGHT
    assert summary.numbers == NumberCheck(found=2, supported=2)
    assert len(world.llm.calls) == 1
    assert (await world.store.llm_usage(world.clock().date())).calls == 1


async def test_the_correction_call_counts_in_the_usage(world: World) -> None:
    world.llm.usage = (100, 10)
    world.llm.responder = correcting_responder(WRONG, corrected=RIGHT)
    paper = await world.paper(fake_paper(4))

    summary = await world.summarizer().summary(paper, "en")

    usage = await world.store.llm_usage(world.clock().date())
    assert (usage.calls, usage.prompt_tokens, usage.completion_tokens) == (2, 200, 20)
    assert (summary.prompt_tokens, summary.completion_tokens) == (200, 20)


async def test_no_budget_left_for_the_correction_means_the_number_is_marked(
    world: World,
) -> None:
    world.llm.responder = correcting_responder(WRONG, corrected=RIGHT)
    paper = await world.paper(fake_paper(5))

    summary = await world.summarizer(daily_calls=1).summary(paper, "en")

    assert len(world.llm.calls) == 1  # the correction was refused, not sent
    assert (await world.store.llm_usage(world.clock().date())).calls == 1
    assert f"3.4 points ({MARK})" in summary.tldr
    assert summary.numbers is not None
    assert (summary.numbers.corrected, summary.numbers.marked) == (0, 2)


async def test_a_failed_correction_keeps_the_summary_and_marks_it(world: World) -> None:
    def broken_on_correction(call: ChatCall) -> str:
        if is_correction(call):
            raise RuntimeError("the model service fell over")
        return WRONG

    world.llm.responder = broken_on_correction
    paper = await world.paper(fake_paper(6))

    summary = await world.summarizer().summary(paper, "en")

    assert world.llm.attempts == 2
    assert summary.text == WRONG.replace("3.4 points", f"3.4 points ({MARK})")
    assert await world.failures() == []  # the summary itself was made: nothing to retry


async def test_numbers_are_checked_against_the_text_the_model_was_given(world: World) -> None:
    """The appendix is never sent to the model, so a number only it states is unsupported;
    a number of the title (sent) is supported."""
    fp = fake_paper(7, title="Scaling a 7B mixture of experts")
    fp.html = full_text("from-html").replace(
        "proof of the main bound.", "proof of the main bound; the gain is 9.8 points."
    )
    answer = "TL;DR: A 7B model gains 9.8 points.\n\n## Results\n- not stated"
    world.llm.responder = correcting_responder(answer)
    paper = await world.paper(fp)

    summary = await world.summarizer().summary(paper, "en")

    assert "9.8 points" not in world.llm.calls[0].last_user_text
    assert summary.tldr == f"A 7B model gains 9.8 points ({MARK})."
    assert summary.numbers is not None
    assert (summary.numbers.found, summary.numbers.supported) == (2, 1)


async def test_a_summary_stored_before_the_check_is_made_again_and_checked(
    world: World,
) -> None:
    world.llm.responder = correcting_responder(WRONG)
    paper = await world.paper(fake_paper(8))
    summarizer = world.summarizer()
    unchecked = Summary(
        key=summarizer.key(paper, "en"),
        source="html",
        tldr="Accuracy rises by 3.4 points.",
        body="",
        prompt_tokens=1,
        completion_tokens=1,
        created_at=world.clock(),
    )
    await world.store.save_summary(unchecked)

    assert await summarizer.cached(paper, "en") is None
    summary = await summarizer.summary(paper, "en")

    assert summary.numbers is not None
    assert summary.numbers.marked == 2
    assert len(world.llm.calls) == 2


async def test_the_extract_without_a_key_needs_no_check(world: World) -> None:
    paper = await world.paper(
        fake_paper(9, abstract="Sparse experts cut latency by 37.5% on 3 benchmarks, 2.4x faster.")
    )

    summary = await world.summarizer(no_key=True).summary(paper, "en")

    assert summary.is_extract
    assert summary.numbers == NumberCheck(found=3, supported=3)  # 37.5%, 3, 2.4x
    assert MARK not in summary.text
    assert world.llm.attempts == 0
