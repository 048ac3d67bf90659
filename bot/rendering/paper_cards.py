"""Papers, summaries and digests as neutral messages, shared by /digest, /summarize and daily
delivery. LaTeX becomes readable here, where paper text turns into something people read."""

from __future__ import annotations

from collections.abc import Collection

from bot.contract.messages import Block, Button, Collapsible, PaperCard, Reply, bold, italic, para
from bot.model.papers import Paper
from bot.model.summaries import Summary
from bot.ranking.digest import Digest
from bot.ranking.scoring import ScoredPaper
from bot.rendering.summary_blocks import summary_body_blocks
from bot.text.excerpts import abstract_tldr
from bot.text.latex import readable

MAX_AUTHORS = 5
TLDR_ROOM = 360
"""Characters kept for a model's TL;DR in a card sent with its abstract's extract (the
extract is at most ~280; a model's TL;DR is one or two sentences, and a longer one is cut
there: the full summary stays one button away). More room costs messages: each card of a
digest sent before its summary takes this much of Telegram's 4,096."""


def authors_line(authors: tuple[str, ...]) -> tuple[str, ...]:
    shown = tuple(readable(a) for a in authors[:MAX_AUTHORS])
    if len(authors) <= MAX_AUTHORS:
        return shown
    return (*shown, f"et al. ({len(authors)} authors)")


def summary_action(paper: Paper) -> Button:
    return Button("Summary", f"sum:{paper.versioned_id}")


def vote_actions(paper: Paper) -> tuple[Button, Button]:
    """👍/👎 that teach the chat's ranking (handled in ``bot/commands/feedback_cmds.py``)."""
    return Button("👍", f"up:{paper.versioned_id}"), Button("👎", f"down:{paper.versioned_id}")


def summary_blocks(summary: Summary) -> tuple[Block, ...]:
    """The folded part of a summary: the model's sections, then who made it from what."""
    return (*summary_body_blocks(summary), para(italic(summary.credit())))


def paper_card(
    paper: Paper,
    *,
    scored: ScoredPaper | None = None,
    summary: Summary | None = None,
    body: tuple[Block, ...] = (),
    summary_button: bool = True,
    tldr_room: int = 0,
    votes: bool = False,
) -> PaperCard:
    return PaperCard(
        arxiv_id=paper.versioned_id,
        title=readable(paper.title),
        url=paper.url,
        authors=authors_line(paper.authors),
        categories=paper.categories,
        score=scored.score if scored else None,
        why=scored.why if scored else "",
        tldr=readable(summary.tldr if summary else abstract_tldr(paper.abstract)),
        body=body,
        actions=(
            *((summary_action(paper),) if summary_button else ()),
            *(vote_actions(paper) if votes else ()),
        ),
        tldr_room=tldr_room,
    )


def digest_reply(
    digest: Digest, *, heading: str = "arXiv digest", completed_later: Collection[str] = ()
) -> Reply:
    """Compact cards: title, authors, categories, score and why, and the TL;DR; the full
    summary is one button away. Cards of the papers in ``completed_later`` (versioned ids)
    keep room for a TL;DR that arrives after the message is sent (see
    :attr:`PaperCard.tldr_room`): built again with the same set, the reply splits into the
    same messages, whatever summaries it holds by then."""
    day = digest.announcement_day.strftime("%a %d %b %Y") if digest.announcement_day else "today"
    cats = ", ".join(digest.categories)
    if not digest.papers:
        text = (
            f"{heading} for {day} ({cats}): none of the {digest.announced} announced papers "
            "matched this chat's settings."
            if digest.announced
            else f"{heading}: arXiv announced no new papers in {cats} for {day}."
        )
        return Reply((para(text),))
    header = para(
        bold(f"{heading} · {day}"),
        f" · {cats} · {len(digest.papers)} of {digest.announced} papers",
    )
    cards = tuple(
        paper_card(
            s.paper,
            scored=s,
            summary=digest.summary_of(s),
            tldr_room=TLDR_ROOM if s.paper.versioned_id in completed_later else 0,
            votes=True,
        )
        for s in digest.papers
    )
    note = (para(italic(digest.note)),) if digest.note else ()
    return Reply((header, *cards, *note))


def summary_reply(paper: Paper, summary: Summary | None, note: str = "") -> Reply:
    """A paper with its summary: the TL;DR shows, the rest is folded. Without a summary (the
    model failed or a limit was reached), the abstract is folded instead, with ``note``."""
    if summary is not None:
        body = (Collapsible((para(bold("Full summary")),), summary_blocks(summary)),)
    else:
        body = (Collapsible((para(bold("Abstract")),), (para(readable(paper.abstract)),)),)
    card = paper_card(paper, summary=summary, body=body, summary_button=summary is None)
    blocks: tuple[Block, ...] = (card, para(italic(note))) if note else (card,)
    return Reply(blocks)
