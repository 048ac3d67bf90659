"""A local fake of the Telegram Bot API server, for tests.

The fake listens on 127.0.0.1 only (random free port) and speaks the Bot API wire format the
way python-telegram-bot 22.8 uses it, so the project's real Telegram code works unchanged:

* Routes ``/bot{token}/{method}`` (any HTTP verb; method names are case-insensitive, as on
  Telegram). Parameters come from the query string, ``application/x-www-form-urlencoded``
  bodies (PTB: nested objects are JSON strings inside form fields), ``multipart/form-data``
  (uploads) or ``application/json`` bodies.
* Answers ``{"ok": true, "result": ...}``; errors are ``{"ok": false, "error_code": N,
  "description": "...", ["parameters": {...}]}`` with HTTP status N (PTB picks the exception
  class from the status: 400 ``BadRequest``, 401/404 ``InvalidToken``, 403 ``Forbidden``,
  409 ``Conflict``, others ``NetworkError``; ``parameters.retry_after`` -> ``RetryAfter``,
  ``parameters.migrate_to_chat_id`` -> ``ChatMigrated``, whatever the status).
* A wrong token answers 401 ``Unauthorized`` (404 ``Not Found`` if it is not even shaped like
  a token); an unknown method or path answers 404 ``Not Found``.

**Pointing the bot at it.** PTB appends the token verbatim to ``base_url`` unless the URL
contains ``{token}`` (``telegram/_bot.py`` ``_parse_base_url``), then posts to
``f"{base_url}/{method}"``. So configure::

    TELEGRAM_API_URL = fake.api_base          # "http://127.0.0.1:PORT/bot" (no trailing "/")
    ApplicationBuilder().token(fake.token).base_url(fake.api_base)   # or "…/bot{token}"
    telegram.Bot(fake.token, base_url=fake.api_base)

(the real service's value is ``"https://api.telegram.org/bot"``). ``fake.base_url`` is the
bare ``http://127.0.0.1:PORT``; ``fake.file_base`` is ``…/file/bot`` (not served).

**Text formatting is checked like Telegram does it** (tdlib ``parse_html`` and
``fix_formatted_text``, td/telegram/MessageEntity.cpp, mirrored here):

* ``parse_mode=HTML``: tags ``b strong i em u ins s strike del tg-spoiler span
  class="tg-spoiler" a href code pre pre>code class="language-x" blockquote
  blockquote expandable tg-emoji emoji-id`` (names case-insensitive); every tag closed and
  properly nested; failures answer 400 ``Bad Request: can't parse entities: <reason>`` with
  tdlib's reasons (``Unsupported start tag "p" at byte offset 0``, ``Can't find end tag
  corresponding to start tag "b"``, ``Unmatched end tag at byte offset 9, expected "</b>",
  found "</i>"``, ``Unexpected end tag ...``, ``Unclosed start tag ...``, ...); byte offsets
  are exact (UTF-8 bytes into the text as sent). PTB strips "Bad Request: " and
  ``str.capitalize()``-s the rest, so ``str(exc)`` reads ``Can't parse entities: unsupported
  start tag "p" at byte offset 0`` (all lower case after the first letter).
* ``strict_html = True`` (default) additionally rejects, with fake-only wording, what the
  Bot API documentation forbids but real Telegram tolerates: a raw ``>`` or a ``&`` that is
  not ``&lt; &gt; &amp; &quot;`` or a numeric entity (``&nbsp;``, ``AT&T``, ``&amp`` without
  ``;``), raw ``<``/``>`` inside attribute values, nested blockquotes (Telegram silently drops
  the inner one), an ``<a>`` whose URL Telegram would silently drop (``href="localhost"``,
  ``href="arxiv"``, ``href="ftp://x.org"``...) and the empty end tag ``</>``.
  ``strict_html = False`` behaves exactly like tdlib (those are then literal text / dropped
  entities).
* After parsing (and for plain text): control characters become spaces (tab too), ``\\r``
  and U+2028..U+202E are removed, trailing spaces/newlines are trimmed, leading ones up to
  the first entity; entities inside ``code``/``pre`` are dropped, a ``<pre><code
  class="language-x">`` pair becomes one ``pre`` entity with ``language``; ``<a href>``
  URLs are normalised like Telegram (``https://arxiv.org`` -> ``https://arxiv.org/``,
  ``tg://user?id=N`` -> a ``text_mention``). Then: empty -> 400 ``Bad Request: message text
  is empty``; longer than 4096 (captions: 1024) -> 400 ``Bad Request: message is too long``
  (``message caption is too long``). Length is counted in UTF-16 code units (emoji = 2) by
  default (``length_unit="utf16"``, conservative); tdlib itself counts code points for bots
  (``utf8_length`` in MessagesManager.cpp) - set ``length_unit="codepoints"`` for that.
  Explicit ``entities`` are accepted as given (only shifted by the trimming).
* ``reply_markup``: an inline keyboard needs at most 100 buttons (else
  ``REPLY_MARKUP_TOO_LONG``), each with a non-empty ``text`` and exactly one action;
  ``callback_data`` must be 1-64 **bytes** (else ``Bad Request: BUTTON_DATA_INVALID``), a
  ``url`` must be a valid http(s)/tg link (else ``BUTTON_URL_INVALID``), a button with no
  action gives Telegram's ``can't parse inline keyboard button: Text buttons are unallowed in
  the inline keyboard``.
* Automatic entities Telegram adds to sent text (url, mention, hashtag, bot_command) are NOT
  added; at most 100 entities are kept (as Telegram does).

**Chats and errors.** ``blocked`` (403 ``Forbidden: bot was blocked by the user``, for
sending methods), ``kicked`` (403 ``Forbidden: bot was kicked from the group chat`` -
"supergroup chat" for ``-100…`` ids, "bot is not a member of the channel chat" for
channels), ``left`` (403 ``Forbidden: bot is not a member of the group chat``),
``deactivated`` (403 ``Forbidden: user is deactivated``), ``migrated`` ({old: new}, 400
``Bad Request: group chat was upgraded to a supergroup chat`` +
``parameters.migrate_to_chat_id``), ``strict_chats`` + ``chats`` (400 ``Bad Request: chat
not found`` for a chat the fake does not know; chats are learnt from injected updates and
:meth:`FakeTelegram.add_chat`). Editing: ``message to edit not found``, ``message can't be
edited`` (not the bot's), ``message is not modified: ...``; note that ``editMessageText``
without ``reply_markup`` removes the keyboard, as on Telegram. ``deleteMessage``: ``message
to delete not found``. Replying to an unknown message: ``message to be replied not found``.

**Flood control** (off by default): ``fake.limits = FloodLimits(global_per_second=30,
per_chat_per_second=1, per_group_per_minute=20)`` (sliding windows on the injected
``clock``; groups = negative chat ids). ``send*`` (except ``sendChatAction``) and ``edit*``
calls beyond a limit answer 429 ``Too Many Requests: retry after N`` with
``parameters.retry_after = N`` = whole seconds until a slot frees (>= 1). Only accepted calls
take a slot.

**Faults.** :meth:`~FakeTelegram.fail_next` queues one-off error answers per method (checked
before anything else); :meth:`~FakeTelegram.timeout_next` makes the next *accepted* call of a
method be processed and recorded (the message IS delivered) but never answered until the
client gives up or the fake stops - the ambiguous timeout.

**Records.** ``calls`` (every request: ``(method, params)``, canonical method name, decoded
params, uploads as :class:`UploadedFile`), ``sent`` (accepted ``sendMessage``/``send<Media>``
as :class:`SentMessage`; ``sent_to(chat_id)``), ``edits`` (each accepted edit, the message's
new state), ``deleted``, ``chat_actions``, ``callback_answers``, ``commands``
(``{scope_key: [{"command", "description"}]}`` where scope_key is the scope type
(``"default"``, ``"all_private_chats"``, ...) or ``"chat:<id>"``,
``"chat_administrators:<id>"``, ``"chat_member:<id>:<user>"``, plus ``"/<lang>"`` when a
language_code is given), ``webhook``, ``rejections`` (every error answer as
:class:`Rejection`: method, chat_id, status, description, parameters), ``flooded`` (429s
by the limit exceeded: ``overall``, ``chat``, ``group``), ``injected`` and
``undelivered`` updates. :meth:`~FakeTelegram.message` gives a message's current state.
Wait for things with :meth:`~FakeTelegram.wait_for_sent`, :meth:`~FakeTelegram.wait_for_call`
or :meth:`~FakeTelegram.wait_until` (event-driven; bound them with ``asyncio.timeout``).

**Updates.** ``getUpdates`` long-polls (holds up to ``timeout`` s while nothing >= offset is
pending; ``offset`` confirms and drops older updates, negative offsets keep the last -offset;
``limit``; ``allowed_updates`` is remembered, default = all but ``chat_member``,
``message_reaction``, ``message_reaction_count``); a second concurrent ``getUpdates``
terminates the first with 409 ``Conflict: terminated by other getUpdates request; ...``, and
``getUpdates`` while a webhook is set answers 409 too; after :meth:`stop` it answers ``[]``.
``deleteWebhook(drop_pending_updates=True)`` drops pending updates. Updates are built by
:meth:`~FakeTelegram.send_text`, :meth:`~FakeTelegram.press_button`,
:meth:`~FakeTelegram.chat_member_update`, :meth:`~FakeTelegram.migrate`,
:meth:`~FakeTelegram.anonymous_admin_command` or given raw to
:meth:`~FakeTelegram.inject_update`. Group privacy mode is modelled (``privacy_mode=True``,
as for a new bot): in groups where the bot is not an admin only commands (not addressed to
another ``@bot``), messages mentioning ``@<bot_username>``, replies to the bot and service
messages reach the bot; the others land in ``undelivered``.

Methods: getMe, logOut, close, getUpdates, setWebhook, deleteWebhook, getWebhookInfo,
setMyCommands, getMyCommands, deleteMyCommands, getChat, getChatMember, sendChatAction,
sendMessage, editMessageText, editMessageReplyMarkup, deleteMessage, answerCallbackQuery,
sendPhoto, sendDocument, sendAudio, sendVideo, sendAnimation, sendVoice. Others answer 404.

Helpers: :func:`parse_html` (text + entities exactly as stored, or :class:`HtmlParseError`),
:func:`check_link` (the URL Telegram keeps for an ``<a href>``, or None), :func:`utf16_len`,
:class:`ManualClock` (an injectable clock: ``clock.advance(1.0)``).

Use ``async with FakeTelegram() as fake:`` in async tests, or ``with FakeTelegramThread() as
fake:`` (same object, served from its own event loop in a background thread) in sync tests
and for subprocess-driven tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import itertools
import json
import math
import re
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from aiohttp import web

from tests.fakes.local_server import LocalServer
from tests.fakes.server_thread import ServerThread

__all__ = [
    "ANONYMOUS_ADMIN_ID",
    "DEFAULT_BOT_USERNAME",
    "DEFAULT_TOKEN",
    "DEFAULT_USER_ID",
    "FakeTelegram",
    "FakeTelegramThread",
    "FloodLimits",
    "HtmlParseError",
    "ManualClock",
    "Rejection",
    "SentMessage",
    "UploadedFile",
    "check_link",
    "parse_html",
    "utf16_len",
]

DEFAULT_TOKEN = "123456:TEST-TOKEN-abcdefghijklmnopqrstuvwxyz"
DEFAULT_BOT_USERNAME = "arxiv_test_bot"
DEFAULT_USER_ID = 1001  # the default sender in groups
ANONYMOUS_ADMIN_ID = 1087968824  # @GroupAnonymousBot (telegram.constants.ChatID.ANONYMOUS_ADMIN)

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_INLINE_BUTTONS = 100
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_ENTITIES = 100

MEDIA_METHODS = ("sendPhoto", "sendDocument", "sendAudio", "sendVideo", "sendAnimation",
                 "sendVoice")  # fmt: skip
CHAT_ACTIONS = frozenset({
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note",
    "upload_video_note",
})  # fmt: skip
# Sent by default when allowed_updates is empty/unset (Bot API getUpdates docs).
_NOT_DEFAULT_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_BUTTON_ACTIONS = ("callback_data", "url", "login_url", "switch_inline_query",
                   "switch_inline_query_current_chat", "switch_inline_query_chosen_chat",
                   "copy_text", "callback_game", "pay", "web_app")  # fmt: skip

_CONFLICT_POLL = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance "
    "is running"
)
_CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to "
    "delete the webhook first"
)
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
_QUERY_INVALID = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)
_TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
_COMMAND_NAME_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_INT_RE = re.compile(r"^-?\d+$")


# --------------------------------------------------------------------------------------------
# Small helpers


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's entity offsets (emoji = 2)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _u16(ch: str) -> int:
    return 2 if ord(ch) > 0xFFFF else 1


def _utf16_slice(text: str, offset: int, length: int) -> str:
    raw = text.encode("utf-16-le", "surrogatepass")
    return raw[2 * offset : 2 * (offset + length)].decode("utf-16-le", "surrogatepass")


class ManualClock:
    """A clock for :attr:`FakeTelegram.clock` that only moves when told: ``clock.advance(1)``."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


