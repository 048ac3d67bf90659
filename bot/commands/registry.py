"""Command declarations: one list that help texts, Telegram's menu and Discord's slash commands
are all generated from."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.commands.completion import Completion
from bot.contract.chats import CommandContext
from bot.contract.messages import Reply
from bot.services import Services

Progress = Callable[[Reply], Awaitable[None]] | None


@dataclass(frozen=True, slots=True)
class Param:
    """One argument, for platforms with typed options (Discord)."""

    name: str
    description: str
    required: bool = False
    choices: tuple[str, ...] = ()
    complete: Completion | None = None


@dataclass(frozen=True, slots=True)
class Call:
    """One invocation: where it came from, the raw argument text, the services, and the
    registry it was found in (help lists it)."""

    ctx: CommandContext
    args: str
    services: Services
    registry: Registry
    progress: Progress = None

    async def acknowledge(self, reply: Reply) -> None:
        """Send an interim message now (slow commands answer at once, then deliver)."""
        if self.progress is not None:
            await self.progress(reply)


Handler = Callable[["Call"], Awaitable[Reply]]


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: str
    summary: str
    usage: str
    example: str
    handler: Handler
    admin_only: bool = False
    private_reply: bool = False
    """Shown only to the person who asked, where the platform can (Discord): settings and
    confirmations should not fill a channel. Admin-only commands always reply privately."""
    aliases: tuple[str, ...] = ()
    params: tuple[Param, ...] = field(default=())
    details: str = ""

    @property
    def replies_privately(self) -> bool:
        """Known before the command runs (Discord must choose when it defers)."""
        return self.admin_only or self.private_reply


class Registry:
    """Commands by name and alias; a duplicate name is a programming error."""

    def __init__(self) -> None:
        self._specs: dict[str, CommandSpec] = {}
        self._names: dict[str, CommandSpec] = {}

    def add(self, spec: CommandSpec) -> None:
        for name in (spec.name, *spec.aliases):
            if name in self._names:
                raise ValueError(f"command /{name} is declared twice")
            self._names[name] = spec
        self._specs[spec.name] = spec

    def get(self, name: str) -> CommandSpec | None:
        return self._names.get(name)

    def specs(self) -> list[CommandSpec]:
        return list(self._specs.values())

    def names(self) -> list[str]:
        return list(self._names)
