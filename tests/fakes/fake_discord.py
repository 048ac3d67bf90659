"""A local fake of Discord (REST API v10 + gateway), for tests with the real discord.py 2.7.

The fake listens on 127.0.0.1 only (random free port). It validates what the bot sends the way
Discord does, so a test FAILS on a limit or formatting bug instead of passing against a lenient
mock. Use ``async with FakeDiscord() as fake:`` in async tests, or ``with FakeDiscordThread() as
fake:`` (same object, served from its own event loop in a background thread).

Pointing discord.py at it (two class attributes; :func:`point_discord_py_at` does both and
returns a function that restores them)::

    discord.http.Route.BASE = fake.api_base        # "http://127.0.0.1:PORT/api/v10" (a str)
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)  # a yarl.URL!

``Route.BASE`` is read whenever a route is built, and the interaction callbacks and follow-up
webhooks use the same ``Route`` class, so it covers them too. ``DEFAULT_GATEWAY`` must be a
``yarl.URL`` (discord.py calls ``.with_query`` on it). A plain ``Client`` never asks
``/gateway/bot``; an ``AutoShardedClient`` does, and gets :attr:`FakeDiscord.gateway_url`.

**REST** (under ``/api/v10``; every JSON answer has ``Content-Type`` exactly
``application/json``, which is the only value discord.py parses as JSON; every answer carries
``Via: 1.1 google``, without which discord.py treats any 429 as a Cloudflare ban):

* ``GET /users/@me``, ``GET /users/{id}`` (any id), ``GET /oauth2/applications/@me``,
  ``GET /gateway``, ``GET /gateway/bot``.
* ``GET``/``PUT /applications/{app}/commands`` and ``/applications/{app}/guilds/{g}/commands``:
  a PUT is validated like Discord (CHAT_INPUT names ``^[-_\\p{L}\\p{N}]{1,32}$`` and lowercase,
  description 1-100, option names/descriptions likewise, at most 25 options and 25 choices,
  required options before optional ones, unique names, 4000 characters per command), then
  echoed with ``id`` (stable per scope and name), ``application_id``, ``version`` and stored
  in ``fake.commands[scope]`` (scope ``"global"`` or the guild id as an int).
* ``POST /channels/{c}/messages`` (JSON or multipart with ``payload_json``),
  ``GET``/``PATCH``/``DELETE /channels/{c}/messages/{m}``, ``GET /channels/{c}``,
  ``POST /channels/{c}/typing``, ``POST /users/@me/channels`` (opens a DM channel).
* ``POST /interactions/{id}/{token}/callback``: types 4 (message), 5 (deferred), 6 (deferred
  update), 7 (update), 8 (autocomplete result), 9 (modal). ``?with_response=1`` (discord.py
  always sends it) answers 200 ``{"interaction": {...}, "resource": {...}}``, else 204.
* ``POST /channels/{c}/messages/{m}/threads``: starts a public thread from a message (see
  "Threads" below).
* ``POST /webhooks/{app}/{token}`` (follow-ups; ``?wait=1`` returns the message, else 204),
  ``GET``/``PATCH``/``DELETE /webhooks/{app}/{token}/messages/{m or @original}``.
* Anything else: 404 ``{"message": "404: Not Found", "code": 0}``.

Message bodies (channel sends, callbacks 4/7, follow-ups, edits) are checked against Discord's
limits: content <= 2000; <= 10 embeds; embed title <= 256, description <= 4096, <= 25 fields
(name 1-256, value 1-1024, both non-blank), footer text <= 2048, author name <= 256, urls
http(s); the SUM of those texts over all embeds <= 6000; components: <= 5 action rows of <= 5
buttons (or one select), custom_id 1-100 and unique in the message, label <= 80, link buttons
need a url; nonce <= 25 characters; ``allowed_mentions`` well formed; a new message must not be
empty. Characters are counted as Python ``len`` (code points). A bad body answers 400
``{"code": 50035, "message": "Invalid Form Body", "errors": {...}}`` in Discord's nested error
format (discord.py flattens it into ``HTTPException.text``); an empty one 400 code 50006; a file
above ``attachment_size_limit`` 413 code 40005.

Discord semantics that tests rely on:

* ``enforce_nonce``: a repeated nonce (same bot, any channel, as documented) within
  ``nonce_window`` seconds returns the ORIGINAL message and creates nothing (counted in
  ``nonce_hits``); if that message was deleted, 404 code 10008.
* Interactions: the first callback must arrive within ``interaction_deadline`` seconds of the
  dispatch (``clock`` time) or it gets 404 10062 "Unknown interaction"; a second callback gets
  400 40060; callback types must suit the interaction (8 only for autocomplete, 6/7 only for
  components). Follow-ups/``@original`` before the callback get 404 10015 "Unknown Webhook",
  after ``token_lifetime`` (15 min) 401 50027. After a type-5 deferral the FIRST follow-up
  replaces the "thinking" message and keeps the deferral's ephemeral flag (its own is ignored),
  as Discord does; later follow-ups are independent. ``@original`` of a type 6/7 response is
  the component's message.
* Errors: channels in ``missing_permissions`` -> 403 50013; channels in ``unknown_channels`` or
  never configured -> 404 10003; users in ``dm_closed`` -> 403 50007 on DM sends; a bad
  ``Authorization`` (must be ``Bot <token>``; interaction and webhook routes need none) -> 401
  ``{"code": 0, "message": "401: Unauthorized"}``; :meth:`FakeDiscord.fail_next` for one-off
  faults; ``global_limit`` (requests per second, interaction routes exempt) -> 429
  ``global: true``. 401, 403 and 429 (except scope ``shared``) count in ``invalid_requests``,
  like Cloudflare's 10,000-per-10-minutes ban counter.
* Per-route buckets are NOT modelled: success answers carry no ``X-RateLimit-*`` headers, so
  discord.py keeps its default one-request-at-a-time bucket and never sleeps pre-emptively.

Modals: a type-9 callback is validated like Discord (``custom_id`` 1-100, ``title`` 1-45, 1-5
top-level components, each an action row holding one text input (type 4) or a label (type 18)
holding one; text inputs: ``custom_id`` 1-100 and unique, ``style`` 1 or 2, ``label`` 1-45,
``min_length`` 0-4000, ``max_length`` 1-4000, ``placeholder`` <= 100, ``value`` <= 4000) and
kept open for :meth:`FakeDiscord.submit_modal`, which sends the MODAL_SUBMIT interaction
(type 5) a client sends: the same user and channel, ``data.custom_id`` and the submitted
components (each text input's ``custom_id`` and ``value``, in the modal's layout), and the
``message`` the component was on when the modal was opened from a button. A modal is
submitted once; values outside its limits or a missing required one are refused (the client
would not send them).

Threads: ``POST /channels/{c}/messages/{m}/threads`` (``name`` 1-100, ``auto_archive_duration``
60/1440/4320/10080) creates a public thread (type 11) whose id IS the message's id, in guild
text channels only (a DM or a thread: 400 50024); the bot needs CREATE_PUBLIC_THREADS (else
403 50013); a message that already has one: 400 160004. The thread is a channel from then on
(messages, interactions, ``GET /channels/{id}``), the message gets ``thread`` and the
HAS_THREAD flag, and THREAD_CREATE (``newly_created``) is dispatched. ``fake.threads`` holds
them by id. Sending in a thread needs SEND_MESSAGES_IN_THREADS.

**Gateway** at ``/`` (plain TEXT frames; the ``compress`` query parameter is ignored): HELLO
(``heartbeat_interval``), IDENTIFY -> READY (+ ``shard`` if asked) then one GUILD_CREATE per
configured guild (text channels, ``@everyone`` + the bot's managed role, the bot as the only
member), HEARTBEAT -> ACK, RESUME -> RESUMED (or INVALID_SESSION if made unresumable),
REQUEST_GUILD_MEMBERS -> one GUILD_MEMBERS_CHUNK. A wrong token closes with 4004; privileged
intents not in ``privileged_intents`` close with 4014 (discord.py raises
``PrivilegedIntentsRequired``). The IDENTIFY ``d`` is kept in ``fake.identify``.

**Injecting users' actions** (thread-safe, synchronous; each returns the interaction id as a
str and dispatches INTERACTION_CREATE over the live gateway): :meth:`FakeDiscord.slash`,
:meth:`FakeDiscord.autocomplete`, :meth:`FakeDiscord.press`; :meth:`FakeDiscord.dispatch_event`
sends any other event. They refuse what a Discord client could not send (an unregistered
command, an unknown option, a missing required option, a value outside choices/min/max, a
button that is not on the message or is disabled).

**Records**: ``requests`` (:class:`RecordedRequest`, every REST call with its answer's
status), ``messages`` (:class:`PostedMessage`: every message created or edited, ``via``
"channel"/"interaction"/"followup"/"edit"), ``callbacks`` (:class:`InteractionCallback`),
``interactions`` (:class:`InjectedInteraction` by id), ``commands``, ``identify``,
``invalid_requests``, ``nonce_hits``, ``heartbeats``, ``ready_count``, ``resume_count``.
:meth:`FakeDiscord.responses_for` lists an interaction's callback, follow-ups and edits in
order. Wait helpers (event-driven on an ``asyncio.Condition``, no polling; usable from any
event loop; they wait forever, so bound them with ``asyncio.timeout``):
:meth:`~FakeDiscord.wait_ready`, :meth:`~FakeDiscord.wait_for_callback`,
:meth:`~FakeDiscord.wait_for_responses`, :meth:`~FakeDiscord.wait_for_messages`,
:meth:`~FakeDiscord.wait_for_requests`, and :meth:`~FakeDiscord.wait_for` (any predicate,
re-checked after each REST request and gateway event of the fake, not on the client's own
state changes).

Time: ``fake.clock`` (default ``time.monotonic``) measures the interaction deadline, token
lifetime, nonce window and global limit; give it a :class:`ManualClock` to test lateness
without sleeping.

discord.py behaviour to know when writing tests (2.7.1):

* ``on_ready``/``wait_until_ready()`` come ``guild_ready_timeout`` (default 2.0 s) after the
  LAST GUILD_CREATE, always; pass ``Client(..., guild_ready_timeout=0.05)`` in tests.
* Start with ``task = asyncio.create_task(client.start(token))``; stop with ``await
  client.close()`` then ``await task`` (it returns cleanly). ``setup_hook`` (tree sync,
  ``add_view``, ``add_dynamic_items``) runs during ``login()``, before the gateway connects.
* Retries: 429 sleeps the body's ``retry_after`` (needs the ``Via`` header, else
  ``HTTPException`` at once); 500/502/504/524 sleep ``1 + 2*tries`` s (webhooks: any 5xx), up
  to 5 tries. A non-resumable reconnect sleeps 5 s before IDENTIFY.
* ``Messageable.send`` always sends a nonce (random 64-bit, as a string) with
  ``enforce_nonce: true``; more than 10 embeds raise ``ValueError`` before any request.
* A ``DynamicItem`` callback runs only if the component interaction's ``message`` contains
  that component; otherwise discord.py drops the interaction silently (:meth:`press` always
  sends the message as stored).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import datetime as dt
import hashlib
import itertools
import json
import math
import re
import secrets
import threading
import time
import unicodedata
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeGuard

from aiohttp import WSMsgType, web

from tests.fakes.local_server import Headers as _Headers
from tests.fakes.local_server import LocalServer
from tests.fakes.server_thread import ServerThread

__all__ = [
    "ADMINISTRATOR",
    "ADMIN_PERMS",
    "BOT_PERMS",
    "EPHEMERAL",
    "MANAGE_CHANNELS",
    "MANAGE_GUILD",
    "MEMBER_PERMS",
    "MENTION_EVERYONE",
    "SEND_MESSAGES",
    "FakeDiscord",
    "FakeDiscordThread",
    "InjectedInteraction",
    "InteractionCallback",
    "ManualClock",
    "PostedMessage",
    "RecordedRequest",
    "point_discord_py_at",
]

# --------------------------------------------------------------------------------------------
# Constants

API_PREFIX = "/api/v10"
DISCORD_EPOCH_MS = 1_420_070_400_000

# Permission bits [discord-api-docs: topics/permissions.mdx]
CREATE_INSTANT_INVITE = 1 << 0
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_EXTERNAL_EMOJIS = 1 << 18
CONNECT = 1 << 20
SPEAK = 1 << 21
CHANGE_NICKNAME = 1 << 26
USE_APPLICATION_COMMANDS = 1 << 31
CREATE_PUBLIC_THREADS = 1 << 35
SEND_MESSAGES_IN_THREADS = 1 << 38

ADMIN_PERMS = 8866461766385663
"""Every permission bit (== ``discord.Permissions.all().value`` in discord.py 2.7.1); Discord
sends this as the computed permissions of an administrator."""
MEMBER_PERMS = (
    CREATE_INSTANT_INVITE | ADD_REACTIONS | VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS
    | ATTACH_FILES | READ_MESSAGE_HISTORY | USE_EXTERNAL_EMOJIS | CONNECT | SPEAK
    | CHANGE_NICKNAME | USE_APPLICATION_COMMANDS | SEND_MESSAGES_IN_THREADS
)  # fmt: skip
"""An ordinary member: no ADMINISTRATOR, MANAGE_CHANNELS, MANAGE_GUILD or MENTION_EVERYONE."""
BOT_PERMS = (
    VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | ATTACH_FILES | READ_MESSAGE_HISTORY
    | ADD_REACTIONS | USE_EXTERNAL_EMOJIS | SEND_MESSAGES_IN_THREADS | CREATE_PUBLIC_THREADS
)  # fmt: skip
"""The bot's permissions (its managed role) unless ``FakeDiscord(bot_permissions=...)``."""

EPHEMERAL = 1 << 6
SUPPRESS_EMBEDS = 1 << 2
LOADING = 1 << 7
SUPPRESS_NOTIFICATIONS = 1 << 12
IS_COMPONENTS_V2 = 1 << 15
HAS_THREAD = 1 << 5
PUBLIC_THREAD = 11
THREAD_ARCHIVE_DURATIONS = frozenset({60, 1440, 4320, 10080})

PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | (1 << 15)  # GUILD_MEMBERS, GUILD_PRESENCES, CONTENT

# Interaction types / callback types
PING, APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 1, 2, 3, 4, 5
_CALLBACKS_ALLOWED = {
    APPLICATION_COMMAND: {4, 5, 9},
    MESSAGE_COMPONENT: {4, 5, 6, 7, 9},
    AUTOCOMPLETE: {8},
    MODAL_SUBMIT: {4, 5, 6, 7},
}
_SELECT_TYPES = {3, 5, 6, 7, 8}

Via = Literal["channel", "interaction", "followup", "edit"]


# --------------------------------------------------------------------------------------------
# Records


