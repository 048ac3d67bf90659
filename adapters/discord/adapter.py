"""Discord through discord.py, running as a task in the shared event loop.

Slash commands are generated from the core's command registry (typed options, autocomplete
for categories, time zones and languages); every button is one persistent ``DynamicItem``
whose ``custom_id`` is the core's action, so buttons keep working after a restart. The
adapter only translates: interactions become core commands and actions; core replies become
embeds and buttons (``render.py``); Discord errors become :class:`DeliveryError` kinds and
chat events.

discord.py only reacts to 429s, so fan-outs are paced here below Discord's global 50
requests/s and 5 messages per 5 s per channel, and a dead channel is never called again
(every 401/403/429 counts toward Discord's invalid-request ban). A deterministic nonce per
(digest, channel, message) lets Discord drop a resend after a crash.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import inspect
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import replace
from typing import Any

import aiohttp
import discord
import discord.gateway
import discord.http
import yarl
from discord import app_commands

from adapters.discord.render import ASK_ACTION, DiscordMessage, render
from adapters.inflight import InFlight
from adapters.pacing import KeyedWindows, SharedSlots, SharedWindow, SlidingWindow, Window
from bot.arxiv.ids import InvalidArxivId, parse_arxiv_id
from bot.commands import EXPIRED_BUTTON_TEXT, CommandRouter, CommandSpec, interrupted
from bot.commands.completion import Completion
from bot.contract.chats import ChatRef, CommandContext
from bot.contract.messages import Button, Reply, reply
from bot.contract.outbound import DeliveryError, Gate, OnMessage, OnSent, SentMessage
from bot.delivery.chat_events import ChatEvents
from bot.errors import BotError
from bot.services.health import PlatformRefused

log = logging.getLogger(__name__)

PLATFORM = "discord"
NO_MENTIONS = discord.AllowedMentions.none()
STOP_STEP_SECONDS = 2.0
"""At shutdown, the longest wait for each step (cancelled commands; closing the gateway)."""
ANSWERED_PRIVATELY = "Answered privately."
"""What a public "thinking" message says for the moment before it is deleted, when the
answer turned out to be an error for the asker only."""
_DEFERRED = discord.InteractionResponseType.deferred_channel_message
SEEN_INTERACTIONS = 10_000
"""Interaction ids remembered to drop a replay."""
DEFER_AFTER = 0.5
"""Seconds a command may run before its interaction is deferred. Discord allows 3 for the
first answer, and that answer may meet a 429 that discord.py waits out: a reply made later
than this could not get through in time, so the interaction is deferred first (the reply
then follows up, on a token valid for 15 minutes)."""
DEFER_WAITING_AFTER = 0.1
"""The same for a command that waits on arXiv or the model (``CommandSpec.waits``): an
instant answer (bad input, a refusal) still comes first; anything else is deferred at once,
leaving nearly the whole window for a 429's wait."""
THREAD_EXISTS = 160004
"""Discord's error code for a message that already has a thread (whose id is the message's)."""
MAX_QUESTION = 900
"""Characters a question may have (the command router takes 1,000 with the paper's id)."""
_GONE_CODES = {
    10003: "unknown channel",
    50001: "missing access",
    50007: "cannot send messages to this user",
    50013: "missing permissions",
}


ACTION_ID = re.compile(r"(?P<action>(?!ask:)[a-z]+:\S{1,90})")
ASK_ID = re.compile(r"ask:(?P<paper>[^\s:]{1,90})")
"""The custom ids of the bot's buttons: whatever else a press carries (a forged id, an empty
argument) is answered as an expired button by :meth:`_Client.on_interaction`."""
SIGNATURE_CHANGED = (
    "This command was just updated and Discord still shows its old form; please try again "
    "in a minute."
)


class ActionButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=ACTION_ID):
    """Every button the bot sends: its custom id is the core action it stands for."""

    def __init__(self, action: str, label: str = "Open") -> None:
        super().__init__(
            discord.ui.Button(label=label, custom_id=action, style=discord.ButtonStyle.secondary)
        )
        self.action = action

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
    ) -> ActionButton:
        label = item.label if isinstance(item, discord.ui.Button) else None
        return cls(match["action"], label or "Open")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        client = interaction.client
        if isinstance(client, _Client):
            await client.adapter.on_action(interaction, self.action)


class AskButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=ASK_ID):
    """The Ask button beside a paper (persistent, like :class:`ActionButton`): it opens a
    modal for the question."""

    def __init__(self, paper: str, label: str = "Ask") -> None:
        super().__init__(
            discord.ui.Button(
                label=label, custom_id=f"{ASK_ACTION}{paper}", style=discord.ButtonStyle.primary
            )
        )
        self.paper = paper

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
    ) -> AskButton:
        label = item.label if isinstance(item, discord.ui.Button) else None
        return cls(match["paper"], label or "Ask")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        client = interaction.client
        if not isinstance(client, _Client):
            return
        try:
            paper = str(parse_arxiv_id(self.paper))
        except InvalidArxivId as exc:  # a forged id: refused before the question is typed
            await _answer_privately(interaction, str(exc))
            return
        await interaction.response.send_modal(AskModal(client.adapter, paper))


class AskModal(discord.ui.Modal):
    """The question about one paper; its answer goes to a thread under the message."""

    question: discord.ui.TextInput[AskModal] = discord.ui.TextInput(
        label="Your question",
        style=discord.TextStyle.paragraph,
        placeholder="Which data sets do they evaluate on?",
        max_length=MAX_QUESTION,
    )

    def __init__(self, adapter: DiscordAdapter, paper: str) -> None:
        super().__init__(title=f"Ask about arXiv:{paper}"[:45], custom_id=f"{ASK_ACTION}{paper}")
        self.adapter = adapter
        self.paper = paper

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        await self.adapter.on_question(interaction, self.paper, self.question.value)


