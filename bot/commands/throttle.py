"""Expensive commands (those that make arXiv and the model work: /digest, /summarize and its
button) are rationed, so one person repeating them cannot slow everyone else's answers: the
same command runs once at a time in a chat (a repeat is told its answer is coming), and each
person may start a few per minute (then is told how long to wait). A refusal costs nothing,
and is said once: a chat delivers its messages one after the other, so thirty "please wait"
answers to thirty repeats would stand between the person and the answer they wait for."""

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
RETELL_AFTER = timedelta(seconds=10)
"""A person repeating a refused request is told again after this long (the wait it names
has changed by then), not at every repeat."""


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a request may not start now."""

    answer: Reply
    repeated: bool
    """The same person was told this, for the same wait, moments ago: where silence is
    possible (typed text), it need not be said again."""


class Throttle:
    def __init__(self, per_user_per_minute: int, clock: Callable[[], datetime]) -> None:
        self.per_user_per_minute = per_user_per_minute
        self.clock = clock
        self._running: dict[tuple[str, str], int] = {}
        """(chat, what was asked) -> which run: the same request runs once at a time in a
        chat."""
        self._runs = count()
        self._started: dict[str, deque[datetime]] = {}
        self._told: dict[str, tuple[Hashable, datetime]] = {}
        """Per person, the last refusal they were told (a run they wait for, or the start that
        has to leave the window) and when: told again when it changes, or after
        :data:`RETELL_AFTER`."""

    def refusal(self, ctx: CommandContext, request: str, label: str) -> Refusal | None:
        """Why ``request`` (a command or button with its arguments, normalised) may not start
        now, or None (then :meth:`running` it). ``label`` names it for people."""
        run = self._running.get((ctx.chat.key, request))
        if run is not None:
            return self._refuse(
                ctx,
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
                return self._refuse(
                    ctx,
                    ("rate", started[0]),
                    f"You have asked for {len(started)} papers or digests in the last minute; "
                    f"please wait {wait} seconds before the next one.",
                )
        return None

    def _refuse(self, ctx: CommandContext, why: Hashable, text: str) -> Refusal:
        now = self.clock()
        told = self._told.get(ctx.user_key)
        answer = reply(text, private=True)  # for the person who asked, where it can be
        if told is not None and told[0] == why and now - told[1] < RETELL_AFTER:
            return Refusal(answer, repeated=True)
        self._told[ctx.user_key] = (why, now)
        return Refusal(answer, repeated=False)

    @asynccontextmanager
    async def running(self, ctx: CommandContext, request: str) -> AsyncIterator[None]:
        key = (ctx.chat.key, request)
        run = self._running[key] = next(self._runs)
        self._started.setdefault(ctx.user_key, deque()).append(self.clock())
        self._told.pop(ctx.user_key, None)  # what they were told is behind them
        try:
            yield
        finally:
            del self._running[key]
            if not self._started[ctx.user_key]:
                del self._started[ctx.user_key]
            self._forget(("running", run))

    def _forget(self, why: Hashable) -> None:
        """Who was told about a run that ended has nothing left to be told about it (and a
        person who never starts anything must not be remembered for ever)."""
        for user in [user for user, (told, _) in self._told.items() if told == why]:
            del self._told[user]
