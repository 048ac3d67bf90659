"""The one entry point every adapter calls: text in, :class:`Reply` out.

Parsing, permission checks and input limits happen here, once, for every platform.
"""

from __future__ import annotations

import asyncio
import difflib
import logging
import re
import weakref
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass, replace
from typing import Any

from bot.arxiv_ids import InvalidArxivId, parse_arxiv_id
from bot.chats import CommandContext
from bot.commands import feed_cmds, help_cmds, paper_cmds, status_cmds, subscription_cmds
from bot.commands.args import BadInput, check_text
from bot.commands.common import stopped_text
from bot.commands.registry import Call, CommandSpec, Handler, Param, Progress, Registry
from bot.messages import Button, Reply, error, reply
from bot.services import Services

log = logging.getLogger(__name__)

_COMMAND = re.compile(r"/(?P<name>[A-Za-z0-9_]{1,32})(?:@(?P<bot>[A-Za-z0-9_]+))?(?:\s+|$)")

ADMIN_ONLY_TEXT = (
    "Only administrators of this chat can change its subscription. Everyone can use "
    "/settings, /digest and /summarize."
)

# Open to everyone, yet may change the subscription (/start turns a stopped chat back on).
_WRITES_TOO = frozenset({"start"})
_SHOWS_STATE = frozenset({"start", "resume", "settings"})
"""Commands whose answer describes the chat's state, a stopped one included."""


def default_registry() -> Registry:
    """Every command, in the order help lists them."""
    cat = Param("categories", "arXiv categories, e.g. cs.AI cs.LG", complete="category")
    words = Param(
        "words", 'add|remove|set|clear, then words or "quoted phrases"', complete="keyword"
    )
    specs = [
        CommandSpec(
            name="start",
            summary="what I do, and this chat's settings",
            usage="start",
            example="/start",
            handler=help_cmds.start,
        ),
        CommandSpec(
            name="help",
            summary="the commands, or one command in detail",
            usage="help [command]",
            example="/help keywords",
            handler=help_cmds.help_command,
            private_reply=True,
            params=(Param("command", "a command name"),),
        ),
        CommandSpec(
            name="subscribe",
            summary="follow arXiv categories",
            usage="subscribe [category ...]",
            example="/subscribe cs.AI cs.LG",
            handler=subscription_cmds.subscribe,
            admin_only=True,
            params=(cat,),
            details="Categories like cs.AI, whole archives like cs (after you confirm), or "
            "names like 'machine learning'. Without arguments, pick from a list.",
        ),
        CommandSpec(
            name="unsubscribe",
            summary="stop following categories",
            usage="unsubscribe [category ...|all]",
            example="/unsubscribe cs.CV",
            handler=subscription_cmds.unsubscribe,
            admin_only=True,
            params=(cat,),
        ),
        CommandSpec(
            name="keywords",
            summary="keywords that rank papers",
            usage="keywords [add|remove|set|clear] ...",
            example='/keywords add LLM "mixture of experts"',
            handler=subscription_cmds.keywords,
            admin_only=True,
            params=(words,),
            details="Each keyword found adds 1 to a paper's score, 0.5 more in the title. "
            "Whole words, any case, plurals too; quote phrases.",
        ),
        CommandSpec(
            name="exclude",
            summary="keywords that remove papers",
            usage="exclude [add|remove|set|clear] ...",
            example="/exclude add survey",
            handler=subscription_cmds.exclude,
            admin_only=True,
            params=(words,),
        ),
        CommandSpec(
            name="time",
            summary="when digests arrive",
            usage="time HH:MM [Area/City]",
            example="/time 08:30 Europe/Berlin",
            handler=subscription_cmds.set_time,
            admin_only=True,
            params=(
                Param("time", "24-hour time, e.g. 08:30", required=True),
                Param("timezone", "IANA zone, e.g. Europe/Berlin", complete="timezone"),
            ),
        ),
        CommandSpec(
            name="language",
            summary="the language of summaries",
            usage="language CODE",
            example="/language de",
            handler=subscription_cmds.set_language,
            admin_only=True,
            params=(Param("code", "e.g. en, zh, de", complete="language"),),
        ),
        CommandSpec(
            name="frequency",
            summary="daily or weekly digests",
            usage="frequency daily|weekly [weekday]",
            example="/frequency weekly friday",
            handler=subscription_cmds.set_frequency,
            admin_only=True,
            params=(
                Param("frequency", "daily or weekly", choices=("daily", "weekly")),
                Param("weekday", "for weekly digests"),
            ),
        ),
        CommandSpec(
            name="settings",
            summary="everything about this chat's subscription",
            usage="settings",
            example="/settings",
            handler=help_cmds.settings,
            private_reply=True,
            aliases=("list",),
        ),
        CommandSpec(
            name="pause",
            summary="stop digests for now",
            usage="pause",
            example="/pause",
            handler=subscription_cmds.pause,
            admin_only=True,
        ),
        CommandSpec(
            name="resume",
            summary="restart paused digests",
            usage="resume",
            example="/resume",
            handler=subscription_cmds.resume,
            admin_only=True,
        ),
        CommandSpec(
            name="digest",
            summary="today's digest, now",
            usage="digest",
            example="/digest",
            handler=paper_cmds.digest,
        ),
        CommandSpec(
            name="summarize",
            summary="a paper's summary by arXiv ID or link",
            usage="summarize ID-or-URL",
            example="/summarize 2512.03394",
            handler=paper_cmds.summarize,
            aliases=("summary",),
            params=(Param("paper", "arXiv ID or arxiv.org link", required=True),),
        ),
    ]
    specs.append(
        CommandSpec(
            name="feed",
            summary="this chat's private RSS/Atom feed",
            usage="feed [reset]",
            example="/feed",
            handler=feed_cmds.feed,
            private_reply=True,
            params=(Param("action", "reset: revoke the old address", choices=("reset",)),),
        )
    )
    specs.append(
        CommandSpec(
            name="status",
            summary="the bot's health (operators only)",
            usage="status",
            example="/status",
            handler=status_cmds.status,
            private_reply=True,
        )
    )
    registry = Registry()
    for spec in specs:
        registry.add(spec)
    return registry


