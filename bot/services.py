"""What commands and jobs need from the outside world, gathered in one place and injected.

Adapters build nothing of this: the composition root (``app/wiring.py``) does, and tests
build it with fakes of the *outside* (local servers), never of our own code.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from bot.arxiv.announcements import AnnouncementProvider
from bot.arxiv.lookup import PaperLookup
from bot.config import Settings
from bot.model.store import Store
from bot.summaries.answers import Answers
from bot.summaries.summarizer import Summarizer


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class DeliveryCounters:
    """Running totals for /status and metrics."""

    delivered: int = 0
    failed: int = 0
    skipped: int = 0
    messages: int = 0
    failures_by_reason: dict[str, int] = field(default_factory=dict)


class DeliveryStatus(Protocol):
    """What the HTTP port and /status read of the running delivery pipeline."""

    counters: DeliveryCounters


FAILURES_IN_A_ROW = 3
STALE_INTERVALS = 3


@dataclass(slots=True)
class _Job:
    interval: float
    last_beat: float
    """When the job last started or ended (the clock's seconds)."""
    running: bool = False
    failures: int = 0
    last_error: str = ""


class Health:
    """What ``/healthz`` reports about the scheduled jobs, so that an orchestrator restarts a bot
    that runs but no longer works.

    The scheduler swallows a failed round (the next one may succeed), so without this record a
    bot whose every delivery round fails (a damaged database, say) would still answer "ok". A job
    is unhealthy after ``FAILURES_IN_A_ROW`` failed rounds, and healthy again after one that
    succeeds; a job that neither runs nor has run for ``STALE_INTERVALS`` of its intervals means
    the scheduler itself has stopped.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._jobs: dict[str, _Job] = {}

    def register(self, name: str, interval: float) -> None:
        self._jobs[name] = _Job(interval=interval, last_beat=self._clock())

    def started(self, name: str) -> None:
        job = self._jobs[name]
        job.running = True
        job.last_beat = self._clock()

    def succeeded(self, name: str) -> None:
        job = self._jobs[name]
        job.running = False
        job.last_beat = self._clock()
        job.failures = 0
        job.last_error = ""

    def failed(self, name: str, error: BaseException) -> None:
        job = self._jobs[name]
        job.running = False
        job.last_beat = self._clock()
        job.failures += 1
        job.last_error = _one_line(error)

    def interrupted(self, name: str) -> None:
        """Cancelled by shutdown: neither a success nor a failure."""
        self._jobs[name].running = False

    def problems(self) -> list[str]:
        """One line per unhealthy job; empty when all is well."""
        now = self._clock()
        found: list[str] = []
        for name, job in self._jobs.items():
            if job.failures >= FAILURES_IN_A_ROW:
                found.append(
                    f"scheduled job {name} failed {job.failures} times in a row: {job.last_error}"
                )
            elif not job.running and now - job.last_beat > STALE_INTERVALS * job.interval:
                found.append(
                    f"scheduled job {name} has not run for {now - job.last_beat:.0f} s "
                    f"(every {job.interval:g} s expected)"
                )
        return found


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text[:300]


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
    answers: Answers = field(init=False)
    """Questions about papers (/ask), answered by the summarizer's model within its budgets."""

    def __post_init__(self) -> None:
        self.answers = Answers(self.summarizer, clock=lambda: self.clock())
