"""A digest: one announcement scored for one profile, ready to render in any format."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from bot.arxiv.announcements import Announcement
from bot.model.profile import Profile
from bot.model.summaries import Summary
from bot.ranking.scoring import ScoredPaper, Scorer, ScoringMode
from bot.ranking.similarity import Vector, Vectors


@dataclass(frozen=True, slots=True)
class Digest:
    generated_at: datetime
    categories: tuple[str, ...]
    announcement_day: date | None
    announced: int
    """How many papers the announcement held before scoring (for the statistics block)."""
    papers: tuple[ScoredPaper, ...]
    summaries: Mapping[str, Summary] = field(default_factory=dict)
    """Summaries of the top papers, by versioned id (missing ones show their abstract)."""
    note: str = ""
    """Something the reader should know about this digest (embeddings were unavailable)."""

    def summary_of(self, scored: ScoredPaper) -> Summary | None:
        return self.summaries.get(scored.paper.versioned_id)


def rank(
    scorer: Scorer,
    profile: Profile,
    *,
    day: date | None,
    announced: int,
    now: datetime,
    vector: Vector | None = None,
    note: str = "",
) -> Digest:
    """One profile's digest of the papers ``scorer`` indexed (an announcement, or a week of
    them): every digest, on demand or scheduled, is made here. ``vector``: the profile's
    embedding, when the scorer has the papers'."""
    return Digest(
        generated_at=now,
        categories=profile.categories,
        announcement_day=day,
        announced=announced,
        papers=tuple(scorer.score(profile, vector)),
        note=note,
    )


def make_digest(
    announcement: Announcement,
    profile: Profile,
    *,
    mode: ScoringMode = "words",
    now: datetime | None = None,
    vectors: Vectors | None = None,
    vector: Vector | None = None,
    note: str = "",
) -> Digest:
    """One announcement's digest for one profile; ``vectors``: the papers' embeddings, in
    the announcement's order."""
    scorer = Scorer(announcement.papers, mode=mode)
    if vectors is not None:
        scorer.use_vectors(announcement.papers, vectors)
    return rank(
        scorer,
        profile,
        day=announcement.day,
        announced=len(announcement.papers),
        now=now or datetime.now(UTC),
        vector=vector,
        note=note,
    )
