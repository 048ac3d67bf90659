"""Summaries for a digest's top papers, within a deadline."""

from __future__ import annotations

from dataclasses import replace

from bot.ranking.digest import Digest
from bot.summaries.summarizer import Summarizer


async def with_summaries(
    digest: Digest, summarizer: Summarizer, language: str, *, limit: int, deadline: float
) -> Digest:
    """The digest with summaries for its top ``limit`` papers, waiting at most ``deadline``
    seconds: a paper whose summary is late goes out with its abstract."""
    top = [s.paper for s in digest.papers[:limit]]
    found = await summarizer.summarize_many(top, language, deadline=deadline)
    return replace(digest, summaries=found)
