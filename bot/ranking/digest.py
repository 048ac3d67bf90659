"""A digest: one announcement scored for one profile, ready to render in any format."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from bot.arxiv.announcements import Announcement, AnnouncementSource
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


def make_digest(
    announcement: Announcement,
    profile: Profile,
    *,
    mode: ScoringMode = "words",
    now: datetime | None = None,
) -> Digest:
    papers = Scorer(announcement.papers, mode=mode).score(profile)
    return Digest(
        generated_at=now or datetime.now(UTC),
        categories=profile.categories,
        announcement_day=announcement.day,
        announced=len(announcement.papers),
        papers=tuple(papers),
    )


async def fetch_digest(
    source: AnnouncementSource, profile: Profile, *, mode: ScoringMode = "words"
) -> Digest:
    """Today's digest for one profile: one feed request for its categories, then scoring."""
    announcement = await source.fetch(profile.categories)
    return make_digest(announcement, profile, mode=mode)
