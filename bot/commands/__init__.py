"""The platform-neutral command set (one implementation for every adapter)."""

from bot.commands.registry import Call, CommandSpec, Param, Registry
from bot.commands.router import CommandRouter, default_registry, interrupted

__all__ = [
    "Call",
    "CommandRouter",
    "CommandSpec",
    "Param",
    "Registry",
    "default_registry",
    "interrupted",
]
