"""What commands and jobs need from the outside world, gathered in one place and injected.

Adapters build nothing of this: the composition root (``adapters/cli.py``) does, and tests
build it with fakes of the *outside* (local servers), never of our own code.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from bot.announcements import Announcement
from bot.arxiv_ids import ArxivId
from bot.config import Settings
from bot.papers import Paper
from bot.platforms import PlatformStatus
from bot.store import Store
from bot.summarizer import Summarizer

if TYPE_CHECKING:
    from bot.delivery import DeliveryService


class AnnouncementProvider(Protocol):
    async def fetch(self, categories: Sequence[str]) -> Announcement: ...


class PaperLookup(Protocol):
    async def get(self, arxiv_id: ArxivId | str) -> Paper | None: ...


def utc_now() -> datetime:
    return datetime.now(UTC)


class CachedAnnouncements:
    """Today's announcement per category set, kept ``ttl`` seconds: a burst of ``/digest``
    commands costs arXiv one request, not one each."""

    def __init__(self, source: AnnouncementProvider, ttl: float = 1800.0) -> None:
        self._source = source
        self._ttl = ttl
        self._cache: dict[tuple[str, ...], tuple[float, Announcement]] = {}

    async def fetch(self, categories: Sequence[str]) -> Announcement:
        key = tuple(sorted(set(categories)))
        hit = self._cache.get(key)
        if hit and time.monotonic() - hit[0] < self._ttl:
            return hit[1]
        announcement = await self._source.fetch(key)
        self._cache[key] = (time.monotonic(), announcement)
        return announcement


@dataclass(slots=True)
class Services:
    settings: Settings
    store: Store
    announcements: AnnouncementProvider
    """For commands: cached briefly, so a burst of /digest costs arXiv one request."""
    papers: PaperLookup
    summarizer: Summarizer
    feed: AnnouncementProvider | None = None
    """Uncached, for the scheduled fetch of each announcement (defaults to ``announcements``)."""
    clock: Callable[[], datetime] = field(default=utc_now)
    delivery: DeliveryService | None = None
    """Set by ``arxiv-bot run`` (the scheduler's pipeline, for /status)."""
    started_at: datetime = field(default_factory=utc_now)
    feed_secret: bytes | None = None
    """Key of private feed tokens (see :mod:`bot.feed_tokens`)."""
    platforms: dict[str, PlatformStatus] = field(default_factory=dict)
    """The chat platforms ``arxiv-bot run`` starts, and whether each is up (/healthz,
    /status)."""
