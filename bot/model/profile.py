"""What one reader wants from a day's announcements: the input of ranking, kept with a
subscription (and built from the operator's settings for CLI digests and public feeds)."""

from __future__ import annotations

from dataclasses import dataclass

SIMILARITY_WEIGHT = 2.0
"""Score = keyword score + this x similarity to the interests (0..1). Chosen on the relevance
labels (``python -m benchmarks.relevance``; README, Benchmarks)."""
SIMILARITY_ENTRY = 0.3
"""A paper no keyword found enters the digest when its similarity is at least this."""


@dataclass(frozen=True, slots=True)
class Feedback:
    """A paper a chat voted on, and which way its members leaned."""

    paper_id: str
    """Versioned id (embeddings are kept by version)."""
    text: str
    """Title and abstract."""
    liked: bool


@dataclass(frozen=True, slots=True)
class Profile:
    """What one reader wants from a day's announcements."""

    categories: tuple[str, ...]
    keywords: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    """Followed authors in their text form (``Yann LeCun``, ``Li!`` for a confirmed common
    surname alone); their papers are always in the digest (``bot.ranking.authors``)."""
    max_papers: int = 30
    min_score: float = 0.0
    include_cross: bool = False
    keyword_weight: float = 1.0
    title_bonus: float = 0.5
    interests: str = ""
    """The reader's interests in their own words: papers close to them rank higher, and may
    enter the digest without a keyword."""
    similarity_weight: float = SIMILARITY_WEIGHT
    similarity_entry: float = SIMILARITY_ENTRY
    feedback: tuple[Feedback, ...] = ()
    """The chat's votes, which move its interests towards liked papers and away from
    disliked ones."""

    @property
    def personal(self) -> bool:
        """Whether similarity ranks for this reader (interests in words, or votes)."""
        return bool(self.interests or self.feedback)
