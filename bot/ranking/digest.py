"""A digest: one announcement scored for one profile, ready to render in any format."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from bot.arxiv.announcements import Announcement
from bot.model.profile import Profile
from bot.model.summaries import Summary
from bot.ranking.scoring import ScoredPaper, Scorer, ScoringMode


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

    def summary_of(self, scored: ScoredPaper) -> Summary | None:
        return self.summaries.get(scored.paper.versioned_id)


def rank(
    scorer: Scorer,
    profile: Profile,
    *,
    day: date | None,
    announced: int,
    now: datetime,
) -> Digest:
    """One profile's digest of the papers ``scorer`` indexed (an announcement, or a week of
    them): every digest, on demand or scheduled, is made here."""
    return Digest(
        generated_at=now,
        categories=profile.categories,
        announcement_day=day,
        announced=announced,
        papers=tuple(scorer.score(profile)),
    )


def make_digest(
    announcement: Announcement,
    profile: Profile,
    *,
    mode: ScoringMode = "words",
    now: datetime | None = None,
) -> Digest:
    """One announcement's digest for one profile."""
    return rank(
        Scorer(announcement.papers, mode=mode),
        profile,
        day=announcement.day,
        announced=len(announcement.papers),
        now=now or datetime.now(UTC),
    )
