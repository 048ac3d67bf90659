"""Starting a chat platform in the background, retried until it answers.

``arxiv-bot run`` must not end because Telegram or Discord is unreachable when it starts: the
feeds, the scheduler and the other platform keep running, the platform is retried with a
capped, jittered exponential back-off (tenacity's), its state is shown by /healthz and
/status, and its digests start going out as soon as it is up.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_not_exception_type,
    wait_exponential_jitter,
)

from bot.contract.adapter import Adapter
from bot.services.health import PlatformRefused, PlatformStatus

log = logging.getLogger(__name__)


class PlatformStarter:
    """A :class:`Component` whose ``start`` returns at once: the platform's own start is
    attempted in a task until it succeeds (or the platform refuses the bot's token)."""

    def __init__(
        self,
        adapter: Adapter,
        status: PlatformStatus,
        *,
        on_up: Callable[[], None],
        clock: Callable[[], datetime],
        first_delay: float,
        max_delay: float,
    ) -> None:
        self.adapter = adapter
        self.status = status
        self._on_up = on_up
        self._clock = clock
        self._wait = wait_exponential_jitter(
            multiplier=first_delay, max=max_delay, jitter=first_delay
        )
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._keep_starting(), name=f"start {self.name}")

    @property
    def name(self) -> str:
        return self.status.platform.capitalize()

    async def stop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.wait({self._task})
        if self.status.state == "up":
            await self.adapter.stop()

    async def _keep_starting(self) -> None:
        retrying = AsyncRetrying(
            wait=self._wait,
            retry=retry_if_not_exception_type(PlatformRefused),
            before_sleep=self._failed,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    await self.adapter.start()
        except PlatformRefused as exc:
            self.status.failed(str(exc), self._clock(), retry_at=None)
            log.error("%s refused the bot: %s; it stays off until restarted", self.name, exc)
            return
        if self.status.failures:
            log.info("%s is reachable again: started", self.name)
        self.status.started(self._clock())
        self._on_up()

    def _failed(self, state: RetryCallState) -> None:
        """Before each pause: record and report the failure (no traceback: an outage is
        not a bug)."""
        outcome = state.outcome
        error = outcome.exception() if outcome is not None else None
        reason = f"{type(error).__name__}: {error}"[:300] if error else "unknown"
        pause = state.next_action.sleep if state.next_action else 0.0
        now = self._clock()
        self.status.failed(reason, now, retry_at=now + timedelta(seconds=pause))
        log.warning("%s is unreachable (%s); retrying in %.1f s", self.name, reason, pause)
