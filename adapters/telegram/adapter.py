"""Telegram through python-telegram-bot, driven by hand inside the shared event loop.

The adapter only translates: updates become core commands and button actions; core replies
become HTML messages (``render.py``); Telegram's errors become :class:`DeliveryError` kinds
and chat events. Pacing is ours (PTB's AIORateLimiter has no per-chat limit and does not
retry by default): about 30 messages/s overall, 1/s per private chat, 20/min per group.

Timeouts are ambiguous (Telegram has no idempotency key): a send that timed out after the
request left may have been delivered, so it is reported as ``uncertain`` and never resent
blindly. Only failures that prove nothing was delivered are retried: 429 (after
``retry_after``), 5xx answers, and connection or pool timeouts.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import logging
import os
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, replace
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
from telegram import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    Update,
)
from telegram.constants import ChatMemberStatus, ChatType, MessageEntityType, ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    filters,
)

from adapters.inflight import InFlight
from adapters.pacing import KeyedWindows, SharedSlots, SharedWindow, SlidingWindow, Window
from adapters.telegram.render import TelegramMessage, render
from bot.arxiv.ids import InvalidArxivId, parse_arxiv_id
from bot.commands import CommandRouter, interrupted
from bot.contract.chats import ChatKind, ChatRef, CommandContext
from bot.contract.messages import Reply
from bot.contract.outbound import DeliveryError, Gate, OnMessage, OnSent, SentMessage
from bot.delivery.chat_events import ChatEvents
from bot.services.health import PlatformRefused

log = logging.getLogger(__name__)

# PTB's documented opt-in: retry_after as a timedelta (the next major's type) instead of an
# int plus a deprecation warning on every 429. _seconds() reads both.
os.environ.setdefault("PTB_TIMEDELTA", "1")


class _OutageWithoutTraceback(logging.Filter):
    """PTB logs every error page of an unreachable Telegram (a proxy's HTML 502, a failed
    poll) with a traceback: an outage is not a bug, and the adapter and the platform starter
    report it in one line. The message stays; the traceback of a network error goes."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, TelegramError | ValueError):
            record.exc_info = None
            record.exc_text = None
            if record.levelno > logging.WARNING:
                record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


for _name in ("telegram.request.BaseRequest", "telegram.ext.Updater", "telegram.ext"):
    logging.getLogger(_name).addFilter(_OutageWithoutTraceback())

PLATFORM = "telegram"
STOP_STEP_SECONDS = 2.0
"""At shutdown, the longest wait for each step (the last poll; cancelled commands)."""
REMEMBERED_MESSAGES = 20_000
"""Sent messages whose papers are remembered, so a reply to one asks about its paper (a few
hundred bytes each; older messages fall back to the paper links they show)."""
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member", "channel_post"]


@dataclass(frozen=True, slots=True)
class TelegramLimits:
    """Telegram's published broadcast limits (Bot FAQ); conservative by default."""

    overall_per_second: int = 30
    private_per_second: int = 1
    """Per chat: "in a single chat" (Bot FAQ) holds for groups too."""
    group_per_minute: int = 20
    margin: float = 0.25
    """Seconds added to every per-chat window: Telegram counts a message when it arrives, a
    varying moment after it was counted here."""
    overall_slack: float = 0.03
    """Messages leave evenly spaced, 1/30 s apart plus this share: any second of arrivals
    then holds at most 30 even with some network jitter, without bursts to absorb."""
    max_wait: float = 30.0
    """A ``retry_after`` up to this long is waited out; longer ones are reported."""
    retries: int = 4


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    url: str
    secret: str
    listen: str = "0.0.0.0"
    port: int = 8443


def file_url_for(api_url: str) -> str:
    """``https://host/bot`` -> ``https://host/file/bot`` (how Bot API servers lay out files)."""
    head, sep, tail = api_url.rstrip("/").rpartition("/")
    return f"{head}/file/{tail}" if sep else api_url


