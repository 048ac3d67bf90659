"""Whether each chat platform is running, for /healthz and /status.

A platform that cannot be reached at start (Telegram or Discord down, a proxy answering 502)
does not stop the bot: the feeds, the scheduler and the other platform go on, and the
platform is retried in the background (``adapters/platform_starter.py``) until it answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

PlatformState = Literal["starting", "up", "down", "refused"]

UNHEALTHY_AFTER = 3
"""Failed starts in a row after which a platform that is still down makes /healthz answer
503: a blip at start is retried quietly, an outage is reported."""


class PlatformRefused(RuntimeError):
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
