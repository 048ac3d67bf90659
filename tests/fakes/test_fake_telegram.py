"""Self-tests: the fake Telegram Bot API against the real python-telegram-bot 22.8 client."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MessageEntity,
    Update,
)
from telegram.constants import ChatMemberStatus, ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.fakes.fake_telegram import (
    ANONYMOUS_ADMIN_ID,
    DEFAULT_BOT_USERNAME,
    FakeTelegram,
    FakeTelegramThread,
    FloodLimits,
    ManualClock,
    parse_html,
    utf16_len,
)

USER = 42  # a private chat: the chat id is the user's id
GROUP = -555  # a basic group
SUPERGROUP = -1001234567890

DIGEST_HTML = (
    "🧪 <b>Sparse Mixtures</b>\n"
    '<a href="https://arxiv.org/abs/2611.00001">arXiv:2611.00001</a>\n'
    "<blockquote expandable>We show that x &lt; y &amp; 😀 holds.</blockquote>"
)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as f:
        yield f


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(fake.token, base_url=fake.api_base) as b:
        yield b


@contextlib.asynccontextmanager
async def running(app: Application) -> AsyncIterator[Application]:
    """The manual lifecycle of libs.md §1.3 (what the adapter does next to discord.py)."""
    await app.initialize()
    assert app.updater is not None
    await app.updater.start_polling(drop_pending_updates=True)
    await app.start()
    try:
        yield app
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


def build_app(fake: FakeTelegram) -> Application:
    return ApplicationBuilder().token(fake.token).base_url(fake.api_base).build()


async def raw_call(fake: FakeTelegram, method: str, token: str | None = None, **params: Any):
    url = f"{fake.api_base}{token or fake.token}/{method}"
    data = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
    async with aiohttp.ClientSession() as session, session.post(url, data=data) as response:
        return response.status, await response.json()


# --------------------------------------------------------------------------------------------
# Wiring


async def test_base_url_and_get_me(fake: FakeTelegram, bot: Bot) -> None:
    assert fake.api_base == f"http://127.0.0.1:{fake.port}/bot"
    assert bot.base_url == f"{fake.api_base}{fake.token}"  # PTB appends the token verbatim
    assert bot.username == DEFAULT_BOT_USERNAME
    assert bot.id == 123456
    me = await bot.get_me()
    assert me.can_join_groups is True
    assert me.can_read_all_group_messages is False  # privacy mode, as for a new bot
    assert me.supports_inline_queries is False
    assert fake.calls[0] == ("getMe", {})
    # the "{token}" placeholder form works too
    async with Bot(fake.token, base_url=f"{fake.base_url}/bot{{token}}") as other:
        assert other.username == DEFAULT_BOT_USERNAME


async def test_wrong_token_unknown_method_and_raw_json(fake: FakeTelegram) -> None:
    with pytest.raises(InvalidToken):
        async with Bot("123456:WRONG-token", base_url=fake.api_base):
            pass
    assert await raw_call(fake, "getMe", token="123456:WRONG") == (
        401,
        {"ok": False, "error_code": 401, "description": "Unauthorized"},
    )
    assert await raw_call(fake, "noSuchMethod") == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found"},
    )
    status, body = await raw_call(fake, "sendmessage", chat_id=USER, text="case-insensitive")
    assert status == 200
    assert body["result"]["text"] == "case-insensitive"
    assert fake.calls[-1][0] == "sendMessage"
    assert [r.status for r in fake.rejections] == [401, 401, 404]


# --------------------------------------------------------------------------------------------
# HTML, lengths, keyboards


async def test_html_is_parsed_into_utf16_entities(fake: FakeTelegram, bot: Bot) -> None:
    message = await bot.send_message(USER, DIGEST_HTML, parse_mode=ParseMode.HTML)
    sent = fake.sent[-1]
    assert sent.text == ("🧪 Sparse Mixtures\narXiv:2611.00001\nWe show that x < y & 😀 holds.")
    assert sent.html == DIGEST_HTML
    assert sent.parse_mode == "HTML"
    # "🧪" is two UTF-16 units, so bold starts at 3, not 2
    assert sent.entities == [
        {"type": "bold", "offset": 3, "length": 15},
        {"type": "text_link", "offset": 19, "length": 16,
         "url": "https://arxiv.org/abs/2611.00001"},
        {"type": "expandable_blockquote", "offset": 36, "length": 30},
    ]  # fmt: skip
    assert sent.entities_of("bold") == ["Sparse Mixtures"]
    assert sent.links == ["https://arxiv.org/abs/2611.00001"]
    assert sent.entities_of("expandable_blockquote") == ["We show that x < y & 😀 holds."]
    # PTB reads the same offsets back from the answer
    assert message.text == sent.text
    parsed = {e.type: text for e, text in message.parse_entities().items()}
    assert parsed == {
        MessageEntity.BOLD: "Sparse Mixtures",
        MessageEntity.TEXT_LINK: "arXiv:2611.00001",
        MessageEntity.EXPANDABLE_BLOCKQUOTE: "We show that x < y & 😀 holds.",
    }


async def test_pre_code_trimming_and_plain_text(fake: FakeTelegram, bot: Bot) -> None:
    await bot.send_message(
        USER,
        '\n  <pre><code class="language-python">x = 1</code></pre> <a href="https://arxiv.org">'
        "home</a>\n\n",
        parse_mode=ParseMode.HTML,
    )
    assert fake.sent[-1].text == "x = 1 home"
    assert fake.sent[-1].entities == [
        {"type": "pre", "offset": 0, "length": 5, "language": "python"},
        {"type": "text_link", "offset": 6, "length": 4, "url": "https://arxiv.org/"},
    ]
    plain = await bot.send_message(USER, "a <b> & c\tplain")  # no parse_mode: nothing parsed
    assert plain.text == "a <b> & c plain"  # (tab becomes a space, as on Telegram)
    assert fake.sent[-1].entities == []
    explicit = [MessageEntity(MessageEntity.BOLD, 0, 1)]
    await bot.send_message(USER, "x <y>", entities=explicit)
    assert fake.sent[-1].entities == [{"type": "bold", "offset": 0, "length": 1}]


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ("<b>unclosed", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<p>paragraph</p>", 'Unsupported start tag "p" at byte offset 0'),
        ("x < y", 'Unsupported start tag "" at byte offset 2'),
        ("line<br/>break", 'Unsupported start tag "br/" at byte offset 4'),
        ("<b>a</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("<blockquote>a<blockquote>b</blockquote></blockquote>", "Nested blockquotes"),
        ("a&nbsp;b", 'Unsupported HTML entity "&nbsp;"'),
        ("AT&T", 'Unescaped "&"'),
        ("x > y", 'Unescaped ">"'),
        ('<a href="localhost">x</a>', 'Invalid URL "localhost"'),
    ],
)
async def test_html_errors_are_rejected(
    fake: FakeTelegram, bot: Bot, html: str, reason: str
) -> None:
    with pytest.raises(BadRequest, match=r"^Can't parse entities: ") as excinfo:
        await bot.send_message(USER, html, parse_mode=ParseMode.HTML)
    description = fake.rejections[-1].description
    assert description.startswith("Bad Request: can't parse entities: ")
    assert reason in description
    # PTB strips "Bad Request: " and str.capitalize()s the rest (so it is lower-cased)
    assert str(excinfo.value) == description.removeprefix("Bad Request: ").capitalize()
    assert fake.sent == []


async def test_byte_offsets_count_utf8_bytes(fake: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(BadRequest, match="byte offset 8"):
        await bot.send_message(USER, "é 😀 <p>", parse_mode=ParseMode.HTML)  # 2+1+4+1 bytes


async def test_lenient_mode_behaves_like_tdlib(fake: FakeTelegram, bot: Bot) -> None:
    fake.strict_html = False
    await bot.send_message(USER, "AT&T &nbsp; 1 > 0", parse_mode=ParseMode.HTML)
    assert fake.sent[-1].text == "AT&T &nbsp; 1 > 0"
    await bot.send_message(
        USER, "<blockquote>a<blockquote>b</blockquote></blockquote>", parse_mode="HTML"
    )
    assert fake.sent[-1].entities == [{"type": "blockquote", "offset": 0, "length": 2}]
    with pytest.raises(BadRequest):  # the real parser's errors stay errors
        await bot.send_message(USER, "x < y", parse_mode=ParseMode.HTML)


async def test_length_is_counted_in_utf16_after_parsing(fake: FakeTelegram, bot: Bot) -> None:
    await bot.send_message(USER, "a" * 4096)
    with pytest.raises(BadRequest, match=r"^Message is too long$"):
        await bot.send_message(USER, "a" * 4097)
    await bot.send_message(USER, f"<b>{'a' * 4096}</b>", parse_mode=ParseMode.HTML)  # tags: 0
    await bot.send_message(USER, "😀" * 2048)  # 4096 UTF-16 units
    too_long = "😀" * 2049
    assert len(too_long) <= 4096 < utf16_len(too_long)
    with pytest.raises(BadRequest, match="too long"):
        await bot.send_message(USER, too_long)
    assert fake.rejections[-1].description == "Bad Request: message is too long"
    fake.length_unit = "codepoints"  # what tdlib itself checks for bots
    await bot.send_message(USER, too_long)
    assert [m.text_length for m in fake.sent] == [4096, 4096, 4096, 4098]


async def test_empty_text_is_rejected(fake: FakeTelegram, bot: Bot) -> None:
    for text in (" \n ", "<b> </b>", "<i></i>"):
        with pytest.raises(BadRequest, match=r"^Message text is empty$"):
            await bot.send_message(USER, text, parse_mode=ParseMode.HTML)
    assert {r.description for r in fake.rejections} == {"Bad Request: message text is empty"}


async def test_inline_keyboard_rules(fake: FakeTelegram, bot: Bot) -> None:
    def keyboard(**button: str) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup([[InlineKeyboardButton("Show summary", **button)]])

    await bot.send_message(USER, "ok", reply_markup=keyboard(callback_data="x" * 64))
    assert fake.sent[-1].callback_data == ["x" * 64]
    for data in ("x" * 65, "é" * 32 + "x"):  # 65 bytes (the second is only 33 characters)
        with pytest.raises(BadRequest, match="Button_data_invalid"):
            await bot.send_message(USER, "too long", reply_markup=keyboard(callback_data=data))
    assert fake.rejections[-1].description == "Bad Request: BUTTON_DATA_INVALID"
    no_action = InlineKeyboardMarkup([[InlineKeyboardButton("no action")]])
    with pytest.raises(BadRequest, match="text buttons are unallowed"):
        await bot.send_message(USER, "x", reply_markup=no_action)
    too_many = InlineKeyboardMarkup([[InlineKeyboardButton("b", callback_data="d")]] * 101)
    with pytest.raises(BadRequest, match="Reply_markup_too_long"):
        await bot.send_message(USER, "x", reply_markup=too_many)
    await bot.send_message(USER, "link", reply_markup=keyboard(url="https://arxiv.org/abs/1"))
    assert len(fake.sent) == 2


# --------------------------------------------------------------------------------------------
# Chat errors, flood control, faults


async def test_chat_errors(fake: FakeTelegram, bot: Bot) -> None:
    fake.blocked.add(USER)
    with pytest.raises(Forbidden, match=r"^Forbidden: bot was blocked by the user$"):
        await bot.send_message(USER, "hi")
    fake.kicked.add(GROUP)
    with pytest.raises(Forbidden, match="kicked from the group chat"):
        await bot.send_message(GROUP, "hi")
    fake.kicked.add(SUPERGROUP)
    with pytest.raises(Forbidden, match="kicked from the supergroup chat"):
        await bot.send_message(SUPERGROUP, "hi")
    fake.strict_chats = True
    with pytest.raises(BadRequest, match=r"^Chat not found$"):
        await bot.send_message(7, "hi")
    fake.add_chat(7, first_name="Known")
    assert (await bot.send_message(7, "hi")).chat.first_name == "Known"
    fake.migrated[-777] = SUPERGROUP
    with pytest.raises(ChatMigrated) as migrated:
        await bot.send_message(-777, "hi")
    assert migrated.value.new_chat_id == SUPERGROUP
    assert fake.rejections[-1].parameters == {"migrate_to_chat_id": SUPERGROUP}
    assert [(r.chat_id, r.status) for r in fake.rejections] == [
        (USER, 403), (GROUP, 403), (SUPERGROUP, 403), (7, 400), (-777, 400)
    ]  # fmt: skip


async def test_flood_limits_answer_retry_after(
    bot: Bot, fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")  # RetryAfter.retry_after as timedelta, no warning
    clock = ManualClock()
    fake.clock = clock
    fake.limits = FloodLimits()
    # one message per second in one chat
    await bot.send_message(USER, "1")
    with pytest.raises(RetryAfter) as excinfo:
        await bot.send_message(USER, "2")
    assert excinfo.value.retry_after == timedelta(seconds=1)
    assert fake.rejections[-1].description == "Too Many Requests: retry after 1"
    clock.advance(1.0)
    await bot.send_message(USER, "2")
    # 20 per minute in a group: the 21st, 20 s after the first, waits 40 s
    for _ in range(20):
        clock.advance(1.0)
        await bot.send_message(SUPERGROUP, "g")
    clock.advance(1.0)
    with pytest.raises(RetryAfter) as excinfo:
        await bot.send_message(SUPERGROUP, "g")
    assert excinfo.value.retry_after == timedelta(seconds=40)
    assert fake.rejections[-1].parameters == {"retry_after": 40}
    # 30 per second overall
    clock.advance(60.0)
    for chat_id in range(1000, 1030):
        await bot.send_message(chat_id, "broadcast")
    clock.advance(0.25)
    with pytest.raises(RetryAfter) as excinfo:
        await bot.send_message(2000, "one too many")
    assert excinfo.value.retry_after == timedelta(seconds=1)  # 0.75 s rounds up
    assert [r.status for r in fake.rejections] == [429, 429, 429]
    fake.limits = None
    await bot.send_message(2000, "limits off")


async def test_fail_next_and_timeout_next(
    fake: FakeTelegram, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    fake.fail_next("sendMessage", 502, body=b"<html><body>502 Bad Gateway</body></html>")
    fake.fail_next("sendMessage", 429, parameters={"retry_after": 3})
    fake.fail_next("sendMessage", 500, "Internal Server Error")
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_message(USER, "a")
    with pytest.raises(RetryAfter) as retry:
        await bot.send_message(USER, "b")
    assert retry.value.retry_after == timedelta(seconds=3)
    with pytest.raises(NetworkError, match="Internal Server Error"):
        await bot.send_message(USER, "c")
    assert fake.sent == []
    await bot.send_message(USER, "d")
    # the ambiguous timeout: delivered, but the answer never comes
    fake.timeout_next("sendMessage")
    started = time.monotonic()
    with pytest.raises(TimedOut):
        await bot.send_message(USER, "delivered?", read_timeout=0.3)
    assert time.monotonic() - started < 3
    assert [m.text for m in fake.sent] == ["d", "delivered?"]
    await bot.send_message(USER, "next one is answered")
    assert [(r.status, r.description) for r in fake.rejections] == [
        (502, "Bad Gateway"),
        (429, "Too Many Requests: retry after 3"),
        (500, "Internal Server Error"),
    ]


# --------------------------------------------------------------------------------------------
# Other methods


async def test_commands_members_chat_actions(fake: FakeTelegram, bot: Bot) -> None:
    commands = [BotCommand("start", "Start"), BotCommand("digest", "Today's papers")]
    await bot.set_my_commands(commands, scope=BotCommandScopeAllPrivateChats())
    await bot.set_my_commands(commands[:1])
    assert fake.commands == {
        "all_private_chats": [
            {"command": "start", "description": "Start"},
            {"command": "digest", "description": "Today's papers"},
        ],
        "default": [{"command": "start", "description": "Start"}],
    }
    got = await bot.get_my_commands(scope=BotCommandScopeAllPrivateChats())
    assert [c.command for c in got] == ["start", "digest"]
    await bot.delete_my_commands()
    assert "default" not in fake.commands
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Start-Now", "x")])

    fake.admins[SUPERGROUP] = {7}
    fake.creators[SUPERGROUP] = 8
    statuses = [(await bot.get_chat_member(SUPERGROUP, user)).status for user in (7, 8, 9)]
    assert statuses == [
        ChatMemberStatus.ADMINISTRATOR,
        ChatMemberStatus.OWNER,
        ChatMemberStatus.MEMBER,
    ]
    chat = await bot.get_chat(SUPERGROUP)
    assert chat.type == "supergroup"
    assert await bot.send_chat_action(USER, "typing") is True
    assert fake.chat_actions == [(USER, "typing")]
    with pytest.raises(BadRequest, match="Wrong parameter action"):
        await bot.send_chat_action(USER, "dancing")


async def test_edit_and_delete(fake: FakeTelegram, bot: Bot) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("More", callback_data="more")]])
    message = await bot.send_message(USER, "<b>v1</b>", parse_mode="HTML", reply_markup=markup)
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("<b>v1</b>", USER, message.message_id, parse_mode="HTML",
                                    reply_markup=markup)  # fmt: skip
    await bot.edit_message_text("<i>v2</i>", USER, message.message_id, parse_mode="HTML")
    current = fake.message(USER, message.message_id)
    assert current is not None
    assert (current.text, current.entities_of("italic"), current.reply_markup) == (
        "v2", ["v2"], None  # editing without reply_markup removes the keyboard
    )  # fmt: skip
    assert [e.method for e in fake.edits] == ["editMessageText"]
    await bot.edit_message_reply_markup(USER, message.message_id, reply_markup=markup)
    assert fake.message(USER, message.message_id).callback_data == ["more"]  # type: ignore[union-attr]
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", USER, 999)
    assert await bot.delete_message(USER, message.message_id) is True
    assert fake.deleted == [(USER, message.message_id)]
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(USER, message.message_id)


async def test_document_upload_with_html_caption(fake: FakeTelegram, bot: Bot) -> None:
    message = await bot.send_document(
        USER, b"%PDF-1.4 fake", filename="digest.pdf", caption="<b>Digest</b>",
        parse_mode=ParseMode.HTML,
    )  # fmt: skip
    sent = fake.sent[-1]
    assert (sent.kind, sent.text, sent.entities_of("bold")) == ("document", "Digest", ["Digest"])
    assert sent.media is not None
    assert (sent.media["filename"], sent.media["data"]) == ("digest.pdf", b"%PDF-1.4 fake")
    assert message.document is not None
    assert message.document.file_name == "digest.pdf"
    with pytest.raises(BadRequest, match="caption is too long"):
        await bot.send_document(USER, b"x", filename="a.txt", caption="c" * 1025)


# --------------------------------------------------------------------------------------------
# Updates


async def test_get_updates_long_polls_and_confirms(fake: FakeTelegram) -> None:
    poll = asyncio.create_task(raw_call(fake, "getUpdates", offset=0, timeout=5))
    await fake.wait_for_call("getUpdates")
    await asyncio.sleep(0.05)
    assert not poll.done()  # held: nothing pending
    started = time.monotonic()
    update = fake.send_text(USER, "hello", first_name="Ada", username="ada")
    status, body = await poll
    assert time.monotonic() - started < 1
    assert status == 200
    assert body["result"] == [update]
    assert update["message"]["chat"] == {
        "id": USER, "type": "private", "first_name": "Ada", "username": "ada"
    }  # fmt: skip
    fake.send_text(USER, "again")
    _, body = await raw_call(fake, "getUpdates", offset=update["update_id"] + 1)
    assert [u["message"]["text"] for u in body["result"]] == ["again"]
    assert [u["message"]["text"] for u in fake.pending_updates] == ["again"]
    # a second poller terminates the first one
    first = asyncio.create_task(raw_call(fake, "getUpdates", offset=99, timeout=5))
    await fake.wait_for_call("getUpdates", 3)
    _, second = await raw_call(fake, "getUpdates", offset=99, timeout=0)
    assert second == {"ok": True, "result": []}
    status, body = await first
    assert status == 409
    assert body["description"].startswith("Conflict: terminated by other getUpdates request")
    # a pending poll answers [] when the fake stops
    last = asyncio.create_task(raw_call(fake, "getUpdates", offset=99, timeout=30))
    await fake.wait_for_call("getUpdates", 5)
    await fake.stop()
    assert await last == (200, {"ok": True, "result": []})


async def test_application_manual_lifecycle_start_command(fake: FakeTelegram) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_html(f"Hello, <b>{context.args or 'you'}</b>!")

    app = build_app(fake)
    app.add_handler(CommandHandler("start", start))
    async with running(app):
        assert fake.calls_of("deleteWebhook") == [{"drop_pending_updates": True}]
        update = fake.send_text(USER, "/start")
        assert update["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
        async with asyncio.timeout(5):
            replies = await fake.wait_for_sent(1, chat_id=USER)
        assert replies[0].text == "Hello, you!"
        assert replies[0].entities_of("bold") == ["you"]
        assert replies[0].reply_parameters is None  # private chats do not quote
        # in a supergroup, addressed to this bot; quoted by default there
        group_update = fake.send_text(SUPERGROUP, f"/start@{DEFAULT_BOT_USERNAME} cs.LG")
        async with asyncio.timeout(5):
            [reply] = await fake.wait_for_sent(1, chat_id=SUPERGROUP)
        assert reply.text == "Hello, ['cs.LG']!"
        assert reply.reply_parameters == {"message_id": group_update["message"]["message_id"]}
        # privacy mode: another bot's command and plain chatter never reach the bot
        fake.send_text(SUPERGROUP, "/start@other_bot")
        fake.send_text(SUPERGROUP, "just chatting")
        assert len(fake.undelivered) == 2
    assert fake.rejections == []  # stopping the updater caused no 409 either
    assert fake.calls_of("getUpdates")[-1]["timeout"] == 0  # PTB's cleanup call on stop


async def test_callback_button_reaches_handler(fake: FakeTelegram) -> None:
    async def digest(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        button = InlineKeyboardButton("Show summary", callback_data="sum:2611.00001v1")
        assert update.effective_message is not None
        await update.effective_message.reply_text(
            "<b>Paper</b>", parse_mode=ParseMode.HTML,
            reply_markup=InlineKeyboardMarkup([[button]]),
        )  # fmt: skip

    async def summary(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        assert query.data is not None
        await query.answer("Summarising…")
        await query.edit_message_text(f"Summary of {query.data.removeprefix('sum:')}")

    app = build_app(fake)
    app.add_handler(CommandHandler("digest", digest))
    app.add_handler(CallbackQueryHandler(summary, pattern=r"^sum:"))
    async with running(app):
        fake.send_text(USER, "/digest")
        async with asyncio.timeout(5):
            [card] = await fake.wait_for_sent(1)
        assert card.callback_data == ["sum:2611.00001v1"]
        with pytest.raises(ValueError, match="no button"):
            fake.press_button(card, "sum:other")
        fake.press_button(card, "sum:2611.00001v1")
        async with asyncio.timeout(5):
            await fake.wait_for_call("editMessageText")
    assert fake.callback_answers[0]["text"] == "Summarising…"
    assert fake.edits[-1].text == "Summary of 2611.00001v1"
    assert fake.edits[-1].reply_markup is None
    assert fake.rejections == []


async def test_membership_migration_and_anonymous_admin(fake: FakeTelegram) -> None:
    seen: list[str] = []
    all_seen = asyncio.Event()

    def note(event: str) -> None:
        seen.append(event)
        if len(seen) == 4:
            all_seen.set()

    async def on_migrate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None
        note(f"migrate {message.migrate_to_chat_id or message.migrate_from_chat_id}")

    async def on_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None
        assert message.sender_chat is not None
        note(f"anonymous {message.sender_chat.id == message.chat.id}")

    async def on_member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.my_chat_member is not None
        note(f"member {update.my_chat_member.new_chat_member.status}")

    app = build_app(fake)
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, on_migrate))
    app.add_handler(CommandHandler("subscribe", on_command))
    app.add_handler(ChatMemberHandler(on_member, ChatMemberHandler.MY_CHAT_MEMBER))
    async with running(app):
        fake.chat_member_update(USER, "kicked")
        fake.migrate(GROUP, SUPERGROUP)
        update = fake.anonymous_admin_command(SUPERGROUP, "/subscribe cs.AI")
        assert update["message"]["from"]["id"] == ANONYMOUS_ADMIN_ID
        async with asyncio.timeout(5):
            await fake.wait_until(lambda: not fake.pending_updates)  # all fetched
            await all_seen.wait()
    assert seen == [
        "member kicked", f"migrate {SUPERGROUP}", f"migrate {GROUP}", "anonymous True"
    ]  # fmt: skip
    assert USER in fake.blocked
    assert fake.migrated == {GROUP: SUPERGROUP}


def test_thread_variant_serves_sync_callers() -> None:
    with FakeTelegramThread(bot_username="other_test_bot") as fake:
        base = f"{fake.api_base}{fake.token}"
        with urllib.request.urlopen(urllib.request.Request(f"{base}/getMe", data=b"")) as r:
            assert json.load(r)["result"]["username"] == "other_test_bot"
        fake.send_text(USER, "from another thread")
        data = urllib.parse.urlencode({"offset": 0, "timeout": 1}).encode()
        with urllib.request.urlopen(f"{base}/getUpdates", data=data) as r:
            [update] = json.load(r)["result"]
        assert update["message"]["text"] == "from another thread"
        with pytest.raises(urllib.error.HTTPError) as excinfo:
            urllib.request.urlopen(f"{base}/nope", data=b"")
        with excinfo.value as error:
            assert error.code == 404
            assert json.load(error)["description"] == "Not Found"
        asyncio.run(asyncio.wait_for(fake.wait_for_call("getUpdates"), 5))


def test_parse_html_helper() -> None:
    assert parse_html("<b>a</b>  \n") == ("a", [{"type": "bold", "offset": 0, "length": 1}])
    text, entities = parse_html('<a href="tg://user?id=5">Ada</a>')
    assert (text, entities[0]["type"], entities[0]["user"]["id"]) == ("Ada", "text_mention", 5)