# --------------------------------------------------------------------------------------------
# Links (tdlib LinkManager::check_link_impl + td/utils/HttpUrl.cpp parse_url)

_HOST_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz.0123456789-_!$,~*'();&+=")
_HEX = frozenset("0123456789abcdefABCDEF")


def _parse_url(url: str) -> tuple[str, str, str, bool, int, str] | None:
    """(protocol, userinfo, host, is_ipv6, specified_port, query) or None if invalid."""
    m = re.match(r"[^:/?#@\[\]]*", url)
    assert m is not None
    rest = url[m.end() :]
    if rest.startswith("://"):
        protocol = m.group(0).lower()
        if protocol not in ("http", "https"):
            return None
        rest = rest[3:]
    else:
        protocol, rest = "http", url
    m = re.match(r"[^/?#]*", rest)
    assert m is not None
    userinfo_host_port, query = m.group(0), rest[m.end() :]
    port = 0
    k = len(userinfo_host_port) - 1
    while k > 0 and userinfo_host_port[k] not in ":]@":
        k -= 1
    if k > 0 and userinfo_host_port[k] == ":":
        port_text = userinfo_host_port[k + 1 :]
        while len(port_text) > 1 and port_text[0] == "0":
            port_text = port_text[1:]
        port = int(port_text) if port_text.isascii() and port_text.isdigit() else -1
        if port == 0:
            port = -1
        userinfo_host = userinfo_host_port[:k]
    else:
        userinfo_host = userinfo_host_port
    if port < 0 or port > 65535:
        return None
    userinfo, _, host = userinfo_host.rpartition("@")
    is_ipv6 = False
    if len(host) >= 2 and host[0] == "[" and host[-1] == "]":
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            return None
        is_ipv6 = True
    if not host or host == ".":
        return None
    query = query.rstrip(" \t\r\n\v\x00") or "/"
    query = ("" if query[0] == "/" else "/") + "".join(
        f"%{ord(c):02X}" if ord(c) <= 0x20 else c for c in query
    )
    host = host.lower()
    if not is_ipv6:
        i = 0
        while i < len(host):
            c = host[i]
            if c in _HOST_CHARS or ord(c) >= 128:
                i += 1
                continue
            if c == "%" and host[i + 1 : i + 2] in _HEX and host[i + 2 : i + 3] in _HEX:
                i += 3
                continue
            return None
    return protocol, userinfo, host, is_ipv6, port, query


def check_link(link: str) -> str | None:
    """The URL Telegram stores for ``<a href=link>`` (normalised), or None if Telegram would
    drop the link. ``tg:``/``ton:``/``tonsite:`` links are allowed; http(s) hosts need a dot
    (so ``localhost`` is invalid, ``127.0.0.1`` is fine); a missing scheme means http."""
    kind = ""
    for prefix in ("tg:", "ton:", "tonsite:"):
        if link[: len(prefix)].lower() == prefix:
            kind, link = prefix[:-1], link[len(prefix) :]
            break
    if kind and link.startswith("//"):
        link = link[2:]
    parsed = _parse_url(link)
    if parsed is None:
        return None
    protocol, userinfo, host, is_ipv6, port, query = parsed
    if kind:
        if link[:7].lower() == "http://" or protocol == "https" or userinfo or port or is_ipv6:
            return None
        if len(query) > 1 and query[1] == "?":
            query = query[1:]
        for c in host:
            if (
                not (c.isascii() and c.isalnum())
                and c not in "-_"
                and not (kind == "tonsite" and c == ".")
            ):
                return None
        return f"{kind}://{host}{query}"
    if "." not in host and not is_ipv6:
        return None
    auth = f"{userinfo}@" if userinfo else ""
    port_text = f":{port}" if port else ""
    return f"{protocol}://{auth}{host}{port_text}{query}"


def _link_user_id(url: str) -> int | None:
    """``tg://user?id=123`` -> 123 (Telegram turns such links into text_mention entities)."""
    if url[:3].lower() != "tg:":
        return None
    rest = url[3:].removeprefix("//")
    path, _, args = rest.partition("?")
    if path.rstrip("/").lower() != "user":
        return None
    for pair in args.split("&"):
        key, _, value = pair.partition("=")
        if key == "id" and value.isascii() and value.isdigit() and int(value) > 0:
            return int(value)
    return None


# --------------------------------------------------------------------------------------------
# HTML parse mode (tdlib td/telegram/MessageEntity.cpp parse_html + fix_formatted_text)


class HtmlParseError(ValueError):
    """The reason Telegram gives after ``can't parse entities: ``."""


_TAGS = frozenset({"a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins",
                   "tg-spoiler", "tg-emoji", "span", "pre", "code", "blockquote"})  # fmt: skip
_SPACES = frozenset(" \t\r\n\v\x00")  # tdlib is_space (NUL doubles as end of text)
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SIMPLE_TAGS = {"b": "bold", "strong": "bold", "i": "italic", "em": "italic",
                "u": "underline", "ins": "underline", "s": "strikethrough",
                "strike": "strikethrough", "del": "strikethrough", "tg-spoiler": "spoiler",
                "span": "spoiler"}  # fmt: skip
_SPLITTABLE = frozenset({"bold", "italic", "underline", "strikethrough", "spoiler"})
_CONTINUOUS = frozenset({"code", "pre", "text_link", "text_mention"})
_BLOCKQUOTES = frozenset({"blockquote", "expandable_blockquote"})
_PRIORITY = {"blockquote": 0, "expandable_blockquote": 0, "pre": 11, "code": 20,
             "text_link": 49, "text_mention": 49, "bold": 90, "italic": 91, "underline": 92,
             "strikethrough": 93, "spoiler": 94, "custom_emoji": 99}  # fmt: skip


def _decode_entity(s: str, pos: int) -> tuple[int, int, bool] | None:
    """tdlib decode_html_entity at ``s[pos] == "&"``: (code point, end, had ";") or None."""
    n, end = len(s), pos + 1
    if end < n and s[end] == "#":
        end += 1
        code = 0
        if end < n and s[end] == "x":
            end += 1
            while end < n and s[end] in _HEX:
                code = code * 16 + int(s[end], 16)
                end += 1
        else:
            while end < n and s[end] in "0123456789":
                code = code * 10 + int(s[end])
                end += 1
        if code == 0 or code >= 0x10FFFF or end - pos >= 10:
            return None
    else:
        while end < n and s[end].isascii() and s[end].isalpha():
            end += 1
        named = _NAMED_ENTITIES.get(s[pos + 1 : end])
        if named is None:
            return None
        code = ord(named)
    if end < n and s[end] == ";":
        return code, end + 1, True
    return code, end, False


@dataclass
class _OpenTag:
    tag: str
    argument: str
    offset: int  # UTF-16 offset in the output
    text_index: int  # index into the output character list
    begin: int  # index of "<" in the source


