"""Who is talking to the bot, independent of the platform."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ChatKind = Literal["private", "group", "channel"]
CHAT_KINDS: tuple[ChatKind, ...] = ("private", "group", "channel")


@dataclass(frozen=True, slots=True)
class ChatRef:
    """A chat on a platform. ``chat_id`` is text: Telegram ids are 52-bit signed integers,
    Discord's are snowflakes, the console's is the local user name."""

    platform: str
    chat_id: str
    kind: ChatKind = "private"

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.chat_id}"


@dataclass(frozen=True, slots=True)
class CommandContext:
    """Everything a command may know about where it was sent, filled in by the adapter.

    ``is_admin`` is the platform's answer to "may this user change this chat's subscription"
    (always true in a private chat); the command layer decides what needs it.
    """

    chat: ChatRef
    user_id: str
    is_admin: bool
    language: str | None = None
    user_name: str | None = None

    @property
    def user_key(self) -> str:
        """``platform:user_id``, as operators are listed in the settings."""
        return f"{self.chat.platform}:{self.user_id}"
