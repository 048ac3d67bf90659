"""A digest: one announcement scored for one profile, ready to render in any format."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from bot.announcements import Announcement, AnnouncementSource
from bot.config import Settings
from bot.scoring import Profile, ScoredPaper, Scorer, ScoringMode
from bot.summaries import Summary

if TYPE_CHECKING:
    from bot.summarizer import Summarizer


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


def profile_from_settings(settings: Settings) -> Profile:
    """The operator's default profile (CLI digests, public feeds, new subscriptions)."""
    return Profile(
        categories=tuple(settings.categories),
        keywords=tuple(settings.keywords),
        exclude=tuple(settings.exclude_keywords),
        max_papers=settings.max_papers,
        min_score=settings.min_score,
        include_cross=settings.include_cross,
    )


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


async def with_summaries(
    digest: Digest, summarizer: Summarizer, language: str, *, limit: int, deadline: float
) -> Digest:
    """The digest with summaries for its top ``limit`` papers, waiting at most ``deadline``
    seconds: a paper whose summary is late goes out with its abstract."""
    top = [s.paper for s in digest.papers[:limit]]
    found = await summarizer.summarize_many(top, language, deadline=deadline)
    return replace(digest, summaries=found)
