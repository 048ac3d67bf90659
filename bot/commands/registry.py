"""Command declarations: each command is declared beside its handler with :func:`command`,
each button verb with :func:`action`, and :meth:`Registry.collect` gathers them. Help texts,
Telegram's menu and Discord's slash commands are all generated from the one registry.

Who may run what is data (:data:`Access`), checked once, in the router.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Literal, TypeVar

from bot.commands.completion import Completion
from bot.contract.chats import CommandContext
from bot.contract.messages import Reply
from bot.services import Services

Progress = Callable[[Reply], Awaitable[None]] | None
Access = Literal["everyone", "admin", "operator"]
"""``admin``: a chat administrator (anyone in a private chat); ``operator``: listed in the
operators setting, whatever the chat."""


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
H = TypeVar("H", bound=Handler)


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: str
    summary: str
    usage: str
    example: str
    handler: Handler
    access: Access = "everyone"
    verbs: Mapping[str, Access] = field(default_factory=dict)
    """Access of a sub-command named by the first argument, where it differs
    (``/feed reset`` is for admins, ``/feed`` for everyone)."""
    writes: bool = False
    """Changes the chat's subscription although everyone may run it (``/start`` turns a
    stopped chat back on): it takes its turn with the other writing commands."""
    expensive: bool = False
    """Makes arXiv or the model work: rationed per chat and per person (see throttle.py)."""
    slow: bool = False
    """Waits on arXiv or the model, as expensive commands do, without being rationed
    (``/ask`` has its daily limit): see :attr:`waits`."""
    shows_chat_state: bool = False
    """Its answer describes the chat's state, a stopped chat included, so it gets no separate
    note that the chat is stopped."""
    private_reply: bool = False
    """Shown only to the person who asked, where the platform can (Discord): settings and
    confirmations should not fill a channel. Restricted commands always reply privately."""
    aliases: tuple[str, ...] = ()
    params: tuple[Param, ...] = field(default=())
    details: str = ""
    payload: bool = False
    """Takes text although it declares no parameter (Telegram's ``/start PAYLOAD`` of a
    deep link); other commands without parameters refuse words after them."""

    @property
    def takes_nothing(self) -> bool:
        """``/pause 2 weeks`` would pause for good: words a command cannot use are refused,
        not ignored."""
        return not self.params and not self.payload

    @property
    def admin_only(self) -> bool:
        return self.access != "everyone"

    @property
    def waits(self) -> bool:
        """Its answer may take seconds: platforms that want a first answer within a window
        (Discord: 3 s, which a 429 may eat into) say "thinking" at once."""
        return self.slow or self.expensive

    @property
    def replies_privately(self) -> bool:
        """Known before the command runs (Discord must choose when it defers)."""
        return self.admin_only or self.private_reply

    def access_for(self, args: str) -> tuple[Access, str | None]:
        """The access these arguments need, and the verb that decided it (if any)."""
        verb = args.split(maxsplit=1)[0].lower() if args.strip() else ""
        if verb in self.verbs:
            return self.verbs[verb], verb
        return self.access, None


@dataclass(frozen=True, slots=True)
class ActionSpec:
    """A button verb: ``verb:argument`` comes back when the button is pressed."""

    verb: str
    handler: Handler
    access: Access = "everyone"
    expensive: bool = False

    @property
    def waits(self) -> bool:
        """As :attr:`CommandSpec.waits`: an expensive press waits on arXiv or the model."""
        return self.expensive


_DECLARED = "__bot_declarations__"


def _declare(handler: H, declaration: CommandSpec | ActionSpec) -> H:
    earlier: tuple[CommandSpec | ActionSpec, ...] = getattr(handler, _DECLARED, ())
    setattr(handler, _DECLARED, (declaration, *earlier))
    return handler


def command(
    name: str,
    *,
    summary: str,
    usage: str,
    example: str,
    access: Access = "everyone",
    verbs: Mapping[str, Access] | None = None,
    writes: bool = False,
    expensive: bool = False,
    slow: bool = False,
    shows_chat_state: bool = False,
    private_reply: bool = False,
    aliases: tuple[str, ...] = (),
    params: tuple[Param, ...] = (),
    details: str = "",
    payload: bool = False,
) -> Callable[[H], H]:
    """Declare the decorated handler as ``/name``; :meth:`Registry.collect` finds it."""

    def mark(handler: H) -> H:
        spec = CommandSpec(
            name=name,
            summary=summary,
            usage=usage,
            example=example,
            handler=handler,
            access=access,
            verbs=dict(verbs or {}),
            writes=writes,
            expensive=expensive,
            slow=slow,
            shows_chat_state=shows_chat_state,
            private_reply=private_reply,
            aliases=aliases,
            params=params,
            details=details,
            payload=payload,
        )
        return _declare(handler, spec)

    return mark


def action(verb: str, *, access: Access = "everyone", expensive: bool = False) -> Callable[[H], H]:
    """Declare the decorated handler as the button verb ``verb``."""

    def mark(handler: H) -> H:
        return _declare(handler, ActionSpec(verb, handler, access, expensive))

    return mark


class Registry:
    """Commands by name and alias, button verbs by verb; a duplicate is a programming error."""

    def __init__(self) -> None:
        self._specs: dict[str, CommandSpec] = {}
        self._names: dict[str, CommandSpec] = {}
        self._actions: dict[str, ActionSpec] = {}

    @classmethod
    def collect(cls, *modules: ModuleType) -> Registry:
        """Every command and button verb declared in ``modules``, commands in the order they
        are declared there (the order help lists them)."""
        registry = cls()
        for module in modules:
            for value in vars(module).values():
                if getattr(value, "__module__", None) != module.__name__:
                    continue  # imported from elsewhere: collected with its own module
                for declaration in getattr(value, _DECLARED, ()):
                    if isinstance(declaration, CommandSpec):
                        registry.add(declaration)
                    else:
                        registry.add_action(declaration)
        return registry

    def add(self, spec: CommandSpec) -> None:
        for name in (spec.name, *spec.aliases):
            if name in self._names:
                raise ValueError(f"command /{name} is declared twice")
            self._names[name] = spec
        self._specs[spec.name] = spec

    def add_action(self, spec: ActionSpec) -> None:
        if spec.verb in self._actions:
            raise ValueError(f"button verb {spec.verb!r} is declared twice")
        self._actions[spec.verb] = spec

    def get(self, name: str) -> CommandSpec | None:
        return self._names.get(name)

    def action(self, verb: str) -> ActionSpec | None:
        return self._actions.get(verb)

    def actions(self) -> list[ActionSpec]:
        return list(self._actions.values())

    def specs(self) -> list[CommandSpec]:
        return list(self._specs.values())

    def names(self) -> list[str]:
        return list(self._names)
