"""Papers and digests as neutral messages, shared by /digest, /summarize and daily delivery."""

from __future__ import annotations

import re

from bot.digest import Digest
from bot.formats import excerpt, why
from bot.messages import (
    Block,
    Button,
    Collapsible,
    PaperCard,
    Reply,
    bold,
    para,
)
from bot.papers import Paper
from bot.scoring import ScoredPaper

MAX_AUTHORS = 5
TLDR_LIMIT = 280

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9])")


def authors_line(authors: tuple[str, ...]) -> tuple[str, ...]:
    if len(authors) <= MAX_AUTHORS:
        return authors
    return (*authors[:MAX_AUTHORS], f"et al. ({len(authors)} authors)")


def abstract_tldr(abstract: str) -> str:
    """The abstract's first sentences up to ~280 characters: what a folded card shows until a
    model's TL;DR exists."""
    out = ""
    for sentence in _SENTENCE_END.split(abstract):
        if out and len(out) + len(sentence) + 1 > TLDR_LIMIT:
            break
        out = f"{out} {sentence}".strip()
    return excerpt(out, TLDR_LIMIT)


def summary_action(paper: Paper) -> Button:
    return Button("Summary", f"sum:{paper.versioned_id}")


def paper_card(
    paper: Paper, *, scored: ScoredPaper | None = None, body: tuple[Block, ...] = ()
) -> PaperCard:
    return PaperCard(
        arxiv_id=paper.versioned_id,
        title=paper.title,
        url=paper.url,
        authors=authors_line(paper.authors),
        categories=paper.categories,
        score=scored.score if scored else None,
        why=why(scored) if scored else "",
        tldr=abstract_tldr(paper.abstract),
        body=body,
        actions=(summary_action(paper),),
    )


def digest_reply(digest: Digest, *, heading: str = "arXiv digest") -> Reply:
    day = digest.announcement_day.strftime("%a %d %b %Y") if digest.announcement_day else "today"
    cats = ", ".join(digest.categories)
    if not digest.papers:
        text = (
            f"{heading} for {day} ({cats}): none of the {digest.announced} announced papers "
            "matched your keywords."
            if digest.announced
            else f"{heading}: arXiv announced no new papers in {cats} for {day}."
        )
        return Reply((para(text),))
    header = para(
        bold(f"{heading} · {day}"),
        f" · {cats} · {len(digest.papers)} of {digest.announced} papers",
    )
    cards = tuple(paper_card(s.paper, scored=s) for s in digest.papers)
    return Reply((header, *cards))


def paper_reply(paper: Paper) -> Reply:
    """A paper's metadata with its abstract folded (summaries replace the body later)."""
    card = paper_card(
        paper, body=(Collapsible((para(bold("Abstract")),), (para(paper.abstract),)),)
    )
    return Reply((card,))
