"""This instance among those sharing the database: its heartbeat, and whether it leads.

Every ``BEAT_SECONDS`` the instance tries to become (or stay) the leader
(:mod:`storage.leadership`) and then beats: its row in the instances table says it is alive
and whether it leads (/status, /metrics), and the leases it holds are renewed (its claimed
ledger rows, the summaries it is making), so that only a dead instance's work is taken over.
A new leader is replaced within ``BEAT_SECONDS`` of the old one's death (its session ends
with it), well within the minute the issue asks for.

The jobs only the leader runs are wrapped by :func:`only_when_leading`, not rewritten.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from bot.errors import StorageError
from bot.model.leadership import Leadership
from bot.model.store import InstanceStore

log = logging.getLogger(__name__)

BEAT_SECONDS = 10.0
"""The default of ``ARXIV_BOT_HEARTBEAT_SECONDS``."""
LEASE_BEATS = 3
"""A lease lasts this many beats (30 s by default, storage.sqlite.LEASE): two beats may
fail before the leases of a live instance run out."""

Watcher = Callable[[bool], Awaitable[None]]
"""Told ``True`` when this instance becomes the leader, ``False`` when it stops leading."""


class InstanceBeat:
    """A :class:`app.wiring.Component`: the first beat runs in :meth:`start`, so that the
    scheduler's first round already knows who leads; the others in a task."""

    def __init__(
        self,
        store: InstanceStore,
        leadership: Leadership,
        *,
        interval: float = BEAT_SECONDS,
    ) -> None:
        self.store = store
        self.leadership = leadership
        self.interval = interval
        self._watchers: list[Watcher] = []
        self._after: list[Callable[[], Awaitable[None]]] = []
        self._task: asyncio.Task[None] | None = None
        self._led = False

    @property
    def leads(self) -> bool:
        return self.leadership.leads

    def watch(self, watcher: Watcher) -> None:
        """``watcher`` is awaited after each change of leadership (and once at start, when
        this instance leads from the first beat)."""
        self._watchers.append(watcher)

    def after_each(self, hook: Callable[[], Awaitable[None]]) -> None:
        """``hook`` is awaited after every beat (a look for work left by a dead instance)."""
        self._after.append(hook)

    async def start(self) -> None:
        await self.beat()
        self._task = asyncio.create_task(self._keep_beating(), name="instance heartbeat")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        was = self._led
        await self.leadership.close()
        self._led = False
        if was:
            await self._tell(False)

    async def beat(self) -> None:
        """One round: leadership first (a beat then records it), then the heartbeat."""
        leads = await self.leadership.refresh()
        try:
            await self.store.heartbeat(leader=leads)
        except StorageError as exc:  # the next beat tries again; /healthz says why meanwhile
            log.warning("heartbeat failed: %s", exc)
        if leads != self._led:
            self._led = leads
            log.info("this instance %s", "leads now" if leads else "no longer leads")
            await self._tell(leads)
        for hook in self._after:
            try:
                await hook()
            except Exception as exc:  # the next beat tries again
                log.warning("after the heartbeat: %s", exc)

    async def _tell(self, leads: bool) -> None:
        for watcher in self._watchers:
            try:
                await watcher(leads)
            except Exception:  # one watcher's fault must not stop the heartbeat
                log.exception("reacting to a change of leadership failed")

    async def _keep_beating(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.beat()
            except Exception:
                log.exception("heartbeat round failed")


def only_when_leading(
    leadership: Leadership, job: Callable[[], Awaitable[object]]
) -> Callable[[], Awaitable[object]]:
    """``job`` for the scheduler, run by the leader only (a round of the others is a
    no-op): the work of all the instances that one of them does."""

    async def run() -> object:
        if not leadership.leads:
            return None
        return await job()

    return run
