"""Pacing sends below platform limits by design, not by luck.

A sliding-window limiter admits at most ``rate`` acquisitions in any ``period`` seconds; a
keyed family of them gives each chat its own window. Both can be paused (a 429's
``retry_after``). Adapters configure them with their platform's numbers.

The limits are the bot's, not a process's: instances that share a PostgreSQL database
reserve their sends in it (:class:`SharedWindow` over :class:`SharedSlots`, which the
PostgreSQL store implements), so three instances together stay within Telegram's 30
messages a second as one would. A single instance (SQLite) paces in memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Protocol, runtime_checkable

log = logging.getLogger(__name__)


@runtime_checkable
class SharedSlots(Protocol):
    """Send turns kept where every instance sees them (the shared database). Times are the
    database's clock, so the instances' own clocks need not agree to the millisecond;
    ``now`` overrides it (tests)."""

    async def take_slot(self, name: str, period: float, now: float | None = None) -> float | None:
        """Take limit ``name``'s turn (one send per ``period``, whoever sends) if it is
        free: None when taken (send now), else the seconds until it frees (nothing taken).
        A turn counts from when it is taken, so a late sender delays the next, never
        bunches with it."""
        ...

    async def reserve_slot(
        self, name: str, rate: int, period: float, now: float | None = None
    ) -> float:
        """Reserve the earliest moment at which one more send counted by ``name`` (at most
        ``rate`` in any ``period`` seconds) may leave: the seconds to wait for it."""
        ...

    async def peek_slot(
        self, name: str, rate: int, period: float, now: float | None = None
    ) -> float:
        """The seconds :meth:`reserve_slot` (or :meth:`take_slot`) would wait now, taking
        nothing."""
        ...

    async def pause_slots(self, name: str, seconds: float, now: float | None = None) -> None:
        """No send counted by ``name`` for ``seconds`` (a platform asked to wait)."""
        ...


class SlidingWindow:
    def __init__(
        self, rate: int, period: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.period = period
        self._clock = clock
        self._times: deque[float] = deque()
        self._paused_until = 0.0
        self._lock = asyncio.Lock()

    def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    def delay(self) -> float:
        """Seconds until the next acquisition may happen (0 when it may happen now)."""
        now = self._clock()
        while self._times and self._times[0] <= now - self.period:
            self._times.popleft()
        wait = self._paused_until - now
        if len(self._times) >= self.rate:
            wait = max(wait, self._times[0] + self.period - now)
        return max(wait, 0.0)

    async def turn(self) -> float:
        """:meth:`delay`, as :class:`SharedWindow` answers it (asking the database)."""
        return self.delay()

    async def acquire(self) -> None:
        async with self._lock:  # first come, first served
            while (wait := self.delay()) > 0:  # noqa: ASYNC110 - pacing is about time itself
                await asyncio.sleep(wait)
            self._times.append(self._clock())


class SharedWindow:
    """A :class:`SlidingWindow` kept in the shared database: the sends of every instance
    count. One send a period (Telegram's overall and per-chat limits, Discord's global): the
    turn is taken when it is free, and counts from then, as in memory. Several a period
    (groups, channels): a slot is reserved and waited for. A pause is recorded for all the
    instances. If the database cannot be reached, this instance paces alone (in memory)
    until it can: sends are never held up by pacing's own bookkeeping."""

    def __init__(self, slots: SharedSlots, name: str, rate: int, period: float) -> None:
        self.slots = slots
        self.name = name
        self.rate = rate
        self.period = period
        self._alone = SlidingWindow(rate, period)
        self._lock = asyncio.Lock()
        self._pausing: set[asyncio.Task[None]] = set()

    def pause(self, seconds: float) -> None:
        self._alone.pause(seconds)
        task = asyncio.get_running_loop().create_task(
            self._pause(seconds), name=f"pause {self.name}"
        )
        self._pausing.add(task)
        task.add_done_callback(self._pausing.discard)

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(Exception):  # the local pause holds either way
            await self.slots.pause_slots(self.name, seconds)

    def delay(self) -> float:
        """The local part only (a pause this instance was told of)."""
        return self._alone.delay()

    async def turn(self) -> float:
        try:
            wait = await self.slots.peek_slot(self.name, self.rate, self.period)
        except Exception as exc:
            log.debug("shared pacing of %s unavailable (%s): pacing alone", self.name, exc)
            return self._alone.delay()
        return max(wait, self._alone.delay(), 0.0)

    async def acquire(self) -> None:
        # One instance task at a time: this process's queue of sends stays here, as in
        # SlidingWindow, and the database sees one request per instance and turn.
        async with self._lock:
            while (wait := self._alone.delay()) > 0:  # noqa: ASYNC110 - pacing is about time
                await asyncio.sleep(wait)
            try:
                await self._acquire()
            except Exception as exc:
                log.debug("shared pacing of %s unavailable (%s): pacing alone", self.name, exc)
                await self._alone.acquire()

    async def _acquire(self) -> None:
        if self.rate > 1:
            wait = await self.slots.reserve_slot(self.name, self.rate, self.period)
            if wait > 0:
                await asyncio.sleep(wait)
            return
        while True:
            wait_for = await self.slots.take_slot(self.name, self.period)
            if wait_for is None:
                return
            await asyncio.sleep(wait_for)  # until the turn frees: then try for it again


Window = SlidingWindow | SharedWindow


class KeyedWindows:
    """One :class:`SlidingWindow` per key (chat), created on demand; idle ones are evicted
    beyond ``max_keys`` so a fan-out to 100,000 chats does not keep 100,000 windows."""

    def __init__(
        self,
        make: Callable[[str], Window],
        *,
        max_keys: int = 10_000,
    ) -> None:
        self._make = make
        self._max_keys = max_keys
        self._windows: OrderedDict[str, Window] = OrderedDict()

    def get(self, key: str) -> Window:
        window = self._windows.get(key)
        if window is None:
            window = self._windows[key] = self._make(key)
            while len(self._windows) > self._max_keys:
                oldest, candidate = next(iter(self._windows.items()))
                if candidate.delay() > 0:
                    break  # the oldest is still busy: keep it rather than forget its limit
                del self._windows[oldest]
        else:
            self._windows.move_to_end(key)
        return window