class ManualClock:
    """A clock for ``fake.clock`` that only moves when told: ``clock.advance(3.5)``."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


@dataclass
class RecordedRequest:
    """One REST request. ``path`` is relative to ``/api/v10`` (e.g. ``/users/@me``)."""

    method: str
    path: str
    query: dict[str, str]
    json: Any  # the JSON body (or a multipart request's ``payload_json``), None if none
    headers: dict[str, str]  # lookups ignore case
    files: list[dict[str, Any]] = field(default_factory=list)  # {"field","filename","size"}
    status: int | None = None  # the answer's status, once answered


@dataclass
class PostedMessage:
    """A message the bot created or edited, as Discord stored it after the request.

    ``via``: "channel" (``POST /channels/{c}/messages``), "interaction" (callback type 4),
    "followup" (``POST /webhooks/...``) or "edit" (any edit: message PATCH, callback type 7,
    ``@original`` PATCH). ``raw`` is the full message object Discord returned (what
    :meth:`FakeDiscord.press` sends as the interaction's ``message``). ``pings`` is what the
    message would actually notify, given ``allowed_mentions`` and Discord's defaults.
    """

    channel_id: int
    message_id: int
    content: str
    embeds: list[dict[str, Any]]
    components: list[dict[str, Any]]
    flags: int
    allowed_mentions: dict[str, Any] | None
    nonce: str | int | None
    via: Via
    interaction_id: str | None = None
    attachments: list[dict[str, Any]] = field(default_factory=list)
    pings: dict[str, Any] = field(default_factory=dict)  # {"everyone", "users", "roles"}
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL)

    def custom_ids(self) -> list[str]:
        """Every ``custom_id`` in the message's components, in order."""
        return [c["custom_id"] for c in _walk_components(self.components) if "custom_id" in c]

    def component(self, custom_id: str) -> dict[str, Any] | None:
        for c in _walk_components(self.components):
            if c.get("custom_id") == custom_id:
                return c
        return None

    def embed_text(self) -> str:
        """All text of all embeds (title, description, fields, footer, author), joined."""
        parts: list[str] = []
        for e in self.embeds:
            parts += [e.get("title", ""), e.get("description", "")]
            for f in e.get("fields", []):
                parts += [f.get("name", ""), f.get("value", "")]
            parts += [e.get("footer", {}).get("text", ""), e.get("author", {}).get("name", "")]
        return "\n".join(p for p in parts if p)


@dataclass
class InteractionCallback:
    """The initial response to an interaction (``POST /interactions/{id}/{token}/callback``).

    ``message``: the created (type 4) or updated (type 7) message; None for 5, 6, 8 and 9.
    ``choices``: the autocomplete result (type 8). ``flags``: ``data.flags`` (64 ephemeral)."""

    interaction_id: str
    type: int
    data: dict[str, Any]
    flags: int
    message: PostedMessage | None = None
    choices: list[dict[str, Any]] | None = None
    elapsed: float = 0.0  # clock seconds between the dispatch and this callback

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL)


@dataclass
class InjectedInteraction:
    """An interaction the fake dispatched (``fake.interactions[id]``)."""

    id: str
    token: str
    type: int
    payload: dict[str, Any]
    channel_id: int
    dispatched_at: float
    callback: InteractionCallback | None = None
    acked_at: float | None = None
    original_message_id: int | None = None  # what @original refers to, once there is one
    deferred_placeholder: bool = False  # a type-5 "thinking" message awaits its first follow-up
    responses: list[InteractionCallback | PostedMessage] = field(default_factory=list)


@dataclass
class _Failure:
    method: str | None
    prefix: str
    status: int
    body: Any
    headers: dict[str, str | None]
    times: int


class _DiscordError(Exception):
    """Raised inside handlers to answer a Discord-style error."""

    def __init__(
        self, status: int, code: int, message: str, errors: dict[str, Any] | None = None
    ) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status, self.code, self.message, self.errors = status, code, message, errors

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors:
            out["errors"] = self.errors
        return out


def _form_error(errors: dict[str, Any]) -> _DiscordError:
    return _DiscordError(400, 50035, "Invalid Form Body", errors)


# --------------------------------------------------------------------------------------------
# Validation (Discord's rules; error codes/messages as Discord words them)


class _Errors:
    """Discord's nested error tree: ``{"embeds": {"0": {"title": {"_errors": [...]}}}}``."""

    def __init__(self) -> None:
        self.tree: dict[str, Any] = {}

    def add(self, path: Iterable[str | int], code: str, message: str) -> None:
        node = self.tree
        for p in path:
            node = node.setdefault(str(p), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})

    def __bool__(self) -> bool:
        return bool(self.tree)

    def raise_if_any(self) -> None:
        if self.tree:
            raise _form_error(self.tree)

    # -- field checks --
    def string(
        self,
        path: tuple[Any, ...],
        value: Any,
        *,
        max_len: int,
        min_len: int = 0,
        nonblank: bool = False,
    ) -> int:
        """Check a string (required if ``min_len``; whitespace-only counts as missing if
        ``nonblank``); returns its length (0 if absent/invalid)."""
        if value is None:
            if min_len:
                self.add(path, "BASE_TYPE_REQUIRED", "This field is required")
            return 0
        if not isinstance(value, str):
            self.add(path, "BASE_TYPE_STRING", f'Could not interpret "{value}" as string.')
            return 0
        n = len(value)
        if nonblank and not value.strip():
            self.add(path, "BASE_TYPE_REQUIRED", "This field is required")
        elif n > max_len and not min_len:
            self.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {max_len} or fewer in length.")
        elif not min_len <= n <= max_len:
            self.add(
                path,
                "BASE_TYPE_BAD_LENGTH",
                f"Must be between {min_len} and {max_len} in length.",
            )
        return n

    def url(self, path: tuple[Any, ...], value: Any, *, attachment_ok: bool = False) -> None:
        if value is None:
            return
        if not isinstance(value, str) or not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://\S+$", value):
            self.add(path, "URL_TYPE_INVALID_URL", "Not a well formed URL.")
            return
        scheme = value.split(":", 1)[0].lower()
        allowed = ("http", "https", "attachment") if attachment_ok else ("http", "https")
        if scheme not in allowed:
            self.add(
                path,
                "URL_TYPE_INVALID_SCHEME",
                f'Scheme "{scheme}" is not supported. Scheme must be one of {allowed}.',
            )


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (_is_int(value) or isinstance(value, float)) and math.isfinite(value)


def _embed_size(embed: Mapping[str, Any]) -> int:
    """Characters counted toward the 6000 total (title, description, field names and values,
    footer text, author name)."""

    def n(v: Any) -> int:
        return len(v) if isinstance(v, str) else 0

    total = n(embed.get("title")) + n(embed.get("description"))
    for f in embed.get("fields") or []:
        if isinstance(f, Mapping):
            total += n(f.get("name")) + n(f.get("value"))
    for key, sub in (("footer", "text"), ("author", "name")):
        part = embed.get(key)
        if isinstance(part, Mapping):
            total += n(part.get(sub))
    return total


