"""A subscription's scheduled digest, ranked the one way delivery sends it and the summary
planner plans it: the same batches, scorer, votes and embeddings, so the planner summarizes
exactly the papers delivery will show.

One :class:`DigestRanker` serves one round (a delivery round, one plan): batches, their
scorers, paper embeddings and voted papers are read once and shared by every digest of the
round (a batch lists each of its papers: one copy per digest would cost 10,000 subscribers
over a gigabyte).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from bot.config import Settings
from bot.model.papers import Paper, announce_type_in
from bot.model.profile import Profile
from bot.model.store import Batch, Store
from bot.model.subscriptions import Subscription
from bot.ranking.digest import Digest, rank
from bot.ranking.scoring import Scorer
from bot.ranking.similarity import Vector
from bot.summaries.embeddings import Embedder, fallback_note, profile_vector_of
from bot.summaries.feedback import with_votes

WEEKLY_LOOKBACK = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Ranked:
    """A subscription's digest and the batches it was ranked from."""

    sub: Subscription
    batches: list[Batch]
    digest: Digest
    """Ranked; its summaries are added when it is sent."""


@dataclass(slots=True)
class DigestRanker:
    store: Store
    settings: Settings
    clock: Callable[[], datetime]
    embedder: Embedder | None = None
    _spans: dict[tuple[date, date], list[Batch]] = field(default_factory=dict)
    _scorers: dict[tuple[date, ...], Scorer] = field(default_factory=dict)
    _embedded: set[int] = field(default_factory=set)
    _voted: dict[str, Paper | None] = field(default_factory=dict)
    _announced: dict[tuple[int, frozenset[str], bool], int] = field(default_factory=dict)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    """Digests of a fan-out are ranked from many tasks: the first reads and indexes a batch,
    the others wait for it rather than each reading it again."""

    async def rank(self, sub: Subscription, day: date, kind: str) -> Ranked:
        """``sub``'s digest of the announcement of ``day`` (``kind`` weekly: every batch
        since the chat's last digest), with the chat's votes."""
        async with self._lock:
            batches = await self._batches(sub, day, kind)
            profile = await with_votes(
                sub.profile(), self.store, sub.platform, sub.chat_id, self._voted
            )
            return Ranked(sub, batches, await self._rank_profile(profile, batches, day))

    async def rank_profile(self, profile: Profile, batches: list[Batch], day: date) -> Digest:
        """``profile``'s digest of ``batches``: by meaning when there is an embedder and the
        profile has interests or votes, else by words."""
        async with self._lock:
            return await self._rank_profile(profile, batches, day)

    async def _rank_profile(self, profile: Profile, batches: list[Batch], day: date) -> Digest:
        key = tuple(b.day for b in batches)
        scorer = self._scorers.get(key)
        if scorer is None:
            papers: list[Paper] = []
            for batch in batches:
                papers.extend(await self.store.batch_papers(batch))
            scorer = self._scorers[key] = Scorer(
                as_first_announced(papers), mode=self.settings.scoring
            )
        vector, note = await self._vector(scorer, profile)
        return rank(
            scorer,
            profile,
            day=day,
            announced=self._announced_in(scorer, profile),
            now=self.clock(),
            vector=vector,
            note=note,
        )

    def _announced_in(self, scorer: Scorer, profile: Profile) -> int:
        """:func:`announced_in`, counted once per set of categories (it reads every paper of
        the batch: half of a ranking's time when each subscriber counted it again)."""
        key = (id(scorer), frozenset(profile.categories), profile.include_cross)
        if key not in self._announced:
            self._announced[key] = announced_in(scorer, profile)
        return self._announced[key]

    async def _batches(self, sub: Subscription, day: date, kind: str) -> list[Batch]:
        if kind != "weekly":
            span = (day - timedelta(days=1), day)
        else:
            last = await self.store.last_delivery(sub.platform, sub.chat_id)
            span = (last.day if last else day - WEEKLY_LOOKBACK, day)
        if span not in self._spans:
            self._spans[span] = await self.store.batches_since(*span)
        return self._spans[span] if kind == "weekly" else self._spans[span][-1:]

    async def _vector(self, scorer: Scorer, profile: Profile) -> tuple[Vector | None, str]:
        """The profile's embedding, the scorer's papers embedded first (once per batch, for
        every subscriber); or None and why, to rank by words."""
        if self.embedder is None or not profile.personal:
            return None, ""
        if id(scorer) not in self._embedded:
            self._embedded.add(id(scorer))
            vectors = await self.embedder.papers(scorer.papers)
            if vectors is not None:
                scorer.use_vectors(scorer.papers, vectors)
        vector = None
        if scorer.vectors is not None:
            vector = await profile_vector_of(self.embedder, profile)
        return vector, "" if vector is not None else fallback_note(self.embedder)


def announced_in(scorer: Scorer, profile: Profile) -> int:
    """How many of the batch's papers were announced in the subscriber's own categories."""
    wanted = frozenset(profile.categories)
    kinds = {"new", "cross"} if profile.include_cross else {"new"}
    return sum(1 for p in scorer.papers if announce_type_in(p, wanted) in kinds)


def as_first_announced(papers: list[Paper]) -> list[Paper]:
    """Papers of several batches (oldest first: a weekly digest), every version announced as
    its paper first was. The scorer keeps each paper's latest version only: a paper new on
    Monday and replaced on Wednesday is still that week's new paper, not a replacement that
    would be left out."""
    first: dict[str, Paper] = {}
    for paper in papers:
        first.setdefault(paper.arxiv_id, paper)
    return [
        p if p.announce_type == first[p.arxiv_id].announce_type
        else replace(p, announce_type=first[p.arxiv_id].announce_type)
        for p in papers
    ]  # fmt: skip