class _Client(discord.Client):
    def __init__(self, adapter: DiscordAdapter, **options: Any) -> None:
        super().__init__(
            intents=discord.Intents.default(), allowed_mentions=NO_MENTIONS, **options
        )
        self.adapter = adapter
        self.tree = app_commands.CommandTree(self)
        self.tree.on_error = self._command_failed  # type: ignore[method-assign]

    async def _command_failed(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        """What discord.py could not hand to a command: an interaction whose options are
        those of an older version of it (Discord updates global commands slowly) or fail
        their conversion. The member is told, privately; one log line, not a traceback."""
        if isinstance(
            error, app_commands.CommandSignatureMismatch | app_commands.TransformerError
        ):
            log.warning("Discord: %s", " ".join(str(error).split())[:200])
            text = SIGNATURE_CHANGED
        else:
            log.error("Discord: a command failed: %r", error)
            text = BotError.user_text
        await _answer_privately(interaction, text)

    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        """A button press no button of the bot handles (its id forged, or from a release
        that named them otherwise) is answered as an expired button, not with silence."""
        if interaction.type is not discord.InteractionType.component:
            return
        data: dict[str, Any] = dict(interaction.data or {})
        custom_id = str(data.get("custom_id", ""))
        if ACTION_ID.fullmatch(custom_id) or ASK_ID.fullmatch(custom_id):
            return  # the DynamicItem's callback answers
        await _answer_privately(interaction, EXPIRED_BUTTON_TEXT)

    async def setup_hook(self) -> None:
        # Runs once per login, before the gateway connects; on_ready would fire again after
        # every reconnect.
        await self.adapter.setup()


class _ShardedClient(_Client, discord.AutoShardedClient):
    """The gateway shards this instance connects (``DISCORD_SHARD_IDS`` of
    ``DISCORD_SHARD_COUNT``): instances sharing a database split the bot's shards, and each
    answers the interactions of its own."""


class DiscordAdapter:
    platform = PLATFORM

    def __init__(
        self,
        *,
        token: str,
        router: CommandRouter,
        events: ChatEvents,
        api_url: str | None = None,
        gateway_url: str | None = None,
        guild_ids: Sequence[int] = (),
        sync_commands: bool = True,
        global_per_second: int = 45,
        clock: Callable[[], float] = time.monotonic,
        shard_count: int | None = None,
        shard_ids: Sequence[int] = (),
        shared: SharedSlots | None = None,
        **client_options: Any,
    ) -> None:
        """``client_options`` go to ``discord.Client`` (tests pass a short
        ``guild_ready_timeout``). ``shard_count`` (and ``shard_ids``, the shards of this
        instance; all by default) connect through discord.py's sharded client."""
        self.token = token
        self.router = router
        self.events = events
        self.guild_ids = tuple(guild_ids)
        self.sync_commands = sync_commands
        if api_url:  # a REST proxy, or the tests' fake; a class attribute of discord.py
            discord.http.Route.BASE = api_url.rstrip("/")
        if gateway_url:
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
        self._client_class: type[_Client] = _Client
        if shard_count is not None:
            self._client_class = _ShardedClient
            client_options["shard_count"] = shard_count
            if shard_ids:
                client_options["shard_ids"] = list(shard_ids)
        self._client_options = client_options
        self.client = self._client_class(self, **client_options)
        self._clock = clock

        # Evenly spaced rather than a burst each second: a burst delayed on its way would
        # reach Discord in the same second as the next one (a global 429).
        # ``shared``: the instances sharing a database pace together.
        def window(name: str, rate: int, period: float) -> Window:
            if shared is not None:
                return SharedWindow(shared, name, rate, period)
            return SlidingWindow(rate, period, clock=clock)

        self._overall = window("discord:all", 1, 1.0 / global_per_second)
        self._per_channel = KeyedWindows(lambda key: window(f"discord:channel:{key}", 5, 5.0))
        self._task: asyncio.Task[None] | None = None
        self._busy = InFlight()
        self._seen = SeenIds(SEEN_INTERACTIONS)

    # --- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        """Signs in (and syncs the commands), then connects the gateway in a task, which
        discord.py reconnects by itself. A failed sign-in leaves a fresh client, so that a
        later call can try again; a token Discord refuses raises :class:`PlatformRefused`."""
        try:
            await self.client.login(self.token)  # runs setup_hook
        except BaseException as exc:
            failed, self.client = self.client, self._client_class(self, **self._client_options)
            with contextlib.suppress(Exception):
                await failed.close()
            if isinstance(exc, discord.LoginFailure):
                raise PlatformRefused(f"Discord refused the token: {exc}") from None
            raise
        self._task = asyncio.create_task(self.client.connect(), name="discord")

    async def stop(self) -> None:
        """Within seconds: commands in progress are cancelled (they may wait minutes for the
        model or arXiv), and closing the gateway gets a bounded time (Discord may be down)."""
        self._busy.close()
        await self._busy.cancel(STOP_STEP_SECONDS)
        try:
            async with asyncio.timeout(STOP_STEP_SECONDS):
                await self.client.close()
        except TimeoutError:
            log.warning("Discord: the connection did not close in time")
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def wait_until_ready(self) -> None:
        await self.client.wait_until_ready()

    async def setup(self) -> None:
        self.client.add_dynamic_items(ActionButton, AskButton)
        for spec in self.router.registry.specs():
            self.client.tree.add_command(self._slash_command(spec))
        if not self.sync_commands:
            return
        if self.guild_ids:  # guild commands appear at once: handy while developing
            for gid in self.guild_ids:
                guild = discord.Object(id=gid)
                self.client.tree.copy_global_to(guild=guild)
                await self.client.tree.sync(guild=guild)
        else:
            await self.client.tree.sync()
        log.info("Discord: %d slash commands synced", len(self.router.registry.specs()))

    # --- slash commands from the registry ------------------------------------------------

    def _slash_command(self, spec: CommandSpec) -> app_commands.Command[Any, ..., None]:
        adapter = self

        async def callback(interaction: discord.Interaction[Any], **options: Any) -> None:
            words = [str(options[p.name]) for p in spec.params if options.get(p.name) is not None]
            await adapter.on_command(interaction, spec, " ".join(words))

        parameters = [
            inspect.Parameter(
                "interaction",
                inspect.Parameter.POSITIONAL_OR_KEYWORD,
                annotation=discord.Interaction,
            )
        ]
        for p in spec.params:
            parameters.append(
                inspect.Parameter(
                    p.name,
                    inspect.Parameter.KEYWORD_ONLY,
                    annotation=str if p.required else str | None,
                    default=inspect.Parameter.empty if p.required else None,
                )
            )
        callback.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
        callback.__discord_app_commands_param_description__ = {  # type: ignore[attr-defined]
            p.name: p.description[:100] for p in spec.params
        }
        choices = {
            p.name: [app_commands.Choice(name=c, value=c) for c in p.choices]
            for p in spec.params
            if p.choices
        }
        if choices:
            callback.__discord_app_commands_param_choices__ = choices  # type: ignore[attr-defined]
        command: app_commands.Command[Any, ..., None] = app_commands.Command(
            name=spec.name, description=spec.summary[:100], callback=callback
        )
        for p in spec.params:
            if p.complete is not None and p.complete != "keyword":  # keywords: free text
                command.autocomplete(p.name)(_completer(self, p.complete))
        return command

    # --- inbound -------------------------------------------------------------------------

    def _context(self, interaction: discord.Interaction[Any]) -> CommandContext:
        user = interaction.user
        if interaction.guild_id is None:  # a DM: the user's personal subscription
            chat = ChatRef(PLATFORM, str(interaction.channel_id), "private")
            admin = True
        else:
            chat = ChatRef(PLATFORM, str(interaction.channel_id), "channel")
            perms = interaction.permissions
            admin = perms.manage_channels or perms.administrator
        return CommandContext(
            chat=chat,
            user_id=str(user.id),
            is_admin=admin,
            language=str(interaction.locale) if interaction.locale else None,
            user_name=user.name,
        )

    async def on_command(
        self, interaction: discord.Interaction[Any], spec: CommandSpec, args: str
    ) -> None:
        ctx = self._context(interaction)
        await self._run(
            interaction,
            lambda progress: self.router.run(spec, ctx, args, progress),
            private=spec.replies_privately,
            defer_after=DEFER_WAITING_AFTER if spec.waits else DEFER_AFTER,
        )

    async def on_action(self, interaction: discord.Interaction[Any], action: str) -> None:
        """A button press is answered to whoever pressed it, ephemerally: a paper's full
        summary is the Discord form of a folded one, not a message for the whole channel."""
        ctx = self._context(interaction)
        found = self.router.registry.action(action.partition(":")[0])
        await self._run(
            interaction,
            lambda progress: self.router.handle_action(ctx, action, progress),
            private=True,
            defer_after=DEFER_WAITING_AFTER if found and found.waits else DEFER_AFTER,
        )

    async def on_question(
        self, interaction: discord.Interaction[Any], paper: str, question: str
    ) -> None:
        """A question from the Ask modal. In a server its answer is posted in the thread under
        the paper's message (started on the first question, reused after), and that thread
        is the conversation; in DMs, or where the bot may not start or write in a thread, the
        answer is shown to the asker alone."""
        if self._busy.closed:
            return  # shutting down
        with self._busy.tracking():
            await self._answer_question(interaction, paper, question)

    async def _answer_question(
        self, interaction: discord.Interaction[Any], paper: str, question: str
    ) -> None:
        await _defer(interaction, ephemeral=True)
        ctx = self._context(interaction)
        thread = _thread_of(interaction)
        if thread is not None:  # a thread started from a message has the message's id
            ctx = replace(ctx, chat=ChatRef(PLATFORM, str(thread), "channel"))
        told = replace(interrupted(), private=True)
        async with self._busy.interruptible(lambda: self._respond(interaction, told)):
            answer = await self.router.handle_ask(ctx, (paper,), question)
        posted = False
        if thread is not None and answer.tone != "error" and await self._open_thread(interaction):
            try:
                await self.send(ctx.chat, answer)
                posted = True
            except DeliveryError as exc:
                log.info("answer not posted in thread %s (%s): %s", thread, exc.kind, exc.reason)
        note = reply("Answered in the thread under the paper.", private=True)
        try:
            await self._respond(interaction, note if posted else replace(answer, private=True))
        except discord.HTTPException as exc:
            log.info("could not answer a question: %s", exc)

    async def _open_thread(self, interaction: discord.Interaction[Any]) -> bool:
        """Start the thread under the interaction's message, or find it there already."""
        if isinstance(interaction.channel, discord.Thread):
            return True
        message = interaction.message
        if message is None or interaction.channel_id is None:
            return False
        name = _thread_name(message)
        try:
            await self.client.http.start_thread_with_message(
                interaction.channel_id, message.id, name=name, auto_archive_duration=1440
            )
        except discord.HTTPException as exc:
            if exc.code == THREAD_EXISTS:
                return True
            log.info("no thread for a question in %s: %s", interaction.channel_id, exc)
            return False
        return True

    async def _run(
        self,
        interaction: discord.Interaction[Any],
        work: Callable[[Callable[[Reply], Awaitable[None]]], Awaitable[Reply]],
        *,
        private: bool,
        defer_after: float,
    ) -> None:
        """Answer within Discord's 3 seconds: a command still running after ``defer_after``
        (or one that says it is about to be slow) is deferred, and its reply then follows
        up. A deferral fixes whether the answer is ephemeral (Discord keeps its flag for the
        first follow-up), so it must already know."""

        # One first answer: a deferral still waiting out a 429 must not be overtaken by
        # another deferral or by the reply (Discord refuses a second first answer).
        first_answer = asyncio.Lock()

        async def defer() -> None:
            async with first_answer:
                await _defer(interaction, ephemeral=private)

        async def progress(_: Reply) -> None:
            await defer()

        if self._busy.closed:
            return  # shutting down
        if not self._seen.first_time(interaction.id):
            # Discord (or a resumed gateway session) delivered it again: once is enough
            # (a replayed /feed reset would rotate the address twice).
            log.info("Discord: interaction %s delivered again; ignored", interaction.id)
            return

        async def tell_interrupted() -> None:
            async with first_answer:
                await self._respond(interaction, replace(interrupted(), private=private))

        with self._busy.tracking():
            task = asyncio.ensure_future(work(progress))
            async with self._busy.interruptible(tell_interrupted):
                try:
                    done, _ = await asyncio.wait({task}, timeout=defer_after)
                    if not done:
                        await defer()
                    reply = await task
                except asyncio.CancelledError:
                    task.cancel()  # shutdown: the command's own wait too
                    raise
            if private:
                reply = replace(reply, private=True)
            try:
                async with first_answer:
                    deferred = interaction.response.type is _DEFERRED
                    if reply.tone == "error" and deferred and not private:
                        await self._respond_privately_after_public_deferral(interaction, reply)
                    else:
                        await self._respond(interaction, reply)
            except discord.HTTPException as exc:
                log.info("could not answer an interaction: %s", exc)

    async def _respond(self, interaction: discord.Interaction[Any], reply: Reply) -> None:
        """Each message of the reply; a reply completed in place later learns the ids of
        its messages (the first follow-up of a deferred answer replaces the deferral)."""
        for index, message in enumerate(render(reply)):
            kwargs = _message_kwargs(message)
            message_id: int | None
            if not interaction.response.is_done():
                done = await interaction.response.send_message(ephemeral=reply.private, **kwargs)
                message_id = done.message_id
            else:
                sent = await interaction.followup.send(
                    ephemeral=reply.private, wait=True, **kwargs
                )
                message_id = sent.id
            if reply.on_message is not None and message_id is not None:
                await reply.on_message(index, str(message_id), tuple(message.papers))

    async def _respond_privately_after_public_deferral(
        self, interaction: discord.Interaction[Any], reply: Reply
    ) -> None:
        """An error is for whoever asked, but a public deferral makes the first follow-up
        public (Discord keeps the deferral's flag for it). So the "thinking" message is
        settled and removed, and the error follows up privately (later follow-ups choose
        their own flag)."""
        await interaction.edit_original_response(content=ANSWERED_PRIVATELY)
        await self._respond(interaction, replace(reply, private=True))
        with contextlib.suppress(discord.HTTPException):
            await interaction.delete_original_response()

    # --- outbound ------------------------------------------------------------------------

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
        """Post ``reply`` in a channel or DM (digests). ``key`` names the delivery: with it,
        each message carries a nonce Discord uses to drop a resend. See :class:`Editor`."""
        messages = render(reply)
        channel = self.client.get_partial_messageable(int(chat.chat_id))
        for index, message in enumerate(messages):
            if index < skip:
                continue
            nonce = _nonce(key, chat, index) if key else None

            record = SentMessage(index, tuple(message.papers), on_sent, on_message)
            try:
                await self._post(channel, message, nonce, gate, record.sent)
            except DeliveryError as exc:
                exc.sent = index
                if exc.kind == "gone":
                    await self.events.gone(chat, exc.reason, title=self._title(channel.id))
                raise
            finally:
                await record.placed()
        return len(messages)

    async def edit(self, chat: ChatRef, reply: Reply, *, index: int, message_id: str) -> None:
        """PATCH the message with message ``index`` of ``reply``: its embeds and buttons
        (the content too when it has one), paced like a send."""
        messages = render(reply)
        if not 0 <= index < len(messages):
            raise DeliveryError("rejected", f"the reply has no message {index}")
        channel = self.client.get_partial_messageable(int(chat.chat_id))

        async def recorded(_: int) -> None:
            return None

        try:
            await self._post(
                channel, messages[index], None, None, recorded, edit_id=int(message_id)
            )
        except DeliveryError as exc:
            if exc.kind == "uncertain":  # an edit is idempotent: the next round repeats it
                raise DeliveryError("transient", exc.reason) from None
            raise

    async def send_direct(self, user_id: str, reply: Reply) -> None:
        """Through the DM channel with the user (the operators), opened if need be."""
        try:
            dm = await self.client.create_dm(discord.Object(id=int(user_id)))
        except (discord.HTTPException, ValueError) as exc:
            raise DeliveryError("rejected", f"no DM with user {user_id}: {exc}") from None
        await self.send(ChatRef(PLATFORM, str(dm.id), "private"), reply)

    def _title(self, channel_id: int) -> str | None:
        """``#name (server)`` when discord.py knows the channel (guild channels it was sent
        at connection), else None."""
        channel = self.client.get_channel(channel_id)
        name = getattr(channel, "name", None)
        if not name:
            return None
        guild = getattr(getattr(channel, "guild", None), "name", None)
        return f"#{name} ({guild})" if guild else f"#{name}"

    async def _post(
        self,
        channel: discord.PartialMessageable,
        message: DiscordMessage,
        nonce: str | None,
        gate: Gate | None,
        record: Callable[[int], Awaitable[None]],
        *,
        edit_id: int | None = None,
    ) -> None:
        """``record`` runs inside ``gate`` right after the message went out, with its id.
        With ``edit_id``, that message is edited instead."""
        attempts = 0
        while True:
            await self._per_channel.get(str(channel.id)).acquire()
            await self._overall.acquire()
            try:
                kwargs = _message_kwargs(message)
                if nonce is not None:
                    kwargs["nonce"] = nonce
                async with gate or contextlib.nullcontext():
                    if edit_id is None:
                        sent = await channel.send(**kwargs)
                        await record(sent.id)
                    else:
                        await channel.get_partial_message(edit_id).edit(**kwargs)
                        await record(edit_id)
                return
            except discord.HTTPException as exc:
                if exc.code in _GONE_CODES:
                    raise DeliveryError("gone", _GONE_CODES[exc.code]) from None
                if exc.status == 429:
                    raise DeliveryError("rate_limited", "Discord rate limit") from None
                if exc.status < 500:
                    raise DeliveryError(
                        "rejected", f"Discord refused the message: {exc}"
                    ) from None
                problem = f"Discord {exc.status}"
            except (TimeoutError, aiohttp.ClientError) as exc:
                if nonce is None:  # without a nonce a resend could duplicate the message
                    raise DeliveryError("uncertain", f"connection lost: {exc}") from None
                problem = type(exc).__name__
            attempts += 1
            if attempts > 3:
                raise DeliveryError("transient", problem)
            await asyncio.sleep(2.0**attempts)


class SeenIds:
    """The last ``limit`` ids seen, oldest forgotten first: bounded memory for dropping
    replays (a replay comes within seconds, not after thousands of other interactions)."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._ids: OrderedDict[int, None] = OrderedDict()

    def first_time(self, item: int) -> bool:
        if item in self._ids:
            return False
        self._ids[item] = None
        if len(self._ids) > self._limit:
            self._ids.popitem(last=False)
        return True


def _thread_of(interaction: discord.Interaction[Any]) -> int | None:
    """The thread an answer belongs in: the one the question was asked in, or the one (to be)
    started from the message the Ask button is on; None in DMs."""
    if interaction.guild_id is None:
        return None
    if isinstance(interaction.channel, discord.Thread):
        return interaction.channel.id
    return interaction.message.id if interaction.message is not None else None


def _thread_name(message: discord.Message) -> str:
    """The paper's title when the message shows one paper; a digest's thread is for all of
    its papers."""
    titles = [e.title for e in message.embeds if e.title and e.footer.text]
    if len(titles) == 1:
        return f"Questions: {discord.utils.remove_markdown(titles[0])}"[:100]
    return "Questions about these papers"


def _message_kwargs(message: DiscordMessage) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"allowed_mentions": NO_MENTIONS}
    if message.content:
        kwargs["content"] = message.content
    if message.embeds:
        kwargs["embeds"] = message.embeds
    if message.buttons:
        kwargs["view"] = _view(message.buttons)
    return kwargs


def _view(buttons: list[Button]) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for button in buttons:
        if button.action.startswith(ASK_ACTION):
            view.add_item(AskButton(button.action.removeprefix(ASK_ACTION), button.label))
        else:
            view.add_item(ActionButton(button.action, button.label))
    return view


def _nonce(key: str, chat: ChatRef, index: int) -> str:
    """Deterministic, at most 25 characters (Discord's limit)."""
    return hashlib.sha256(f"{key}|{chat.key}|{index}".encode()).hexdigest()[:25]


async def _answer_privately(interaction: discord.Interaction[Any], text: str) -> None:
    if interaction.response.is_done():
        return
    with contextlib.suppress(discord.HTTPException):
        await interaction.response.send_message(text, ephemeral=True)


async def _defer(interaction: discord.Interaction[Any], *, ephemeral: bool) -> None:
    if not interaction.response.is_done():
        with contextlib.suppress(discord.HTTPException):
            await interaction.response.defer(ephemeral=ephemeral, thinking=True)


# --- autocomplete -----------------------------------------------------------------------------

MAX_CHOICES = 25
MAX_CHOICE_CHARS = 100
"""Discord's limits on autocomplete choices."""


def _completer(
    adapter: DiscordAdapter, kind: Completion
) -> Callable[
    [discord.Interaction[Any], str], Coroutine[Any, Any, list[app_commands.Choice[str]]]
]:
    async def suggest(
        interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        choices = await adapter.router.suggestions(
            adapter._context(interaction),
            kind,
            current,
            limit=MAX_CHOICES,
            max_chars=MAX_CHOICE_CHARS,
        )
        return [app_commands.Choice(name=label, value=value) for label, value in choices]

    return suggest
