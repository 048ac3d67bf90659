"""Where a summary's text comes from (HTML, else PDF, else the abstract) and how it is fitted
to the model's input budget."""

from __future__ import annotations

from bot.summaries.fulltext import FullTextSource, Section, fit_sections
from tests.summaries.support import MARKERS, World, as_paper, fake_paper, full_text

# --- fit_sections ---------------------------------------------------------------------------


def _sections(words: dict[str, int]) -> tuple[Section, ...]:
    """Sections whose text repeats ``"<heading> says this. "`` the given number of times."""
    return tuple(Section(h, f"{h} says this. " * n) for h, n in words.items())


PAPER = _sections(
    {
        "Abstract": 10,
        "1 Introduction": 20,
        "2 Related Work": 40,
        "3 Method": 25,
        "4 Experiments": 25,
        "5 Conclusion": 10,
        "References": 60,
        "Acknowledgments": 5,
        "A Appendix: proofs": 30,
    }
)


def _size(sections: tuple[Section, ...], *headings: str) -> int:
    """What the named sections take in the fitted text, separators included."""
    return sum(len(s.heading) + 1 + len(s.text) + 2 for s in sections if s.heading in headings)


def test_a_generous_budget_keeps_every_section_but_references_and_appendices() -> None:
    fitted = fit_sections(PAPER, 1_000_000)

    for kept in ("Abstract", "1 Introduction", "2 Related Work", "3 Method", "5 Conclusion"):
        assert f"{kept} says this." in fitted
    for dropped in ("References", "Acknowledgments", "A Appendix: proofs"):
        assert dropped not in fitted
    # Sections keep the paper's order.
    positions = [fitted.index(h) for h in ("Abstract", "1 Introduction", "2 Related", "3 Met")]
    assert positions == sorted(positions)


def test_a_tight_budget_keeps_abstract_introduction_and_conclusion_over_related_work() -> None:
    budget = _size(PAPER, "Abstract", "1 Introduction", "5 Conclusion") + 10

    fitted = fit_sections(PAPER, budget)

    assert len(fitted) <= budget
    for kept in ("Abstract", "1 Introduction", "5 Conclusion"):
        section = next(s for s in PAPER if s.heading == kept)
        assert f"{kept}\n{section.text}" in fitted, kept
    assert "Related Work" not in fitted
    assert "References" not in fitted


def test_method_and_experiments_come_before_related_work() -> None:
    budget = _size(PAPER, "Abstract", "1 Introduction", "5 Conclusion", "3 Method")

    fitted = fit_sections(PAPER, budget + 200)

    assert "3 Method says this." in fitted
    assert "Related Work says this." not in fitted


def test_the_fitted_text_never_exceeds_its_budget() -> None:
    whole = len(fit_sections(PAPER, 1_000_000))
    for budget in range(150, whole + 50, 7):
        fitted = fit_sections(PAPER, budget)

        assert 0 < len(fitted) <= budget, budget
        assert fitted.startswith("Abstract\n"), budget


def test_a_cut_section_ends_at_a_sentence_and_says_it_was_cut() -> None:
    abstract = PAPER[0]
    budget = len(abstract.heading) + len(abstract.text) // 2

    fitted = fit_sections(PAPER[:1], budget)

    assert fitted.endswith("says this. [...]")
    assert len(fitted) <= budget


# --- the sources, against the fake arXiv ----------------------------------------------------


def _source(world: World) -> FullTextSource:
    return FullTextSource(world.http, world.arxiv.html_url_template, world.arxiv.pdf_url_template)


async def test_html_is_read_when_arxiv_has_it(world: World) -> None:
    fp = fake_paper(1, html=True, pdf=True)
    world.arxiv.add(fp)

    text = await _source(world).fetch(as_paper(fp))

    assert text.source == "html"
    fitted = text.fitted(60_000)
    assert fp.abstract in fitted
    for part in ("intro", "related", "method", "experiments", "conclusion"):
        assert MARKERS[part] in fitted
    assert MARKERS["references"] not in fitted
    assert MARKERS["appendix"] not in fitted
    assert "from-pdf" not in fitted
    assert [r.route for r in world.arxiv.requests] == ["html"]  # the PDF is not fetched


async def test_the_pdf_is_read_when_the_html_is_missing(world: World) -> None:
    fp = fake_paper(2, html=False, pdf=True)
    world.arxiv.add(fp)

    text = await _source(world).fetch(as_paper(fp))

    assert text.source == "pdf"
    fitted = text.fitted(60_000)
    assert text.sections[0].heading == "Abstract"  # the abstract comes from the metadata
    assert fp.abstract in fitted
    assert f"{MARKERS['method']} from-pdf" in fitted
    assert MARKERS["references"] not in fitted
    assert MARKERS["appendix"] not in fitted
    assert [r.path for r in world.arxiv.requests] == [
        f"/html/{fp.versioned_id}",
        f"/pdf/{fp.versioned_id}",
    ]


async def test_an_html_page_that_is_not_a_paper_falls_back_to_the_pdf(world: World) -> None:
    """arXiv answers 200 with an explanation page when it could not convert a paper."""
    fp = fake_paper(3, html=True, pdf=True)
    world.arxiv.add(fp)
    world.arxiv.fail_next("html", 0, body=b"<html><body>No HTML for this paper</body></html>")

    text = await _source(world).fetch(as_paper(fp))

    assert text.source == "pdf"


async def test_only_the_abstract_when_there_is_no_full_text(world: World) -> None:
    fp = fake_paper(4, html=False, pdf=False)
    world.arxiv.add(fp)

    text = await _source(world).fetch(as_paper(fp))

    assert text.source == "abstract"
    assert text.fitted(60_000) == f"Abstract\n{fp.abstract}"


async def test_an_unreachable_arxiv_leaves_the_abstract(world: World) -> None:
    fp = fake_paper(5, html=True, pdf=True)
    world.arxiv.add(fp)
    retries = world.http.retries + 1
    world.arxiv.fail_next("html", *[500] * retries)
    world.arxiv.fail_next("pdf", *[500] * retries)

    text = await _source(world).fetch(as_paper(fp))

    assert text.source == "abstract"
    assert world.arxiv.count("html") == world.arxiv.count("pdf") == retries


def test_the_sample_full_text_has_every_marker() -> None:
    """Guards the helpers the tests above rely on."""
    for body in (full_text("x"), full_text("x", pdf=True)):
        assert all(marker in body for marker in MARKERS.values())
