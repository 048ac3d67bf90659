"""The one entry point every adapter calls: text in, :class:`Reply` out.

Parsing, permission checks and input limits happen here, once, for every platform.
"""

from __future__ import annotations

import asyncio
import difflib
import logging
import re
import weakref
from collections.abc import Awaitable, Hashable, Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from bot.arxiv.ids import InvalidArxivId, parse_arxiv_id
from bot.commands import (
    ask_cmds,
    author_cmds,
    feed_cmds,
    feedback_cmds,
    help_cmds,
    paper_cmds,
    status_cmds,
    subscription_cmds,
)
from bot.commands.args import BadInput, check_text
from bot.commands.completion import Completion, complete, followed
from bot.commands.registry import Access, Call, CommandSpec, Progress, Registry
from bot.commands.throttle import Refusal, Throttle
from bot.contract.chats import CommandContext
from bot.contract.messages import Button, Reply, error, reply
from bot.delivery.unusable import stopped_text
from bot.errors import BotError, user_message
from bot.services import Services

log = logging.getLogger(__name__)

_COMMAND = re.compile(r"/(?P<name>[A-Za-z0-9_]{1,32})(?:@(?P<bot>[A-Za-z0-9_]+))?(?:\s+|$)")

ADMIN_ONLY_TEXT = (
    "Only administrators of this chat can change its subscription. Everyone can use "
    "/settings, /digest, /summarize and /ask."
)


COMMANDS_HINT = "I answer commands; /help lists them. Send an arXiv ID to get its summary."
RETELL_AFTER = timedelta(seconds=10)
"""A refusal or error said to a person in a chat is said again for the same thing only after
this long, not at every repeat."""
REMEMBERED_ERRORS = 10_000
"""People whose last refusal or error is remembered (to say a repeated one once)."""

EXPIRED_BUTTON_TEXT = "That button has expired. Please run the command again."

INTERRUPTED_TEXT = (
    "The bot is restarting and could not finish this; please send it again in a minute."
)


def interrupted() -> Reply:
    """What someone is told when a shutdown cuts their command short (adapters send it,
    best-effort, while they stop): written once for every platform."""
    return reply(INTERRUPTED_TEXT)


def default_registry() -> Registry:
    """Every command, in the order help lists them, and every button verb."""
    return Registry.collect(
        help_cmds,
        subscription_cmds,
        author_cmds,
        paper_cmds,
        ask_cmds,
        feedback_cmds,
        feed_cmds,
        status_cmds,
    )


async def answered(what: str, work: Awaitable[Reply]) -> Reply:
    """``work``'s reply, or, when it fails in a way its command did not answer (the database
    broke, a service sent nonsense), a short apology: whoever asked must not wait in silence
    for a reply that will never come. The cause goes to the log (the traceback with
    ``--verbose``), never to the chat."""
    try:
        return await work
    except BotError as exc:
        log.warning("%s failed: %s", what, exc)
        return error(user_message(exc))
    except Exception as exc:
        log.error("%s failed unexpectedly: %s: %s", what, type(exc).__name__, exc)
        log.debug("the details", exc_info=True)
        return error(BotError.user_text)


def refusal(access: Access, name: str, verb: str | None = None) -> Reply:
    """Why someone may not run a command (or one of its verbs): written once."""
    what = f"/{name} {verb}" if verb else f"/{name}"
    if access == "operator":
        return error(f"{what} is for the bot's operators.")
    if verb is None:
        return error(ADMIN_ONLY_TEXT)
    return error(f"Only administrators of this chat can use {what}.")


