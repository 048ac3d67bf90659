"""Running a fake server on its own event loop in a background thread.

Synchronous tests, and tests that drive the bot as a subprocess, need a fake that keeps
answering while the test itself blocks; every fake gets that from this one class.
"""

from __future__ import annotations

import asyncio
import threading
from types import TracebackType
from typing import Generic, Protocol, TypeVar


class Startable(Protocol):
    async def start(self) -> object: ...

    async def stop(self) -> object: ...


S = TypeVar("S", bound=Startable)


class ServerThread(Generic[S]):
    """``with ServerThread(server) as server:`` starts ``server`` in a thread of its own and
    stops it on the way out; a failure to start is raised in the caller's thread."""

    def __init__(self, server: S) -> None:
        self.fake = server
        self._started = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        name = f"{type(server).__name__}Thread"
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        try:
            await self.fake.start()
        except BaseException as exc:
            self._error = exc
            self._started.set()
            return
        self._started.set()
        try:
            await self._stop.wait()
        finally:
            await self.fake.stop()

    def __enter__(self) -> S:
        self._thread.start()
        self._started.wait()
        if self._error is not None:
            self._thread.join()
            raise RuntimeError(f"{type(self.fake).__name__} failed to start") from self._error
        return self.fake

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._loop is not None and self._stop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join()