def _validate_embed(errs: _Errors, path: tuple[Any, ...], e: Any) -> None:
    if not isinstance(e, Mapping):
        errs.add(path, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
        return
    errs.string((*path, "title"), e.get("title"), max_len=256)
    errs.string((*path, "description"), e.get("description"), max_len=4096)
    errs.url((*path, "url"), e.get("url"))
    color = e.get("color")
    if color is not None and (not _is_int(color) or not 0 <= color <= 0xFFFFFF):
        errs.add(
            (*path, "color"),
            "NUMBER_TYPE_MAX",
            "int value should be less than or equal to 16777215.",
        )
    ts = e.get("timestamp")
    if ts is not None:
        try:
            dt.datetime.fromisoformat(str(ts).replace("Z", "+00:00"))
        except ValueError:
            errs.add((*path, "timestamp"), "DATE_TIME_TYPE_PARSE", "Could not parse timestamp.")
    fields = e.get("fields")
    if fields is not None:
        if not isinstance(fields, list):
            errs.add((*path, "fields"), "BASE_TYPE_ARRAY", "Must be an array.")
        else:
            if len(fields) > 25:
                errs.add(
                    (*path, "fields"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."
                )
            for i, f in enumerate(fields):
                fp = (*path, "fields", i)
                if not isinstance(f, Mapping):
                    errs.add(
                        fp, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType"
                    )
                    continue
                errs.string((*fp, "name"), f.get("name"), min_len=1, max_len=256, nonblank=True)
                errs.string((*fp, "value"), f.get("value"), min_len=1, max_len=1024, nonblank=True)
    footer = e.get("footer")
    if footer is not None:
        if isinstance(footer, Mapping):
            errs.string(
                (*path, "footer", "text"),
                footer.get("text"),
                min_len=1,
                max_len=2048,
                nonblank=True,
            )
            errs.url((*path, "footer", "icon_url"), footer.get("icon_url"), attachment_ok=True)
        else:
            errs.add((*path, "footer"), "DICT_TYPE_CONVERT", "Only dictionaries may be used")
    author = e.get("author")
    if author is not None:
        if isinstance(author, Mapping):
            errs.string(
                (*path, "author", "name"),
                author.get("name"),
                min_len=1,
                max_len=256,
                nonblank=True,
            )
            errs.url((*path, "author", "url"), author.get("url"))
            errs.url((*path, "author", "icon_url"), author.get("icon_url"), attachment_ok=True)
        else:
            errs.add((*path, "author"), "DICT_TYPE_CONVERT", "Only dictionaries may be used")
    for key in ("image", "thumbnail"):
        part = e.get(key)
        if part is not None:
            if isinstance(part, Mapping) and part.get("url") is not None:
                errs.url((*path, key, "url"), part.get("url"), attachment_ok=True)
            else:
                errs.add((*path, key, "url"), "BASE_TYPE_REQUIRED", "This field is required")


def _walk_components(components: Any) -> Iterable[dict[str, Any]]:
    if not isinstance(components, list):
        return
    for c in components:
        if not isinstance(c, dict):
            continue
        yield c
        yield from _walk_components(c.get("components"))
        accessory = c.get("accessory")
        if isinstance(accessory, dict):
            yield accessory


def _validate_custom_id(
    errs: _Errors, path: tuple[Any, ...], comp: Mapping[str, Any], seen: set[str]
) -> None:
    cid = comp.get("custom_id")
    if cid is None:
        errs.add((*path, "custom_id"), "BASE_TYPE_REQUIRED", "This field is required")
        return
    if errs.string((*path, "custom_id"), cid, min_len=1, max_len=100) and isinstance(cid, str):
        if cid in seen:
            errs.add(
                (*path, "custom_id"),
                "COMPONENT_CUSTOM_ID_DUPLICATED",
                "Component custom id cannot be duplicated",
            )
        seen.add(cid)


def _validate_button(
    errs: _Errors, path: tuple[Any, ...], b: Mapping[str, Any], seen: set[str]
) -> None:
    style = b.get("style")
    if not _is_int(style) or not 1 <= style <= 6:
        errs.add((*path, "style"), "BASE_TYPE_CHOICES", "Value must be one of {1, 2, 3, 4, 5, 6}.")
        return
    errs.string((*path, "label"), b.get("label"), max_len=80)
    if style == 5:
        if b.get("url") is None:
            errs.add((*path, "url"), "BASE_TYPE_REQUIRED", "This field is required")
        errs.url((*path, "url"), b.get("url"))
        if b.get("custom_id") is not None:
            errs.add(
                (*path, "custom_id"),
                "COMPONENT_INVALID_CUSTOM_ID",
                "A link button cannot have a custom id",
            )
    elif style == 6:
        if b.get("sku_id") is None:
            errs.add((*path, "sku_id"), "BASE_TYPE_REQUIRED", "This field is required")
    else:
        _validate_custom_id(errs, path, b, seen)
        if b.get("url") is not None:
            errs.add(
                (*path, "url"), "COMPONENT_INVALID_URL", "A non-link button cannot have a url"
            )
    if style != 6 and not b.get("label") and not b.get("emoji"):
        errs.add((*path, "label"), "BASE_TYPE_REQUIRED", "A button needs a label or an emoji")


def _validate_select(
    errs: _Errors, path: tuple[Any, ...], s: Mapping[str, Any], seen: set[str]
) -> None:
    _validate_custom_id(errs, path, s, seen)
    errs.string((*path, "placeholder"), s.get("placeholder"), max_len=150)
    lo, hi = s.get("min_values", 1), s.get("max_values", 1)
    if not _is_int(lo) or not 0 <= lo <= 25:
        errs.add((*path, "min_values"), "NUMBER_TYPE_MAX", "int value should be between 0 and 25.")
    if not _is_int(hi) or not 1 <= hi <= 25:
        errs.add((*path, "max_values"), "NUMBER_TYPE_MAX", "int value should be between 1 and 25.")
    if s.get("type") == 3:
        options = s.get("options")
        if not isinstance(options, list) or not 1 <= len(options) <= 25:
            errs.add(
                (*path, "options"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 25 in length."
            )
            return
        values: set[str] = set()
        for i, o in enumerate(options):
            op = (*path, "options", i)
            if not isinstance(o, Mapping):
                errs.add(op, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
                continue
            errs.string((*op, "label"), o.get("label"), min_len=1, max_len=100)
            errs.string((*op, "value"), o.get("value"), min_len=1, max_len=100)
            errs.string((*op, "description"), o.get("description"), max_len=100)
            if o.get("value") in values:
                errs.add(
                    (*op, "value"),
                    "SELECT_COMPONENT_OPTION_VALUE_DUPLICATED",
                    "Select options values cannot be duplicated",
                )
            values.add(str(o.get("value")))


def _validate_action_row(
    errs: _Errors, path: tuple[Any, ...], row: Mapping[str, Any], seen: set[str]
) -> None:
    children = row.get("components")
    if not isinstance(children, list) or not 1 <= len(children) <= 5:
        errs.add(
            (*path, "components"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length."
        )
        if not isinstance(children, list):
            return
    has_select = any(isinstance(c, Mapping) and c.get("type") in _SELECT_TYPES for c in children)
    if has_select and len(children) > 1:
        errs.add(
            (*path, "components"),
            "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
            "The specified component exceeds the maximum width",
        )
    for i, c in enumerate(children):
        cp = (*path, "components", i)
        if not isinstance(c, Mapping):
            errs.add(cp, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
        elif c.get("type") == 2:
            _validate_button(errs, cp, c, seen)
        elif c.get("type") in _SELECT_TYPES:
            _validate_select(errs, cp, c, seen)
        else:
            errs.add(
                (*cp, "type"),
                "UNION_TYPE_CHOICES",
                'Value of field "type" must be one of (2, 3, 5, 6, 7, 8).',
            )


def _validate_components(errs: _Errors, components: Any, *, v2: bool) -> None:
    if components is None:
        return
    if not isinstance(components, list):
        errs.add(("components",), "BASE_TYPE_ARRAY", "Must be an array.")
        return
    seen: set[str] = set()
    if not v2:
        if len(components) > 5:
            errs.add(("components",), "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")
        for i, row in enumerate(components):
            if not isinstance(row, Mapping) or row.get("type") != 1:
                errs.add(
                    ("components", i, "type"),
                    "UNION_TYPE_CHOICES",
                    "Top-level components must be action rows (type 1) without IS_COMPONENTS_V2.",
                )
                continue
            _validate_action_row(errs, ("components", i), row, seen)
        return
    # Components V2: up to 40 components in total, text displays up to 4000 characters.
    total = sum(1 for _ in _walk_components(components))
    if total > 40:
        errs.add(("components",), "BASE_TYPE_MAX_LENGTH", "Must be 40 or fewer in total.")
    text = 0

    def walk(items: list[Any], path: tuple[Any, ...]) -> None:
        nonlocal text
        for i, c in enumerate(items):
            cp = (*path, i)
            if not isinstance(c, Mapping):
                continue
            t = c.get("type")
            if t == 1:
                _validate_action_row(errs, cp, c, seen)
            elif t == 2:
                _validate_button(errs, cp, c, seen)
            elif t == 10:
                text += len(str(c.get("content", "")))
            if t != 1 and isinstance(c.get("components"), list):
                walk(c["components"], (*cp, "components"))
            acc = c.get("accessory")
            if isinstance(acc, Mapping) and acc.get("type") == 2:
                _validate_button(errs, (*cp, "accessory"), acc, seen)

    walk(components, ("components",))
    if text > 4000:
        errs.add(("components",), "BASE_TYPE_MAX_LENGTH", "Text displays exceed 4000 characters.")


def _modal_inputs(components: list[Any]) -> list[dict[str, Any]]:
    """The text inputs of a modal's components, in order (in action rows or labels)."""
    found: list[dict[str, Any]] = []
    for comp in components:
        if not isinstance(comp, Mapping):
            continue
        inner = comp.get("components") if comp.get("type") == 1 else [comp.get("component")]
        found.extend(c for c in inner or [] if isinstance(c, dict) and c.get("type") == 4)
    return found


def _validate_modal_components(errs: _Errors, components: list[Any]) -> None:
    seen: set[str] = set()
    for i, comp in enumerate(components):
        path: tuple[Any, ...] = ("data", "components", i)
        if not isinstance(comp, Mapping) or comp.get("type") not in (1, 18):
            errs.add(
                (*path, "type"), "COMPONENT_TYPE_INVALID", "Modals take action rows or labels"
            )
            continue
        if comp.get("type") == 1:
            inner = comp.get("components")
            if not isinstance(inner, list) or len(inner) != 1:
                errs.add(
                    (*path, "components"),
                    "BASE_TYPE_BAD_LENGTH",
                    "Must be between 1 and 1 in length.",
                )
                continue
            item, item_path = inner[0], (*path, "components", 0)
        else:
            errs.string((*path, "label"), comp.get("label"), min_len=1, max_len=45)
            item, item_path = comp.get("component"), (*path, "component")
        if not isinstance(item, Mapping) or item.get("type") != 4:
            errs.add((*item_path, "type"), "COMPONENT_TYPE_INVALID", "Expected a text input")
            continue
        custom_id = item.get("custom_id")
        errs.string((*item_path, "custom_id"), custom_id, min_len=1, max_len=100)
        if isinstance(custom_id, str):
            if custom_id in seen:
                errs.add(
                    (*item_path, "custom_id"),
                    "COMPONENT_CUSTOM_ID_DUPLICATED",
                    "Component custom id cannot be duplicated",
                )
            seen.add(custom_id)
        if item.get("style") not in (1, 2):
            errs.add((*item_path, "style"), "BASE_TYPE_CHOICES", "Value must be one of (1, 2).")
        if comp.get("type") == 1 or "label" in item:
            errs.string((*item_path, "label"), item.get("label"), min_len=1, max_len=45)
        lo, hi = item.get("min_length", 0), item.get("max_length", 4000)
        if not _is_int(lo) or not 0 <= lo <= 4000:
            errs.add((*item_path, "min_length"), "NUMBER_TYPE_MAX", "Must be 0 to 4000.")
        if not _is_int(hi) or not 1 <= hi <= 4000:
            errs.add((*item_path, "max_length"), "NUMBER_TYPE_MAX", "Must be 1 to 4000.")
        if item.get("placeholder") is not None:
            errs.string((*item_path, "placeholder"), item.get("placeholder"), max_len=100)
        if item.get("value") is not None:
            errs.string((*item_path, "value"), item.get("value"), max_len=4000)


def _validate_allowed_mentions(errs: _Errors, am: Any) -> None:
    if am is None:
        return
    if not isinstance(am, Mapping):
        errs.add(("allowed_mentions",), "DICT_TYPE_CONVERT", "Only dictionaries may be used")
        return
    parse = am.get("parse", [])
    if not isinstance(parse, list) or any(p not in ("users", "roles", "everyone") for p in parse):
        errs.add(
            ("allowed_mentions", "parse"),
            "BASE_TYPE_CHOICES",
            "Value must be one of ('roles', 'users', 'everyone').",
        )
        parse = []
    for key in ("users", "roles"):
        ids = am.get(key)
        if ids is None:
            continue
        if not isinstance(ids, list) or len(ids) > 100:
            errs.add(
                ("allowed_mentions", key),
                "BASE_TYPE_MAX_LENGTH",
                "Must be 100 or fewer in length.",
            )
        elif ids and key in parse:
            errs.add(
                ("allowed_mentions",),
                "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                f'parse:["{key}"] and {key}: [ids] are mutually exclusive.',
            )


def _validate_message(body: Mapping[str, Any], *, check_nonce: bool = True) -> None:
    """Raise a 50035 ``_DiscordError`` if the message body breaks a Discord limit."""
    errs = _Errors()
    flags = body.get("flags") or 0
    if not _is_int(flags):
        errs.add(("flags",), "NUMBER_TYPE_COERCE", f'Value "{flags}" is not int.')
        flags = 0
    v2 = bool(flags & IS_COMPONENTS_V2)
    errs.string(("content",), body.get("content"), max_len=2000)
    embeds = body.get("embeds")
    if embeds is not None:
        if not isinstance(embeds, list):
            errs.add(("embeds",), "BASE_TYPE_ARRAY", "Must be an array.")
        else:
            if len(embeds) > 10:
                errs.add(("embeds",), "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
            for i, e in enumerate(embeds):
                _validate_embed(errs, ("embeds", i), e)
            total = sum(_embed_size(e) for e in embeds if isinstance(e, Mapping))
            if total > 6000:
                errs.add(
                    ("embeds",),
                    "MAX_EMBED_SIZE_EXCEEDED",
                    "Embed size exceeds maximum size of 6000",
                )
    if v2 and (body.get("content") or body.get("embeds")):
        errs.add(
            ("content",),
            "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
            "The 'content' and 'embeds' fields cannot be used with IS_COMPONENTS_V2",
        )
    _validate_components(errs, body.get("components"), v2=v2)
    if check_nonce and body.get("nonce") is not None:
        nonce = body["nonce"]
        if not isinstance(nonce, str | int) or isinstance(nonce, bool):
            errs.add(("nonce",), "BASE_TYPE_STRING", "Could not interpret nonce.")
        elif len(str(nonce)) > 25:
            errs.add(("nonce",), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    _validate_allowed_mentions(errs, body.get("allowed_mentions"))
    errs.raise_if_any()


def _is_empty_message(msg: Mapping[str, Any], files: list[Any]) -> bool:
    content = msg.get("content")
    return not (
        (isinstance(content, str) and content.strip())
        or msg.get("embeds")
        or msg.get("components")
        or files
        or msg.get("attachments")
        or msg.get("sticker_ids")
        or msg.get("poll")
    )


def _valid_command_name(name: Any, *, chat_input: bool) -> bool:
    if not isinstance(name, str) or not 1 <= len(name) <= 32:
        return False
    if not chat_input:
        return bool(name.strip())
    for ch in name:
        if ch in "-_":
            continue
        cat = unicodedata.category(ch)
        marks_ok = cat[0] == "M" and ("\u0900" <= ch <= "\u097f" or "\u0e00" <= ch <= "\u0e7f")
        if cat[0] not in "LN" and not marks_ok:
            return False
        if ch.lower() != ch:
            return False
    return True


def _command_size(cmd: Mapping[str, Any]) -> int:
    def text(v: Any) -> int:
        return len(v) if isinstance(v, str) else len(str(v)) if v is not None else 0

    total = text(cmd.get("name")) + text(cmd.get("description"))
    for opt in cmd.get("options") or []:
        if isinstance(opt, Mapping):
            total += _command_size(opt)
            for ch in opt.get("choices") or []:
                if isinstance(ch, Mapping):
                    total += text(ch.get("name")) + text(ch.get("value"))
    return total


def _validate_localizations(
    errs: _Errors, path: tuple[Any, ...], cmd: Mapping[str, Any], chat_input: bool
) -> None:
    for key in ("name_localizations", "description_localizations"):
        locs = cmd.get(key)
        if not isinstance(locs, Mapping):
            continue
        for loc, value in locs.items():
            if key == "name_localizations":
                if not _valid_command_name(value, chat_input=chat_input):
                    errs.add(
                        (*path, key, loc),
                        "APPLICATION_COMMAND_INVALID_NAME",
                        "Command name is invalid",
                    )
            else:
                errs.string((*path, key, loc), value, min_len=1, max_len=100)


def _validate_options(errs: _Errors, path: tuple[Any, ...], options: Any, *, depth: int) -> None:
    if options is None:
        return
    if not isinstance(options, list):
        errs.add(path, "BASE_TYPE_ARRAY", "Must be an array.")
        return
    if len(options) > 25:
        errs.add(path, "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    names: set[str] = set()
    seen_optional = False
    kinds: set[bool] = set()
    for i, opt in enumerate(options):
        op = (*path, i)
        if not isinstance(opt, Mapping):
            errs.add(op, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
            continue
        t = opt.get("type")
        if not _is_int(t) or not 1 <= t <= 11:
            errs.add((*op, "type"), "BASE_TYPE_CHOICES", "Value must be one of 1..11.")
            continue
        if not _valid_command_name(opt.get("name"), chat_input=True):
            errs.add((*op, "name"), "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
        elif opt["name"] in names:
            errs.add(
                (*op, "name"),
                "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS",
                "Option names must be unique",
            )
        names.add(str(opt.get("name")))
        errs.string((*op, "description"), opt.get("description"), min_len=1, max_len=100)
        _validate_localizations(errs, op, opt, True)
        is_sub = t in (1, 2)
        kinds.add(is_sub)
        if is_sub:
            if depth >= 2 or (t == 2 and depth >= 1):
                errs.add(
                    (*op, "type"),
                    "APPLICATION_COMMAND_SUBCOMMAND_NESTING",
                    "Subcommands and groups cannot be nested this deep",
                )
            sub = opt.get("options")
            if (
                t == 2
                and isinstance(sub, list)
                and any(isinstance(s, Mapping) and s.get("type") != 1 for s in sub)
            ):
                errs.add(
                    (*op, "options"),
                    "APPLICATION_COMMAND_OPTION_TYPE_INVALID",
                    "A subcommand group may only contain subcommands",
                )
            _validate_options(errs, (*op, "options"), sub, depth=depth + 1)
            continue
        required = bool(opt.get("required", False))
        if required and seen_optional:
            errs.add(
                (*op, "required"),
                "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                "Required options must be placed before non-required options",
            )
        seen_optional = seen_optional or not required
        choices = opt.get("choices")
        if choices is not None:
            if t not in (3, 4, 10):
                errs.add((*op, "choices"), "BASE_TYPE_CHOICES", "Choices need type 3, 4 or 10")
            elif not isinstance(choices, list) or len(choices) > 25:
                errs.add(
                    (*op, "choices"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."
                )
            else:
                _validate_choices(errs, (*op, "choices"), choices, t)
            if choices and opt.get("autocomplete"):
                errs.add(
                    (*op, "autocomplete"),
                    "APPLICATION_COMMAND_AUTOCOMPLETE_CHOICES",
                    "Autocomplete cannot be enabled on an option with choices",
                )
        for key, lo in (("min_length", 0), ("max_length", 1)):
            v = opt.get(key)
            if v is not None and (t != 3 or not _is_int(v) or not lo <= v <= 6000):
                errs.add(
                    (*op, key), "NUMBER_TYPE_MAX", f"int value should be between {lo} and 6000."
                )
    if len(kinds) > 1:
        errs.add(
            path,
            "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
            "Subcommands and options cannot be mixed at one level",
        )


def _validate_choices(errs: _Errors, path: tuple[Any, ...], choices: list[Any], t: int) -> None:
    for j, ch in enumerate(choices):
        cp = (*path, j)
        if not isinstance(ch, Mapping):
            errs.add(cp, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
            continue
        errs.string((*cp, "name"), ch.get("name"), min_len=1, max_len=100)
        value = ch.get("value")
        if t == 3:
            errs.string((*cp, "value"), value, min_len=0, max_len=100)
            if not isinstance(value, str):
                errs.add((*cp, "value"), "BASE_TYPE_STRING", "Must be a string.")
        elif t == 4 and not _is_int(value):
            errs.add((*cp, "value"), "NUMBER_TYPE_COERCE", f'Value "{value}" is not int.')
        elif t == 10 and not _is_number(value):
            errs.add((*cp, "value"), "NUMBER_TYPE_COERCE", f'Value "{value}" is not a number.')


def _validate_commands(body: Any) -> None:
    errs = _Errors()
    if not isinstance(body, list):
        errs.add((), "BASE_TYPE_ARRAY", "Must be an array.")
        errs.raise_if_any()
    per_type: dict[int, set[str]] = {}
    counts: dict[int, int] = {}
    for i, cmd in enumerate(body):
        if not isinstance(cmd, Mapping):
            errs.add((i,), "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
            continue
        t = cmd.get("type", 1)
        if t not in (1, 2, 3, 4):
            errs.add((i, "type"), "BASE_TYPE_CHOICES", "Value must be one of {1, 2, 3, 4}.")
            continue
        chat = t == 1
        counts[t] = counts.get(t, 0) + 1
        name = cmd.get("name")
        if not _valid_command_name(name, chat_input=chat):
            errs.add((i, "name"), "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
        elif name in per_type.get(t, set()):
            errs.add(
                (i, "name"),
                "APPLICATION_COMMANDS_DUPLICATE_NAME",
                "Application command names must be unique",
            )
        per_type.setdefault(t, set()).add(str(name))
        desc = cmd.get("description")
        if chat:
            errs.string((i, "description"), desc, min_len=1, max_len=100)
            _validate_options(errs, (i, "options"), cmd.get("options"), depth=0)
        else:
            if desc not in (None, ""):
                errs.add(
                    (i, "description"),
                    "APPLICATION_COMMAND_CONTEXT_MENU_DESCRIPTION",
                    "Context menu commands cannot have a description",
                )
            if cmd.get("options"):
                errs.add((i, "options"), "BASE_TYPE_MAX_LENGTH", "Must be 0 or fewer in length.")
        _validate_localizations(errs, (i,), cmd, chat)
        dmp = cmd.get("default_member_permissions")
        if dmp is not None and not (isinstance(dmp, str) and dmp.isdigit()):
            errs.add(
                (i, "default_member_permissions"),
                "BASE_TYPE_STRING",
                "Must be a string of a permission integer.",
            )
        if _command_size(cmd) > 4000:
            errs.add((i,), "APPLICATION_COMMAND_TOO_LARGE", "Command exceeds maximum size (4000)")
    for t, limit in ((1, 100), (2, 15), (3, 15)):
        if counts.get(t, 0) > limit:
            errs.add((), "BASE_TYPE_MAX_LENGTH", f"Too many commands of type {t} (max {limit}).")
    errs.raise_if_any()


_USER_MENTION = re.compile(r"<@!?(\d{15,21})>")
_ROLE_MENTION = re.compile(r"<@&(\d{15,21})>")
_EVERYONE = re.compile(r"@(everyone|here)\b")


def _pings(content: str, allowed: Mapping[str, Any] | None, *, regular: bool) -> dict[str, Any]:
    """What a message would notify. Discord's defaults without ``allowed_mentions``: in regular
    messages all types are parsed; in interaction responses and webhooks only users."""
    users = _USER_MENTION.findall(content)
    roles = _ROLE_MENTION.findall(content)
    everyone = bool(_EVERYONE.search(content))
    if allowed is None:
        parse = {"users", "roles", "everyone"} if regular else {"users"}
        allowed_users: set[str] = set()
        allowed_roles: set[str] = set()
    else:
        parse = set(allowed.get("parse") or [])
        allowed_users = {str(u) for u in allowed.get("users") or []}
        allowed_roles = {str(r) for r in allowed.get("roles") or []}
    return {
        "everyone": everyone and "everyone" in parse,
        "users": [u for u in dict.fromkeys(users) if "users" in parse or u in allowed_users],
        "roles": [r for r in dict.fromkeys(roles) if "roles" in parse or r in allowed_roles],
    }


# --------------------------------------------------------------------------------------------
# Responses


def _json_response(
    payload: Any, status: int = 200, headers: Mapping[str, str | None] | None = None
) -> web.Response:
    # discord.py parses JSON only if Content-Type is EXACTLY "application/json" (no charset).
    hdrs: dict[str, str] = {"Content-Type": "application/json", "Via": "1.1 google"}
    for k, v in (headers or {}).items():
        if v is None:
            hdrs.pop(k, None)
        else:
            hdrs[k] = v
    return web.Response(
        body=json.dumps(payload, ensure_ascii=False).encode(), status=status, headers=hdrs
    )


def _no_content() -> web.Response:
    return web.Response(status=204, headers={"Via": "1.1 google"})


def _now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def _truthy(value: str | None) -> bool:
    return value is not None and value.lower() in ("1", "true", "yes")


_PLACEHOLDERS = {
    "app": r"(?P<app>\d+)",
    "tok": r"(?P<tok>[^/]+)",
    "g": r"(?P<g>\d+)",
    "c": r"(?P<c>\d+)",
    "m": r"(?P<m>\d+)",
    "wm": r"(?P<m>@original|\d+)",
    "i": r"(?P<i>\d+)",
    "u": r"(?P<u>\d+)",
}


def _route_pattern(template: str) -> re.Pattern[str]:
    """``/channels/{c}/messages`` -> a regex with named groups (see ``_PLACEHOLDERS``)."""
    return re.compile("^" + re.sub(r"\{(\w+)\}", lambda m: _PLACEHOLDERS[m[1]], template) + "$")


# --------------------------------------------------------------------------------------------
# Gateway connection


class _GatewayConn:
    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws
        self.queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self.seq = 0
        self.session_id: str | None = None
        self.writer: asyncio.Task[None] | None = None


# --------------------------------------------------------------------------------------------
# The fake


class FakeDiscord(LocalServer):
    """``async with FakeDiscord(guilds={GID: [CID]}) as fake:`` + ``point_discord_py_at(fake)``.

    Constructor: ``token`` (what ``Authorization: Bot <token>`` and IDENTIFY must carry),
    ``app_id``, ``bot_user_id`` (default: ``app_id``, as for real bots), ``guilds``
    (``{guild_id: [text channel ids]}``), ``bot_permissions`` (the bot's role),
    ``default_user_id`` (the user who invokes injected interactions unless told otherwise).

    Attributes that may be changed at any time:

    * ``missing_permissions`` / ``unknown_channels`` (sets of channel ids), ``dm_closed``
      (user ids whose DMs answer 50007);
    * ``interaction_deadline`` (3.0 s), ``token_lifetime`` (900 s), ``nonce_window`` (300 s),
      ``global_limit`` (None, or requests per second), ``clock``;
    * ``attachment_size_limit`` (10 MiB, sent in interactions and enforced per file);
    * ``heartbeat_interval`` (ms, 41250); ``privileged_intents`` (bits enabled "in the
      portal", 0).
    """

    def __init__(
        self,
        token: str = "fake-discord-token",
        *,
        app_id: int = 1_180_000_000_000_000_001,
        bot_user_id: int | None = None,
        guilds: Mapping[int, Iterable[int]] | None = None,
        bot_permissions: int = BOT_PERMS,
        default_user_id: int = 1_180_000_000_000_000_200,
        bot_name: str = "arxiv-digest",
    ) -> None:
        self.token = token
        self.app_id = int(app_id)
        self.bot_user_id = int(bot_user_id if bot_user_id is not None else app_id)
        if guilds is None:
            guilds = {1_180_000_000_000_000_100: [1_180_000_000_000_000_101]}
        self.guilds: dict[int, list[int]] = {
            int(g): [int(c) for c in cs] for g, cs in guilds.items()
        }
        self.bot_permissions = bot_permissions
        self.default_user_id = int(default_user_id)
        self.bot_name = bot_name
        self.owner_user_id = 1_180_000_000_000_000_002

        self.missing_permissions: set[int] = set()
        self.unknown_channels: set[int] = set()
        self.dm_closed: set[int] = set()
        self.interaction_deadline = 3.0
        self.token_lifetime = 900.0
        self.nonce_window = 300.0
        self.global_limit: int | None = None
        self.clock: Callable[[], float] = time.monotonic
        self.attachment_size_limit = 10 * 1024 * 1024
        self.heartbeat_interval = 41250
        self.privileged_intents = 0

        self.requests: list[RecordedRequest] = []
        self.messages: list[PostedMessage] = []
        self.callbacks: list[InteractionCallback] = []
        self.interactions: dict[str, InjectedInteraction] = {}
        self.commands: dict[str | int, list[dict[str, Any]]] = {}
        self.identify: dict[str, Any] | None = None
        self.presence_updates: list[dict[str, Any]] = []
        self.invalid_requests = 0
        self.nonce_hits = 0
        self.heartbeats = 0
        self.ready_count = 0
        self.resume_count = 0
        self.dm_channels: dict[int, int] = {}  # user id -> DM channel id
        self.threads: dict[int, dict[str, Any]] = {}  # thread id -> channel object
        self.open_modals: dict[str, dict[str, Any]] = {}  # opening interaction id -> modal

        self._lock = threading.RLock()
        self._message_state: dict[int, dict[str, Any]] = {}  # message id -> current raw object
        self._deleted: set[int] = set()
        self._nonces: dict[str, tuple[float, int]] = {}  # nonce -> (clock, message id)
        self._tokens: dict[str, str] = {}  # interaction token -> interaction id
        self._command_ids: dict[tuple[str | int, int, str], int] = {}
        self._command_version = itertools.count(1)
        self._failures: list[_Failure] = []
        self._global_window: deque[float] = deque()
        self._snowflake_inc = itertools.count()
        self._sessions: dict[str, int] = {}  # session id -> last sequence
        self._resumable = True
        self._conn: _GatewayConn | None = None
        self._conns: set[_GatewayConn] = set()
        self._bot_role_ids = {g: self._snowflake() for g in self.guilds}
        self._channel_positions = {c: i for cs in self.guilds.values() for i, c in enumerate(cs)}
        self._channel_guild = {c: g for g, cs in self.guilds.items() for c in cs}

        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._cond: asyncio.Condition | None = None
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        if self._runner is not None:
            raise RuntimeError("FakeDiscord already started")
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._cond = asyncio.Condition()
        app = web.Application()
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._rest)
        app.router.add_get("/", self._gateway)
        await self._serve(app, cancel_handlers=False)

    async def stop(self) -> None:
        for conn in list(self._conns):
            with contextlib.suppress(Exception):
                await conn.ws.close(code=1001, message=b"FakeDiscord stopping")
            if conn.writer is not None:
                conn.writer.cancel()
        await self._close_server()

    # -- URLs ------------------------------------------------------------------------------

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/"

    # -- programming the fake --------------------------------------------------------------

    def fail_next(
        self,
        route_prefix: str,
        status: int,
        body: Any = None,
        times: int = 1,
        headers: Mapping[str, str | None] | None = None,
    ) -> None:
        """The next ``times`` requests whose path (relative to ``/api/v10``) starts with
        ``route_prefix`` answer ``status`` (after the auth check, before the handler).
        ``route_prefix`` may start with a method: ``"POST /channels/1/messages"``.

        Default bodies: 429 -> ``{"message": "You are being rate limited.", "retry_after":
        0.05, "global": false}`` with ``X-RateLimit-*`` (scope ``user``) and ``Retry-After``;
        5xx -> ``{"message": "500: Internal Server Error", "code": 0}``; a dict ``body`` is
        sent as JSON, a str as ``text/html``. ``headers`` are added (a None value removes a
        header, e.g. ``{"Via": None}`` makes discord.py treat a 429 as a Cloudflare ban).
        Remember discord.py retries 500/502/504/524 after ``1 + 2*tries`` seconds."""
        method, _, prefix = (
            route_prefix.partition(" ") if " " in route_prefix else ("", "", route_prefix)
        )
        if not 400 <= status <= 599:
            raise ValueError(f"status must be 400..599, not {status}")
        with self._lock:
            self._failures.append(
                _Failure(method.upper() or None, prefix, status, body, dict(headers or {}), times)
            )

    def add_channel(self, guild_id: int, channel_id: int) -> None:
        """Configure one more text channel (seen by clients that identify afterwards)."""
        with self._lock:
            self.guilds.setdefault(int(guild_id), []).append(int(channel_id))
            self._channel_guild[int(channel_id)] = int(guild_id)
            self._channel_positions[int(channel_id)] = len(self.guilds[int(guild_id)]) - 1
            self._bot_role_ids.setdefault(int(guild_id), self._snowflake())

    def reconnect_gateway(self, *, resumable: bool = True) -> None:
        """Send op 7 RECONNECT to the connected client. If ``resumable`` is False its RESUME
        gets INVALID_SESSION (d=false), so it identifies again and ``on_ready`` fires again
        (discord.py sleeps 5 s before such a re-IDENTIFY)."""
        self._resumable = resumable
        self._enqueue(self._require_conn(), ("frame", (7, None, None)))

    def dispatch_event(self, event: str, data: dict[str, Any]) -> None:
        """Send any dispatch (op 0) to the connected client, e.g. ``GUILD_DELETE``."""
        self._enqueue(self._require_conn(), ("frame", (0, event, data)))

    # -- reading records -------------------------------------------------------------------

    def responses_for(
        self, interaction_id: str | int
    ) -> list[InteractionCallback | PostedMessage]:
        """The interaction's callback, then its follow-ups and edits, in order."""
        inter = self.interactions.get(str(interaction_id))
        return list(inter.responses) if inter else []

    def message(self, message_id: int | str) -> dict[str, Any] | None:
        """The current raw state of a message (after edits), None if unknown or deleted."""
        mid = int(message_id)
        if mid in self._deleted:
            return None
        raw = self._message_state.get(mid)
        return copy.deepcopy(raw) if raw else None

    def messages_in(self, channel_id: int) -> list[PostedMessage]:
        return [m for m in self.messages if m.channel_id == int(channel_id)]

    # -- waiting ---------------------------------------------------------------------------

    async def wait_ready(self, count: int = 1) -> None:
        """Return once READY (and every GUILD_CREATE) has been sent ``count`` times."""
        await self._wait_until(lambda: self.ready_count >= count)

    async def wait_for_callback(self, interaction_id: str | int) -> InteractionCallback:
        """The (first, accepted) callback of this interaction, once it arrives."""
        iid = str(interaction_id)

        def check() -> InteractionCallback | None:
            inter = self.interactions.get(iid)
            return inter.callback if inter else None

        result: InteractionCallback = await self._wait_until(check)
        return result

    async def wait_for_responses(
        self, interaction_id: str | int, n: int
    ) -> list[InteractionCallback | PostedMessage]:
        """``responses_for(interaction_id)`` once it has at least ``n`` entries."""
        result: list[InteractionCallback | PostedMessage] = await self._wait_until(
            lambda: (r := self.responses_for(interaction_id)) and len(r) >= n and r
        )
        return result

    async def wait_for_messages(
        self, n: int, channel_id: int | None = None, *, via: Via | None = None
    ) -> list[PostedMessage]:
        """The records in ``messages`` (of this channel / ``via``, if given) once there are at
        least ``n``."""

        def check() -> list[PostedMessage] | None:
            found = [
                m
                for m in self.messages
                if (channel_id is None or m.channel_id == int(channel_id))
                and (via is None or m.via == via)
            ]
            return found if len(found) >= n else None

        result: list[PostedMessage] = await self._wait_until(check)
        return result

    async def wait_for_requests(
        self, n: int, *, method: str | None = None, path_prefix: str = ""
    ) -> list[RecordedRequest]:
        """The answered requests matching ``method``/``path_prefix``, once there are ``n``."""

        def check() -> list[RecordedRequest] | None:
            found = [
                r
                for r in self.requests
                if r.status is not None
                and (method is None or r.method == method.upper())
                and r.path.startswith(path_prefix)
            ]
            return found if len(found) >= n else None

        result: list[RecordedRequest] = await self._wait_until(check)
        return result

    async def wait_for(self, predicate: Callable[[], Any]) -> Any:
        """Return ``predicate()`` once it is truthy; it is re-checked after every REST request
        and gateway event (e.g. ``await fake.wait_for(lambda: fake.resume_count >= 1)``)."""
        return await self._wait_until(predicate)

    async def _wait_until(self, predicate: Callable[[], Any]) -> Any:
        if self._loop is None:
            raise RuntimeError("FakeDiscord is not started")
        if asyncio.get_running_loop() is self._loop:
            return await self._wait_local(predicate)
        future = asyncio.run_coroutine_threadsafe(self._wait_local(predicate), self._loop)
        try:
            return await asyncio.wrap_future(future)
        finally:
            future.cancel()

    async def _wait_local(self, predicate: Callable[[], Any]) -> Any:
        assert self._cond is not None
        async with self._cond:
            result = predicate()
            while not result:
                await self._cond.wait()
                result = predicate()
            return result

    async def _notify(self) -> None:
        assert self._cond is not None
        async with self._cond:
            self._cond.notify_all()

    # -- ids and objects -------------------------------------------------------------------

    def _snowflake(self) -> int:
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return (ms << 22) | (1 << 17) | (next(self._snowflake_inc) & 0xFFF)

    def _bot_user(self) -> dict[str, Any]:
        return {
            "id": str(self.bot_user_id),
            "username": self.bot_name,
            "discriminator": "0",
            "global_name": None,
            "avatar": None,
            "bot": True,
            "verified": True,
            "mfa_enabled": False,
            "flags": 0,
            "public_flags": 0,
            "email": None,
        }

    def _user(self, user_id: int) -> dict[str, Any]:
        if user_id == self.bot_user_id:
            return self._bot_user()
        return {
            "id": str(user_id),
            "username": f"user{user_id % 100000}",
            "discriminator": "0",
            "global_name": f"User {user_id % 100000}",
            "avatar": None,
            "public_flags": 0,
        }

    def _member(self, user_id: int, permissions: int | None, roles: list[str]) -> dict[str, Any]:
        m: dict[str, Any] = {
            "user": self._user(user_id),
            "roles": roles,
            "joined_at": "2024-01-01T00:00:00+00:00",
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "nick": None,
            "avatar": None,
            "communication_disabled_until": None,
        }
        if permissions is not None:
            m["permissions"] = str(permissions)
        return m

    def _guild_channel(self, channel_id: int) -> dict[str, Any]:
        if channel_id in self.threads:
            return copy.deepcopy(self.threads[channel_id])
        gid = self._channel_guild[channel_id]
        return {
            "id": str(channel_id),
            "type": 0,
            "guild_id": str(gid),
            "name": f"channel-{self._channel_positions.get(channel_id, 0)}",
            "position": self._channel_positions.get(channel_id, 0),
            "permission_overwrites": [],
            "parent_id": None,
            "nsfw": False,
            "topic": None,
            "rate_limit_per_user": 0,
            "last_message_id": None,
            "flags": 0,
        }

    def _dm_channel(self, channel_id: int) -> dict[str, Any]:
        user_id = next(u for u, c in self.dm_channels.items() if c == channel_id)
        return {
            "id": str(channel_id),
            "type": 1,
            "last_message_id": None,
            "flags": 0,
            "recipients": [self._user(user_id)],
        }

    def _is_dm(self, channel_id: int) -> bool:
        return channel_id in self.dm_channels.values()

    def _channel_exists(self, channel_id: int) -> bool:
        if channel_id in self.unknown_channels:
            return False
        return channel_id in self._channel_guild or self._is_dm(channel_id)

    def _dm_channel_for(self, user_id: int) -> int:
        with self._lock:
            if user_id not in self.dm_channels:
                self.dm_channels[user_id] = self._snowflake()
            return self.dm_channels[user_id]

    def _app_permissions(self, channel_id: int) -> int:
        if self._is_dm(channel_id):
            return VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | ATTACH_FILES | READ_MESSAGE_HISTORY
        perms = self.bot_permissions | MEMBER_PERMS
        if channel_id in self.missing_permissions:
            perms &= ~(SEND_MESSAGES | EMBED_LINKS)
        return perms

    def _guild_create(self, guild_id: int) -> dict[str, Any]:
        everyone = {
            "id": str(guild_id),
            "name": "@everyone",
            "color": 0,
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "position": 0,
            "permissions": str(MEMBER_PERMS),
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }
        bot_role_id = self._bot_role_ids[guild_id]
        bot_role = {
            **everyone,
            "id": str(bot_role_id),
            "name": self.bot_name,
            "position": 1,
            "permissions": str(self.bot_permissions),
            "managed": True,
            "tags": {"bot_id": str(self.bot_user_id)},
        }
        channels = [self._guild_channel(c) for c in self.guilds[guild_id]]
        return {
            "id": str(guild_id),
            "name": f"Guild {guild_id % 10000}",
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(self.owner_user_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "premium_progress_bar_enabled": False,
            "preferred_locale": "en-US",
            "features": [],
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "vanity_url_code": None,
            "application_id": None,
            "max_members": 500000,
            "max_video_channel_users": 25,
            "joined_at": "2024-01-01T00:00:00+00:00",
            "large": False,
            "lazy": True,
            "unavailable": False,
            "member_count": 2,
            "roles": [everyone, bot_role],
            "emojis": [],
            "stickers": [],
            "channels": channels,
            "threads": [],
            "members": [self._member(self.bot_user_id, None, [str(bot_role_id)])],
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "incidents_data": None,
        }

    def _application(self) -> dict[str, Any]:
        return {
            "id": str(self.app_id),
            "name": self.bot_name,
            "icon": None,
            "description": "",
            "summary": "",
            "type": None,
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "flags": 0,
            "owner": self._user(self.owner_user_id),
            "team": None,
            "hook": True,
            "interactions_endpoint_url": None,
            "redirect_uris": [],
            "rpc_origins": [],
            "bot": self._bot_user(),
            "approximate_guild_count": len(self.guilds),
        }

    # -- REST plumbing ---------------------------------------------------------------------

    _ROUTES: tuple[tuple[str, re.Pattern[str], str, bool], ...] = tuple(
        (m, _route_pattern(p), h, auth)
        for m, p, h, auth in (
            ("GET", "/users/@me", "_get_me", True),
            ("GET", "/users/{u}", "_get_user", True),
            ("GET", "/oauth2/applications/@me", "_get_app", True),
            ("GET", "/applications/@me", "_get_app", True),
            ("GET", "/gateway", "_get_gateway", False),
            ("GET", "/gateway/bot", "_get_gateway_bot", True),
            ("GET", "/applications/{app}/commands", "_get_commands", True),
            ("PUT", "/applications/{app}/commands", "_put_commands", True),
            ("GET", "/applications/{app}/guilds/{g}/commands", "_get_commands", True),
            ("PUT", "/applications/{app}/guilds/{g}/commands", "_put_commands", True),
            ("GET", "/channels/{c}", "_get_channel", True),
            ("POST", "/channels/{c}/messages", "_post_message", True),
            ("GET", "/channels/{c}/messages/{m}", "_get_message", True),
            ("PATCH", "/channels/{c}/messages/{m}", "_patch_message", True),
            ("DELETE", "/channels/{c}/messages/{m}", "_delete_message", True),
            ("POST", "/channels/{c}/typing", "_typing", True),
            ("POST", "/channels/{c}/messages/{m}/threads", "_start_thread", True),
            ("POST", "/users/@me/channels", "_open_dm", True),
            ("POST", "/interactions/{i}/{tok}/callback", "_callback", False),
            ("POST", "/webhooks/{app}/{tok}", "_followup", False),
            ("GET", "/webhooks/{app}/{tok}/messages/{wm}", "_webhook_get", False),
            ("PATCH", "/webhooks/{app}/{tok}/messages/{wm}", "_webhook_patch", False),
            ("DELETE", "/webhooks/{app}/{tok}/messages/{wm}", "_webhook_delete", False),
        )
    )  # fmt: skip

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        files: list[dict[str, Any]] = []
        body: Any = None
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            for name, value in form.items():
                if isinstance(value, web.FileField):
                    data = value.file.read()
                    files.append({"field": name, "filename": value.filename, "size": len(data)})
                elif name == "payload_json":
                    with contextlib.suppress(ValueError):
                        body = json.loads(str(value))
        else:
            raw = await request.read()
            if raw:
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
        rec = RecordedRequest(
            method=request.method,
            path=path,
            query=dict(request.query),
            json=body,
            headers=_Headers(request.headers.items()),
            files=files,
        )
        with self._lock:
            self.requests.append(rec)
        try:
            response = await self._handle(request, rec)
        except _DiscordError as exc:
            response = _json_response(exc.body(), exc.status)
        rec.status = response.status
        if response.status in (401, 403) or (
            response.status == 429 and response.headers.get("X-RateLimit-Scope") != "shared"
        ):
            with self._lock:
                self.invalid_requests += 1
        await self._notify()
        return response

    def _match_route(self, rec: RecordedRequest) -> tuple[str, bool, re.Match[str]] | None:
        for method, pattern, handler, needs_auth in self._ROUTES:
            match = pattern.match(rec.path)
            if match and method == rec.method:
                return handler, needs_auth, match
        return None

    async def _handle(self, request: web.Request, rec: RecordedRequest) -> web.StreamResponse:
        route = self._match_route(rec)
        if route is None:
            return _json_response({"message": "404: Not Found", "code": 0}, 404)
        handler, needs_auth, match = route
        interaction_route = rec.path.startswith(("/interactions/", "/webhooks/"))
        if not interaction_route:
            limited = self._check_global_limit()
            if limited is not None:
                return limited
        if needs_auth and rec.headers.get("Authorization") != f"Bot {self.token}":
            return _json_response({"message": "401: Unauthorized", "code": 0}, 401)
        failure = self._pop_failure(rec)
        if failure is not None:
            return failure
        result: web.StreamResponse = await getattr(self, handler)(rec, **match.groupdict())
        return result

    def _check_global_limit(self) -> web.Response | None:
        limit = self.global_limit
        if limit is None:
            return None
        now = self.clock()
        with self._lock:
            window = self._global_window
            while window and window[0] <= now - 1.0:
                window.popleft()
            if len(window) < limit:
                window.append(now)
                return None
            retry = max(0.001, window[0] + 1.0 - now)
        body = {
            "message": "You are being rate limited.",
            "retry_after": round(retry, 3),
            "global": True,
        }
        headers = {
            "X-RateLimit-Global": "true",
            "X-RateLimit-Scope": "global",
            "Retry-After": str(math.ceil(retry)),
        }
        return _json_response(body, 429, headers)

    def _pop_failure(self, rec: RecordedRequest) -> web.Response | None:
        with self._lock:
            for failure in self._failures:
                if rec.path.startswith(failure.prefix) and failure.method in (None, rec.method):
                    failure.times -= 1
                    if failure.times <= 0:
                        self._failures.remove(failure)
                    break
            else:
                return None
        status, body = failure.status, failure.body
        headers: dict[str, str | None] = {}
        if status == 429:
            retry = 0.05
            if body is None:
                body = {
                    "message": "You are being rate limited.",
                    "retry_after": retry,
                    "global": False,
                }
            elif isinstance(body, Mapping):
                retry = float(body.get("retry_after", retry))
            bucket = hashlib.sha1(rec.path.encode()).hexdigest()[:32]
            headers = {
                "X-RateLimit-Limit": "5",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": f"{time.time() + retry:.3f}",
                "X-RateLimit-Reset-After": f"{retry:.3f}",
                "X-RateLimit-Bucket": bucket,
                "X-RateLimit-Scope": "user",
                "Retry-After": str(max(1, math.ceil(retry))),
            }
        elif body is None:
            reason = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
            body = {"message": f"{status}: {reason.get(status, 'Error')}", "code": 0}
        headers.update(failure.headers)
        if isinstance(body, str):
            resp = web.Response(text=body, status=status, content_type="text/html")
            for k, v in headers.items():
                if v is None:
                    resp.headers.pop(k, None)
                else:
                    resp.headers[k] = v
            if "Via" not in failure.headers:
                resp.headers["Via"] = "1.1 google"
            return resp
        return _json_response(body, status, headers)

    # -- REST handlers: identity, gateway, commands ----------------------------------------

    async def _get_me(self, rec: RecordedRequest) -> web.Response:
        return _json_response(self._bot_user())

    async def _get_user(self, rec: RecordedRequest, u: str) -> web.Response:
        return _json_response(self._user(int(u)))

    async def _get_app(self, rec: RecordedRequest) -> web.Response:
        return _json_response(self._application())

    async def _get_gateway(self, rec: RecordedRequest) -> web.Response:
        return _json_response({"url": self.gateway_url})

    async def _get_gateway_bot(self, rec: RecordedRequest) -> web.Response:
        return _json_response(
            {
                "url": self.gateway_url,
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 1000 - self.ready_count,
                    "reset_after": 14_400_000,
                    "max_concurrency": 1,
                },
            }
        )

    def _command_scope(self, app: str, g: str | None) -> str | int:
        if int(app) != self.app_id:
            raise _DiscordError(403, 50001, "Missing Access")
        if g is None:
            return "global"
        if int(g) not in self.guilds:
            raise _DiscordError(403, 50001, "Missing Access")
        return int(g)

    async def _get_commands(
        self, rec: RecordedRequest, app: str, g: str | None = None
    ) -> web.Response:
        return _json_response(self.commands.get(self._command_scope(app, g), []))

    async def _put_commands(
        self, rec: RecordedRequest, app: str, g: str | None = None
    ) -> web.Response:
        scope = self._command_scope(app, g)
        _validate_commands(rec.json)
        echoed: list[dict[str, Any]] = []
        with self._lock:
            for cmd in rec.json:
                t = cmd.get("type", 1)
                key = (scope, t, cmd["name"])
                if key not in self._command_ids:
                    self._command_ids[key] = self._snowflake()
                out = copy.deepcopy(cmd)
                out.update(
                    id=str(self._command_ids[key]),
                    application_id=str(self.app_id),
                    version=str(self._snowflake() + next(self._command_version)),
                    type=t,
                    description=cmd.get("description", ""),
                    default_member_permissions=cmd.get("default_member_permissions"),
                    nsfw=cmd.get("nsfw", False),
                )
                if scope != "global":
                    out["guild_id"] = str(scope)
                echoed.append(out)
            self.commands[scope] = echoed
        return _json_response(echoed)

    # -- REST handlers: channels and messages ----------------------------------------------

    def _check_channel(self, channel_id: int, *, send: bool) -> None:
        if not self._channel_exists(channel_id):
            raise _DiscordError(404, 10003, "Unknown Channel")
        if send and channel_id in self.threads:
            parent = int(self.threads[channel_id]["parent_id"])
            if not self._app_permissions(parent) & SEND_MESSAGES_IN_THREADS:
                raise _DiscordError(403, 50013, "Missing Permissions")
            return
        if send and channel_id in self.missing_permissions:
            raise _DiscordError(403, 50013, "Missing Permissions")
        if send and self._is_dm(channel_id):
            user = next(u for u, c in self.dm_channels.items() if c == channel_id)
            if user in self.dm_closed:
                raise _DiscordError(403, 50007, "Cannot send messages to this user")

    def _check_files(self, files: list[dict[str, Any]]) -> None:
        for f in files:
            if f["size"] > self.attachment_size_limit:
                raise _DiscordError(413, 40005, "Request entity too large")

    async def _get_channel(self, rec: RecordedRequest, c: str) -> web.Response:
        cid = int(c)
        self._check_channel(cid, send=False)
        return _json_response(
            self._dm_channel(cid) if self._is_dm(cid) else self._guild_channel(cid)
        )

    async def _typing(self, rec: RecordedRequest, c: str) -> web.Response:
        self._check_channel(int(c), send=True)
        return _no_content()

    async def _start_thread(self, rec: RecordedRequest, c: str, m: str) -> web.Response:
        cid, mid = int(c), int(m)
        self._check_channel(cid, send=False)
        if self._is_dm(cid) or cid in self.threads:
            raise _DiscordError(400, 50024, "Cannot execute action on this channel type")
        raw = self._existing_message(cid, mid)
        body = rec.json if isinstance(rec.json, Mapping) else {}
        errs = _Errors()
        errs.string(("name",), body.get("name"), min_len=1, max_len=100)
        duration = body.get("auto_archive_duration")
        if duration is not None and duration not in THREAD_ARCHIVE_DURATIONS:
            errs.add(
                ("auto_archive_duration",),
                "BASE_TYPE_CHOICES",
                f"Value must be one of {sorted(THREAD_ARCHIVE_DURATIONS)}.",
            )
        errs.raise_if_any()
        if not self._app_permissions(cid) & CREATE_PUBLIC_THREADS:
            raise _DiscordError(403, 50013, "Missing Permissions")
        if mid in self.threads:
            raise _DiscordError(400, 160004, "A thread has already been created for this message")
        gid = self._channel_guild[cid]
        thread: dict[str, Any] = {
            "id": str(mid),
            "type": PUBLIC_THREAD,
            "guild_id": str(gid),
            "parent_id": str(cid),
            "owner_id": str(self.bot_user_id),
            "name": body["name"],
            "last_message_id": None,
            "rate_limit_per_user": int(body.get("rate_limit_per_user") or 0),
            "message_count": 0,
            "member_count": 1,
            "total_message_sent": 0,
            "flags": 0,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": duration or 1440,
                "archive_timestamp": _now_iso(),
                "locked": False,
                "create_timestamp": _now_iso(),
            },
            "member": {
                "id": str(mid),
                "user_id": str(self.bot_user_id),
                "join_timestamp": _now_iso(),
                "flags": 0,
            },
        }
        with self._lock:
            self.threads[mid] = thread
            self._channel_guild[mid] = gid
            raw["thread"] = copy.deepcopy(thread)
            raw["flags"] = int(raw.get("flags") or 0) | HAS_THREAD
        if self._conn is not None:
            self._enqueue(
                self._conn, ("frame", (0, "THREAD_CREATE", {**thread, "newly_created": True}))
            )
        return _json_response(thread, 201)

    async def _open_dm(self, rec: RecordedRequest) -> web.Response:
        body = rec.json if isinstance(rec.json, Mapping) else {}
        rid = body.get("recipient_id")
        if rid is None or not str(rid).isdigit():
            raise _form_error(
                {
                    "recipient_id": {
                        "_errors": [
                            {"code": "BASE_TYPE_REQUIRED", "message": "This field is required"}
                        ]
                    }
                }
            )
        cid = self._dm_channel_for(int(rid))
        return _json_response(self._dm_channel(cid))

    async def _post_message(self, rec: RecordedRequest, c: str) -> web.Response:
        cid = int(c)
        if not self._channel_exists(cid):
            raise _DiscordError(404, 10003, "Unknown Channel")
        body = rec.json if isinstance(rec.json, Mapping) else {}
        _validate_message(body)
        self._check_channel(cid, send=True)
        self._check_files(rec.files)
        if _is_empty_message(body, rec.files):
            raise _DiscordError(400, 50006, "Cannot send an empty message")
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce"):
            with self._lock:
                hit = self._nonces.get(str(nonce))
                if hit is not None and self.clock() - hit[0] <= self.nonce_window:
                    if hit[1] in self._deleted:
                        raise _DiscordError(404, 10008, "Unknown Message")
                    self.nonce_hits += 1
                    return _json_response(self._message_state[hit[1]])
        posted = self._create_message(cid, body, rec.files, via="channel")
        if nonce is not None:
            with self._lock:
                self._nonces[str(nonce)] = (self.clock(), posted.message_id)
        return _json_response(posted.raw)

    def _existing_message(self, channel_id: int, message_id: int) -> dict[str, Any]:
        raw = self._message_state.get(message_id)
        if raw is None or message_id in self._deleted or int(raw["channel_id"]) != channel_id:
            raise _DiscordError(404, 10008, "Unknown Message")
        return raw

    async def _get_message(self, rec: RecordedRequest, c: str, m: str) -> web.Response:
        self._check_channel(int(c), send=False)
        return _json_response(self._existing_message(int(c), int(m)))

    async def _patch_message(self, rec: RecordedRequest, c: str, m: str) -> web.Response:
        cid, mid = int(c), int(m)
        self._check_channel(cid, send=False)
        self._existing_message(cid, mid)
        body = rec.json if isinstance(rec.json, Mapping) else {}
        _validate_message(body, check_nonce=False)
        self._check_files(rec.files)
        posted = self._edit_message(mid, body, rec.files, interaction_id=None)
        return _json_response(posted.raw)

    async def _delete_message(self, rec: RecordedRequest, c: str, m: str) -> web.Response:
        cid, mid = int(c), int(m)
        self._check_channel(cid, send=False)
        self._existing_message(cid, mid)
        if cid in self.missing_permissions:
            raise _DiscordError(403, 50013, "Missing Permissions")
        self._deleted.add(mid)
        return _no_content()

    # -- messages --------------------------------------------------------------------------

    def _attachments(self, files: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for f in files:
            aid = self._snowflake()
            url = f"http://127.0.0.1:{self.port}/attachments/{aid}/{f['filename']}"
            out.append(
                {
                    "id": str(aid),
                    "filename": f["filename"],
                    "size": f["size"],
                    "url": url,
                    "proxy_url": url,
                    "content_type": "application/octet-stream",
                }
            )
        return out

    def _message_object(
        self,
        *,
        message_id: int,
        channel_id: int,
        body: Mapping[str, Any],
        attachments: list[dict[str, Any]],
        flags: int,
        pings: dict[str, Any],
        interaction: InjectedInteraction | None,
        webhook: bool,
    ) -> dict[str, Any]:
        embeds = []
        for e in body.get("embeds") or []:
            embed = copy.deepcopy(dict(e))
            embed.setdefault("type", "rich")
            embeds.append(embed)
        components = copy.deepcopy(body.get("components") or [])
        counter = itertools.count(1)
        for comp in _walk_components(components):
            comp.setdefault("id", next(counter))
        raw: dict[str, Any] = {
            "id": str(message_id),
            "type": 0,
            "channel_id": str(channel_id),
            "author": self._bot_user(),
            "content": body.get("content") or "",
            "timestamp": _now_iso(),
            "edited_timestamp": None,
            "tts": bool(body.get("tts", False)),
            "mention_everyone": pings["everyone"],
            "mentions": [self._user(int(u)) for u in pings["users"]],
            "mention_roles": list(pings["roles"]),
            "attachments": attachments,
            "embeds": embeds,
            "components": components,
            "pinned": False,
            "flags": flags,
        }
        if body.get("nonce") is not None:
            raw["nonce"] = body["nonce"]
        if channel_id in self._channel_guild:
            raw["guild_id"] = str(self._channel_guild[channel_id])
        if webhook or interaction is not None:
            raw["webhook_id"] = str(self.app_id)
            raw["application_id"] = str(self.app_id)
        if interaction is not None:
            raw["type"] = 20 if interaction.type == APPLICATION_COMMAND else 19
            user = interaction.payload.get("member", {}).get("user") or interaction.payload.get(
                "user"
            )
            raw["interaction_metadata"] = {
                "id": interaction.id,
                "type": interaction.type,
                "user": user,
                "authorizing_integration_owners": interaction.payload.get(
                    "authorizing_integration_owners", {}
                ),
            }
        return raw

    def _create_message(
        self,
        channel_id: int,
        body: Mapping[str, Any],
        files: list[dict[str, Any]],
        *,
        via: Via,
        interaction: InjectedInteraction | None = None,
        message_id: int | None = None,
        flags: int | None = None,
        record: bool = True,
    ) -> PostedMessage:
        mid = message_id if message_id is not None else self._snowflake()
        if flags is None:
            flags = int(body.get("flags") or 0)
        allowed = body.get("allowed_mentions")
        pings = _pings(str(body.get("content") or ""), allowed, regular=via == "channel")
        raw = self._message_object(
            message_id=mid,
            channel_id=channel_id,
            body=body,
            attachments=self._attachments(files),
            flags=flags,
            pings=pings,
            interaction=interaction,
            webhook=via == "followup",
        )
        posted = PostedMessage(
            channel_id=channel_id,
            message_id=mid,
            content=raw["content"],
            embeds=raw["embeds"],
            components=raw["components"],
            flags=flags,
            allowed_mentions=copy.deepcopy(allowed),
            nonce=body.get("nonce"),
            via=via,
            interaction_id=interaction.id if interaction else None,
            attachments=raw["attachments"],
            pings=pings,
            raw=raw,
        )
        with self._lock:
            self._message_state[mid] = raw
            if record:
                self.messages.append(posted)
        return posted

    def _edit_message(
        self,
        message_id: int,
        body: Mapping[str, Any],
        files: list[dict[str, Any]],
        *,
        interaction_id: str | None,
        via: Via = "edit",
        clear_flags: int = 0,
    ) -> PostedMessage:
        with self._lock:
            old = self._message_state[message_id]
            merged: dict[str, Any] = {
                "content": old["content"],
                "embeds": old["embeds"],
                "components": old["components"],
                "tts": old.get("tts", False),
            }
            for key in ("content", "embeds", "components", "allowed_mentions"):
                if key in body:
                    merged[key] = (
                        body[key] if body[key] is not None else ([] if key != "content" else "")
                    )
            if "nonce" in old:
                merged["nonce"] = old["nonce"]
            flags = old["flags"] & ~clear_flags
            if isinstance(body.get("flags"), int):
                flags = (flags & (EPHEMERAL | IS_COMPONENTS_V2)) | (body["flags"] & ~EPHEMERAL)
            attachments = old["attachments"]
            if isinstance(body.get("attachments"), list):
                keep = {str(a.get("id")) for a in body["attachments"] if isinstance(a, Mapping)}
                attachments = [a for a in attachments if a["id"] in keep]
            attachments = attachments + self._attachments(files)
            if _is_empty_message(merged, attachments):
                raise _DiscordError(400, 50006, "Cannot send an empty message")
            allowed = merged.get("allowed_mentions")
            pings = _pings(
                str(merged["content"] or ""), allowed, regular=old.get("webhook_id") is None
            )
            inter = self.interactions.get(interaction_id) if interaction_id else None
            raw = self._message_object(
                message_id=message_id,
                channel_id=int(old["channel_id"]),
                body=merged,
                attachments=attachments,
                flags=flags,
                pings=pings,
                interaction=None,
                webhook=False,
            )
            for key in (
                "type",
                "webhook_id",
                "application_id",
                "interaction_metadata",
                "timestamp",
            ):
                if key in old:
                    raw[key] = old[key]
            raw["edited_timestamp"] = _now_iso()
            self._message_state[message_id] = raw
            posted = PostedMessage(
                channel_id=int(old["channel_id"]),
                message_id=message_id,
                content=raw["content"],
                embeds=raw["embeds"],
                components=raw["components"],
                flags=flags,
                allowed_mentions=copy.deepcopy(allowed),
                nonce=old.get("nonce"),
                via=via,
                interaction_id=inter.id if inter else interaction_id,
                attachments=attachments,
                pings=pings,
                raw=raw,
            )
            self.messages.append(posted)
        return posted

    # -- interactions: callbacks and webhooks ----------------------------------------------

    async def _callback(self, rec: RecordedRequest, i: str, tok: str) -> web.Response:
        inter = self.interactions.get(i)
        if inter is None or inter.token != tok:
            raise _DiscordError(404, 10062, "Unknown interaction")
        now = self.clock()
        elapsed = now - inter.dispatched_at
        if inter.callback is not None:
            raise _DiscordError(400, 40060, "Interaction has already been acknowledged.")
        if elapsed > self.interaction_deadline:
            raise _DiscordError(404, 10062, "Unknown interaction")
        body = rec.json if isinstance(rec.json, Mapping) else {}
        ctype = body.get("type")
        if ctype not in _CALLBACKS_ALLOWED.get(inter.type, set()):
            errs = _Errors()
            errs.add(
                ("type",),
                "INTERACTION_RESPONSE_TYPE_INVALID",
                f"Callback type {ctype} is not valid for interaction type {inter.type}",
            )
            raise _form_error(errs.tree)
        data = body.get("data") or {}
        if not isinstance(data, Mapping):
            raise _form_error(
                {
                    "data": {
                        "_errors": [
                            {
                                "code": "DICT_TYPE_CONVERT",
                                "message": "Only dictionaries may be used in a DictType",
                            }
                        ]
                    }
                }
            )
        flags = int(data.get("flags") or 0) if _is_int(data.get("flags") or 0) else 0
        callback = InteractionCallback(
            interaction_id=inter.id,
            type=ctype,
            data=copy.deepcopy(dict(data)),
            flags=flags,
            elapsed=elapsed,
        )
        resource: dict[str, Any] = {"type": ctype}
        if ctype in (4, 7):
            try:
                _validate_message(data, check_nonce=False)
            except _DiscordError as exc:
                raise _form_error({"data": exc.errors}) from None
            self._check_files(rec.files)
        if ctype == 4:
            if _is_empty_message(data, rec.files):
                raise _DiscordError(400, 50006, "Cannot send an empty message")
            posted = self._create_message(
                inter.channel_id, data, rec.files, via="interaction", interaction=inter
            )
            callback.message = posted
            inter.original_message_id = posted.message_id
            resource["message"] = posted.raw
        elif ctype == 5:
            placeholder = {"content": "", "flags": (flags & EPHEMERAL) | LOADING}
            posted = self._create_message(
                inter.channel_id, placeholder, [], via="interaction", interaction=inter,
                flags=(flags & EPHEMERAL) | LOADING, record=False,
            )  # fmt: skip
            inter.original_message_id = posted.message_id
            inter.deferred_placeholder = True
            resource["message"] = posted.raw
        elif ctype in (6, 7):
            if "message" not in inter.payload:
                errs = _Errors()
                errs.add(("type",), "INTERACTION_RESPONSE_TYPE_INVALID", "No message to update")
                raise _form_error(errs.tree)
            mid = int(inter.payload["message"]["id"])
            inter.original_message_id = mid
            if ctype == 7:
                if mid not in self._message_state or mid in self._deleted:
                    raise _DiscordError(404, 10008, "Unknown Message")
                posted = self._edit_message(mid, data, rec.files, interaction_id=inter.id)
                callback.message = posted
                resource["message"] = posted.raw
        elif ctype == 8:
            choices = data.get("choices")
            errs = _Errors()
            if not isinstance(choices, list):
                errs.add(("data", "choices"), "BASE_TYPE_REQUIRED", "This field is required")
            else:
                if len(choices) > 25:
                    errs.add(
                        ("data", "choices"),
                        "BASE_TYPE_MAX_LENGTH",
                        "Must be 25 or fewer in length.",
                    )
                _validate_choices(errs, ("data", "choices"), choices, self._focused_type(inter))
            errs.raise_if_any()
            callback.choices = copy.deepcopy(choices)
        elif ctype == 9:
            errs = _Errors()
            errs.string(("data", "custom_id"), data.get("custom_id"), min_len=1, max_len=100)
            errs.string(("data", "title"), data.get("title"), min_len=1, max_len=45)
            comps = data.get("components")
            if not isinstance(comps, list) or not 1 <= len(comps) <= 5:
                errs.add(
                    ("data", "components"),
                    "BASE_TYPE_BAD_LENGTH",
                    "Must be between 1 and 5 in length.",
                )
            else:
                _validate_modal_components(errs, comps)
            errs.raise_if_any()
            with self._lock:
                self.open_modals[inter.id] = copy.deepcopy(dict(data))
        with self._lock:
            inter.callback = callback
            inter.acked_at = now
            inter.responses.append(callback)
            self.callbacks.append(callback)
        if not _truthy(rec.query.get("with_response")):
            return _no_content()
        meta: dict[str, Any] = {
            "id": inter.id,
            "type": inter.type,
            "response_message_loading": ctype == 5,
            "response_message_ephemeral": bool(flags & EPHEMERAL),
        }
        if inter.original_message_id is not None and ctype != 6:
            meta["response_message_id"] = str(inter.original_message_id)
        return _json_response({"interaction": meta, "resource": resource})

    def _focused_type(self, inter: InjectedInteraction) -> int:
        def find(options: list[dict[str, Any]]) -> int | None:
            for o in options:
                if o.get("focused"):
                    return int(o.get("type", 3))
                found = find(o.get("options") or [])
                if found is not None:
                    return found
            return None

        return find(inter.payload.get("data", {}).get("options") or []) or 3

    def _webhook_interaction(self, app: str, tok: str) -> InjectedInteraction:
        if int(app) != self.app_id:
            raise _DiscordError(404, 10015, "Unknown Webhook")
        iid = self._tokens.get(tok)
        if iid is None:
            raise _DiscordError(401, 50027, "Invalid Webhook Token")
        inter = self.interactions[iid]
        if inter.callback is None:
            raise _DiscordError(404, 10015, "Unknown Webhook")
        if inter.acked_at is not None and self.clock() - inter.dispatched_at > self.token_lifetime:
            raise _DiscordError(401, 50027, "Invalid Webhook Token")
        return inter

    def _webhook_message_id(self, inter: InjectedInteraction, m: str) -> int:
        if m == "@original":
            if inter.original_message_id is None:
                raise _DiscordError(404, 10008, "Unknown Message")
            return inter.original_message_id
        mid = int(m)
        owned = {p.message_id for p in inter.responses if isinstance(p, PostedMessage)}
        if mid not in owned and mid != inter.original_message_id:
            raise _DiscordError(404, 10008, "Unknown Message")
        return mid

    async def _followup(self, rec: RecordedRequest, app: str, tok: str) -> web.Response:
        inter = self._webhook_interaction(app, tok)
        body = rec.json if isinstance(rec.json, Mapping) else {}
        _validate_message(body, check_nonce=False)
        self._check_files(rec.files)
        if _is_empty_message(body, rec.files):
            raise _DiscordError(400, 50006, "Cannot send an empty message")
        flags = int(body.get("flags") or 0)
        with self._lock:
            replace = inter.deferred_placeholder and inter.original_message_id is not None
            inter.deferred_placeholder = False
        if replace:
            # Discord: the first follow-up after a type-5 deferral edits the "thinking" message,
            # and keeps the deferral's ephemeral flag whatever the follow-up asks for.
            assert inter.original_message_id is not None
            placeholder_flags = self._message_state[inter.original_message_id]["flags"]
            flags = (placeholder_flags & EPHEMERAL) | (flags & ~(EPHEMERAL | LOADING))
            posted = self._create_message(
                inter.channel_id, body, rec.files, via="followup", interaction=inter,
                message_id=inter.original_message_id, flags=flags,
            )  # fmt: skip
        else:
            posted = self._create_message(
                inter.channel_id, body, rec.files, via="followup", interaction=inter, flags=flags
            )
        with self._lock:
            inter.responses.append(posted)
        if _truthy(rec.query.get("wait")):
            return _json_response(posted.raw)
        return _no_content()

    async def _webhook_get(self, rec: RecordedRequest, app: str, tok: str, m: str) -> web.Response:
        inter = self._webhook_interaction(app, tok)
        mid = self._webhook_message_id(inter, m)
        if mid in self._deleted or mid not in self._message_state:
            raise _DiscordError(404, 10008, "Unknown Message")
        return _json_response(self._message_state[mid])

    async def _webhook_patch(
        self, rec: RecordedRequest, app: str, tok: str, m: str
    ) -> web.Response:
        inter = self._webhook_interaction(app, tok)
        mid = self._webhook_message_id(inter, m)
        if mid in self._deleted or mid not in self._message_state:
            raise _DiscordError(404, 10008, "Unknown Message")
        body = rec.json if isinstance(rec.json, Mapping) else {}
        _validate_message(body, check_nonce=False)
        self._check_files(rec.files)
        clear = 0
        with self._lock:
            if m == "@original" and inter.deferred_placeholder:
                inter.deferred_placeholder = False  # the loading message became the answer
                clear = LOADING
        posted = self._edit_message(
            mid, body, rec.files, interaction_id=inter.id, clear_flags=clear
        )
        with self._lock:
            inter.responses.append(posted)
        return _json_response(posted.raw)

    async def _webhook_delete(
        self, rec: RecordedRequest, app: str, tok: str, m: str
    ) -> web.Response:
        inter = self._webhook_interaction(app, tok)
        mid = self._webhook_message_id(inter, m)
        if mid in self._deleted or mid not in self._message_state:
            raise _DiscordError(404, 10008, "Unknown Message")
        self._deleted.add(mid)
        return _no_content()

    # -- gateway ---------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        conn = _GatewayConn(ws)
        self._conns.add(conn)
        conn.writer = asyncio.get_running_loop().create_task(self._writer(conn))
        conn.queue.put_nowait(
            ("frame", (10, None, {"heartbeat_interval": self.heartbeat_interval}))
        )
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                try:
                    payload = json.loads(msg.data)
                except ValueError:
                    conn.queue.put_nowait(("close", (4002, b"Error while decoding payload.")))
                    continue
                await self._on_gateway_message(conn, payload)
        finally:
            self._conns.discard(conn)
            if self._conn is conn:
                self._conn = None
            conn.queue.put_nowait(("stop", None))
            if conn.session_id is not None:
                self._sessions[conn.session_id] = conn.seq
        return ws

    async def _writer(self, conn: _GatewayConn) -> None:
        while True:
            kind, item = await conn.queue.get()
            if kind == "stop":
                return
            if kind == "close":
                code, message = item
                with contextlib.suppress(Exception):
                    await conn.ws.close(code=code, message=message)
                return
            if kind == "call":
                item()
                await self._notify()
                continue
            op, event, data = item
            seq = None
            if op == 0:
                conn.seq += 1
                seq = conn.seq
            try:
                await conn.ws.send_str(json.dumps({"op": op, "d": data, "s": seq, "t": event}))
            except (ConnectionResetError, RuntimeError):
                return

    def _enqueue(self, conn: _GatewayConn, item: tuple[str, Any]) -> None:
        if self._loop is None:
            raise RuntimeError("FakeDiscord is not started")
        if threading.get_ident() == self._loop_thread:
            conn.queue.put_nowait(item)
        else:
            self._loop.call_soon_threadsafe(conn.queue.put_nowait, item)

    def _require_conn(self) -> _GatewayConn:
        conn = self._conn
        if conn is None:
            raise RuntimeError(
                "no client is connected to the FakeDiscord gateway (wait_ready() first)"
            )
        return conn

    async def _on_gateway_message(self, conn: _GatewayConn, payload: Any) -> None:
        if not isinstance(payload, dict):
            return
        op, d = payload.get("op"), payload.get("d")
        if op == 1:
            self.heartbeats += 1
            conn.queue.put_nowait(("frame", (11, None, None)))
        elif op == 2:
            await self._on_identify(conn, d if isinstance(d, dict) else {})
        elif op == 6:
            self._on_resume(conn, d if isinstance(d, dict) else {})
        elif op == 3 and isinstance(d, dict):
            self.presence_updates.append(d)
        elif op == 8 and isinstance(d, dict):
            gid = int(d.get("guild_id", 0))
            if gid in self.guilds:
                chunk = {
                    "guild_id": str(gid),
                    "members": [
                        self._member(self.bot_user_id, None, [str(self._bot_role_ids[gid])])
                    ],
                    "chunk_index": 0,
                    "chunk_count": 1,
                    "not_found": [],
                }
                if d.get("nonce") is not None:
                    chunk["nonce"] = d["nonce"]
                conn.queue.put_nowait(("frame", (0, "GUILD_MEMBERS_CHUNK", chunk)))

    async def _on_identify(self, conn: _GatewayConn, d: dict[str, Any]) -> None:
        self.identify = d
        if d.get("token") != self.token and d.get("token") != f"Bot {self.token}":
            conn.queue.put_nowait(("close", (4004, b"Authentication failed.")))
            return
        intents = int(d.get("intents", 0))
        if intents & PRIVILEGED_INTENTS & ~self.privileged_intents:
            conn.queue.put_nowait(("close", (4014, b"Disallowed intent(s).")))
            return
        session_id = secrets.token_hex(16)
        conn.session_id = session_id
        ready: dict[str, Any] = {
            "v": 10,
            "user": self._bot_user(),
            "user_settings": {},
            "guilds": [{"id": str(g), "unavailable": True} for g in self.guilds],
            "session_id": session_id,
            "session_type": "normal",
            "resume_gateway_url": self.gateway_url,
            "relationships": [],
            "private_channels": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "application": {"id": str(self.app_id), "flags": 0},
            "_trace": ['["fake-discord"]'],
        }
        if "shard" in d:
            ready["shard"] = d["shard"]
        conn.queue.put_nowait(("frame", (0, "READY", ready)))
        for g in self.guilds:
            conn.queue.put_nowait(("frame", (0, "GUILD_CREATE", self._guild_create(g))))

        def ready_sent() -> None:
            self._conn = conn
            self.ready_count += 1

        conn.queue.put_nowait(("call", ready_sent))

    def _on_resume(self, conn: _GatewayConn, d: dict[str, Any]) -> None:
        session_id = d.get("session_id")
        if (
            not self._resumable
            or d.get("token") != self.token
            or not isinstance(session_id, str)
            or session_id not in self._sessions
        ):
            self._resumable = True
            conn.queue.put_nowait(("frame", (9, None, False)))
            return
        conn.session_id = session_id
        conn.seq = self._sessions[session_id]
        conn.queue.put_nowait(("frame", (0, "RESUMED", {"_trace": ["fake-discord"]})))

        def resumed() -> None:
            self._conn = conn
            self.resume_count += 1

        conn.queue.put_nowait(("call", resumed))

    # -- injecting interactions ------------------------------------------------------------

    def _default_guild(self, guild_id: int | None) -> int:
        if guild_id is not None:
            return int(guild_id)
        if not self.guilds:
            raise ValueError("no guild configured")
        return next(iter(self.guilds))

    def _find_command(
        self, name: str, guild_id: int | None, ctype: int = 1
    ) -> tuple[dict[str, Any], int | None]:
        scopes: list[str | int] = ["global"] if guild_id is None else [guild_id, "global"]
        for scope in scopes:
            for cmd in self.commands.get(scope, []):
                if cmd["name"] == name and cmd.get("type", 1) == ctype:
                    return cmd, scope if isinstance(scope, int) else None
        known = {str(s): [c["name"] for c in cs] for s, cs in self.commands.items()}
        raise LookupError(
            f"/{name} is not registered for guild {guild_id} or globally (did the bot sync its "
            f"command tree?); registered: {known}"
        )

    def _base_interaction(
        self,
        itype: int,
        *,
        guild_id: int | None,
        channel_id: int | None,
        user_id: int | None,
        permissions: int,
        dm: bool,
        locale: str,
    ) -> tuple[dict[str, Any], int]:
        uid = int(user_id) if user_id is not None else self.default_user_id
        iid = str(self._snowflake())
        token = "aW50ZXJhY3Rpb24" + secrets.token_urlsafe(48)
        payload: dict[str, Any] = {
            "id": iid,
            "application_id": str(self.app_id),
            "type": itype,
            "token": token,
            "version": 1,
            "locale": locale,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": self.attachment_size_limit,
        }
        if dm:
            cid = int(channel_id) if channel_id is not None else self._dm_channel_for(uid)
            if not self._is_dm(cid):
                raise ValueError(f"channel {cid} is not a DM channel")
            payload.update(
                user=self._user(uid),
                channel_id=str(cid),
                channel=self._dm_channel(cid),
                app_permissions=str(self._app_permissions(cid)),
                authorizing_integration_owners={"0": "0"},
                context=1,
            )
        else:
            gid = self._default_guild(guild_id)
            if gid not in self.guilds:
                raise ValueError(f"guild {gid} is not configured")
            cid = int(channel_id) if channel_id is not None else self.guilds[gid][0]
            if self._channel_guild.get(cid) != gid:
                raise ValueError(f"channel {cid} is not a channel of guild {gid}")
            channel = self._guild_channel(cid)
            channel["permissions"] = str(permissions)
            payload.update(
                guild_id=str(gid),
                guild={"id": str(gid), "locale": "en-US", "features": []},
                guild_locale="en-US",
                member=self._member(uid, permissions, []),
                channel_id=str(cid),
                channel=channel,
                app_permissions=str(self._app_permissions(cid)),
                authorizing_integration_owners={"0": str(gid)},
                context=0,
            )
        return payload, cid

    def _dispatch_interaction(self, payload: dict[str, Any], channel_id: int) -> str:
        conn = self._require_conn()
        inter = InjectedInteraction(
            id=payload["id"],
            token=payload["token"],
            type=payload["type"],
            payload=payload,
            channel_id=channel_id,
            dispatched_at=self.clock(),
        )
        with self._lock:
            self.interactions[inter.id] = inter
            self._tokens[inter.token] = inter.id
        self._enqueue(conn, ("frame", (0, "INTERACTION_CREATE", copy.deepcopy(payload))))
        return inter.id

    def slash(
        self,
        name: str,
        options: Mapping[str, Any] | list[dict[str, Any]] | None = None,
        *,
        guild_id: int | None = None,
        channel_id: int | None = None,
        user_id: int | None = None,
        permissions: int = ADMIN_PERMS,
        dm: bool = False,
        subcommand: str | None = None,
        locale: str = "en-US",
    ) -> str:
        """A user runs ``/name`` (``subcommand`` "sub" or "group sub"); returns the interaction id.

        ``options`` is ``{name: value}`` (types come from the registered command; users,
        channels and roles may be given as ids and are added to ``resolved``) or a raw list of
        option payloads (``type`` inferred from the value if missing: str 3, int 4, bool 5,
        float 10). Defaults: the first guild, its first channel, ``default_user_id``.
        ``permissions`` are the member's computed permissions (``member.permissions``)."""
        return self._command(
            APPLICATION_COMMAND, name, options, None, guild_id=guild_id, channel_id=channel_id,
            user_id=user_id, permissions=permissions, dm=dm, subcommand=subcommand, locale=locale,
        )  # fmt: skip

    def autocomplete(
        self,
        name: str,
        options: Mapping[str, Any] | list[dict[str, Any]] | None,
        focused: str,
        *,
        guild_id: int | None = None,
        channel_id: int | None = None,
        user_id: int | None = None,
        permissions: int = ADMIN_PERMS,
        dm: bool = False,
        subcommand: str | None = None,
        locale: str = "en-US",
    ) -> str:
        """A user types into option ``focused`` of ``/name`` (sent as a string with
        ``"focused": true``, like Discord); answer with ``interaction.response.autocomplete``."""
        return self._command(
            AUTOCOMPLETE, name, options, focused, guild_id=guild_id, channel_id=channel_id,
            user_id=user_id, permissions=permissions, dm=dm, subcommand=subcommand, locale=locale,
        )  # fmt: skip

    def _command(
        self,
        itype: int,
        name: str,
        options: Mapping[str, Any] | list[dict[str, Any]] | None,
        focused: str | None,
        *,
        guild_id: int | None,
        channel_id: int | None,
        user_id: int | None,
        permissions: int,
        dm: bool,
        subcommand: str | None,
        locale: str,
    ) -> str:
        gid = None if dm else self._default_guild(guild_id)
        cmd, cmd_guild = self._find_command(name, gid)
        if dm:
            contexts = cmd.get("contexts")
            if cmd.get("dm_permission") is False or (contexts is not None and 1 not in contexts):
                raise ValueError(f"/{name} is not available in DMs (dm_permission/contexts)")
        payload, cid = self._base_interaction(
            itype, guild_id=gid, channel_id=channel_id, user_id=user_id,
            permissions=permissions, dm=dm, locale=locale,
        )  # fmt: skip
        spec_options: list[dict[str, Any]] = cmd.get("options") or []
        path: list[dict[str, Any]] = []
        for part in (subcommand or "").split():
            match = next(
                (o for o in spec_options if o.get("name") == part and o.get("type") in (1, 2)),
                None,
            )
            if match is None:
                raise ValueError(f"/{name} has no subcommand {part!r}")
            path.append(match)
            spec_options = match.get("options") or []
        if any(o.get("type") in (1, 2) for o in spec_options):
            raise ValueError(f"/{name} needs a subcommand: {[o['name'] for o in spec_options]}")
        resolved: dict[str, dict[str, Any]] = {}
        built = self._build_options(
            spec_options, options, focused, resolved, guild_id=gid, permissions=permissions,
            autocomplete=itype == AUTOCOMPLETE,
        )  # fmt: skip
        for sub in reversed(path):
            built = [{"name": sub["name"], "type": sub["type"], "options": built}]
        data: dict[str, Any] = {"id": cmd["id"], "name": name, "type": 1, "options": built}
        if cmd_guild is not None:
            data["guild_id"] = str(cmd_guild)
        if resolved:
            data["resolved"] = resolved
        payload["data"] = data
        return self._dispatch_interaction(payload, cid)

    def _build_options(
        self,
        spec: list[dict[str, Any]],
        options: Mapping[str, Any] | list[dict[str, Any]] | None,
        focused: str | None,
        resolved: dict[str, dict[str, Any]],
        *,
        guild_id: int | None,
        permissions: int,
        autocomplete: bool,
    ) -> list[dict[str, Any]]:
        if isinstance(options, list):
            out = []
            for o in options:
                o = dict(o)
                if "type" not in o:
                    o["type"] = _infer_type(o.get("value"))
                if focused is not None and o.get("name") == focused:
                    o["focused"] = True
                out.append(o)
            return out
        given = dict(options or {})
        by_name = {o["name"]: o for o in spec}
        for key in given:
            if key not in by_name:
                raise ValueError(f"unknown option {key!r}; the command has {list(by_name)}")
        if focused is not None:
            if focused not in by_name:
                raise ValueError(f"unknown focused option {focused!r}")
            if not by_name[focused].get("autocomplete"):
                raise ValueError(f"option {focused!r} was not registered with autocomplete")
            given.setdefault(focused, "")
        if not autocomplete:
            missing = [o["name"] for o in spec if o.get("required") and o["name"] not in given]
            if missing:
                raise ValueError(f"required options missing: {missing}")
        out = []
        for key, value in given.items():
            opt = by_name[key]
            t = int(opt["type"])
            if key == focused:
                out.append({"name": key, "type": t, "value": str(value), "focused": True})
                continue
            out.append(
                {
                    "name": key,
                    "type": t,
                    "value": self._check_option_value(opt, value, resolved, guild_id, permissions),
                }
            )
        return out

    def _check_option_value(
        self,
        opt: Mapping[str, Any],
        value: Any,
        resolved: dict[str, dict[str, Any]],
        guild_id: int | None,
        permissions: int,
    ) -> Any:
        t, name = int(opt["type"]), opt["name"]
        ok = {
            3: isinstance(value, str),
            4: _is_int(value),
            5: isinstance(value, bool),
            10: _is_number(value),
        }
        if t in ok:
            if not ok[t]:
                raise TypeError(f"option {name!r} has type {t}; {value!r} cannot be sent")
            choices = opt.get("choices")
            if choices and value not in [c["value"] for c in choices]:
                raise ValueError(f"option {name!r} must be one of {[c['value'] for c in choices]}")
            if t in (4, 10):
                if "min_value" in opt and value < opt["min_value"]:
                    raise ValueError(f"option {name!r} below min_value {opt['min_value']}")
                if "max_value" in opt and value > opt["max_value"]:
                    raise ValueError(f"option {name!r} above max_value {opt['max_value']}")
            too_long = t == 3 and len(value) > opt.get("max_length", 6000)
            if too_long or (t == 3 and len(value) < opt.get("min_length", 0)):
                raise ValueError(f"option {name!r} length outside min_length/max_length")
            return value
        if t in (6, 7, 8, 9):
            sid = int(getattr(value, "id", value))
            if t == 7:
                if self._channel_guild.get(sid) != guild_id:
                    raise ValueError(f"channel {sid} is not a channel of guild {guild_id}")
                types = opt.get("channel_types")
                if types and 0 not in types:
                    raise ValueError(f"option {name!r} accepts channel types {types}, not 0")
                ch = self._guild_channel(sid)
                ch["permissions"] = str(permissions)
                resolved.setdefault("channels", {})[str(sid)] = ch
            elif t == 8 or (
                t == 9
                and guild_id is not None
                and sid in (guild_id, self._bot_role_ids.get(guild_id))
            ):
                resolved.setdefault("roles", {})[str(sid)] = {
                    "id": str(sid), "name": "role", "color": 0, "hoist": False, "icon": None,
                    "unicode_emoji": None, "position": 0, "permissions": "0", "managed": False,
                    "mentionable": True, "flags": 0,
                }  # fmt: skip
            else:
                resolved.setdefault("users", {})[str(sid)] = self._user(sid)
                if guild_id is not None:
                    member = self._member(sid, MEMBER_PERMS, [])
                    del member["user"]
                    resolved.setdefault("members", {})[str(sid)] = member
            return str(sid)
        raise NotImplementedError(f"option type {t} is not supported by FakeDiscord.slash")

    def press(
        self,
        message: PostedMessage | int | str,
        custom_id: str,
        *,
        user_id: int | None = None,
        permissions: int = ADMIN_PERMS,
        dm: bool = False,
        values: list[str] | None = None,
        locale: str = "en-US",
    ) -> str:
        """A user clicks the component ``custom_id`` on ``message`` (a :class:`PostedMessage`
        or message id); returns the interaction id. The interaction carries the message's
        CURRENT full object (after edits) including its components, which discord.py's
        ``DynamicItem`` dispatch needs. Raises if the message was deleted or has no such
        enabled component. For select menus give ``values``. ``dm`` is implied by a DM
        channel."""
        mid = message.message_id if isinstance(message, PostedMessage) else int(message)
        raw = self.message(mid)
        if raw is None:
            raise ValueError(f"message {mid} does not exist (deleted or never posted)")
        comp = next(
            (c for c in _walk_components(raw["components"]) if c.get("custom_id") == custom_id),
            None,
        )
        if comp is None:
            ids = [c["custom_id"] for c in _walk_components(raw["components"]) if "custom_id" in c]
            raise ValueError(f"message {mid} has no component {custom_id!r}; it has {ids}")
        if comp.get("disabled"):
            raise ValueError(f"component {custom_id!r} is disabled; Discord clients cannot use it")
        cid = int(raw["channel_id"])
        in_dm = dm or self._is_dm(cid)
        payload, cid = self._base_interaction(
            MESSAGE_COMPONENT, guild_id=None if in_dm else self._channel_guild.get(cid),
            channel_id=cid, user_id=user_id, permissions=permissions, dm=in_dm, locale=locale,
        )  # fmt: skip
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": comp["type"]}
        if "id" in comp:
            data["id"] = comp["id"]
        if comp["type"] in _SELECT_TYPES:
            if values is None:
                raise ValueError("a select menu needs values=[...]")
            lo, hi = comp.get("min_values", 1), comp.get("max_values", 1)
            if not lo <= len(values) <= hi:
                raise ValueError(f"select {custom_id!r} takes {lo}..{hi} values")
            if comp["type"] == 3:
                allowed = {o["value"] for o in comp.get("options", [])}
                if not set(values) <= allowed:
                    raise ValueError(f"values {values} not among the options {sorted(allowed)}")
            data["values"] = list(values)
        elif values is not None:
            raise ValueError("values are only for select menus")
        payload["data"] = data
        payload["message"] = raw
        return self._dispatch_interaction(payload, cid)

    def forge_press(
        self,
        custom_id: str,
        *,
        channel_id: int,
        user_id: int | None = None,
        permissions: int = ADMIN_PERMS,
    ) -> str:
        """A press of a button with ``custom_id`` that no message of the bot carries, as a
        modified client (or one showing a message of an older release) sends it: the
        interaction's message holds just that button. Returns the interaction id."""
        payload, cid = self._base_interaction(
            MESSAGE_COMPONENT, guild_id=self._channel_guild.get(channel_id),
            channel_id=channel_id, user_id=user_id, permissions=permissions, dm=False,
            locale="en-US",
        )  # fmt: skip
        button = {"type": 2, "style": 2, "label": "forged", "custom_id": custom_id}
        payload["data"] = {"custom_id": custom_id, "component_type": 2}
        payload["message"] = {
            "id": str(self._snowflake()),
            "channel_id": str(channel_id),
            "type": 0,
            "content": "an old message",
            "author": self._bot_user(),
            "components": [{"type": 1, "components": [button]}],
            "embeds": [],
            "attachments": [],
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": False,
            "timestamp": "2026-11-24T12:00:00+00:00",
            "edited_timestamp": None,
            "flags": 0,
        }
        return self._dispatch_interaction(payload, cid)

    def submit_modal(
        self,
        opened_by: str,
        values: Mapping[str, str],
        *,
        locale: str = "en-US",
    ) -> str:
        """The user who opened the modal (the type-9 answer to interaction ``opened_by``)
        submits it with ``values`` by text input ``custom_id`` (or by its label, when that is
        unambiguous); returns the MODAL_SUBMIT interaction's id. Raises ValueError for what a
        client would not send (the modal then stays open): no such open modal (or already
        submitted), an unknown field, a required one left empty, a value outside its length
        limits."""
        with self._lock:
            modal = self.open_modals.get(opened_by)
        if modal is None:
            raise ValueError(f"interaction {opened_by} has no open modal")
        opener = self.interactions[opened_by]
        inputs = _modal_inputs(modal["components"])
        by_label = {str(i.get("label")): str(i["custom_id"]) for i in inputs if i.get("label")}
        given = {by_label.get(k, k): v for k, v in values.items()}
        known = {str(i["custom_id"]) for i in inputs}
        if set(given) - known:
            raise ValueError(f"the modal has no field {sorted(set(given) - known)}")
        submitted: list[dict[str, Any]] = []
        for n, comp in enumerate(modal["components"], 1):
            inner = comp.get("components") if comp.get("type") == 1 else [comp.get("component")]
            item = inner[0]
            value = given.get(item["custom_id"], item.get("value") or "")
            lo, hi = item.get("min_length", 0), item.get("max_length", 4000)
            name = item.get("label") or comp.get("label") or item["custom_id"]
            if item.get("required", True) and not value.strip():
                raise ValueError(f"field {name!r} is required")
            if value and not lo <= len(value) <= hi:
                raise ValueError(f"field {name!r} takes {lo}..{hi} characters")
            field_data = {"type": 4, "id": n * 2, "custom_id": item["custom_id"], "value": value}
            if comp.get("type") == 1:
                submitted.append({"type": 1, "id": n * 2 - 1, "components": [field_data]})
            else:
                submitted.append({"type": 18, "id": n * 2 - 1, "component": field_data})
        with self._lock:
            if self.open_modals.pop(opened_by, None) is None:
                raise ValueError(f"interaction {opened_by} has no open modal")
        base = opener.payload
        payload = copy.deepcopy(base)
        payload.update(
            id=str(self._snowflake()),
            type=MODAL_SUBMIT,
            token="aW50ZXJhY3Rpb24" + secrets.token_urlsafe(48),
            locale=locale,
            data={"custom_id": modal["custom_id"], "components": submitted},
        )
        if "message" in base:  # opened from a component: the message it was on
            mid = int(base["message"]["id"])
            current = self.message(mid)
            payload["message"] = current if current is not None else base["message"]
        return self._dispatch_interaction(payload, opener.channel_id)


def _infer_type(value: Any) -> int:
    if isinstance(value, bool):
        return 5
    if isinstance(value, int):
        return 4
    if isinstance(value, float):
        return 10
    return 3


# --------------------------------------------------------------------------------------------
# Thread wrapper


class FakeDiscordThread(ServerThread[FakeDiscord]):
    """``with FakeDiscordThread(...) as fake:`` runs a :class:`FakeDiscord` on its own event
    loop in a background thread; ``fake`` is the ``FakeDiscord`` itself. ``slash``/``press``/
    ``autocomplete``/``fail_next`` are thread-safe and the ``wait_*`` helpers work from any
    event loop."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(FakeDiscord(*args, **kwargs))


# --------------------------------------------------------------------------------------------
# discord.py wiring


def point_discord_py_at(fake: FakeDiscord) -> Callable[[], None]:
    """Point discord.py at ``fake``; returns a function that restores the previous values.

    Sets exactly two class attributes (process-wide, so restore them after the test):

    * ``discord.http.Route.BASE = fake.api_base`` (REST, interaction callbacks, webhooks);
    * ``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)``
      (must be a ``yarl.URL``; plain ``Client.connect`` never asks ``/gateway/bot``).
    """
    import discord.gateway
    import discord.http
    import yarl

    old_base = discord.http.Route.BASE
    old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = fake.api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)

    def restore() -> None:
        discord.http.Route.BASE = old_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway

    return restore
