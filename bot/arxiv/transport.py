"""Every request the bot makes to arXiv goes through one :class:`ArxivHttp`.

arXiv asks for at most one request every three seconds over a single connection, for all of a
client's traffic together (feeds, API, PDFs, HTML). One object owning one lock and one clock is
the simplest way to keep that promise; it also owns the retry policy, so that every caller
survives 5xx answers, 429s and dropped connections the same way.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from email.utils import parsedate_to_datetime
from typing import TypeVar

import httpx

from bot import __version__
from bot.errors import ArxivError

log = logging.getLogger(__name__)

USER_AGENT = f"arxiv-digest-bot/{__version__} (+https://github.com/arxiv-digest-bot)"
MAX_BACKOFF = 120.0
T = TypeVar("T")


class ArxivUnavailable(ArxivError, RuntimeError):
    """arXiv could not be reached, or kept failing, after every retry."""


class MalformedResponse(ArxivError, ValueError):
    """A 200 answer that cannot be parsed: usually a glitch worth retrying."""


class ArxivRequestError(ArxivError, RuntimeError):
    """arXiv refused the request itself (4xx): retrying would not help."""

    user_text = "arXiv refused the request; please check what you asked for."

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class ArxivHttp:
    """Polite, retrying HTTP access to arXiv.

    ``interval`` is the minimum pause between two requests; ``retry_delay`` the
    first back-off, doubled on each retry up to two minutes, or what ``Retry-After`` says.
    """

    def __init__(
        self,
        *,
        interval: float = 3.0,
        retries: int = 4,
        retry_delay: float = 5.0,
        timeout: float = 30.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.interval = interval
        self.retries = retries
        self.retry_delay = retry_delay
        self._client = client or httpx.AsyncClient(
            timeout=httpx.Timeout(timeout),
            headers={"User-Agent": USER_AGENT},
            follow_redirects=False,
        )
        self._lock = asyncio.Lock()
        self._last_start = float("-inf")

    async def aclose(self) -> None:
        await self._client.aclose()

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Hold arXiv's single connection: wait for the lock and for ``interval`` since the last
        request ended. Blocking clients (the ``arxiv`` package) run inside a turn too."""
        async with self._lock:
            wait = self._last_start + self.interval - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            self._last_start = time.monotonic()
            try:
                yield
            finally:  # a long multi-page call counts from its end
                self._last_start = time.monotonic()

    async def get(self, url: str, *, what: str = "arXiv") -> httpx.Response:
        """GET with retries; see :meth:`fetch`."""
        return await self.fetch(url, lambda response: response, what=what)

    async def fetch(
        self, url: str, parse: Callable[[httpx.Response], T], *, what: str = "arXiv"
    ) -> T:
        """GET and parse, retrying network errors, 429, 5xx and answers ``parse`` rejects as
        :class:`MalformedResponse`; raise :class:`ArxivRequestError` on other 4xx answers and
        :class:`ArxivUnavailable` when the retries run out."""
        delay = self.retry_delay
        problem = ""
        for attempt in range(self.retries + 1):
            if attempt:
                log.warning(
                    "%s: %s; retry %d/%d in %.1fs", what, problem, attempt, self.retries, delay
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_BACKOFF)
            try:
                async with self.turn():
                    response = await self._client.get(url)
            except httpx.TransportError as exc:
                problem = type(exc).__name__
                continue
            if response.status_code == 429 or response.status_code >= 500:
                problem = f"HTTP {response.status_code}"
                delay = max(delay, _retry_after(response) or 0.0)
                continue
            if response.status_code != 200:
                raise ArxivRequestError(
                    f"{what} answered HTTP {response.status_code}", response.status_code
                )
            try:  # parsing a 2,000-item feed or a PDF must not stall the event loop
                return await asyncio.to_thread(parse, response)
            except MalformedResponse as exc:
                problem = f"malformed answer ({exc})"
        raise ArxivUnavailable(
            f"{what} is unavailable ({problem} after {self.retries + 1} attempts)"
        )


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return min(float(value), MAX_BACKOFF)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return min(max(when.timestamp() - time.time(), 0.0), MAX_BACKOFF)
