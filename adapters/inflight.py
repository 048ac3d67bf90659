"""The work an adapter is doing for its chats (commands, button presses), so that a shutdown
can cancel it instead of waiting for a slow model or an unreachable arXiv, and tell whoever
was waiting for it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from contextlib import asynccontextmanager, contextmanager
from functools import wraps
from typing import Any, ParamSpec

P = ParamSpec("P")
log = logging.getLogger(__name__)

TELL_SECONDS = 1.5
"""How long telling someone that a shutdown cut their command short may take: within the
adapter's wait for its cancelled commands (and Docker's ten seconds)."""


class InFlight:
    """The tasks currently handling something; :meth:`cancel` ends them all. Once
    :meth:`close`-d, handlers wrapped by :meth:`tracked` no longer start: the bot is going
    down and would only cancel them."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[object]] = set()
        self.closed = False

    def close(self) -> None:
        self.closed = True

    @contextmanager
    def tracking(self) -> Iterator[None]:
        """Marks the current task as busy with a command until the block ends."""
        task = asyncio.current_task()
        if task is None:
            yield
            return
        self._tasks.add(task)
        try:
            yield
        finally:
            self._tasks.discard(task)

    @asynccontextmanager
    async def interruptible(
        self, tell: Callable[[], Awaitable[object]], seconds: float = TELL_SECONDS
    ) -> AsyncIterator[None]:
        """Around a command's work: when :meth:`cancel` ends it (the bot is shutting down),
        ``tell`` (say, a reply that the bot is restarting) gets ``seconds`` to reach whoever
        asked before the cancellation goes on. Best-effort: a failure is logged."""
        try:
            yield
        except asyncio.CancelledError:
            if self.closed:
                try:
                    async with asyncio.timeout(seconds):
                        await tell()
                except Exception as exc:  # shutting down: nothing may stand in the way
                    log.info("could not tell a user that the bot is restarting: %r", exc)
            raise

    def tracked(
        self, handler: Callable[P, Coroutine[Any, Any, None]]
    ) -> Callable[P, Coroutine[Any, Any, None]]:
        @wraps(handler)
        async def run(*args: P.args, **kwargs: P.kwargs) -> None:
            if self.closed:
                return
            with self.tracking():
                await handler(*args, **kwargs)

        return run

    async def cancel(self, seconds: float) -> None:
        """Cancel every task in flight and wait for them, at most ``seconds``: a
        task that ignores cancellation is left to the event loop's own end."""
        tasks = [t for t in self._tasks if not t.done() and t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=seconds)
