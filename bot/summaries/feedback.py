"""A chat's 👍/👎 as ranking input: each voted paper leans the way most of the chat's members
voted on it (a tie leans nowhere), and moves the chat's profile (Rocchio, see
:mod:`bot.ranking.similarity`). Votes are read per chat and never leave it."""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol

from bot.model.papers import Paper
from bot.model.profile import Feedback, Profile
from bot.model.store import PaperStore, VoteStore
from bot.summaries.embeddings import paper_text


class VoteAndPaperStore(VoteStore, PaperStore, Protocol):
    """Votes, and the papers they are on."""


async def with_votes(
    profile: Profile,
    store: VoteAndPaperStore,
    platform: str,
    chat_id: str,
    papers: dict[str, Paper | None] | None = None,
) -> Profile:
    """``profile`` with the chat's votes; ``papers`` caches papers read for other chats."""
    votes = await store.chat_votes(platform, chat_id)
    if not votes:
        return profile
    known = {} if papers is None else papers
    feedback: list[Feedback] = []
    for arxiv_id, (up, down) in votes.items():
        if up == down:
            continue
        if arxiv_id not in known:
            known[arxiv_id] = await store.get_paper(arxiv_id)
        paper = known[arxiv_id]
        if paper is not None:
            feedback.append(Feedback(paper.versioned_id, paper_text(paper), liked=up > down))
    return replace(profile, feedback=tuple(feedback))
