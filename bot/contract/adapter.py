"""The one interface every door to a chat platform implements: Telegram, Discord and the
console alike.

An adapter translates and nothing more: platform events become calls on the command router
(given to it when it is built), core replies become native messages, and platform errors
become :class:`~bot.contract.outbound.DeliveryError` kinds. The composition root starts and
stops adapters and hands them to delivery as senders.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from bot.contract.outbound import Sender


@runtime_checkable
class Adapter(Sender, Protocol):
    """A chat platform: its name (``platform``), ``send`` for messages the bot sends on its
    own (see :class:`Sender`), and a lifecycle. Platforms that can edit their messages
    (Telegram, Discord) are also :class:`~bot.contract.outbound.Editor`s: delivery then
    sends a digest on time and completes its summaries in place."""

    async def start(self) -> None:
        """Connect and begin taking updates; return once the platform can be used."""

    async def stop(self) -> None:
        """Stop taking updates and disconnect; safe to call after a failed start."""


@runtime_checkable
class LeaderUpdates(Protocol):
    """An adapter whose platform lets one consumer per bot take its updates (Telegram's long
    polling: a second ``getUpdates`` gets 409 Conflict). Of the instances sharing a
    database only the leader takes them; the others only send."""

    async def set_leading(self, leads: bool) -> None:
        """Start taking updates when this instance becomes the leader, stop when it no
        longer is (before it has started: it takes them once started, or not)."""
