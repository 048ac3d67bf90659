"""The HTTP client of the model service's calls: a deadline on each whole attempt.

The OpenAI client's timeout limits each network operation, so an answer whose body trickles
in (a byte a second, from a broken proxy) never times out and whoever waits for the summary
waits for ever. Here each attempt (connecting, sending, reading the whole body) has the
configured seconds in all; a late one fails as a timeout, which the client retries like any
other and then reports as "the model service did not answer in time".
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx2
import openai


class DeadlineHttpClient(openai.DefaultAsyncHttpxClient):
    """openai's default client (its connection limits and redirects), with the deadline."""

    def __init__(self, seconds: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.seconds = seconds

    async def send(self, request: httpx2.Request, *args: Any, **kwargs: Any) -> httpx2.Response:
        try:
            async with asyncio.timeout(self.seconds):
                return await super().send(request, *args, **kwargs)
        except TimeoutError as exc:
            raise httpx2.ReadTimeout(
                f"no complete answer within {self.seconds:g} s", request=request
            ) from exc