def parse_html(source: str, *, strict: bool = True) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram HTML into (text, entities) exactly as the Bot API stores a message:
    tdlib's ``parse_html``, then entity fixing, character cleaning and trimming. Entities are
    Bot API dicts (``type``, ``offset``, ``length`` in UTF-16 units, plus ``url`` /
    ``language`` / ``custom_emoji_id`` / ``user``). Raises :class:`HtmlParseError` with
    Telegram's reason; ``strict`` adds the fake-only checks described in the module docs.
    The text may come back empty (Telegram then answers "message text is empty")."""
    n = len(source)

    def at(k: int) -> str:
        return source[k] if k < n else "\x00"

    def offset_of(k: int) -> int:
        return len(source[:k].encode("utf-8", "surrogatepass"))

    def fail(reason: str, pos: int) -> HtmlParseError:
        return HtmlParseError(f"{reason} at byte offset {offset_of(pos)}")

    def amp_error(pos: int, where: str = "") -> HtmlParseError:
        m = re.match(r"&(#[xX]?[0-9A-Za-z]*|[A-Za-z][A-Za-z0-9]*);?", source[pos:])
        if m is None:
            return fail(f'Unescaped "&"{where}: write it as "&amp;"', pos)
        shown = m.group(0)
        decoded = _decode_entity(source, pos)
        if decoded is not None:  # a supported entity without its ";"
            return fail(f'HTML entity "{shown}" must end with ";"{where}', pos)
        if shown.startswith("&#"):
            return fail(f'Invalid numeric HTML entity "{shown}"{where}', pos)
        if not shown.endswith(";"):
            return fail(f'Unescaped "&"{where}: write it as "&amp;"', pos)
        return fail(
            f'Unsupported HTML entity "{shown}"{where}: only &lt; &gt; &amp; &quot; and '
            "numeric entities are allowed",
            pos,
        )

    def entity_char(pos: int, where: str = "") -> tuple[str, int] | None:
        decoded = _decode_entity(source, pos)
        if decoded is None or (strict and not decoded[2]):
            if strict:
                raise amp_error(pos, where)
            return None
        code, end, _ = decoded
        if 0xD800 <= code <= 0xDFFF:
            raise HtmlParseError(
                "Text contains invalid Unicode characters after decoding HTML entities, check "
                "for unmatched surrogate code units"
            )
        return chr(code), end

    out: list[str] = []
    u16 = 0
    stack: list[_OpenTag] = []
    entities: list[dict[str, Any]] = []
    i = 0
    while i < n:
        c = source[i]
        if c == "&":
            decoded = entity_char(i)
            if decoded is not None:
                out.append(decoded[0])
                u16 += _u16(decoded[0])
                i = decoded[1]
                continue
        if c != "<":
            if strict and c == ">":
                raise fail('Unescaped ">": write it as "&gt;"', i)
            out.append(c)
            u16 += _u16(c)
            i += 1
            continue

        begin = i
        i += 1
        if at(i) != "/":
            # a start tag
            while at(i) not in _SPACES and at(i) != ">":
                i += 1
            if i >= n:
                raise fail("Unclosed start tag", begin)
            tag = source[begin + 1 : i].lower()
            if tag not in _TAGS:
                raise fail(f'Unsupported start tag "{tag}"', begin)
            argument = ""
            while at(i) != ">":
                while i < n and at(i) in _SPACES:
                    i += 1
                if at(i) == ">":
                    break
                name_begin = i
                while at(i) not in _SPACES and at(i) not in "=>/\"'":
                    i += 1
                name = source[name_begin:i]
                if not name:
                    raise fail(f'Empty attribute name in the tag "{tag}"', begin)
                while i < n and at(i) in _SPACES:
                    i += 1
                if at(i) != "=":
                    if i >= n:
                        raise fail(f'Unclosed start tag "{tag}"', begin)
                    if tag == "blockquote" and name == "expandable":
                        argument = "1"
                    continue
                i += 1
                while i < n and at(i) in _SPACES:
                    i += 1
                if i >= n:
                    raise fail(f'Unclosed start tag "{tag}"', begin)
                if at(i) not in "'\"":
                    # a name token: letters, digits, periods, hyphens; case-insensitive
                    token_begin = i
                    while (at(i).isascii() and at(i).isalnum()) or at(i) in (".", "-"):
                        i += 1
                    value = source[token_begin:i].lower()
                    if at(i) not in _SPACES and at(i) != ">":
                        raise fail("Unexpected end of name token", token_begin)
                else:
                    quote = source[i]
                    i += 1
                    chars: list[str] = []
                    while i < n and source[i] != quote:
                        if source[i] == "&":
                            decoded = entity_char(i, " in an attribute value")
                            if decoded is not None:
                                chars.append(decoded[0])
                                i = decoded[1]
                                continue
                        if strict and source[i] in "<>":
                            raise fail(
                                f'Unescaped "{source[i]}" in an attribute value of the tag '
                                f'"{tag}"',
                                i,
                            )
                        chars.append(source[i])
                        i += 1
                    if i < n:
                        i += 1
                    value = "".join(chars)
                if i >= n:
                    raise fail("Unclosed start tag", begin)
                if tag == "a" and name == "href":
                    argument = value
                elif tag == "code" and name == "class" and value.startswith("language-"):
                    argument = value[9:]
                elif tag == "span" and name == "class" and value.startswith("tg-"):
                    argument = value[3:]
                elif (tag == "tg-emoji" and name == "emoji-id") or (
                    tag == "blockquote" and name == "expandable"
                ):
                    argument = value if tag == "tg-emoji" else "1"
            if tag == "span" and argument != "spoiler":
                raise fail('Tag "span" must have class "tg-spoiler"', begin)
            if strict and tag == "blockquote" and any(t.tag == "blockquote" for t in stack):
                raise fail(
                    "Nested blockquotes are not allowed (Telegram would drop the inner one)",
                    begin,
                )
            stack.append(_OpenTag(tag, argument, u16, len(out), begin))
            i += 1
            continue

        # an end tag
        if not stack:
            raise fail("Unexpected end tag", begin)
        while at(i) not in _SPACES and at(i) != ">":
            i += 1
        end_name = source[begin + 2 : i].lower()
        while i < n and at(i) in _SPACES:
            i += 1
        if at(i) != ">":
            raise fail("Unclosed end tag", begin)
        top = stack[-1]
        if (end_name and end_name != top.tag) or (strict and not end_name):
            raise HtmlParseError(
                f"Unmatched end tag at byte offset {offset_of(begin)}, expected "
                f'"</{top.tag}>", found "</{end_name}>"'
            )
        if u16 > top.offset:
            _close_entity(top, u16 - top.offset, out, entities, strict, offset_of)
        stack.pop()
        i += 1

    if stack:
        raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    for entity in entities:
        entity.pop("_language", None)
    return _finish_text("".join(out), _fix_entities(entities))


def _close_entity(
    top: _OpenTag,
    length: int,
    out: list[str],
    entities: list[dict[str, Any]],
    strict: bool,
    offset_of: Callable[[int], int],
) -> None:
    offset, tag, argument = top.offset, top.tag, top.argument
    last = entities[-1] if entities else None
    same_span = last is not None and last["offset"] == offset and last["length"] == length
    if tag in _SIMPLE_TAGS:
        entities.append({"type": _SIMPLE_TAGS[tag], "offset": offset, "length": length})
    elif tag == "tg-emoji":
        if not re.fullmatch(r"-?\d{1,19}", argument) or int(argument) == 0:
            raise HtmlParseError("Invalid custom emoji identifier specified")
        entities.append(
            {
                "type": "custom_emoji",
                "offset": offset,
                "length": length,
                "custom_emoji_id": str(int(argument)),
            }
        )
    elif tag == "a":
        url = argument or "".join(out[top.text_index :])
        user_id = _link_user_id(url)
        if user_id is not None:
            entities.append(
                {
                    "type": "text_mention",
                    "offset": offset,
                    "length": length,
                    "user": {"id": user_id, "is_bot": False, "first_name": ""},
                }
            )
            return
        checked = check_link(url)
        if checked is not None:
            entities.append(
                {"type": "text_link", "offset": offset, "length": length, "url": checked}
            )
        elif strict:
            raise HtmlParseError(
                f'Invalid URL "{url}" in the tag "a" at byte offset {offset_of(top.begin)} '
                "(Telegram would silently drop the link)"
            )
    elif tag == "pre":
        if last is not None and same_span and last["type"] == "code" and last.get("_language"):
            last["type"] = "pre"
            last["language"] = last.pop("_language")
        else:
            entities.append({"type": "pre", "offset": offset, "length": length})
    elif tag == "code":
        if last is not None and same_span and last["type"] == "pre" and argument:
            last["language"] = argument
        else:
            entity = {"type": "code", "offset": offset, "length": length}
            if argument:
                entity["_language"] = argument
            entities.append(entity)
    else:  # blockquote
        kind = "expandable_blockquote" if argument else "blockquote"
        entities.append({"type": kind, "offset": offset, "length": length})


def _sort_key(entity: dict[str, Any]) -> tuple[int, int, int]:
    return entity["offset"], -entity["length"], _PRIORITY.get(entity["type"], 50)


def _fix_entities(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """tdlib fix_entities for well-nested input: blockquotes can't nest, continuous entities
    (code, pre, links) can't nest, formatting can't overlap code/pre (it is cut out)."""
    entities = sorted(entities, key=_sort_key)
    kept: list[dict[str, Any]] = []
    ends = {"blockquote": 0, "continuous": 0}
    for entity in entities:
        if entity["type"] in _SPLITTABLE:
            continue
        group = "blockquote" if entity["type"] in _BLOCKQUOTES else "continuous"
        if entity["offset"] < ends[group]:
            continue  # nested in (or intersecting) the previous one: dropped
        ends[group] = entity["offset"] + entity["length"]
        kept.append(entity)
    pre_spans = [
        (e["offset"], e["offset"] + e["length"]) for e in kept if e["type"] in ("pre", "code")
    ]
    for entity in entities:
        if entity["type"] not in _SPLITTABLE:
            continue
        pieces = [(entity["offset"], entity["offset"] + entity["length"])]
        for lo, hi in pre_spans:
            pieces = [
                part
                for a, b in pieces
                for part in ((a, min(b, lo)), (max(a, hi), b))
                if part[0] < part[1]
            ]
        for a, b in pieces:
            kept.append({**entity, "offset": a, "length": b - a})
    return sorted(kept, key=_sort_key)


def _is_removed(code: int) -> bool:
    return code == 0x0D or 0x2028 <= code <= 0x202E or code in (0x0333, 0x033F, 0x030A)


def _finish_text(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """tdlib clean_input_string + trimming: control characters (and tab) -> space, \\r and
    U+2028..U+202E removed; trailing spaces/newlines trimmed, leading ones up to the first
    entity; entities shifted and clipped; empty ones dropped; at most 100 kept."""
    chars: list[str] = []
    mapping: dict[int, int] = {}
    old = new = 0
    for ch in text:
        code, width = ord(ch), _u16(ch)
        mapping[old] = new
        old += width
        if _is_removed(code):
            continue
        chars.append(" " if (code < 32 and ch != "\n") else ch)
        new += width
    mapping[old] = new

    def remap(offset: int) -> int:
        while offset not in mapping and offset > 0:
            offset -= 1
        return mapping.get(offset, 0)

    moved: list[dict[str, Any]] = []
    for entity in entities:
        start = remap(entity["offset"])
        end = remap(entity["offset"] + entity["length"])
        if end > start:
            moved.append({**entity, "offset": start, "length": end - start})
    cleaned = "".join(chars)
    body = cleaned.rstrip(" \n")
    if not body:
        return "", []
    end16 = utf16_len(body)
    clipped: list[dict[str, Any]] = []
    for entity in moved:
        if entity["offset"] >= end16:
            continue
        length = min(entity["length"], end16 - entity["offset"])
        clipped.append({**entity, "length": length})
    first = min((e["offset"] for e in clipped), default=len(body))
    lead = 0
    while lead < first and body[lead] in " \n":
        lead += 1
    body = body[lead:]
    shifted = [{**e, "offset": e["offset"] - lead} for e in clipped]
    counted = [e for e in shifted if e["type"] != "custom_emoji"]
    if len(counted) > MAX_ENTITIES:
        keep = sorted(counted, key=lambda e: e["type"] in _SPLITTABLE)[:MAX_ENTITIES]
        shifted = [e for e in shifted if e["type"] == "custom_emoji" or e in keep]
    return body, sorted(shifted, key=_sort_key)


# --------------------------------------------------------------------------------------------
# Data


@dataclass
class UploadedFile:
    """A file part of a multipart request."""

    field: str
    filename: str | None
    content_type: str | None
    data: bytes = field(repr=False)


@dataclass
class SentMessage:
    """A message the bot sent (or its state after an edit: see :attr:`FakeTelegram.edits`)."""

    chat_id: int
    message_id: int
    text: str  # plain text after parsing (the caption for media)
    html: str  # the text (or caption) exactly as sent, whatever the parse_mode
    entities: list[dict[str, Any]]  # Bot API entities, offsets/lengths in UTF-16 units
    reply_markup: dict[str, Any] | None
    link_preview_options: dict[str, Any] | None
    reply_parameters: dict[str, Any] | None
    date: int
    # extra fields
    parse_mode: str | None = None
    method: str = "sendMessage"  # or editMessageText, editMessageReplyMarkup, sendDocument...
    kind: str = "text"  # "text", "photo", "document", "audio", "video", "animation", "voice"
    media: dict[str, Any] | None = None  # {"type", "file_id", "filename", "mime_type", "data"}
    edit_date: int | None = None
    message_thread_id: int | None = None
    disable_notification: bool = False
    params: dict[str, Any] = field(default_factory=dict, repr=False)  # the decoded request

    def entity_text(self, entity: dict[str, Any]) -> str:
        """The text an entity covers (offsets are UTF-16, so plain slicing would be wrong)."""
        return _utf16_slice(self.text, entity["offset"], entity["length"])

    def entities_of(self, entity_type: str) -> list[str]:
        """Texts covered by the entities of one type, e.g. ``entities_of("bold")``."""
        return [self.entity_text(e) for e in self.entities if e["type"] == entity_type]

    @property
    def links(self) -> list[str]:
        """URLs of the ``text_link`` entities, in order."""
        return [e["url"] for e in self.entities if e["type"] == "text_link"]

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """All inline keyboard buttons, row by row."""
        if not self.reply_markup:
            return []
        rows = self.reply_markup.get("inline_keyboard") or []
        return [button for row in rows for button in row]

    @property
    def callback_data(self) -> list[str]:
        return [b["callback_data"] for b in self.buttons if "callback_data" in b]

    @property
    def text_length(self) -> int:
        """Length in UTF-16 code units."""
        return utf16_len(self.text)


@dataclass(frozen=True)
class Rejection:
    """A request the fake answered with an error."""

    method: str
    chat_id: int | str | None
    status: int
    description: str
    parameters: dict[str, Any] | None = None


@dataclass
class FloodLimits:
    """Telegram's broadcast limits (Bot FAQ; ``telegram.constants.FloodLimit``). None
    disables one limit. Groups are negative chat ids."""

    global_per_second: int | None = 30
    per_chat_per_second: int | None = 1
    per_group_per_minute: int | None = 20


class _ApiError(Exception):
    def __init__(
        self, status: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


@dataclass
class _Call:
    method: str
    params: dict[str, Any]
    request: web.Request


@dataclass(eq=False)
class _Poller:
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    conflict: bool = False


# --------------------------------------------------------------------------------------------
# Request parameters

_JSON_PARAMS = frozenset({"reply_markup", "link_preview_options", "reply_parameters",
                          "entities", "caption_entities", "commands", "scope",
                          "allowed_updates", "media"})  # fmt: skip
_INT_PARAMS = frozenset({"message_id", "offset", "limit", "user_id", "cache_time",
                         "message_thread_id", "max_connections", "reply_to_message_id",
                         "duration", "width", "height"})  # fmt: skip
_BOOL_PARAMS = frozenset({"disable_notification", "protect_content", "drop_pending_updates",
                          "show_alert", "disable_web_page_preview",
                          "allow_sending_without_reply", "allow_paid_broadcast", "has_spoiler",
                          "disable_content_type_detection",
                          "show_caption_above_media"})  # fmt: skip


def _decode_param(name: str, value: Any) -> Any:
    """Form values are strings; PTB JSON-encodes everything that is not a string."""
    if not isinstance(value, str):
        return value
    if name in _JSON_PARAMS:
        try:
            return json.loads(value)
        except ValueError:
            return value  # left raw: the method reports it as unparsable
    if name in _INT_PARAMS and _INT_RE.match(value.strip()):
        return int(value)
    if name == "timeout":
        with contextlib.suppress(ValueError):
            return float(value) if "." in value else int(value)
    if name in _BOOL_PARAMS and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    if name == "chat_id" and _INT_RE.match(value.strip()):
        return int(value)
    return value


# --------------------------------------------------------------------------------------------
# The fake


class FakeTelegram(LocalServer):
    """``async with FakeTelegram() as fake:`` then point PTB at ``fake.api_base``.

    Attributes that may be changed at any time: ``token``, ``bot_username``,
    ``bot_first_name``, ``strict_chats``, ``strict_html``, ``length_unit``,
    ``privacy_mode``, ``limits`` (:class:`FloodLimits` or None), ``clock``, ``chats``
    (``{chat_id: Chat JSON}``), ``users`` (``{user_id: User JSON}``), ``blocked``,
    ``kicked``, ``left``, ``deactivated`` (sets of chat ids), ``migrated``
    (``{old_id: new_id}``), ``admins`` (``{chat_id: {user_id, ...}}``), ``creators``
    (``{chat_id: user_id}``). See the module docstring for behaviour and records.
    """

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        bot_username: str = DEFAULT_BOT_USERNAME,
        bot_first_name: str = "arXiv Digest (test)",
        strict_chats: bool = False,
        strict_html: bool = True,
        length_unit: Literal["utf16", "codepoints"] = "utf16",
        privacy_mode: bool = True,
        limits: FloodLimits | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token = token
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.strict_chats = strict_chats
        self.strict_html = strict_html
        self.length_unit = length_unit
        self.privacy_mode = privacy_mode
        self.limits = limits
        self.clock = clock
        # world state
        self.chats: dict[int, dict[str, Any]] = {}
        self.users: dict[int, dict[str, Any]] = {}
        self.blocked: set[int] = set()
        self.kicked: set[int] = set()
        self.left: set[int] = set()
        self.deactivated: set[int] = set()
        self.migrated: dict[int, int] = {}
        self.admins: dict[int, set[int]] = {}
        self.creators: dict[int, int] = {}
        self.allowed_updates: list[str] | None = None
        self.webhook: dict[str, Any] = {}
        self.commands: dict[str, list[dict[str, Any]]] = {}
        # records
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.sent: list[SentMessage] = []
        self.edits: list[SentMessage] = []
        self.deleted: list[tuple[int, int]] = []
        self.chat_actions: list[tuple[int, str]] = []
        self.callback_answers: list[dict[str, Any]] = []
        self.rejections: list[Rejection] = []
        self.flooded: Counter[str] = Counter()
        """429s by the limit they exceeded: overall, chat, group."""
        self.injected: list[dict[str, Any]] = []
        self.undelivered: list[dict[str, Any]] = []
        # internals
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}  # every live message
        self._current: dict[tuple[int, int], SentMessage] = {}  # the bot's live messages
        self._queries: dict[str, bool] = {}  # callback query id -> answered
        self._failures: dict[str, deque[tuple[int, str, dict[str, Any] | None, bytes | None]]]
        self._failures = {}
        self._timeouts: dict[str, int] = {}
        self._flood_log: deque[tuple[float, int]] = deque()
        self._pollers: set[_Poller] = set()
        self._lock = threading.Lock()
        self._waiters: list[
            tuple[Callable[[], bool], asyncio.AbstractEventLoop, asyncio.Future[None]]
        ] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._closing: asyncio.Event | None = None
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._methods: dict[str, Callable[[_Call], Any]] = {}
        for name in dir(self):
            if name.startswith("_api_"):
                method = name[len("_api_") :]
                self._methods[method.lower()] = getattr(self, name)
        for method in MEDIA_METHODS:
            self._methods[method.lower()] = self._send_media

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        if self._runner is not None:
            raise RuntimeError("FakeTelegram already started")
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._closing = asyncio.Event()
        app = web.Application(middlewares=[self._not_found_middleware])
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        await self._serve(app)

    async def stop(self) -> None:
        """Answer pending getUpdates with ``[]``, release held (timed-out) requests, close."""
        if self._closing is not None:
            self._closing.set()
        self._do_wake()
        await self._close_server()

    # -- URLs ------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (no path)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        """What the bot must configure as its Bot API URL (``TELEGRAM_API_URL``, PTB
        ``base_url``): ``http://127.0.0.1:PORT/bot``; PTB appends the token."""
        return f"{self.base_url}/bot"

    @property
    def file_base(self) -> str:
        """PTB ``base_file_url`` counterpart (``…/file/bot``); files are not served."""
        return f"{self.base_url}/file/bot"

    @property
    def bot_id(self) -> int:
        return int(self.token.split(":", 1)[0])

    @property
    def bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    # -- programming the fake --------------------------------------------------------------

    def _canonical(self, method: str) -> str:
        handler = self._methods.get(method.lower())
        if handler is None:
            raise ValueError(f"FakeTelegram does not implement the method {method!r}")
        if handler == self._send_media:
            return next(m for m in MEDIA_METHODS if m.lower() == method.lower())
        return handler.__name__[len("_api_") :]

    def fail_next(
        self,
        method: str,
        status: int,
        description: str | None = None,
        parameters: dict[str, Any] | None = None,
        times: int = 1,
        *,
        body: bytes | None = None,
    ) -> None:
        """The next ``times`` calls of ``method`` answer ``status`` with ``description``
        (default: Telegram's usual text for the status, e.g. 429 -> "Too Many Requests: retry
        after N" with ``parameters={"retry_after": N}``, N = 1 unless given). ``body`` sends
        raw bytes instead of the JSON error (e.g. an nginx HTML 502 page)."""
        name = self._canonical(method)
        if status == 429 and parameters is None:
            parameters = {"retry_after": 1}
        if description is None:
            description = _default_description(status, parameters)
        queue = self._failures.setdefault(name, deque())
        for _ in range(times):
            queue.append((status, description, parameters, body))

    def clear_failures(self, method: str | None = None) -> None:
        """Drop the failures :meth:`fail_next` queued (for ``method``, or all): Telegram is
        back."""
        if method is None:
            self._failures.clear()
        else:
            self._failures.pop(self._canonical(method), None)

    def timeout_next(self, method: str, times: int = 1) -> None:
        """The next ``times`` accepted calls of ``method`` take effect (a message is recorded
        and delivered) but are never answered, until the client gives up or the fake stops."""
        name = self._canonical(method)
        self._timeouts[name] = self._timeouts.get(name, 0) + times

    def add_chat(
        self,
        chat_id: int,
        chat_type: str | None = None,
        *,
        title: str | None = None,
        username: str | None = None,
        first_name: str | None = None,
    ) -> dict[str, Any]:
        """Register (or update) a chat so it is known (``strict_chats``) and described."""
        chat_type = chat_type or _type_from_id(chat_id)
        _check_chat_id(chat_id, chat_type)
        chat = dict(self.chats.get(chat_id) or {"id": chat_id, "type": chat_type})
        chat["type"] = chat_type
        if chat_type == "private":
            user = self._user(chat_id, first_name=first_name, username=username)
            chat["first_name"] = user["first_name"]
            if "username" in user:
                chat["username"] = user["username"]
        else:
            chat["title"] = title or chat.get("title") or f"Test {chat_type} {abs(chat_id)}"
            if username:
                chat["username"] = username
        self.chats[chat_id] = chat
        return chat

    def sent_to(self, chat_id: int) -> list[SentMessage]:
        return [m for m in self.sent if m.chat_id == chat_id]

    def calls_of(self, method: str) -> list[dict[str, Any]]:
        """The params of every call of one method (name case-insensitive)."""
        name = method.lower()
        return [params for m, params in self.calls if m.lower() == name]

    def message(self, chat_id: int, message_id: int) -> SentMessage | None:
        """The current state of one of the bot's messages (None once deleted)."""
        return self._current.get((chat_id, message_id))

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates the bot has not confirmed yet (by a later getUpdates offset) and would
        receive (``allowed_updates``). ``await fake.wait_until(lambda: not
        fake.pending_updates)`` waits until the bot has fetched everything injected."""
        return self._deliverable()

    def reset_records(self) -> None:
        """Forget calls, sent messages, edits, answers and rejections (not the chat state)."""
        for record in (
            self.calls,
            self.sent,
            self.edits,
            self.deleted,
            self.chat_actions,
            self.callback_answers,
            self.rejections,
        ):
            record.clear()
        self.flooded.clear()

    # -- waiting ---------------------------------------------------------------------------

    async def wait_until(self, predicate: Callable[[], bool]) -> None:
        """Return once ``predicate()`` is true; it is re-checked whenever the fake records
        something (event-driven, no polling). Works from any event loop. Waits forever: bound
        it with ``async with asyncio.timeout(...)``."""
        loop = asyncio.get_running_loop()
        with self._lock:
            if predicate():
                return
            future: asyncio.Future[None] = loop.create_future()
            entry = (predicate, loop, future)
            self._waiters.append(entry)
        try:
            await future
        finally:
            with self._lock, contextlib.suppress(ValueError):
                self._waiters.remove(entry)

    async def wait_for_sent(self, n: int, chat_id: int | None = None) -> list[SentMessage]:
        """Wait until at least ``n`` messages were sent (to ``chat_id``); return them all."""

        def matching() -> list[SentMessage]:
            return [m for m in self.sent if chat_id is None or m.chat_id == chat_id]

        await self.wait_until(lambda: len(matching()) >= n)
        return matching()

    async def wait_for_call(self, method: str, n: int = 1) -> list[dict[str, Any]]:
        """Wait until ``method`` was called at least ``n`` times; return their params."""
        await self.wait_until(lambda: len(self.calls_of(method)) >= n)
        return self.calls_of(method)

    def _notify(self) -> None:
        with self._lock:
            ready = [w for w in self._waiters if w[0]()]
            for w in ready:
                self._waiters.remove(w)
        for _, loop, future in ready:
            with contextlib.suppress(RuntimeError):  # that loop is already closed
                loop.call_soon_threadsafe(_resolve, future)

    # -- updates (injection) ---------------------------------------------------------------

    def inject_update(self, update: dict[str, Any], *, deliver: bool = True) -> dict[str, Any]:
        """Queue a raw update (an ``update_id`` is added if missing) and wake getUpdates.
        Messages inside are remembered (for replies, edits, deletes)."""
        update = dict(update)
        update.setdefault("update_id", next(self._update_ids))
        for key in ("message", "edited_message", "channel_post"):
            message = update.get(key)
            if isinstance(message, dict) and "chat" in message and "message_id" in message:
                self._remember(message)
        if deliver:
            self._updates.append(update)
            self.injected.append(update)
            self._wake_pollers()
        else:
            self.undelivered.append(update)
        self._notify()
        return update

    def send_text(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        chat_type: str | None = None,
        first_name: str | None = None,
        username: str | None = None,
        reply_to: SentMessage | int | None = None,
        entities: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """A user writes ``text`` in a chat. Private chats: ``chat_id`` is the user's id (the
        default ``user_id``). Groups: ``chat_type`` "group" (negative id) or "supergroup"
        (``-100…`` id) is inferred from the id; the sender defaults to ``DEFAULT_USER_ID``.
        A leading ``/command[@bot]`` gets its ``bot_command`` entity (override with
        ``entities``). Returns the update (also when privacy mode withheld it)."""
        chat_type = chat_type or _type_from_id(chat_id)
        _check_chat_id(chat_id, chat_type)
        if chat_type == "private":
            if user_id is not None and user_id != chat_id:
                raise ValueError("in a private chat the chat id is the user's id")
            user_id = chat_id
        elif user_id is None:
            user_id = DEFAULT_USER_ID
        user = self._user(user_id, first_name=first_name, username=username)
        chat = self._chat_for_update(chat_id, chat_type)
        message: dict[str, Any] = {
            "message_id": self._new_message_id(chat_id),
            "from": user,
            "chat": chat,
            "date": int(time.time()),
            "text": text,
        }
        found = _command_entities(text) if entities is None else entities
        if found:
            message["entities"] = found
        replied: dict[str, Any] | None = None
        if reply_to is not None:
            reply_id = reply_to.message_id if isinstance(reply_to, SentMessage) else reply_to
            replied = self._messages.get((chat_id, reply_id))
            if replied is None:
                raise ValueError(f"no message {reply_id} in chat {chat_id} to reply to")
            message["reply_to_message"] = _without_reply(replied)
        deliver = self._privacy_allows(chat_id, chat_type, text, found, replied)
        return self.inject_update({"message": message}, deliver=deliver)

    def press_button(
        self,
        message: SentMessage,
        callback_data: str,
        *,
        user_id: int | None = None,
        first_name: str | None = None,
        username: str | None = None,
    ) -> dict[str, Any]:
        """A user presses the inline button carrying ``callback_data`` under one of the bot's
        messages (its current state). Raises ValueError if no such button is shown."""
        current = self._current.get((message.chat_id, message.message_id))
        if current is None:
            raise ValueError(f"message {message.message_id} in chat {message.chat_id} is gone")
        if callback_data not in current.callback_data:
            raise ValueError(
                f"no button with callback_data {callback_data!r} on that message "
                f"(shown: {current.callback_data})"
            )
        chat_type = self._chat_type(message.chat_id)
        if user_id is None:
            user_id = message.chat_id if chat_type == "private" else DEFAULT_USER_ID
        user = self._user(user_id, first_name=first_name, username=username)
        query_id = f"{self.bot_id}{next(self._query_ids):09d}"
        self._queries[query_id] = False
        query = {
            "id": query_id,
            "from": user,
            "message": self._message_json(current),
            "chat_instance": str(abs(message.chat_id) * 7919 + 4242),
            "data": callback_data,
        }
        return self.inject_update({"callback_query": query})

    def chat_member_update(
        self,
        chat_id: int,
        new_status: str,
        *,
        chat_type: str | None = None,
        user_id: int | None = None,
        old_status: str | None = None,
        apply: bool = True,
    ) -> dict[str, Any]:
        """A ``my_chat_member`` update: the bot's status in a chat changed ("member",
        "kicked", "left", "administrator"; in private chats "kicked" = blocked). With
        ``apply`` the fake's state follows (blocked/kicked/left sets, admins)."""
        chat_type = chat_type or _type_from_id(chat_id)
        _check_chat_id(chat_id, chat_type)
        if user_id is None:
            user_id = chat_id if chat_type == "private" else DEFAULT_USER_ID
        gone = new_status in ("kicked", "left")
        if old_status is None:
            old_status = "member" if gone else ("kicked" if chat_type == "private" else "left")
        user = self._user(user_id)
        chat = self._chat_for_update(chat_id, chat_type)
        if apply:
            self._apply_status(chat_id, chat_type, new_status)
        update = {
            "my_chat_member": {
                "chat": chat,
                "from": user,
                "date": int(time.time()),
                "old_chat_member": self._member_json(self.bot_user, old_status),
                "new_chat_member": self._member_json(self.bot_user, new_status),
            }
        }
        return self.inject_update(update)

    def migrate(
        self, old_chat_id: int, new_chat_id: int, *, user_id: int = DEFAULT_USER_ID
    ) -> dict[str, Any]:
        """A group becomes a supergroup, as Telegram reports it: a service message with
        ``migrate_to_chat_id`` in the old group (returned) and one with
        ``migrate_from_chat_id`` in the new supergroup (also queued). From now on sending to
        the old id answers 400 with ``migrate_to_chat_id``."""
        _check_chat_id(old_chat_id, "group")
        _check_chat_id(new_chat_id, "supergroup")
        old_chat = self._chat_for_update(old_chat_id, "group")
        title = old_chat.get("title")
        self.add_chat(new_chat_id, "supergroup", title=title)
        user = self._user(user_id)
        now = int(time.time())
        first = self.inject_update(
            {
                "message": {
                    "message_id": self._new_message_id(old_chat_id),
                    "from": user,
                    "chat": old_chat,
                    "date": now,
                    "migrate_to_chat_id": new_chat_id,
                }
            }
        )
        self.migrated[old_chat_id] = new_chat_id
        self.inject_update(
            {
                "message": {
                    "message_id": self._new_message_id(new_chat_id),
                    "from": {
                        "id": ANONYMOUS_ADMIN_ID,
                        "is_bot": True,
                        "first_name": "Group",
                        "username": "GroupAnonymousBot",
                    },
                    "sender_chat": dict(self.chats[new_chat_id]),
                    "chat": dict(self.chats[new_chat_id]),
                    "date": now,
                    "migrate_from_chat_id": old_chat_id,
                }
            }
        )
        return first

    def anonymous_admin_command(self, chat_id: int, text: str) -> dict[str, Any]:
        """An anonymous administrator writes in a supergroup: ``from`` is
        @GroupAnonymousBot (1087968824) and ``sender_chat`` is the chat itself."""
        chat_type = self._chat_type(chat_id)
        if chat_type not in ("group", "supergroup"):
            chat_type = "supergroup"
        _check_chat_id(chat_id, chat_type)
        chat = self._chat_for_update(chat_id, chat_type)
        message: dict[str, Any] = {
            "message_id": self._new_message_id(chat_id),
            "from": {
                "id": ANONYMOUS_ADMIN_ID,
                "is_bot": True,
                "first_name": "Group",
                "username": "GroupAnonymousBot",
            },
            "sender_chat": dict(chat),
            "chat": chat,
            "date": int(time.time()),
            "text": text,
        }
        found = _command_entities(text)
        if found:
            message["entities"] = found
        return self.inject_update({"message": message})

    # -- state helpers ---------------------------------------------------------------------

    def _user(
        self, user_id: int, *, first_name: str | None = None, username: str | None = None
    ) -> dict[str, Any]:
        if user_id == self.bot_id:
            return self.bot_user
        user = dict(
            self.users.get(user_id)
            or {
                "id": user_id,
                "is_bot": False,
                "first_name": f"User{user_id}",
                "language_code": "en",
            }
        )
        if first_name:
            user["first_name"] = first_name
        if username:
            user["username"] = username
        self.users[user_id] = user
        return user

    def _chat_type(self, chat_id: int) -> str:
        chat = self.chats.get(chat_id)
        return str(chat["type"]) if chat else _type_from_id(chat_id)

    def _chat_for_update(self, chat_id: int, chat_type: str) -> dict[str, Any]:
        chat = self.chats.get(chat_id)
        if chat is None or chat.get("type") != chat_type:
            chat = self.add_chat(chat_id, chat_type)
        elif chat_type == "private":
            chat = self.add_chat(chat_id, chat_type)  # follow the user's current name
        return dict(chat)

    def _chat_json(self, chat_id: int) -> dict[str, Any]:
        chat = self.chats.get(chat_id)
        if chat is not None:
            return dict(chat)
        chat_type = _type_from_id(chat_id)
        if chat_type == "private":
            user = self.users.get(chat_id) or {"first_name": f"User{chat_id}"}
            out = {"id": chat_id, "type": "private", "first_name": user["first_name"]}
            if "username" in user:
                out["username"] = user["username"]
            return out
        return {"id": chat_id, "type": chat_type, "title": f"Test {chat_type} {abs(chat_id)}"}

    def _apply_status(self, chat_id: int, chat_type: str, status: str) -> None:
        for state in (self.blocked, self.kicked, self.left):
            state.discard(chat_id)
        if status == "kicked":
            (self.blocked if chat_type == "private" else self.kicked).add(chat_id)
        elif status == "left":
            (self.blocked if chat_type == "private" else self.left).add(chat_id)
        elif status == "administrator":
            self.admins.setdefault(chat_id, set()).add(self.bot_id)
        if status != "administrator" and chat_id in self.admins:
            self.admins[chat_id].discard(self.bot_id)

    def _new_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def _remember(self, message: dict[str, Any]) -> None:
        self._messages[(int(message["chat"]["id"]), int(message["message_id"]))] = message

    def _privacy_allows(
        self,
        chat_id: int,
        chat_type: str,
        text: str,
        entities: list[dict[str, Any]],
        replied: dict[str, Any] | None,
    ) -> bool:
        if not self.privacy_mode or chat_type not in ("group", "supergroup"):
            return True
        if self.bot_id in self.admins.get(chat_id, set()):
            return True
        me = self.bot_username.lower()
        if replied is not None and replied.get("from", {}).get("id") == self.bot_id:
            return True
        if f"@{me}" in text.lower():
            return True
        for entity in entities:
            if entity.get("type") == "bot_command" and entity.get("offset") == 0:
                command = _utf16_slice(text, 0, entity["length"])
                _, at, target = command.partition("@")
                return not at or target.lower() == me
        return False

    # -- HTTP plumbing ---------------------------------------------------------------------

    @web.middleware
    async def _not_found_middleware(
        self, request: web.Request, handler: Callable[[web.Request], Any]
    ) -> web.StreamResponse:
        try:
            response: web.StreamResponse = await handler(request)
        except web.HTTPNotFound:
            return _error_response(404, "Not Found")
        except web.HTTPMethodNotAllowed:
            return _error_response(404, "Not Found")
        return response

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        raw: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                body = None
            if isinstance(body, dict):
                raw.update(body)
        elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    try:
                        data = value.file.read()
                    finally:
                        value.file.close()
                    raw[key] = UploadedFile(key, value.filename, value.content_type, data)
                else:
                    raw[key] = value
        return {key: _decode_param(key, value) for key, value in raw.items()}

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        method_raw = request.match_info["method"]
        params = await self._read_params(request)
        handler = self._methods.get(method_raw.lower())
        method = self._canonical(method_raw) if handler is not None else method_raw
        self.calls.append((method, params))
        self._notify()
        chat_id = params.get("chat_id")
        if token != self.token:
            status = 401 if _TOKEN_RE.match(token) else 404
            return self._reject(method, chat_id, status, _default_description(status, None))
        if handler is None:
            return self._reject(method, chat_id, 404, "Not Found")
        queue = self._failures.get(method)
        if queue:
            status, description, parameters, body = queue.popleft()
            return self._reject(method, chat_id, status, description, parameters, body=body)
        try:
            result = await handler(_Call(method, params, request))
        except _ApiError as exc:
            return self._reject(method, chat_id, exc.status, exc.description, exc.parameters)
        if self._timeouts.get(method):
            self._timeouts[method] -= 1
            assert self._closing is not None
            await self._closing.wait()  # never answered while running (the client gives up)
        return web.json_response({"ok": True, "result": result})

    def _reject(
        self,
        method: str,
        chat_id: Any,
        status: int,
        description: str,
        parameters: dict[str, Any] | None = None,
        *,
        body: bytes | None = None,
    ) -> web.Response:
        self.rejections.append(Rejection(method, chat_id, status, description, parameters))
        self._notify()
        if body is not None:
            return web.Response(body=body, status=status, content_type="text/html")
        return _error_response(status, description, parameters)

    # -- chats and validation --------------------------------------------------------------

    def _chat_id(self, params: dict[str, Any], name: str = "chat_id") -> int:
        raw = params.get(name)
        if raw is None or raw == "":
            raise _ApiError(400, f"Bad Request: {name} is empty")
        if isinstance(raw, bool):
            raise _ApiError(400, "Bad Request: chat not found")
        if isinstance(raw, int):
            return raw
        text = str(raw).strip()
        if _INT_RE.match(text):
            return int(text)
        if text.startswith("@"):
            for chat_id, chat in self.chats.items():
                if str(chat.get("username", "")).lower() == text[1:].lower():
                    return chat_id
        raise _ApiError(400, "Bad Request: chat not found")

    def _check_chat(self, chat_id: int, *, sending: bool) -> None:
        if chat_id in self.migrated:
            raise _ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": self.migrated[chat_id]},
            )
        chat_type = self._chat_type(chat_id)
        if chat_id in self.kicked:
            if chat_type == "private":
                raise _ApiError(403, "Forbidden: bot was blocked by the user")
            if chat_type == "channel":
                raise _ApiError(403, "Forbidden: bot is not a member of the channel chat")
            raise _ApiError(403, f"Forbidden: bot was kicked from the {chat_type} chat")
        if chat_id in self.left:
            raise _ApiError(403, f"Forbidden: bot is not a member of the {chat_type} chat")
        if sending and chat_id in self.deactivated:
            raise _ApiError(403, "Forbidden: user is deactivated")
        if sending and chat_id in self.blocked:
            raise _ApiError(403, "Forbidden: bot was blocked by the user")
        if self.strict_chats and chat_id not in self.chats:
            raise _ApiError(400, "Bad Request: chat not found")

    def _int(self, params: dict[str, Any], name: str, *, required: bool = True) -> int | None:
        value = params.get(name)
        if value is None or value == "":
            if required:
                raise _ApiError(400, f"Bad Request: {name} is empty")
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise _ApiError(400, f"Bad Request: invalid {name} specified")
        return value

    def _length(self, text: str) -> int:
        return utf16_len(text) if self.length_unit == "utf16" else len(text)

    def _format(
        self, params: dict[str, Any], text_key: str, *, caption: bool
    ) -> tuple[str, str, list[dict[str, Any]], str | None]:
        """(raw, text, entities, parse_mode) for ``text`` or ``caption``; raises 400s."""
        raw = params.get(text_key)
        if raw is None:
            raw = ""
        if not isinstance(raw, str):
            raw = str(raw)
        if not raw and not caption:
            raise _ApiError(400, "Bad Request: message text is empty")
        parse_mode = params.get("parse_mode") or None
        given = params.get("caption_entities" if caption else "entities")
        if given not in (None, "", []):
            if not isinstance(given, list) or not all(_is_entity(e) for e in given):
                raise _ApiError(400, "Bad Request: can't parse entities JSON object")
            text, entities = _finish_text(raw, [dict(e) for e in given])
        elif parse_mode is None:
            text, entities = _finish_text(raw, [])
        elif str(parse_mode).lower() == "html":
            try:
                text, entities = parse_html(raw, strict=self.strict_html)
            except HtmlParseError as exc:
                raise _ApiError(400, f"Bad Request: can't parse entities: {exc}") from None
            for entity in entities:
                if entity["type"] == "text_mention":
                    entity["user"] = self._user(entity["user"]["id"])
        elif str(parse_mode).lower() in ("markdown", "markdownv2"):
            raise _ApiError(
                400, f"Bad Request: FakeTelegram does not implement parse_mode {parse_mode}"
            )
        else:
            raise _ApiError(400, "Bad Request: unsupported parse_mode")
        if caption:
            if self._length(text) > MAX_CAPTION_LENGTH:
                raise _ApiError(400, "Bad Request: message caption is too long")
        else:
            if not text:
                raise _ApiError(400, "Bad Request: message text is empty")
            if self._length(text) > MAX_TEXT_LENGTH:
                raise _ApiError(400, "Bad Request: message is too long")
        return raw, text, entities, parse_mode

    def _reply_markup(self, raw: Any, *, inline_only: bool = False) -> dict[str, Any] | None:
        if raw is None or raw == "":
            return None
        if not isinstance(raw, dict):
            raise _ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        if "inline_keyboard" not in raw:
            if inline_only:
                raise _ApiError(400, "Bad Request: inline keyboard expected")
            if not any(k in raw for k in ("keyboard", "remove_keyboard", "force_reply")):
                raise _ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
            return raw
        rows = raw["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _ApiError(
                400,
                'Bad Request: field "inline_keyboard" of the InlineKeyboardMarkup must be '
                "an Array of Arrays",
            )
        buttons = [button for row in rows for button in row]
        if len(buttons) > MAX_INLINE_BUTTONS:
            raise _ApiError(400, "Bad Request: REPLY_MARKUP_TOO_LONG")
        for button in buttons:
            if not isinstance(button, dict):
                raise _ApiError(
                    400,
                    "Bad Request: can't parse inline keyboard button: "
                    "InlineKeyboardButton must be an Object",
                )
            text = button.get("text")
            if not isinstance(text, str) or not text.strip():
                raise _ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            actions = [key for key in _BUTTON_ACTIONS if key in button]
            if not actions:
                raise _ApiError(
                    400,
                    "Bad Request: can't parse inline keyboard button: Text "
                    "buttons are unallowed in the inline keyboard",
                )
            if len(actions) > 1:
                raise _ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            if "callback_data" in button:
                data = button["callback_data"]
                if (
                    not isinstance(data, str)
                    or not data
                    or len(data.encode("utf-8")) > MAX_CALLBACK_DATA_BYTES
                ):
                    raise _ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            if "url" in button:
                url = button["url"]
                if not isinstance(url, str) or check_link(url) is None:
                    raise _ApiError(400, "Bad Request: BUTTON_URL_INVALID")
        return raw

    def _reply_target(self, chat_id: int, params: dict[str, Any]) -> dict[str, Any] | None:
        reply = params.get("reply_parameters")
        if reply is None and params.get("reply_to_message_id") is not None:
            reply = {
                "message_id": params["reply_to_message_id"],
                "allow_sending_without_reply": params.get("allow_sending_without_reply"),
            }
        if reply is None or reply == "":
            return None
        if not isinstance(reply, dict) or not isinstance(reply.get("message_id"), int):
            raise _ApiError(400, "Bad Request: can't parse reply parameters JSON object")
        target_chat = reply.get("chat_id", chat_id)
        if target_chat != chat_id:
            return None  # cross-chat replies are not modelled
        target = self._messages.get((chat_id, reply["message_id"]))
        if target is None and not reply.get("allow_sending_without_reply"):
            raise _ApiError(400, "Bad Request: message to be replied not found")
        return target

    def _flood(self, chat_id: int) -> None:
        limits = self.limits
        if limits is None:
            return
        now = self.clock()
        log = self._flood_log
        while log and log[0][0] <= now - 60.0:
            log.popleft()
        waits = [0.0]
        checks: list[tuple[str, int | None, float, Callable[[int], bool]]] = [
            ("overall", limits.global_per_second, 1.0, lambda _c: True),
            ("chat", limits.per_chat_per_second, 1.0, lambda c: c == chat_id),
        ]
        if chat_id < 0:
            checks.append(("group", limits.per_group_per_minute, 60.0, lambda c: c == chat_id))
        for name, limit, period, matches in checks:
            if limit is None:
                continue
            recent = [t for t, c in log if t > now - period and matches(c)]
            if len(recent) >= limit:
                waits.append(recent[len(recent) - limit] + period - now)
                self.flooded[name] += 1
        wait = max(waits)
        if wait > 0:
            retry_after = max(1, math.ceil(wait - 1e-9))
            raise _ApiError(
                429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
            )
        log.append((now, chat_id))

    # -- messages --------------------------------------------------------------------------

    def _message_json(self, message: SentMessage) -> dict[str, Any]:
        out: dict[str, Any] = {
            "message_id": message.message_id,
            "from": self.bot_user,
            "chat": self._chat_json(message.chat_id),
            "date": message.date,
        }
        if message.kind == "text":
            out["text"] = message.text
            if message.entities:
                out["entities"] = message.entities
            if message.link_preview_options:
                out["link_preview_options"] = message.link_preview_options
        else:
            assert message.media is not None
            out[message.kind] = message.media["json"]
            if message.text:
                out["caption"] = message.text
            if message.entities:
                out["caption_entities"] = message.entities
        if message.edit_date is not None:
            out["edit_date"] = message.edit_date
        if message.reply_markup and "inline_keyboard" in message.reply_markup:
            out["reply_markup"] = message.reply_markup
        reply = message.params.get("_reply_to")
        if reply is not None:
            out["reply_to_message"] = _without_reply(reply)
        return out

    def _store(self, message: SentMessage, *, edit: bool) -> dict[str, Any]:
        key = (message.chat_id, message.message_id)
        self._current[key] = message
        (self.edits if edit else self.sent).append(message)
        out = self._message_json(message)
        self._messages[key] = out
        self._notify()
        return out

    def _new_sent(
        self,
        call: _Call,
        chat_id: int,
        *,
        raw: str,
        text: str,
        entities: list[dict[str, Any]],
        parse_mode: str | None,
        markup: dict[str, Any] | None,
        reply_to: dict[str, Any] | None,
        kind: str = "text",
        media: dict[str, Any] | None = None,
    ) -> SentMessage:
        params = dict(call.params)
        if reply_to is not None:
            params["_reply_to"] = reply_to
        reply_parameters = call.params.get("reply_parameters")
        if reply_parameters is None and call.params.get("reply_to_message_id") is not None:
            reply_parameters = {"message_id": call.params["reply_to_message_id"]}
        lpo = call.params.get("link_preview_options")
        return SentMessage(
            chat_id=chat_id,
            message_id=self._new_message_id(chat_id),
            text=text,
            html=raw,
            entities=entities,
            reply_markup=markup,
            link_preview_options=lpo if isinstance(lpo, dict) else None,
            reply_parameters=reply_parameters if isinstance(reply_parameters, dict) else None,
            date=int(time.time()),
            parse_mode=parse_mode,
            method=call.method,
            kind=kind,
            media=media,
            message_thread_id=call.params.get("message_thread_id"),
            disable_notification=bool(call.params.get("disable_notification")),
            params=params,
        )

    def _editable(self, call: _Call) -> tuple[int, SentMessage]:
        if call.params.get("inline_message_id"):
            raise _ApiError(400, "Bad Request: FakeTelegram does not model inline messages")
        chat_id = self._chat_id(call.params)
        self._check_chat(chat_id, sending=True)
        message_id = self._int(call.params, "message_id")
        assert message_id is not None
        current = self._current.get((chat_id, message_id))
        if current is None:
            if (chat_id, message_id) in self._messages:
                raise _ApiError(400, "Bad Request: message can't be edited")
            raise _ApiError(400, "Bad Request: message to edit not found")
        return chat_id, current

    # -- API methods -----------------------------------------------------------------------

    async def _api_getMe(self, call: _Call) -> dict[str, Any]:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": not self.privacy_mode,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _api_logOut(self, call: _Call) -> bool:
        return True

    async def _api_close(self, call: _Call) -> bool:
        return True

    async def _api_setWebhook(self, call: _Call) -> bool:
        p = call.params
        url = str(p.get("url") or "")
        if url and not url.lower().startswith("https://"):
            raise _ApiError(
                400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
            )
        if url and check_link(url) is None:
            raise _ApiError(400, "Bad Request: bad webhook: invalid webhook URL specified")
        if p.get("drop_pending_updates"):
            self._updates.clear()
        if isinstance(p.get("allowed_updates"), list):
            self.allowed_updates = list(p["allowed_updates"]) or None
        self.webhook = {
            "url": url,
            "secret_token": p.get("secret_token"),
            "max_connections": p.get("max_connections", 40),
            "allowed_updates": p.get("allowed_updates"),
            "ip_address": p.get("ip_address"),
        }
        if not url:
            self.webhook = {}
        return True

    async def _api_deleteWebhook(self, call: _Call) -> bool:
        if call.params.get("drop_pending_updates"):
            self._updates.clear()
            self._notify()
        self.webhook = {}
        return True

    async def _api_getWebhookInfo(self, call: _Call) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook:
            info["max_connections"] = self.webhook.get("max_connections") or 40
            if self.allowed_updates:
                info["allowed_updates"] = list(self.allowed_updates)
        return info

    async def _api_getUpdates(self, call: _Call) -> list[dict[str, Any]]:
        p = call.params
        if self.webhook.get("url"):
            raise _ApiError(409, _CONFLICT_WEBHOOK)
        offset = p.get("offset") if isinstance(p.get("offset"), int) else 0
        limit = p.get("limit") if isinstance(p.get("limit"), int) else 100
        limit = min(max(limit, 1), 100)
        wait = p.get("timeout") if isinstance(p.get("timeout"), int | float) else 0
        if isinstance(p.get("allowed_updates"), list):
            self.allowed_updates = list(p["allowed_updates"]) or None
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]
        self._notify()  # confirming updates may satisfy a waiter (pending_updates)
        for other in self._pollers:
            other.conflict = True
            other.wake.set()
        poller = _Poller()
        self._pollers.add(poller)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(float(wait), 0.0)
        try:
            while True:
                poller.wake.clear()
                if poller.conflict:
                    transport = call.request.transport
                    if transport is None or transport.is_closing():
                        return []  # nobody is listening any more
                    raise _ApiError(409, _CONFLICT_POLL)
                if self._closing is None or self._closing.is_set():
                    return []
                batch = self._deliverable()[:limit]
                remaining = deadline - loop.time()
                if batch or remaining <= 0:
                    return batch
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(remaining):
                        await poller.wake.wait()
        finally:
            self._pollers.discard(poller)

    def _deliverable(self) -> list[dict[str, Any]]:
        allowed = self.allowed_updates
        out = []
        for update in self._updates:
            kind = next((k for k in update if k != "update_id"), "")
            if (allowed and kind in allowed) or (not allowed and kind not in _NOT_DEFAULT_UPDATES):
                out.append(update)
        return out

    def _wake_pollers(self) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        if threading.get_ident() == self._loop_thread:
            self._do_wake()
        else:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._do_wake)

    def _do_wake(self) -> None:
        for poller in list(self._pollers):
            poller.wake.set()

    def _scope_key(self, params: dict[str, Any]) -> str:
        scope = params.get("scope")
        if scope in (None, ""):
            scope = {"type": "default"}
        if not isinstance(scope, dict) or not isinstance(scope.get("type"), str):
            raise _ApiError(400, "Bad Request: can't parse BotCommandScope JSON object")
        key = scope["type"]
        if key in ("chat", "chat_administrators", "chat_member"):
            key += f":{self._chat_id(scope)}"
            if scope["type"] == "chat_member":
                key += f":{self._int(scope, 'user_id')}"
        elif key not in (
            "default",
            "all_private_chats",
            "all_group_chats",
            "all_chat_administrators",
        ):
            raise _ApiError(400, "Bad Request: BOT_COMMAND_SCOPE_INVALID")
        language = params.get("language_code")
        if language:
            key += f"/{language}"
        return key

    async def _api_setMyCommands(self, call: _Call) -> bool:
        commands = call.params.get("commands")
        if not isinstance(commands, list):
            raise _ApiError(400, "Bad Request: can't parse commands JSON object")
        if len(commands) > 100:
            raise _ApiError(400, "Bad Request: BOT_COMMANDS_TOO_MUCH")
        for command in commands:
            if not isinstance(command, dict):
                raise _ApiError(400, "Bad Request: can't parse BotCommand JSON object")
            name, description = command.get("command"), command.get("description")
            if not isinstance(name, str) or not _COMMAND_NAME_RE.match(name):
                raise _ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
                raise _ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        key = self._scope_key(call.params)
        self.commands[key] = [dict(c) for c in commands]
        return True

    async def _api_getMyCommands(self, call: _Call) -> list[dict[str, Any]]:
        return [dict(c) for c in self.commands.get(self._scope_key(call.params), [])]

    async def _api_deleteMyCommands(self, call: _Call) -> bool:
        self.commands.pop(self._scope_key(call.params), None)
        return True

    async def _api_getChat(self, call: _Call) -> dict[str, Any]:
        chat_id = self._chat_id(call.params)
        self._check_chat(chat_id, sending=False)
        return {
            **self._chat_json(chat_id),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": True,
                "limited_gifts": True,
                "unique_gifts": True,
                "premium_subscription": True,
                "gifts_from_channels": True,
            },
        }

    async def _api_getChatMember(self, call: _Call) -> dict[str, Any]:
        chat_id = self._chat_id(call.params)
        self._check_chat(chat_id, sending=False)
        user_id = self._int(call.params, "user_id")
        assert user_id is not None
        user = (
            self._user(user_id)
            if user_id in self.users or user_id == self.bot_id
            else {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"}
        )
        if self.creators.get(chat_id) == user_id:
            status = "creator"
        elif user_id in self.admins.get(chat_id, set()):
            status = "administrator"
        else:
            status = "member"
        return self._member_json(user, status)

    @staticmethod
    def _member_json(user: dict[str, Any], status: str) -> dict[str, Any]:
        if status == "creator":
            return {"status": "creator", "user": user, "is_anonymous": False}
        if status == "administrator":
            return {
                "status": "administrator",
                "user": user,
                "can_be_edited": False,
                "is_anonymous": False,
                "can_manage_chat": True,
                "can_delete_messages": True,
                "can_manage_video_chats": True,
                "can_restrict_members": True,
                "can_promote_members": False,
                "can_change_info": True,
                "can_invite_users": True,
                "can_post_stories": True,
                "can_edit_stories": True,
                "can_delete_stories": True,
                "can_pin_messages": True,
                "can_manage_topics": False,
            }
        if status == "kicked":
            return {"status": "kicked", "user": user, "until_date": 0}
        if status in ("left", "member"):
            return {"status": status, "user": user}
        raise ValueError(f"unknown chat member status {status!r}")

    async def _api_sendChatAction(self, call: _Call) -> bool:
        chat_id = self._chat_id(call.params)
        self._check_chat(chat_id, sending=True)
        action = call.params.get("action")
        if action not in CHAT_ACTIONS:
            raise _ApiError(400, "Bad Request: wrong parameter action in request")
        self.chat_actions.append((chat_id, str(action)))
        self._notify()
        return True

    async def _api_answerCallbackQuery(self, call: _Call) -> bool:
        query_id = str(call.params.get("callback_query_id") or "")
        if self._queries.get(query_id, True):  # unknown, or answered already
            raise _ApiError(400, _QUERY_INVALID)
        text = call.params.get("text")
        if isinstance(text, str) and self._length(text) > MAX_CALLBACK_ANSWER_LENGTH:
            raise _ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self._queries[query_id] = True
        self.callback_answers.append(
            {
                "callback_query_id": query_id,
                "text": text,
                "show_alert": bool(call.params.get("show_alert")),
                "url": call.params.get("url"),
                "cache_time": call.params.get("cache_time"),
            }
        )
        self._notify()
        return True

    async def _api_sendMessage(self, call: _Call) -> dict[str, Any]:
        chat_id = self._chat_id(call.params)
        self._check_chat(chat_id, sending=True)
        raw, text, entities, parse_mode = self._format(call.params, "text", caption=False)
        markup = self._reply_markup(call.params.get("reply_markup"))
        lpo = call.params.get("link_preview_options")
        if lpo not in (None, "") and not isinstance(lpo, dict):
            raise _ApiError(400, "Bad Request: can't parse link preview options JSON object")
        reply_to = self._reply_target(chat_id, call.params)
        self._flood(chat_id)
        message = self._new_sent(
            call,
            chat_id,
            raw=raw,
            text=text,
            entities=entities,
            parse_mode=parse_mode,
            markup=markup,
            reply_to=reply_to,
        )
        return self._store(message, edit=False)

    async def _send_media(self, call: _Call) -> dict[str, Any]:
        kind = call.method[len("send") :].lower()
        chat_id = self._chat_id(call.params)
        self._check_chat(chat_id, sending=True)
        source = call.params.get(kind)
        if isinstance(source, str) and source.startswith("attach://"):
            source = call.params.get(source[len("attach://") :])
        if source in (None, ""):
            raise _ApiError(400, f"Bad Request: there is no {kind} in the request")
        raw, text, entities, parse_mode = self._format(call.params, "caption", caption=True)
        markup = self._reply_markup(call.params.get("reply_markup"))
        reply_to = self._reply_target(chat_id, call.params)
        self._flood(chat_id)
        number = next(self._file_ids)
        file_id = f"FAKE-{kind}-{number}"
        media: dict[str, Any] = {
            "type": kind,
            "file_id": file_id,
            "filename": None,
            "mime_type": None,
            "data": None,
            "source": None,
        }
        if isinstance(source, UploadedFile):
            media.update(filename=source.filename, mime_type=source.content_type, data=source.data)
        else:
            media["source"] = str(source)  # a file_id or URL
        size = len(media["data"]) if media["data"] is not None else 0
        base = {"file_id": file_id, "file_unique_id": f"U{number}", "file_size": size}
        if kind == "photo":
            json_value: Any = [{**base, "width": 320, "height": 240}]
        else:
            json_value = dict(base)
            if media["filename"]:
                json_value["file_name"] = media["filename"]
            if media["mime_type"]:
                json_value["mime_type"] = media["mime_type"]
            if kind in ("audio", "video", "animation", "voice"):
                json_value["duration"] = 1
            if kind in ("video", "animation"):
                json_value.update(width=320, height=240)
        media["json"] = json_value
        message = self._new_sent(
            call,
            chat_id,
            raw=raw,
            text=text,
            entities=entities,
            parse_mode=parse_mode,
            markup=markup,
            reply_to=reply_to,
            kind=kind,
            media=media,
        )
        return self._store(message, edit=False)

    async def _api_editMessageText(self, call: _Call) -> dict[str, Any]:
        chat_id, current = self._editable(call)
        if current.kind != "text":
            raise _ApiError(400, "Bad Request: there is no text in the message to edit")
        raw, text, entities, parse_mode = self._format(call.params, "text", caption=False)
        markup = self._reply_markup(call.params.get("reply_markup"), inline_only=True)
        if (text, entities, markup) == (current.text, current.entities, current.reply_markup):
            raise _ApiError(400, _NOT_MODIFIED)
        self._flood(chat_id)
        lpo = call.params.get("link_preview_options")
        edited = replace(
            current,
            text=text,
            html=raw,
            entities=entities,
            reply_markup=markup,
            parse_mode=parse_mode,
            method=call.method,
            edit_date=int(time.time()),
            link_preview_options=lpo if isinstance(lpo, dict) else None,
            params={**dict(call.params), "_reply_to": current.params.get("_reply_to")},
        )
        return self._store(edited, edit=True)

    async def _api_editMessageReplyMarkup(self, call: _Call) -> dict[str, Any]:
        chat_id, current = self._editable(call)
        markup = self._reply_markup(call.params.get("reply_markup"), inline_only=True)
        if markup == current.reply_markup:
            raise _ApiError(400, _NOT_MODIFIED)
        self._flood(chat_id)
        edited = replace(
            current, reply_markup=markup, method=call.method, edit_date=int(time.time())
        )
        return self._store(edited, edit=True)

    async def _api_deleteMessage(self, call: _Call) -> bool:
        chat_id = self._chat_id(call.params)
        self._check_chat(chat_id, sending=False)
        message_id = self._int(call.params, "message_id")
        assert message_id is not None
        key = (chat_id, message_id)
        if key not in self._messages:
            raise _ApiError(400, "Bad Request: message to delete not found")
        is_own = key in self._current
        if (
            not is_own
            and self._chat_type(chat_id) != "private"
            and self.bot_id not in self.admins.get(chat_id, set())
        ):
            raise _ApiError(400, "Bad Request: message can't be deleted")
        self._messages.pop(key, None)
        self._current.pop(key, None)
        self.deleted.append(key)
        self._notify()
        return True


# --------------------------------------------------------------------------------------------
# Module helpers


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _error_response(
    status: int, description: str, parameters: dict[str, Any] | None = None
) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    headers = None
    if parameters:
        body["parameters"] = parameters
        if "retry_after" in parameters:
            headers = {"Retry-After": str(parameters["retry_after"])}
    return web.json_response(body, status=status, headers=headers)


def _default_description(status: int, parameters: dict[str, Any] | None) -> str:
    if status == 429:
        return f"Too Many Requests: retry after {(parameters or {}).get('retry_after', 1)}"
    return {
        400: "Bad Request",
        401: "Unauthorized",
        403: "Forbidden",
        404: "Not Found",
        409: "Conflict",
        500: "Internal Server Error",
        502: "Bad Gateway",
        503: "Service Unavailable",
        504: "Gateway Timeout",
    }.get(status, f"Error {status}")


def _type_from_id(chat_id: int) -> str:
    if chat_id > 0:
        return "private"
    if chat_id <= -1_000_000_000_000:
        return "supergroup"
    return "group"


def _check_chat_id(chat_id: int, chat_type: str) -> None:
    ok = {
        "private": chat_id > 0,
        "group": -1_000_000_000_000 < chat_id < 0,
        "supergroup": chat_id <= -1_000_000_000_000,
        "channel": chat_id <= -1_000_000_000_000,
    }.get(chat_type)
    if ok is None:
        raise ValueError(f"unknown chat type {chat_type!r}")
    if not ok:
        raise ValueError(
            f"chat id {chat_id} does not fit a {chat_type} (private: > 0, group: negative, "
            "supergroup/channel: -100… i.e. <= -1000000000000)"
        )


_COMMAND_RE = re.compile(r"/[A-Za-z0-9_]{1,64}(@[A-Za-z0-9_]{3,32})?")


def _command_entities(text: str) -> list[dict[str, Any]]:
    """tdlib's bot_command regex, at the start of the text only."""
    m = _COMMAND_RE.match(text)
    if m is None:
        return []
    following = text[m.end() : m.end() + 1]
    if following and (following.isalnum() or following in "_/<>@"):
        return []
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(m.group(0))}]


def _is_entity(entity: Any) -> bool:
    return (
        isinstance(entity, dict)
        and isinstance(entity.get("type"), str)
        and isinstance(entity.get("offset"), int)
        and isinstance(entity.get("length"), int)
        and entity["offset"] >= 0
        and entity["length"] >= 0
    )


def _without_reply(message: dict[str, Any]) -> dict[str, Any]:
    """Telegram does not nest reply_to_message more than one level."""
    return {k: v for k, v in message.items() if k != "reply_to_message"}


# --------------------------------------------------------------------------------------------
# Thread wrapper


class FakeTelegramThread(ServerThread[FakeTelegram]):
    """``with FakeTelegramThread() as fake:`` runs a :class:`FakeTelegram` on its own event
    loop in a background thread; ``fake`` is the ``FakeTelegram`` object itself. Arguments
    are passed to ``FakeTelegram``. Update injection (``send_text``...) and the ``wait_*``
    methods work from any thread / event loop."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(FakeTelegram(*args, **kwargs))
