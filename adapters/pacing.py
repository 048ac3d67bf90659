"""Pacing sends below platform limits by design, not by luck.

A sliding-window limiter admits at most ``rate`` acquisitions in any ``period`` seconds; a
keyed family of them gives each chat its own window. Both can be paused (a 429's
``retry_after``). Adapters configure them with their platform's numbers.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict, deque
from collections.abc import Callable


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

    async def acquire(self) -> None:
        async with self._lock:  # first come, first served
            while (wait := self.delay()) > 0:  # noqa: ASYNC110 - pacing is about time itself
                await asyncio.sleep(wait)
            self._times.append(self._clock())


class KeyedWindows:
    """One :class:`SlidingWindow` per key (chat), created on demand; idle ones are evicted
    beyond ``max_keys`` so a fan-out to 100,000 chats does not keep 100,000 windows."""

    def __init__(
        self,
        make: Callable[[str], SlidingWindow],
        *,
        max_keys: int = 10_000,
    ) -> None:
        self._make = make
        self._max_keys = max_keys
        self._windows: OrderedDict[str, SlidingWindow] = OrderedDict()

    def get(self, key: str) -> SlidingWindow:
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
