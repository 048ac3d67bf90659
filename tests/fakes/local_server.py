"""What every fake server shares: an aiohttp app on 127.0.0.1 at a free port, used as an
async context manager (``async with FakeX() as fake:``)."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

from aiohttp import web


class Headers(dict[str, str]):
    """Request headers as the client sent them (a plain dict) whose lookups ignore case:
    ``headers["authorization"]`` and ``headers["Authorization"]`` both work."""

    def _key(self, key: str) -> str:
        if not dict.__contains__(self, key):
            lowered = key.lower()
            for k in self:
                if k.lower() == lowered:
                    return k
        return key

    def __getitem__(self, key: str) -> str:
        return dict.__getitem__(self, self._key(key))

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self, self._key(key) if isinstance(key, str) else key)

    def get(self, key: str, default: Any = None) -> Any:
        return dict.get(self, self._key(key), default)


class LocalServer:
    """Subclasses build their app in ``start()`` and hand it to :meth:`_serve`; ``stop()``
    ends with :meth:`_close_server`."""

    _runner: web.AppRunner | None = None
    _port: int | None = None

    async def start(self) -> None:
        raise NotImplementedError

    async def stop(self) -> None:
        raise NotImplementedError

    async def _serve(self, app: web.Application, *, cancel_handlers: bool = True) -> None:
        """Listen on 127.0.0.1 only, at a port the system picks. ``cancel_handlers`` cancels a
        handler whose client went away (a client-side timeout frees its slot at once)."""
        runner = web.AppRunner(
            app, handle_signals=False, shutdown_timeout=1.0, handler_cancellation=cancel_handlers
        )
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self._port = runner.addresses[0][1]

    async def _close_server(self) -> None:
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return self._port
