"""A chat the bot can no longer post to (it blocked the bot, removed it, took its right to post,
or was deleted): what the chat and the operators are told, written once.

In the chat, every command says the same sentence (:func:`stopped_text`) until someone turns
the digests back on there (/start and /resume both answer :data:`BACK_ON_TEXT`). The
operators get one direct message per round naming each chat, why, and what fixes it
(:func:`operator_report`, :func:`fix_for`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.contract.chats import ChatRef
from bot.contract.messages import Block, Reply, bullets, para, reply

BACK_ON_TEXT = "Welcome back: digests to this chat are on again."
"""What /start and /resume say when they turn a stopped chat back on."""
MAX_LISTED = 30
"""Chats named in one operator message; the rest are counted (a message stays readable)."""


def stopped_text(reason: str | None) -> str:
    """The one wording for a chat the platform stopped us delivering to: every command used
    there says it (and /settings, /start and /resume in the chat's state)."""
    why = f" ({reason})" if reason else ""
    return (
        f"Digests to this chat are stopped: the platform refused delivery{why}. "
        "Fix the bot's access here, then use /resume."
    )


@dataclass(frozen=True, slots=True)
class UnusableChat:
    """A chat that just became unusable: where, its name when the platform told it, why."""

    chat: ChatRef
    reason: str
    title: str | None = None

    def name(self) -> str:
        kind = {"private": "private chat", "group": "group", "channel": "channel"}[self.chat.kind]
        titled = f'"{self.title}", ' if self.title else ""
        return f"{self.chat.key} ({titled}{kind})"


_FIXES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("blocked by the user",), "the person unblocks the bot and sends it /start"),
    (("user is deactivated",), "nothing: the Telegram account was deleted"),
    (
        ("kicked", "removed from the chat", "not a member"),
        "add the bot to the chat again, then an administrator there uses /resume",
    ),
    (
        ("need administrator rights", "not enough rights", "chat_write_forbidden"),
        "let the bot post there (an administrator of a channel; members allowed to send "
        "messages in a group), then an administrator there uses /resume",
    ),
    (
        ("chat not found",),
        "nothing if the chat was deleted; if it still exists, add the bot again, then use "
        "/resume there",
    ),
    (("unknown channel",), "nothing if the channel was deleted; else check the bot can see it"),
    (
        ("missing access",),
        "invite the bot to the server again or let it view the channel, then a moderator "
        "there uses /resume",
    ),
    (
        ("missing permissions",),
        "give the bot Send Messages and Embed Links in that channel, then a moderator there "
        "uses /resume",
    ),
    (
        ("cannot send messages to this user",),
        "the person allows direct messages from the bot again and uses /resume in them",
    ),
)


def fix_for(reason: str) -> str:
    """What fixes a chat that became unusable for ``reason`` (the platform's words, as the
    adapters report them)."""
    lowered = reason.lower()
    for markers, fix in _FIXES:
        if any(marker in lowered for marker in markers):
            return fix
    return "give the bot back its access to that chat, then someone there uses /resume"


def operator_report(chats: Sequence[UnusableChat]) -> Reply:
    """One message for an operator about every chat that became unusable since the last."""
    count = "1 chat" if len(chats) == 1 else f"{len(chats)} chats"
    rows = [(f"{c.name()}: {c.reason}. Fix: {fix_for(c.reason)}.",) for c in chats[:MAX_LISTED]]
    blocks: list[Block] = [
        para(
            f"arxiv-bot: {count} can no longer get digests; they are stopped, their "
            "settings kept, until the access is fixed."
        ),
        bullets(rows),
    ]
    if len(chats) > MAX_LISTED:
        blocks.append(para(f"And {len(chats) - MAX_LISTED} more; /status lists recent failures."))
    return reply(*blocks, private=True)