class CommandRouter:
    """Adapters hand it what users typed or pressed and send back what it returns."""

    def __init__(
        self,
        services: Services,
        registry: Registry | None = None,
        *,
        repeats_quietly: bool = True,
    ) -> None:
        """``repeats_quietly``: typed repeats of a refusal or error get no answer for a
        moment (see :meth:`handle_text`); off where nothing queues (a terminal)."""
        self.services = services
        self.repeats_quietly = repeats_quietly
        self.registry = registry or default_registry()
        self._chat_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )
        self.throttle = Throttle(
            services.settings.expensive_per_user_per_minute, lambda: self.services.clock()
        )
        self._last_said: dict[tuple[str, str], tuple[Hashable, datetime]] = {}

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

    def _allowed(self, ctx: CommandContext, access: Access) -> bool:
        if access == "operator":
            return ctx.user_key in self.services.settings.operators
        return access == "everyone" or ctx.chat.kind == "private" or ctx.is_admin

    async def handle_text(
        self, ctx: CommandContext, text: str, progress: Progress = None
    ) -> Reply | None:
        """A message as typed. Returns None for chatter the bot should ignore (plain text in
        groups), and for a refusal or error its author was given moments ago: a chat
        delivers its messages in turn, so thirty copies of one refusal would stand between
        the chat and the next real answer. ``progress`` sends interim messages of slow
        commands."""
        found = await self._answer_text(ctx, text, progress)
        about: Hashable
        if isinstance(found, Refusal):  # the same wait, whatever its text counts down
            answer, about = found.answer, found.about
        elif found is not None and found.tone == "error":  # the same message, the same error
            answer, about = found, (" ".join(text.split()), found)
        else:
            return found
        if self.repeats_quietly and self._said_moments_ago(ctx, about):
            return None
        return answer

    async def _answer_text(
        self, ctx: CommandContext, text: str, progress: Progress
    ) -> Reply | Refusal | None:
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
        return await self._run(spec, ctx, stripped[m.end() :], progress)

    def _said_moments_ago(self, ctx: CommandContext, about: Hashable) -> bool:
        """Whether this person was told about ``about`` in this chat within
        :data:`RETELL_AFTER` (remembered either way)."""
        now = self.services.clock()
        key = (ctx.chat.key, ctx.user_key)
        last = self._last_said.get(key)
        if last is not None and last[0] == about and now - last[1] < RETELL_AFTER:
            return True
        if len(self._last_said) >= REMEMBERED_ERRORS:  # forget the oldest half
            for stale in list(self._last_said)[: REMEMBERED_ERRORS // 2]:
                del self._last_said[stale]
        self._last_said[key] = (about, now)
        return False

    async def run(
        self, spec: CommandSpec, ctx: CommandContext, args: str, progress: Progress = None
    ) -> Reply:
        """Run one command with its argument text (adapters with typed options call this;
        their platforms want an answer to every command, repeats included)."""
        answer = await self._run(spec, ctx, args, progress)
        return answer.answer if isinstance(answer, Refusal) else answer

    async def _run(
        self, spec: CommandSpec, ctx: CommandContext, args: str, progress: Progress
    ) -> Reply | Refusal:
        try:
            check_text(args)
        except BadInput as exc:
            return error(str(exc))
        access, verb = spec.access_for(args)
        if not self._allowed(ctx, access):
            return await self._with_stopped_note(ctx, refusal(access, spec.name, verb))
        if spec.takes_nothing and args.strip():
            return error(
                f"/{spec.name} takes nothing after it ({spec.summary}); send /{spec.name} alone."
            )
        call = Call(ctx, args.strip(), self.services, self.registry, progress)
        request = f"{spec.name} {' '.join(call.args.lower().split())}"
        busy = self.throttle.refusal(ctx, request, f"the /{spec.name}") if spec.expensive else None
        if busy is not None:
            return busy
        async with (
            self._one_at_a_time(ctx, access != "everyone" or spec.writes),
            self.throttle.running(ctx, request) if spec.expensive else nullcontext(),
        ):
            answer = await answered(f"/{spec.name}", spec.handler(call))
        if spec.replies_privately:
            answer = replace(answer, private=True)
        if not spec.shows_chat_state:
            answer = await self._with_stopped_note(ctx, answer)
        return answer

    async def _with_stopped_note(self, ctx: CommandContext, answer: Reply) -> Reply:
        """Whoever next uses a command in a chat the platform stopped us delivering to
        learns why, and how to turn it back on."""
        sub = await self.services.store.get_subscription(ctx.chat.platform, ctx.chat.chat_id)
        if sub is None or sub.active:
            return answer
        return replace(answer, extra=(*answer.extra, reply(stopped_text(sub.inactive_reason))))

    async def handle_action(
        self, ctx: CommandContext, action: str, progress: Progress = None
    ) -> Reply:
        """A button press; ``action`` is what the :class:`Button` carried."""
        verb, _, arg = action.partition(":")
        found = self.registry.action(verb)
        if found is None or len(action.encode()) > 64:
            log.info("unknown action %r", action[:80])
            return error(EXPIRED_BUTTON_TEXT)
        try:
            check_text(arg)  # a button's argument is as untrusted as typed text
        except BadInput as exc:
            return error(str(exc))
        if not self._allowed(ctx, found.access):
            return refusal(found.access, verb)
        busy = self.throttle.refusal(ctx, action, "that request") if found.expensive else None
        if busy is not None:
            return busy.answer
        async with (
            self._one_at_a_time(ctx, found.access != "everyone"),
            self.throttle.running(ctx, action) if found.expensive else nullcontext(),
        ):
            return await answered(
                f"the {verb} button",
                found.handler(Call(ctx, arg, self.services, self.registry, progress)),
            )

    async def handle_ask(
        self,
        ctx: CommandContext,
        papers: Sequence[str],
        question: str,
        progress: Progress = None,
    ) -> Reply:
        """A question about a paper a message shows (a reply to a digest entry, a summary or
        an answer; Discord's Ask button), run as ``/ask``. ``papers``: the arXiv ids the
        message shows; with several, the question must say which."""
        spec = self.registry.get("ask")
        if spec is None or not papers:
            return error("I can't tell which paper that is. Use /ask ID question.")
        try:
            check_text(question)
        except BadInput as exc:
            return error(str(exc))
        chosen = await ask_cmds.paper_in_question(self.services, papers, question)
        if isinstance(chosen, Reply):
            return chosen
        return await self.run(spec, ctx, f"{chosen} {question.strip()}", progress)

    async def suggestions(
        self, ctx: CommandContext, kind: Completion, current: str, *, limit: int, max_chars: int
    ) -> list[tuple[str, str]]:
        """What to suggest for a parameter being typed (Discord's autocomplete): the chat's
        own categories where only those make sense, else the general rules."""
        if kind != "followed":
            return complete(kind, current, limit=limit, max_chars=max_chars)
        sub = await self.services.store.get_subscription(ctx.chat.platform, ctx.chat.chat_id)
        categories = sub.categories if sub is not None else ()
        return followed(categories, current, limit, max_chars)

    def not_text(self, ctx: CommandContext) -> Reply | None:
        """A sticker, a photo, a voice message... in a private chat gets a pointer (in a
        group it is none of the bot's business)."""
        if ctx.chat.kind != "private":
            return None
        return reply(f"I read text only. {COMMANDS_HINT}")

    def _plain_text(self, ctx: CommandContext, text: str) -> Reply | None:
        if ctx.chat.kind != "private" or not text:
            return None
        try:
            paper = parse_arxiv_id(text)
        except InvalidArxivId:
            return reply(COMMANDS_HINT)
        return reply(
            f"Summarize arXiv:{paper}?",
            buttons=((Button("Summarize", f"sum:{paper}"),),),
        )

    def _unknown(self, name: str) -> Reply:
        close = difflib.get_close_matches(name, self.registry.names(), n=1)
        tip = f" Did you mean /{close[0]}?" if close else ""
        return error(f"I don't know the command /{name}.{tip} /help lists them all.")
