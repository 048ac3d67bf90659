"""The summarizer end to end against the fake arXiv and the fake model server: what the model
reads, what comes back, and that each summary is made once per (paper, model, language,
prompt)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from bot.model.languages import LANGUAGES
from bot.summaries.prompt import SYSTEM_GUARD, instructions, parse_answer
from storage import SqliteStore
from tests.fakes.fake_openai import FAKE_MODEL, SECTIONS
from tests.summaries.support import MARKERS, World, between, fake_paper

# --- what the model reads -------------------------------------------------------------------


async def test_html_full_text_is_summarized_and_the_summary_says_so(world: World) -> None:
    fp = fake_paper(1, html=True, pdf=True)
    paper = await world.paper(fp)

    summary = await world.summarizer().summary(paper, "en")

    assert summary.source == "html"
    assert "full text (HTML)" in summary.credit()
    (call,) = world.llm.calls
    assert call.model == FAKE_MODEL
    paper_text = between(call.last_user_text, "<paper>", "</paper>")
    assert f"<title>{fp.title}</title>" in paper_text
    assert fp.abstract in paper_text
    for part in ("intro", "method", "experiments", "conclusion"):
        assert f"{MARKERS[part]} from-html" in paper_text
    assert MARKERS["references"] not in call.last_user_text
    assert MARKERS["appendix"] not in call.last_user_text
    assert world.arxiv.count("pdf") == 0
    # What the model answered is what the summary holds.
    assert call.answer is not None
    assert (summary.tldr, summary.body) == parse_answer(call.answer)
    assert fp.title.split()[0] in summary.tldr  # the fake quotes the title it read
    for heading in SECTIONS:
        assert heading in summary.body


async def test_the_pdf_is_summarized_when_there_is_no_html(world: World) -> None:
    fp = fake_paper(2, html=False, pdf=True)
    paper = await world.paper(fp)

    summary = await world.summarizer().summary(paper, "en")

    assert summary.source == "pdf"
    assert "full text (PDF)" in summary.credit()
    (call,) = world.llm.calls
    assert f"{MARKERS['experiments']} from-pdf" in call.last_user_text
    assert MARKERS["references"] not in call.last_user_text
    assert fp.abstract in call.last_user_text


async def test_the_abstract_is_summarized_when_there_is_no_full_text(world: World) -> None:
    fp = fake_paper(3, html=False, pdf=False)
    paper = await world.paper(fp)

    summary = await world.summarizer().summary(paper, "en")

    assert summary.source == "abstract"
    assert "from the abstract" in summary.credit()
    (call,) = world.llm.calls
    assert fp.abstract in call.last_user_text
    assert not any(marker in call.last_user_text for marker in MARKERS.values())


async def test_the_input_budget_applies_to_what_the_model_reads(world: World) -> None:
    fp = fake_paper(4, html=True)
    fp.html = fp.html.replace("more careful detail.", "more careful detail. " * 200)  # type: ignore[union-attr]
    paper = await world.paper(fp)

    await world.summarizer(input_chars=2_500).summary(paper, "en")

    (call,) = world.llm.calls
    read = between(call.last_user_text, f"arXiv:{paper.versioned_id}</id>\n", "\n</paper>")
    assert len(read) <= 2_500
    assert fp.abstract in read
    assert MARKERS["intro"] in read
    assert MARKERS["related"] not in read


async def test_the_request_carries_model_temperature_and_token_limit(world: World) -> None:
    paper = await world.paper(fake_paper(5))

    await world.summarizer(
        temperature=0.7, max_tokens=321, max_tokens_param="max_completion_tokens"
    ).summary(paper, "en")

    (call,) = world.llm.calls
    assert call.body["temperature"] == 0.7
    assert call.body["max_completion_tokens"] == 321
    assert "max_tokens" not in call.body
    assert call.headers["Authorization"] == "Bearer sk-test"


# --- languages and prompts ------------------------------------------------------------------


async def test_the_language_instruction_reaches_the_model(world: World) -> None:
    paper = await world.paper(fake_paper(6))
    summarizer = world.summarizer()

    german = await summarizer.summary(paper, "de")
    chinese = await summarizer.summary(paper, "zh")

    de_call, zh_call = world.llm.calls
    assert LANGUAGES["de"] in de_call.system_text
    assert german.tldr.startswith(f"[{LANGUAGES['de']}]")  # the fake answers in what it read
    assert LANGUAGES["zh"] in zh_call.system_text
    assert "technical terms" in zh_call.system_text
    assert "in English" in zh_call.system_text
    assert chinese.tldr.startswith(f"[{LANGUAGES['zh']}]")
    assert (german.key.language, chinese.key.language) == ("de", "zh")


async def test_chinese_without_english_terms_when_configured(world: World) -> None:
    paper = await world.paper(fake_paper(7))

    await world.summarizer(terms_in_english=False).summary(paper, "zh")

    (call,) = world.llm.calls
    assert LANGUAGES["zh"] in call.system_text
    assert "technical terms" not in call.system_text


async def test_a_prompt_file_replaces_the_instructions(world: World, tmp_path: Path) -> None:
    prompt = tmp_path / "prompt.txt"
    prompt.write_text("用中文总结这篇论文。Start with 'TL;DR:'.\n", encoding="utf-8")
    paper = await world.paper(fake_paper(8))

    await world.summarizer(instruction_text=instructions(prompt)).summary(paper, "en")

    (call,) = world.llm.calls
    assert "用中文总结这篇论文。" in call.system_text
    assert instructions(None) not in call.system_text
    assert SYSTEM_GUARD in call.system_text  # the guard stays whatever the prompt says


# --- made once --------------------------------------------------------------------------------


async def test_a_second_request_is_served_from_the_cache(world: World) -> None:
    paper = await world.paper(fake_paper(9))
    summarizer = world.summarizer()

    first = await summarizer.summary(paper, "en")
    world.arxiv.requests.clear()
    second = await summarizer.summary(paper, "en")

    assert second == first
    assert world.llm.attempts == 1
    assert world.arxiv.requests == []  # not even the full text is fetched again
    assert await summarizer.cached(paper, "en") == first


async def test_summarized_yesterday_is_not_summarized_again(world: World) -> None:
    """A new process (new store connection, new summarizer) the next day reuses the summary."""
    paper = await world.paper(fake_paper(10))
    made = await world.summarizer().summary(paper, "en")
    world.clock.advance(days=1)

    reopened = await SqliteStore.open(world.db_path)
    try:
        again = await world.summarizer(store=reopened).summary(paper, "en")
    finally:
        await reopened.close()

    assert again == made
    assert world.llm.attempts == 1


async def test_language_model_and_prompt_each_make_a_new_summary(
    world: World, tmp_path: Path
) -> None:
    paper = await world.paper(fake_paper(11))
    base = await world.summarizer().summary(paper, "en")
    prompt = tmp_path / "prompt.md"
    prompt.write_text(instructions(None) + "\nBe brief.", encoding="utf-8")

    other_language = await world.summarizer().summary(paper, "fr")
    other_model = await world.summarizer(model="other-model").summary(paper, "en")
    other_prompt = await world.summarizer(instruction_text=instructions(prompt)).summary(
        paper, "en"
    )

    assert world.llm.attempts == 4
    models = [c.model for c in world.llm.calls]
    assert models == [FAKE_MODEL, FAKE_MODEL, "other-model", FAKE_MODEL]
    assert "Be brief." in world.llm.calls[3].system_text
    keys = {s.key for s in (base, other_language, other_model, other_prompt)}
    assert len(keys) == 4
    assert other_prompt.key.prompt_version != base.key.prompt_version
    assert other_model.key.model == "other-model"
    # Each is cached under its own key: asking again costs nothing.
    await world.summarizer(model="other-model").summary(paper, "en")
    await world.summarizer(instruction_text=instructions(prompt)).summary(paper, "en")
    await world.summarizer().summary(paper, "fr")
    assert world.llm.attempts == 4


async def test_a_new_version_of_a_paper_is_a_new_summary(world: World) -> None:
    paper = await world.paper(fake_paper(12, version=2))

    await world.summarizer().summary(paper, "en")
    await world.summarizer().summary(replace(paper, version=1), "en")

    assert world.llm.attempts == 2
    assert [r.path for r in world.arxiv.requests if r.route == "html"] == [
        f"/html/{paper.arxiv_id}v2",
        f"/html/{paper.arxiv_id}v1",
    ]


async def test_token_usage_is_recorded_per_call(world: World) -> None:
    world.llm.usage = (1200, 345)
    paper = await world.paper(fake_paper(13))
    summarizer = world.summarizer()

    summary = await summarizer.summary(paper, "en")
    await summarizer.summary(paper, "en")  # cached: no call, no usage

    assert (summary.prompt_tokens, summary.completion_tokens) == (1200, 345)
    usage = await world.store.llm_usage(world.clock().date())
    assert (usage.calls, usage.prompt_tokens, usage.completion_tokens) == (1, 1200, 345)
