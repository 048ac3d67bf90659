"""The work an adapter is doing for its chats (commands, button presses), so that a shutdown
can cancel it instead of waiting for a slow model or an unreachable arXiv."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, ParamSpec

P = ParamSpec("P")


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
