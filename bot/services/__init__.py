"""What commands and jobs need from the outside world, gathered in one place and injected.

Adapters build nothing of this: the composition root (``app/wiring.py``) does, and tests
build it with fakes of the *outside* (local servers), never of our own code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from bot.arxiv.announcements import AnnouncementProvider
from bot.arxiv.lookup import PaperLookup
from bot.config import Settings
from bot.contract.chats import ChatRef
from bot.contract.messages import OnMessage, Reply
from bot.model.profile import Profile
from bot.model.store import Instance, Store
from bot.model.summaries import Summary
from bot.ranking.digest import Digest
from bot.services.health import Health, PlatformStatus
from bot.summaries.answers import Answers
from bot.summaries.digests import build_digest
from bot.summaries.embeddings import Embedder
from bot.summaries.summarizer import Summarizer


def utc_now() -> datetime:
    return datetime.now(UTC)


SILENT_AFTER = timedelta(minutes=2)
"""An instance whose heartbeat (every 10 s) is older than this is gone: not listed."""


@dataclass(slots=True)
class DeliveryCounters:
    """Running totals for /status and metrics."""

    delivered: int = 0
    failed: int = 0
    skipped: int = 0
    messages: int = 0
    failures_by_reason: dict[str, int] = field(default_factory=dict)


class LiveReplies(Protocol):
    """Digests sent before all their summaries were made and completed in place later
    (:class:`bot.delivery.live.LiveDigests`)."""

    def editable(self, platform: str) -> bool:
        """Whether that platform's messages can be completed in place."""
        ...

    async def ready(self, digest: Digest, language: str) -> dict[str, Summary]: ...

    async def begin(
        self, chat: ChatRef, ref: str, language: str, digest: Digest, *, heading: str
    ) -> tuple[Reply, OnMessage | None]: ...


class DeliveryStatus(Protocol):
    """What the HTTP port and /status read of the running delivery pipeline."""

    counters: DeliveryCounters


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
    delivery: DeliveryStatus | None = None
    """Set by ``arxiv-bot run`` (the scheduler's pipeline, for /status)."""
    started_at: datetime = field(default_factory=utc_now)
    feed_secret: bytes | None = None
    """Key of private feed tokens (see :mod:`bot.feeds.tokens`)."""
    health: Health = field(default_factory=Health)
    """The scheduled jobs' outcomes, for /healthz."""
    embedder: Embedder | None = None
    """Embeddings of papers and interests; None: interests match by words (BM25)."""
    platforms: dict[str, PlatformStatus] = field(default_factory=dict)
    """The chat platforms ``arxiv-bot run`` starts, and whether each is up (/healthz,
    /status)."""
    replan: Callable[[], None] | None = None
    """Told when what the summary planner plans changed: a command saved a subscription, a
    /digest went out waiting for summaries."""
    live: LiveReplies | None = None
    """Set by ``arxiv-bot run``: replies completed in place on platforms that edit."""
    answers: Answers = field(init=False)
    """Questions about papers (/ask), answered by the summarizer's model within its budgets."""

    def __post_init__(self) -> None:
        self.answers = Answers(self.summarizer, clock=lambda: self.clock())

    async def instances(self) -> list[Instance]:
        """The instances sharing the database that beat lately, the earliest started first
        (only ``arxiv-bot run`` beats)."""
        return await self.store.instances(self.clock() - SILENT_AFTER)

    async def todays_digest(
        self, profile: Profile, language: str, *, deadline: float = 0.0, summarized: bool = True
    ) -> Digest:
        """Today's digest on demand (``arxiv-bot digest``, ``/digest``) with these services:
        the papers kept, ranked with the embedder when there is one, the top ones summarized
        within ``deadline`` seconds unless not ``summarized`` (the caller fills them in).
        Raises the arXiv errors."""
        settings = self.settings
        return await build_digest(
            self.announcements,
            profile,
            mode=settings.scoring,
            papers=self.store,
            summarizer=self.summarizer,
            language=language,
            limit=settings.max_papers_to_summarize if summarized else 0,
            deadline=deadline,
            now=self.clock(),
            embedder=self.embedder,
        )
