"""Without an API key the bot still works: a clearly labelled extract of the abstract stands
in for every summary, and nothing fails."""

from __future__ import annotations

from bot.rendering.formats import summary_document
from bot.rendering.summary_blocks import summary_body_blocks
from bot.rendering.text import blocks_text
from bot.text.excerpts import abstract_tldr
from tests.summaries.support import World, as_paper, fake_paper

ABSTRACT = (
    "We make sparse experts cheap to serve. Routing is learned end to end. "
    "On three benchmarks the method is twice as fast at equal accuracy, and it needs no "
    "extra memory. We release the code. A further sentence pushes the abstract past the "
    "length a TL;DR may have, so the extract has to stop before it."
)


async def test_no_key_gives_a_labelled_extract_never_an_error(world: World) -> None:
    fp = fake_paper(1, abstract=ABSTRACT)
    paper = await world.paper(fp)
    summarizer = world.summarizer(no_key=True, daily_calls=0, per_user_per_day=0)

    summary = await summarizer.summary(paper, "de", requester=("test", "alice"))

    assert not summarizer.enabled
    assert summary.is_extract
    assert summary.source == "extract"
    assert summary.key.model == "extract"
    assert "no language model" in summary.credit()
    assert summary.tldr == abstract_tldr(ABSTRACT)
    assert summary.tldr != ABSTRACT  # only the first sentences
    assert summary.body == ABSTRACT
    assert world.llm.attempts == 0
    assert world.arxiv.requests == []  # no full text is fetched for an extract
    assert await summarizer.cached(paper, "de") == summary
    assert (await world.store.llm_usage(world.clock().date())).calls == 0


async def test_a_digest_without_a_key_gets_extracts(world: World) -> None:
    papers = [await world.paper(fake_paper(n)) for n in (2, 3)]

    found = await world.summarizer(no_key=True).summarize_many(papers, "en")

    assert set(found) == {p.versioned_id for p in papers}
    assert all(s.is_extract for s in found.values())
    assert world.llm.attempts == 0


async def test_an_extract_says_what_it_is_in_every_format(world: World) -> None:
    fp = fake_paper(4, abstract=ABSTRACT)
    paper = await world.paper(fp)
    summary = await world.summarizer(no_key=True).summary(paper, "en")

    body = blocks_text(summary_body_blocks(summary))
    assert body.startswith("Abstract\n")
    assert "twice as fast" in body
    for fmt in ("markdown", "text"):
        document = summary_document(as_paper(fp), summary, fmt)
        assert "Extract of the abstract" in document
        assert "no language model is configured" in document
        assert "AI Summary" not in document
    json_doc = summary_document(as_paper(fp), summary, "json")
    assert '"source": "extract"' in json_doc