@dataclass(frozen=True, slots=True)
class _Action:
    handler: Handler
    admin_only: bool


ACTIONS: dict[str, _Action] = {
    "pick": _Action(subscription_cmds.pick, admin_only=True),
    "sub": _Action(subscription_cmds.subscribe_category, admin_only=True),
    "all": _Action(subscription_cmds.subscribe_archive, admin_only=True),
    "unsub": _Action(subscription_cmds.unsubscribe_button, admin_only=True),
    "sum": _Action(paper_cmds.summarize, admin_only=False),
}


class CommandRouter:
    """Adapters hand it what users typed or pressed and send back what it returns."""

    def __init__(self, services: Services, registry: Registry | None = None) -> None:
        self.services = services
        self.registry = registry or default_registry()
        self._chat_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )

    def _one_at_a_time(
        self, ctx: CommandContext, writes: bool
    ) -> AbstractAsyncContextManager[Any]:
        """Commands that change a chat's subscription load, change and save it: two at once
        in one chat (concurrent updates, a double-tapped button) would lose one change, so
        they take turns per chat. Reading commands (a /digest may wait for arXiv) do not."""
        if not writes:
            return nullcontext()
        lock = self._chat_locks.get(ctx.chat.key)
        if lock is None:
            lock = self._chat_locks[ctx.chat.key] = asyncio.Lock()
        return lock

    def _allowed(self, ctx: CommandContext, admin_only: bool) -> bool:
        return not admin_only or ctx.chat.kind == "private" or ctx.is_admin

    async def handle_text(
        self, ctx: CommandContext, text: str, progress: Progress = None
    ) -> Reply | None:
        """A message as typed. Returns None for chatter the bot should ignore (plain text in
        groups). ``progress`` sends interim messages of slow commands."""
        stripped = text.strip()
        try:
            check_text(stripped)
        except BadInput as exc:
            return error(str(exc))
        m = _COMMAND.match(stripped)
        if m is None:
            return self._plain_text(ctx, stripped)
        name = m["name"].lower()
        spec = self.registry.get(name)
        if spec is None:
            return self._unknown(name)
        return await self.run(spec, ctx, stripped[m.end() :], progress)

    async def run(
        self, spec: CommandSpec, ctx: CommandContext, args: str, progress: Progress = None
    ) -> Reply:
        """Run one command with its argument text (adapters with typed options call this)."""
        try:
            check_text(args)
        except BadInput as exc:
            return error(str(exc))
        if not self._allowed(ctx, spec.admin_only):
            return error(ADMIN_ONLY_TEXT)
        call = Call(ctx, args.strip(), self.services, self.registry, progress)
        async with self._one_at_a_time(ctx, spec.admin_only or spec.name in _WRITES_TOO):
            answer = await spec.handler(call)
        if spec.replies_privately:
            answer = replace(answer, private=True)
        if spec.name not in _SHOWS_STATE:
            answer = await self._with_stopped_note(ctx, answer)
        return answer

    async def _with_stopped_note(self, ctx: CommandContext, answer: Reply) -> Reply:
        """Whoever next uses a command in a chat the platform stopped us delivering to
        learns why, and how to turn it back on."""
        sub = await self.services.store.get_subscription(ctx.chat.platform, ctx.chat.chat_id)
        if sub is None or sub.active:
            return answer
        return replace(answer, extra=(*answer.extra, reply(stopped_text(sub))))

    async def handle_action(
        self, ctx: CommandContext, action: str, progress: Progress = None
    ) -> Reply:
        """A button press; ``action`` is what the :class:`Button` carried."""
        verb, _, arg = action.partition(":")
        found = ACTIONS.get(verb)
        if found is None or len(action.encode()) > 64:
            log.info("unknown action %r", action[:80])
            return error("That button has expired. Please run the command again.")
        if not self._allowed(ctx, found.admin_only):
            return error(ADMIN_ONLY_TEXT)
        async with self._one_at_a_time(ctx, found.admin_only):
            return await found.handler(Call(ctx, arg, self.services, self.registry, progress))

    def _plain_text(self, ctx: CommandContext, text: str) -> Reply | None:
        if ctx.chat.kind != "private" or not text:
            return None
        try:
            paper = parse_arxiv_id(text)
        except InvalidArxivId:
            return reply(
                "I answer commands; /help lists them. Send an arXiv ID to get its summary."
            )
        return reply(
            f"Summarize arXiv:{paper}?",
            buttons=((Button("Summarize", f"sum:{paper}"),),),
        )

    def _unknown(self, name: str) -> Reply:
        close = difflib.get_close_matches(name, self.registry.names(), n=1)
        tip = f" Did you mean /{close[0]}?" if close else ""
        return error(f"I don't know the command /{name}.{tip} /help lists them all.")
