"""Whether the bot works, for /healthz and /status: the scheduled jobs' outcomes and each chat
platform's state.

The scheduler swallows a failed round (the next one may succeed), and a platform that cannot be
reached at start does not stop the bot (the feeds, the scheduler and the other platform go on
while it is retried in the background, ``app/platform_starter.py``). Without this record a
bot whose every delivery round fails, or whose platform never came up, would still answer "ok".
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.errors import ConfigurationError

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


PlatformState = Literal["starting", "up", "down", "refused"]

UNHEALTHY_AFTER = 3
"""Failed starts in a row after which a platform that is still down makes /healthz answer
503: a blip at start is retried quietly, an outage is reported."""


class PlatformRefused(ConfigurationError):
    """The platform answered and refused the bot (a wrong token): retrying cannot help."""


@dataclass(slots=True)
class PlatformStatus:
    platform: str
    since: datetime
    state: PlatformState = "starting"
    failures: int = 0
    """Failed starts in a row."""
    error: str | None = None
    retry_at: datetime | None = None

    def failed(self, error: str, now: datetime, retry_at: datetime | None) -> None:
        if self.state != "down":
            self.since = now
        self.state = "down" if retry_at is not None else "refused"
        self.failures += 1
        self.error = error
        self.retry_at = retry_at

    def started(self, now: datetime) -> None:
        self.state = "up"
        self.since = now
        self.failures = 0
        self.error = None
        self.retry_at = None

    @property
    def healthy(self) -> bool:
        if self.state == "refused":
            return False
        return self.state != "down" or self.failures < UNHEALTHY_AFTER

    def describe(self) -> str:
        """One line for operators: ``telegram: down since 10:02 UTC (3 attempts: ...)``."""
        name = self.platform.capitalize()
        since = self.since.strftime("%Y-%m-%d %H:%M UTC")
        if self.state == "up":
            return f"{name}: running since {since}"
        if self.state == "starting":
            return f"{name}: starting"
        tries = f"{self.failures} attempt{'s' if self.failures != 1 else ''}"
        if self.state == "refused":
            return f"{name}: refused the bot ({self.error}); check its token"
        retry = f", next try {self.retry_at.strftime('%H:%M:%S')}" if self.retry_at else ""
        return f"{name}: unreachable since {since} ({tries}{retry}): {self.error}"
