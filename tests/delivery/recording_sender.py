"""A test adapter: the :class:`bot.contract.outbound.Sender` protocol in memory (the issue's "test
adapter"). It is a platform, not a mock of our code: it only plays the part Telegram or
Discord play, and keeps what they would have received.

- A reply becomes ``blocks_per_message`` blocks per message (default one block each: the
  header and every paper card are separate messages), so digests are multi-message.
- ``fail(chat, kind, at=...)`` makes the message at index ``at`` to that chat fail with a
  :class:`DeliveryError` of ``kind`` (``uncertain``: the message did arrive, then the error),
  ``times`` times; ``sent`` on the error counts the reply's messages that went out, as the
  real adapters report it.
- ``block(chat)`` holds every send to that chat at an :class:`asyncio.Event` until the test
  sets it (a slow chat); ``entered`` tells when a send is waiting there, and
  :meth:`wait_until` waits for messages to arrive. ``block(chat, answer=True)`` holds it
  later: the message has arrived and its answer is slow (it is in flight, inside ``gate``).
- ``crash_after(n)``: after ``n`` more messages the next one is delivered and then the
  "process" dies before it can record that: ``crashed`` is set and every send, that one
  included, hangs until the test cancels the round (as a SIGKILL would leave it).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.contract.chats import ChatRef
from bot.contract.messages import Block, PaperCard, Reply
from bot.contract.outbound import DeliveryError, FailureKind, Gate, OnSent


@dataclass(frozen=True, slots=True)
class Sent:
    """One message as the platform received it."""

    chat: ChatRef
    reply: Reply
    index: int
    """Its position in the reply (0 = the first message)."""
    of: int
    """How many messages the reply consists of."""
    blocks: tuple[Block, ...]
    skip: int
    key: str | None

    @property
    def chat_id(self) -> str:
        return self.chat.chat_id

    @property
    def papers(self) -> list[str]:
        """Versioned ids of the paper cards in this message."""
        return [b.arxiv_id for b in self.blocks if isinstance(b, PaperCard)]

    @property
    def cards(self) -> list[PaperCard]:
        return [b for b in self.blocks if isinstance(b, PaperCard)]


@dataclass
class _Failure:
    kind: FailureKind
    at: int
    times: int
    retry_after: float | None


@dataclass
class RecordingSender:
    platform: str = "test"
    blocks_per_message: int = 1
    sent: list[Sent] = field(default_factory=list)
    attempts: Counter[str] = field(default_factory=Counter)
    """``send`` calls per chat id (a digest's first try and each retry)."""
    in_flight: int = 0
    max_in_flight: int = 0
    """The most messages ever between "sent" and "recorded" at once (the delivery gate)."""
    crashed: asyncio.Event = field(default_factory=asyncio.Event)
    entered: asyncio.Event = field(default_factory=asyncio.Event)
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _failures: dict[str, list[_Failure]] = field(default_factory=dict)
    _gates: dict[str, asyncio.Event] = field(default_factory=dict)
    _slow_answers: set[str] = field(default_factory=set)
    _crash_in: int | None = None
    _dead: bool = False

    # --- programming the platform --------------------------------------------------------

    def fail(
        self,
        chat_id: str,
        kind: FailureKind,
        *,
        at: int = 0,
        times: int = 1,
        retry_after: float | None = None,
    ) -> None:
        self._failures.setdefault(chat_id, []).append(_Failure(kind, at, times, retry_after))

    def block(self, chat_id: str, *, answer: bool = False) -> asyncio.Event:
        gate = self._gates[chat_id] = asyncio.Event()
        if answer:
            self._slow_answers.add(chat_id)
        return gate

    def unblock(self, chat_id: str) -> None:
        self._gates.pop(chat_id).set()
        self._slow_answers.discard(chat_id)

    def crash_after(self, messages: int) -> None:
        self._crash_in = messages

    def revive(self) -> None:
        """The platform after the crashed process is gone: sends work again."""
        self._dead = False
        self._crash_in = None
        self.crashed.clear()

    # --- reading what arrived ------------------------------------------------------------

    async def wait_until(self, predicate: Callable[[], bool]) -> None:
        """Return once ``predicate()`` holds; re-checked whenever a message arrives. Bound
        it with ``asyncio.timeout``."""
        async with self._changed:
            await self._changed.wait_for(predicate)

    def to(self, chat_id: str) -> list[Sent]:
        return [s for s in self.sent if s.chat_id == chat_id]

    def chats(self) -> set[str]:
        return {s.chat_id for s in self.sent}

    def duplicates(self) -> int:
        """Messages that arrived more than once (same chat, digest and position)."""
        seen = Counter((s.chat_id, s.key, s.index) for s in self.sent)
        return sum(n - 1 for n in seen.values())

    def digests(self, chat_id: str) -> set[str | None]:
        return {s.key for s in self.to(chat_id)}

    # --- the Sender protocol -------------------------------------------------------------

    def split(self, reply: Reply) -> list[tuple[Block, ...]]:
        size = self.blocks_per_message
        blocks = reply.blocks
        return [blocks[i : i + size] for i in range(0, len(blocks), size)] or [()]

    async def send(
        self,
        chat: ChatRef,
        reply: Reply,
        *,
        skip: int = 0,
        key: str | None = None,
        on_sent: OnSent | None = None,
        gate: Gate | None = None,
    ) -> int:
        self.attempts[chat.chat_id] += 1
        messages = self.split(reply)
        for index, blocks in enumerate(messages):
            if index < skip:
                continue
            await self._hang_if_dead()
            hold = self._gates.get(chat.chat_id)
            if hold is not None and chat.chat_id not in self._slow_answers:
                self.entered.set()
                await hold.wait()
            failure = self._failure(chat.chat_id, index)
            if failure is not None and failure.kind != "uncertain":
                raise DeliveryError(
                    failure.kind,
                    f"{failure.kind} (test platform)",
                    sent=index,
                    retry_after=failure.retry_after,
                )
            async with gate or contextlib.nullcontext():  # as the real adapters hold it
                self.in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self.in_flight)
                self.sent.append(Sent(chat, reply, index, len(messages), blocks, skip, key))
                async with self._changed:
                    self._changed.notify_all()
                if hold is not None and chat.chat_id in self._slow_answers:
                    self.entered.set()
                    await hold.wait()
                try:
                    if failure is not None:  # it arrived, but the answer was lost
                        raise DeliveryError("uncertain", "no answer (test platform)", sent=index)
                    if self._crash_in is not None:
                        if self._crash_in == 0:
                            self._dead = True  # delivered, and the process dies first
                            await self._hang_if_dead()
                        self._crash_in -= 1
                    if on_sent is not None:
                        await on_sent(index + 1)
                finally:
                    self.in_flight -= 1
        return len(messages)

    def _failure(self, chat_id: str, index: int) -> _Failure | None:
        for failure in self._failures.get(chat_id, []):
            if failure.at == index and failure.times > 0:
                failure.times -= 1
                return failure
        return None

    async def _hang_if_dead(self) -> None:
        if self._dead:
            self.crashed.set()
            await asyncio.Event().wait()  # until the round is cancelled
