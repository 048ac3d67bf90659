"""A chat's subscription and the limits on what it may hold."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Literal

from bot.contract.chats import ChatKind, ChatRef
from bot.errors import BadInput
from bot.model.profile import Profile

Frequency = Literal["daily", "weekly"]
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

MAX_CATEGORIES = 30
MAX_KEYWORDS = 50
MAX_EXCLUDES = 30
MAX_INTERESTS_CHARS = 1000
"""A paragraph: enough to describe a research interest, small enough to embed cheaply."""


class InterestsError(BadInput):
    """Interests that cannot be used; the message says why."""


def normalize_interests(text: str) -> str:
    """Interests as kept: one line (whitespace collapsed), at most
    :data:`MAX_INTERESTS_CHARS`, with at least one word to match papers by."""
    cleaned = " ".join(text.split())
    if len(cleaned) > MAX_INTERESTS_CHARS:
        raise InterestsError(
            f"interests can be at most {MAX_INTERESTS_CHARS} characters; these are {len(cleaned)}"
        )
    if cleaned and not any(ch.isalnum() for ch in cleaned):
        raise InterestsError("interests need words, e.g. 'efficient inference of LLMs'")
    return cleaned


MAX_AUTHORS = 30


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Subscription:
    """Everything the bot keeps about one chat. ``paused`` is the chat's own choice;
    ``active`` is false when the platform told us the chat is gone or blocked us."""

    platform: str
    chat_id: str
    chat_kind: ChatKind
    created_by: str
    categories: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    """Followed authors, as :attr:`Profile.authors`."""
    include_cross: bool = False
    max_papers: int = 10
    min_score: float = 0.0
    delivery_time: str = "08:00"
    timezone: str = "UTC"
    frequency: Frequency = "daily"
    weekday: int = 0
    """0 = Monday; used by weekly subscriptions."""
    language: str = "en"
    interests: str = ""
    """The chat's interests in words (``/interests``); empty: keywords alone rank."""
    paused: bool = False
    active: bool = True
    inactive_reason: str | None = None
    next_due_at: datetime | None = None
    """When the next digest is due (UTC); found by a query, not one scheduler job each."""
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)

    @property
    def chat(self) -> ChatRef:
        return ChatRef(self.platform, self.chat_id, self.chat_kind)

    @property
    def delivers(self) -> bool:
        return bool(self.categories) and self.active and not self.paused

    def profile(self) -> Profile:
        return Profile(
            categories=self.categories,
            keywords=self.keywords,
            exclude=self.exclude,
            authors=self.authors,
            max_papers=self.max_papers,
            min_score=self.min_score,
            include_cross=self.include_cross,
            interests=self.interests,
        )

    def changed(self, **changes: object) -> Subscription:
        return replace(self, updated_at=utcnow(), **changes)  # type: ignore[arg-type]
