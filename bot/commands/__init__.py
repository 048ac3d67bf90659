"""The platform-neutral command set (one implementation for every adapter)."""

from bot.commands.registry import Call, CommandSpec, Param, Registry
from bot.commands.router import (
    EXPIRED_BUTTON_TEXT,
    CommandRouter,
    default_registry,
    interrupted,
)

__all__ = [
    "EXPIRED_BUTTON_TEXT",
    "Call",
    "CommandRouter",
    "CommandSpec",
    "Param",
    "Registry",
    "default_registry",
    "interrupted",
]
