"""Expensive commands (those that make arXiv and the model work: /digest, /summarize and its
button) are rationed, so one person repeating them cannot slow everyone else's answers: the
same command runs once at a time in a chat (a repeat is told its answer is coming), and each
person may start a few per minute (then is told how long to wait). A refusal costs nothing;
it names what it is about, so the router can say it once (see ``CommandRouter.handle_text``)."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import AsyncIterator, Callable, Hashable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import count

from bot.contract.chats import CommandContext
from bot.contract.messages import Reply, reply

WINDOW = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a request may not start now."""

    answer: Reply
    about: Hashable
    """What it is about (the run waited for, the start that has to leave the window): the
    same refusal again has the same ``about``, even while the seconds in its text count
    down."""


class Throttle:
    def __init__(self, per_user_per_minute: int, clock: Callable[[], datetime]) -> None:
        self.per_user_per_minute = per_user_per_minute
        self.clock = clock
        self._running: dict[tuple[str, str], int] = {}
        """(chat, what was asked) -> which run: the same request runs once at a time in a
        chat."""
        self._runs = count()
        self._started: dict[str, deque[datetime]] = {}

    def refusal(self, ctx: CommandContext, request: str, label: str) -> Refusal | None:
        """Why ``request`` (a command or button with its arguments, normalised) may not start
        now, or None (then :meth:`running` it). ``label`` names it for people."""
        run = self._running.get((ctx.chat.key, request))
        if run is not None:
            return _refusal(
                ("running", run),
                f"I'm still working on {label} asked for in this chat; the answer will arrive "
                "here shortly.",
            )
        now = self.clock()
        started = self._started.get(ctx.user_key)
        if started is not None:
            while started and now - started[0] >= WINDOW:
                started.popleft()
            if len(started) >= self.per_user_per_minute:
                wait = max(1, math.ceil((started[0] + WINDOW - now).total_seconds()))
                return _refusal(
                    ("rate", started[0]),
                    f"You have asked for {len(started)} papers or digests in the last minute; "
                    f"please wait {wait} seconds before the next one.",
                )
        return None

    @asynccontextmanager
    async def running(self, ctx: CommandContext, request: str) -> AsyncIterator[None]:
        key = (ctx.chat.key, request)
        self._running[key] = next(self._runs)
        self._started.setdefault(ctx.user_key, deque()).append(self.clock())
        try:
            yield
        finally:
            del self._running[key]
            if not self._started[ctx.user_key]:
                del self._started[ctx.user_key]


def _refusal(about: Hashable, text: str) -> Refusal:
    return Refusal(reply(text, private=True), about)  # for whoever asked, where it can be