def _seconds(value: int | float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _chat_kind(chat_type: str) -> ChatKind:
    if chat_type == ChatType.PRIVATE:
        return "private"
    if chat_type == ChatType.CHANNEL:
        return "channel"
    return "group"


_GONE = ("chat not found", "bot was kicked", "bot is not a member", "user is deactivated",
         "need administrator rights", "not enough rights", "chat_write_forbidden")  # fmt: skip


class TelegramAdapter:
    platform = PLATFORM

    def __init__(
        self,
        *,
        token: str,
        router: CommandRouter,
        events: ChatEvents,
        api_url: str = "https://api.telegram.org/bot",
        webhook: WebhookConfig | None = None,
        limits: TelegramLimits | None = None,
        admin_cache_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        poll_when_leading: bool = False,
        shared: SharedSlots | None = None,
    ) -> None:
        """``poll_when_leading``: with long polling, take updates only while this instance
        leads (:meth:`set_leading`), as instances sharing a database must; by default the
        adapter polls from its start. ``shared``: the limits are kept there, for all the
        instances sharing it (by default, in this process)."""
        self.router = router
        self.events = events
        self.webhook = webhook
        self.limits = limits or TelegramLimits()
        self._clock = clock
        self._admin_ttl = admin_cache_seconds
        self._admins: dict[tuple[int, int], tuple[float, bool]] = {}
        self._shown: OrderedDict[tuple[int, int], tuple[str, ...]] = OrderedDict()
        self._shared = shared
        spacing = (1.0 + self.limits.overall_slack) / self.limits.overall_per_second
        self._overall = self._window("telegram:all", 1, spacing)
        self._per_chat = KeyedWindows(self._window_for)
        self._per_group = KeyedWindows(self._group_window_for)
        self.username = ""
        self._busy = InFlight()
        self._poll = not poll_when_leading
        """Whether to poll (long polling only): always, or while leading."""
        self._started = False
        self._polling = asyncio.Lock()
        self.app: Application = (  # type: ignore[type-arg]
            ApplicationBuilder()
            .token(token)
            .base_url(api_url)
            .base_file_url(file_url_for(api_url))
            .defaults(
                Defaults(
                    parse_mode=ParseMode.HTML,
                    link_preview_options=LinkPreviewOptions(is_disabled=True),
                    do_quote=False,
                )
            )
            .concurrent_updates(True)
            .build()
        )
        self._register_handlers()

    # --- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        """Signs in, publishes the command menu and starts receiving updates. A failure
        undoes what was started, so that a later call can try again from the beginning;
        a token Telegram refuses raises :class:`PlatformRefused`."""
        try:
            await self._start()
        except BaseException as exc:
            await self._undo_start()
            if isinstance(exc, InvalidToken):
                raise PlatformRefused(f"Telegram refused the token: {exc}") from None
            raise

    async def _undo_start(self) -> None:
        with contextlib.suppress(Exception):
            updater = self.app.updater
            if updater is not None and updater.running:
                async with asyncio.timeout(STOP_STEP_SECONDS):
                    await updater.stop()
        with contextlib.suppress(Exception):
            if self.app.running:
                await self.app.stop()
            await self.app.shutdown()

    async def _start(self) -> None:
        await self.app.initialize()
        me = self.app.bot.bot
        self.username = me.username or ""
        log.info("Telegram: signed in as @%s (id %s)", me.username, me.id)
        await self._publish_commands()
        updater = self.app.updater
        assert updater is not None
        if self.webhook:
            path = urlsplit(self.webhook.url).path.strip("/") or "telegram"
            await updater.start_webhook(
                listen=self.webhook.listen,
                port=self.webhook.port,
                url_path=path,
                webhook_url=self.webhook.url,
                secret_token=self.webhook.secret,
                allowed_updates=ALLOWED_UPDATES,
            )
            log.info("Telegram: receiving updates by webhook on port %d", self.webhook.port)
        async with self._polling:
            if not self.webhook and self._poll:
                await self._start_polling()
            elif not self.webhook:
                log.info("Telegram: sending only (the leading instance takes the updates)")
            await self.app.start()
            self._started = True

    async def _start_polling(self) -> None:
        updater = self.app.updater
        assert updater is not None
        await updater.start_polling(allowed_updates=ALLOWED_UPDATES, timeout=10)
        log.info("Telegram: receiving updates by long polling")

    async def set_leading(self, leads: bool) -> None:
        """Long polling by the leading instance only; a webhook is every instance's (behind
        a load balancer, whichever receives an update answers it)."""
        if self.webhook:
            return
        async with self._polling:
            self._poll = leads
            updater = self.app.updater
            if not self._started or updater is None:
                return  # the start polls, or not
            if leads and not updater.running:
                await self._start_polling()
            elif not leads and updater.running:
                try:
                    async with asyncio.timeout(STOP_STEP_SECONDS):
                        await updater.stop()
                except TimeoutError:
                    log.warning("Telegram: the last poll did not finish; updates may come again")
                log.info("Telegram: sending only (another instance leads and takes the updates)")

    async def stop(self) -> None:
        """Within seconds, whatever the handlers wait for: no new update is taken, the
        commands in progress are cancelled (a slow model or arXiv would hold the shutdown for
        minutes), and the last poll, which confirms the fetched updates, gets a bounded time
        (Telegram may be down)."""
        self._busy.close()
        self._started = False
        updater = self.app.updater
        if updater is not None and updater.running:
            try:
                async with asyncio.timeout(STOP_STEP_SECONDS):
                    await updater.stop()
            except TimeoutError:
                log.warning("Telegram: the last poll did not finish; updates may come again")
        await self._busy.cancel(STOP_STEP_SECONDS)
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()

    async def _publish_commands(self) -> None:
        """Telegram's command menu, generated from the core's registry."""
        commands = [
            BotCommand(spec.name, spec.summary[:256]) for spec in self.router.registry.specs()
        ]
        for scope in (BotCommandScopeAllPrivateChats(), BotCommandScopeAllGroupChats()):
            await self.app.bot.set_my_commands(commands, scope=scope)

    # --- inbound -------------------------------------------------------------------------

    def _register_handlers(self) -> None:
        names = self.router.registry.names()
        # PTB's CommandHandler skips channel posts unless asked: commands in channels too.
        posts = filters.UpdateType.MESSAGES | filters.UpdateType.CHANNEL_POSTS
        busy = self._busy.tracked
        self.app.add_handler(CommandHandler(names, busy(self._on_text), filters=posts))
        self.app.add_handler(MessageHandler(filters.COMMAND, busy(self._on_unknown_command)))
        self.app.add_handler(
            MessageHandler(
                filters.REPLY & filters.TEXT & ~filters.COMMAND & filters.UpdateType.MESSAGES,
                busy(self._on_reply),
            )
        )
        self.app.add_handler(
            MessageHandler(
                filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE, busy(self._on_text)
            )
        )
        self.app.add_handler(
            MessageHandler(
                filters.ChatType.PRIVATE
                & filters.UpdateType.MESSAGE
                & ~filters.TEXT
                & ~filters.StatusUpdate.ALL,
                busy(self._on_not_text),
            )
        )
        self.app.add_handler(CallbackQueryHandler(busy(self._on_button)))
        self.app.add_handler(
            ChatMemberHandler(busy(self._on_membership), ChatMemberHandler.MY_CHAT_MEMBER)
        )
        self.app.add_handler(
            MessageHandler(filters.StatusUpdate.MIGRATE, busy(self._on_migration))
        )
        self.app.add_error_handler(self._on_error)

    async def _context(self, update: Update) -> CommandContext | None:
        chat = update.effective_chat
        if chat is None:
            return None
        user = update.effective_user
        kind = _chat_kind(chat.type)
        message = update.effective_message
        # A button is pressed by whoever reads the message (any subscriber of a channel): the
        # message it hangs under (the bot's own post) says nothing about the presser.
        posted = update.callback_query is None
        if kind == "private":
            admin = True  # the chat's owner
        elif kind == "channel" and posted:
            admin = True  # only administrators post in channels
        elif (
            posted
            and message is not None
            and message.sender_chat
            and message.sender_chat.id == chat.id
        ):
            admin = True  # an anonymous group admin
        elif user is None:
            admin = False
        else:
            admin = await self._is_admin(chat.id, user.id)
        return CommandContext(
            chat=ChatRef(PLATFORM, str(chat.id), kind),
            user_id=str(user.id if user else chat.id),
            is_admin=admin,
            language=user.language_code if user else None,
            user_name=user.username if user else None,
        )

    async def _is_admin(self, chat_id: int, user_id: int) -> bool:
        """Asked of Telegram, believed for ``admin_cache_seconds``."""
        cached = self._admins.get((chat_id, user_id))
        if cached and cached[0] > self._clock():
            return cached[1]
        try:
            member = await self.app.bot.get_chat_member(chat_id, user_id)
            admin = member.status in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)
        except TelegramError as exc:
            log.info("could not check admin rights in %s: %s", chat_id, exc)
            return False
        self._admins[(chat_id, user_id)] = (self._clock() + self._admin_ttl, admin)
        return admin

    def _interruptible(self, chat: ChatRef) -> AbstractAsyncContextManager[None]:
        """A command cut short by the shutdown is answered that the bot is restarting."""
        return self._busy.interruptible(lambda: self.send(chat, interrupted()))

    def _progress(self, chat: ChatRef) -> Callable[[Reply], Awaitable[None]]:
        async def progress(reply: Reply) -> None:
            try:
                # The acknowledgement first: Telegram clears "typing..." as soon as the
                # bot's next message arrives, so the indicator must follow it to show.
                await self.send(chat, reply)
                await self.app.bot.send_chat_action(int(chat.chat_id), "typing")
            except (DeliveryError, TelegramError) as exc:
                log.info("progress message to %s failed: %s", chat.key, exc)

        return progress

    async def _on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        ctx = await self._context(update)
        if message is None or message.text is None or ctx is None:
            return
        async with self._interruptible(ctx.chat):
            answer = await self.router.handle_text(ctx, message.text, self._progress(ctx.chat))
        if answer is not None:
            await self._answer(ctx.chat, answer)

    async def _on_not_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        ctx = await self._context(update)
        if ctx is None:
            return
        answer = self.router.not_text(ctx)
        if answer is not None:
            await self._answer(ctx.chat, answer)

    async def _on_reply(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A reply to one of our messages that shows a paper (a digest entry, a summary, an
        answer) is a question about it, in private chats and groups alike (privacy mode lets
        the bot see replies to its own messages). Other replies are ordinary text."""
        message = update.effective_message
        if message is None or message.text is None:
            return
        papers = self._papers_shown(message.reply_to_message)
        if not papers:
            if message.chat.type == ChatType.PRIVATE:
                await self._on_text(update, context)
            return
        ctx = await self._context(update)
        if ctx is None:
            return
        async with self._interruptible(ctx.chat):
            answer = await self.router.handle_ask(
                ctx, papers, message.text, self._progress(ctx.chat)
            )
        await self._answer(ctx.chat, answer)

    def _papers_shown(self, replied: Message | None) -> tuple[str, ...]:
        """The papers one of our messages shows: remembered when it was sent, else (sent
        before a restart) the arXiv links in it."""
        if replied is None or replied.from_user is None:
            return ()
        if replied.from_user.id != self.app.bot.id:
            return ()
        remembered = self._shown.get((replied.chat.id, replied.message_id))
        if remembered is not None:
            return remembered
        found: list[str] = []
        for entity in replied.entities:
            if entity.type != MessageEntityType.TEXT_LINK or not entity.url:
                continue
            try:
                paper = str(parse_arxiv_id(entity.url))
            except InvalidArxivId:
                continue
            if paper not in found:
                found.append(paper)
        return tuple(found)

    def _remember(self, chat_id: int, message_id: int, papers: tuple[str, ...]) -> None:
        if not papers:
            return
        self._shown[(chat_id, message_id)] = papers
        while len(self._shown) > REMEMBERED_MESSAGES:
            self._shown.popitem(last=False)

    async def _on_unknown_command(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE
    ) -> None:
        """In groups, only commands addressed to this bot by name get an answer: the others
        may belong to another bot."""
        message = update.effective_message
        chat = update.effective_chat
        if message is None or message.text is None or chat is None:
            return
        first = message.text.split(maxsplit=1)[0]
        addressed = "@" in first and first.split("@", 1)[1].lower() == self.username.lower()
        if chat.type == ChatType.PRIVATE or addressed:
            await self._on_text(update, context)

    async def _on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        try:
            await query.answer()  # always, or the client shows a spinner
        except TelegramError as exc:  # too old (pressed while we were down): act all the same
            log.info("could not answer a button press: %s", exc)
        ctx = await self._context(update)
        if ctx is None or not query.data:
            return
        async with self._interruptible(ctx.chat):
            answer = await self.router.handle_action(ctx, query.data, self._progress(ctx.chat))
        await self._answer(ctx.chat, answer)

    async def _on_membership(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        change = update.my_chat_member
        if change is None:
            return
        status = change.new_chat_member.status
        chat = ChatRef(PLATFORM, str(change.chat.id), _chat_kind(change.chat.type))
        if status in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT):
            reason = "blocked by the user" if chat.kind == "private" else "removed from the chat"
            name = change.chat.title or (
                f"@{change.chat.username}" if change.chat.username else None
            )
            await self.events.gone(chat, f"the bot was {reason}", title=name)

    async def _on_migration(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is not None and message.migrate_to_chat_id:
            await self.events.migrated(
                PLATFORM, str(message.chat.id), str(message.migrate_to_chat_id)
            )

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("Telegram update failed: %r", context.error, exc_info=context.error)

    async def _answer(self, chat: ChatRef, reply: Reply) -> None:
        try:
            await self.send(chat, reply, on_message=reply.on_message)
        except DeliveryError as exc:
            log.info("reply to %s not delivered (%s): %s", chat.key, exc.kind, exc.reason)

    # --- outbound ------------------------------------------------------------------------

    async def send_direct(self, user_id: str, reply: Reply) -> None:
        """A private chat's id is its user's id (the operators)."""
        await self.send(ChatRef(PLATFORM, user_id, "private"), reply)

    def _window(self, name: str, rate: int, period: float) -> Window:
        if self._shared is not None:
            return SharedWindow(self._shared, name, rate, period)
        return SlidingWindow(rate, period, clock=self._clock)

    def _window_for(self, key: str) -> Window:
        period = 1.0 + self.limits.margin
        return self._window(f"telegram:chat:{key}", self.limits.private_per_second, period)

    def _group_window_for(self, key: str) -> Window:
        """Groups, supergroups and channels (negative ids) also have a per-minute limit."""
        period = 60.0 + self.limits.margin
        return self._window(f"telegram:group:{key}", self.limits.group_per_minute, period)

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
        """Send every message of ``reply`` after the first ``skip``; see :class:`Editor`
        (Telegram has no idempotency key, so ``key`` is not used)."""
        messages = render(reply)
        chat_id = int(chat.chat_id)
        for index, message in enumerate(messages):
            if index < skip:
                continue

            record = SentMessage(index, message.completes, on_sent, on_message)
            try:
                chat_id = await self._send_one(chat, chat_id, message, gate, record.sent)
            except DeliveryError as exc:
                exc.sent = index
                raise
            finally:
                await record.placed()
        return len(messages)

    async def edit(self, chat: ChatRef, reply: Reply, *, index: int, message_id: str) -> None:
        """editMessageText with message ``index`` of ``reply`` and its buttons (an edit
        without ``reply_markup`` would remove them), paced like a send."""
        messages = render(reply)
        if not 0 <= index < len(messages):
            raise DeliveryError("rejected", f"the reply has no message {index}")

        async def recorded(_: int) -> None:
            return None

        await self._send_one(
            chat, int(chat.chat_id), messages[index], None, recorded, edit_id=int(message_id)
        )

    async def _send_one(
        self,
        chat: ChatRef,
        chat_id: int,
        message: TelegramMessage,
        gate: Gate | None,
        record: Callable[[int], Awaitable[None]],
        *,
        edit_id: int | None = None,
    ) -> int:
        """Returns the chat id it was finally sent to (it changes when a group migrates).
        ``record`` runs inside ``gate`` right after the message went out, with its id.
        With ``edit_id``, that message is edited instead."""
        markup = (
            InlineKeyboardMarkup(
                [
                    [InlineKeyboardButton(b.label[:64], callback_data=b.action) for b in row]
                    for row in message.buttons
                ]
            )
            if message.buttons
            else None
        )
        html_mode = True
        failures = 0
        while True:
            # Wait for the chat's turn without taking it, then take an overall turn (which
            # may wait), and only then the chat's: each window counts the message when it
            # leaves, not a queueing time earlier.
            windows = [self._per_chat.get(str(chat_id))]
            if chat_id < 0:
                windows.append(self._per_group.get(str(chat_id)))
            while (turn := max([await w.turn() for w in windows])) > 0:  # noqa: ASYNC110
                await asyncio.sleep(turn)
            await self._overall.acquire()
            for window in windows:
                await window.acquire()
            try:
                async with gate or contextlib.nullcontext():
                    text = message.html if html_mode else message.plain
                    mode = ParseMode.HTML if html_mode else None
                    if edit_id is None:
                        sent = await self.app.bot.send_message(
                            chat_id=chat_id, text=text, parse_mode=mode, reply_markup=markup
                        )
                        self._remember(chat_id, sent.message_id, message.papers)
                        await record(sent.message_id)
                    else:
                        await self.app.bot.edit_message_text(
                            text, chat_id=chat_id, message_id=edit_id, parse_mode=mode,
                            reply_markup=markup,
                        )  # fmt: skip
                        await record(edit_id)
                return chat_id
            except RetryAfter as exc:
                wait = _seconds(exc.retry_after)
                failures += 1
                if wait > self.limits.max_wait or failures > self.limits.retries:
                    raise DeliveryError(
                        "rate_limited", f"Telegram asked to wait {wait:g}s", retry_after=wait
                    ) from None
                self._per_chat.get(str(chat_id)).pause(wait)  # the next acquire waits it out
                # A 429 does not say whether this chat or the whole bot went too fast: pause
                # everyone briefly too (a long global halt would stall every other chat).
                self._overall.pause(min(wait, 1.0))
                continue
            except ChatMigrated as exc:
                failures += 1
                if failures > self.limits.retries:
                    raise DeliveryError("transient", "the chat kept moving") from None
                new_id = int(exc.new_chat_id)
                await self.events.migrated(PLATFORM, str(chat_id), str(new_id))
                chat_id = new_id
                continue
            except Forbidden as exc:
                await self.events.gone(replace(chat, chat_id=str(chat_id)), str(exc))
                raise DeliveryError("gone", str(exc)) from None
            except BadRequest as exc:
                text = str(exc).lower()
                if edit_id is not None and "message is not modified" in text:
                    return chat_id  # it already shows this
                if any(marker in text for marker in _GONE):
                    await self.events.gone(replace(chat, chat_id=str(chat_id)), str(exc))
                    raise DeliveryError("gone", str(exc)) from None
                if "can't parse entities" in text and html_mode:
                    log.error("Telegram refused our HTML (%s); sending plain text", exc)
                    html_mode = False
                    continue
                raise DeliveryError("rejected", str(exc)) from None
            except TimedOut as exc:
                if not isinstance(exc.__cause__, httpx.ConnectTimeout | httpx.PoolTimeout):
                    raise DeliveryError("uncertain", "Telegram did not answer in time") from None
            except NetworkError as exc:
                # None: Telegram answered with an error status (5xx); a TelegramError: the
                # answer was an error page, not JSON (a proxy's 502)
                cause = exc.__cause__
                if cause is not None and not isinstance(cause, httpx.ConnectError | TelegramError):
                    raise DeliveryError("uncertain", f"connection lost: {exc}") from None
            except TelegramError as exc:  # invalid token, conflict: nothing to retry
                raise DeliveryError("rejected", str(exc)) from None
            failures += 1
            if failures > self.limits.retries:
                raise DeliveryError("transient", "Telegram kept failing")
            await asyncio.sleep(min(2.0**failures, self.limits.max_wait))


def new_webhook_secret() -> str:
    """Telegram accepts 1-256 characters of A-Z, a-z, 0-9, _ and -."""
    return secrets.token_urlsafe(32)


def shared_webhook_secret(token: str) -> str:
    """The webhook secret of instances that share a database (and a webhook behind a load
    balancer) without ``TELEGRAM_WEBHOOK_SECRET``: derived from the bot's token, so each
    instance registers the same one instead of replacing the others'."""
    digest = hmac.new(token.encode(), b"arxiv-bot telegram webhook", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")
