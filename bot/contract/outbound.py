"""The contract between the core and a platform adapter for messages the bot sends on its own
(digests), and the neutral failures an adapter reports.

Delivery code never sees platform exceptions: an adapter turns them into a
:class:`DeliveryError` whose ``kind`` decides what happens next.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Literal, Protocol, runtime_checkable

from bot.contract.chats import ChatRef
from bot.contract.messages import OnMessage, Reply

__all__ = ["DeliveryError", "Editor", "Gate", "OnMessage", "OnSent", "Sender"]

OnSent = Callable[[int], Awaitable[None]]
Gate = AbstractAsyncContextManager[object]


class SentMessage:
    """What an adapter records of one message of a send. The ledger's progress (``on_sent``)
    is written inside the fan-out's gate, right after the message went out: that is what a
    crash can duplicate. Where the message went (``on_message``, for edits that complete it
    later) is written after the gate is released, so it never slows a fan-out."""

    def __init__(
        self,
        index: int,
        papers: tuple[str, ...],
        on_sent: OnSent | None,
        on_message: OnMessage | None,
    ) -> None:
        self.index = index
        self.papers = papers
        self.on_sent = on_sent
        self.on_message = on_message
        self.message_id: int | None = None

    async def sent(self, message_id: int) -> None:
        """Inside the gate."""
        self.message_id = message_id
        if self.on_sent is not None:
            await self.on_sent(self.index + 1)

    async def placed(self) -> None:
        """After the gate; nothing when the message did not go out."""
        if self.on_message is not None and self.message_id is not None:
            await self.on_message(self.index, str(self.message_id), self.papers)


FailureKind = Literal["gone", "rate_limited", "transient", "uncertain", "rejected"]


class DeliveryError(RuntimeError):
    """A send that did not (or may not have) happened.

    - ``gone``: the chat is blocked, deleted or the bot was removed: stop sending to it.
    - ``rate_limited``: the platform asks for a pause longer than the adapter waits itself.
    - ``transient``: network trouble or 5xx after retries: try again later.
    - ``uncertain``: the request may have been delivered (a timeout after sending): do not
      resend blindly; at most one duplicate is better than a storm.
    - ``rejected``: the platform refused the content itself (a bug on our side): never retry.

    ``sent`` counts the messages of this reply that did go out before the failure.
    """

    def __init__(
        self,
        kind: FailureKind,
        reason: str,
        *,
        sent: int = 0,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason
        self.sent = sent
        self.retry_after = retry_after


@runtime_checkable
class Sender(Protocol):
    """What delivery needs of an adapter."""

    platform: str

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
        """Send ``reply`` (possibly several messages), skipping the first ``skip`` messages
        (already sent before a crash); return how many messages it consists of. ``key``
        names the delivery, for platforms that can drop a resend (Discord's nonce);
        ``on_sent(n)`` is awaited after each message with the number sent so far, so the
        ledger can record progress. ``gate`` is held from the moment a message leaves until
        ``on_sent`` has recorded it (after any pacing wait): shared by a fan-out, it bounds
        how many messages a crash can catch in flight. Raises :class:`DeliveryError`."""
        ...


@runtime_checkable
class Editor(Sender, Protocol):
    """A sender that can also complete a message it sent, in place (a digest sent with an
    abstract's extract gets its summary when it lands; nothing is sent twice)."""

    async def send(
        self,
        chat: ChatRef,
        reply: Reply,
        *,
        skip: int = 0,
        key: str | None = None,
        on_sent: OnSent | None = None,
        gate: Gate | None = None,
        on_message: OnMessage | None = None,
    ) -> int:
        """As :meth:`Sender.send`; ``on_message`` is awaited after each message with its
        index, the platform's id for it and the papers it carries, for :meth:`edit`."""
        ...

    async def edit(self, chat: ChatRef, reply: Reply, *, index: int, message_id: str) -> None:
        """Replace message ``message_id`` with message ``index`` of ``reply`` (rendered as
        :meth:`send` renders it: a reply whose cards keep their ``tldr_room`` splits into
        the same messages). Editing to the same content is a success. Raises
        :class:`DeliveryError`."""
        ...


@runtime_checkable
class DirectMessenger(Protocol):
    """An adapter that can write to a person directly (a private chat, a DM): how the
    operators, listed as ``platform:user_id``, hear about the bot."""

    platform: str

    async def send_direct(self, user_id: str, reply: Reply) -> None:
        """Send ``reply`` to the user ``user_id`` of this platform; raises
        :class:`DeliveryError`."""
        ...
