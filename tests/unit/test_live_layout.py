"""A digest completed in place (issue 17) splits into the same messages before and after its
summaries land, within Telegram's 4,096 and Discord's 6,000 characters, whatever the model's
TL;DRs: each edit replaces one message and never overflows it."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from adapters.discord.render import MAX_EMBED_TOTAL
from adapters.discord.render import render as discord_render
from adapters.telegram.render import MAX_TEXT, utf16_len
from adapters.telegram.render import render as telegram_render
from bot.model.papers import Paper
from bot.model.summaries import Summary, SummaryKey
from bot.ranking.digest import Digest
from bot.ranking.scoring import Match, ScoredPaper
from bot.rendering.paper_cards import digest_reply

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


def scored(n: int) -> ScoredPaper:
    paper = Paper(
        arxiv_id=f"2611.{n:05d}",
        version=1,
        title=f"Paper {n}: " + "a rather long title about efficient inference " * 3,
        abstract="We study a problem. " * 40,
        authors=tuple(f"Author {i}" for i in range(8)),
        categories=("cs.LG", "cs.AI"),
        announce_type="new",
        published=date(2026, 11, 24),
    )
    return ScoredPaper(paper, 1.0, (Match("inference", True),), "new")


def summary(paper: Paper, tldr: str) -> Summary:
    key = SummaryKey(paper.arxiv_id, paper.version, "m", "en", "p")
    return Summary(key, "html", tldr, "body", 1, 1, NOW)


@pytest.mark.parametrize(
    "tldr", ["Short.", "A long TL;DR with *marks* and _more_. " * 60, "长" * 900]
)
def test_the_completed_digest_has_the_same_messages_within_the_limits(tldr: str) -> None:
    papers = tuple(scored(n) for n in range(10))
    digest = Digest(NOW, ("cs.LG",), date(2026, 11, 24), 100, papers)
    later = {s.paper.versioned_id for s in papers}
    before = digest_reply(digest, completed_later=later)
    filled = Digest(
        NOW, ("cs.LG",), date(2026, 11, 24), 100, papers,
        summaries={s.paper.versioned_id: summary(s.paper, tldr) for s in papers},
    )  # fmt: skip
    after = digest_reply(filled, completed_later=later)

    sent, edited = telegram_render(before), telegram_render(after)
    assert [m.completes for m in sent] == [m.completes for m in edited]
    assert [m.papers for m in sent] == [m.papers for m in edited]
    assert [m.buttons for m in sent] == [m.buttons for m in edited]
    assert all(utf16_len(m.plain) <= MAX_TEXT for m in edited)
    assert sorted(p for m in edited for p in m.completes) == sorted(later)

    posted, patched = discord_render(before), discord_render(after)
    assert [m.papers for m in posted] == [m.papers for m in patched]
    assert all(sum(len(e) for e in m.embeds) <= MAX_EMBED_TOTAL for m in patched)


def test_without_room_a_long_tldr_would_move_papers_to_other_messages() -> None:
    """Why the room is kept: the same digest laid out by its actual TL;DRs splits
    differently once long summaries replace the extracts."""
    papers = tuple(scored(n) for n in range(10))
    digest = Digest(NOW, ("cs.LG",), date(2026, 11, 24), 100, papers)
    long = {s.paper.versioned_id: summary(s.paper, "Long. " * 80) for s in papers}
    sent = telegram_render(digest_reply(digest))
    edited = telegram_render(
        digest_reply(Digest(NOW, ("cs.LG",), date(2026, 11, 24), 100, papers, summaries=long))
    )
    assert [m.completes for m in sent] != [m.completes for m in edited]
