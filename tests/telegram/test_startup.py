"""Start and stop: who the bot is, its command menu, long polling, and a token that never
reaches a log line."""

from __future__ import annotations

import asyncio
import logging
import socket

import aiohttp
import pytest

from adapters.telegram import TelegramAdapter, WebhookConfig
from adapters.telegram.adapter import ALLOWED_UPDATES
from app.logs import REDACTED, RedactingFilter
from app.settings import AppSettings
from app.wiring import build_adapters
from bot.commands.router import default_registry
from bot.services import Services
from tests.fakes.fake_telegram import FakeTelegram
from tests.telegram.conftest import RunBot
from tests.telegram.support import USER, WAIT


async def test_start_signs_in_publishes_the_menu_and_polls(
    run_bot: RunBot, services: Services, tg: FakeTelegram
) -> None:
    async with run_bot(services) as bot:
        methods = [method for method, _ in tg.calls]
        assert methods[:3] == ["getMe", "setMyCommands", "setMyCommands"]
        assert bot.adapter.username == "arxiv_test_bot"  # from getMe: /cmd@arxiv_test_bot

        expected = [
            {"command": spec.name, "description": spec.summary}
            for spec in default_registry().specs()
        ]
        assert {c["command"] for c in expected} >= {"start", "subscribe", "summarize"}
        assert tg.commands["all_private_chats"] == expected
        assert tg.commands["all_group_chats"] == expected

        # Long polling, asking for the updates the adapter handles (my_chat_member included).
        polls = await asyncio.wait_for(tg.wait_for_call("getUpdates"), WAIT)
        assert polls[0]["allowed_updates"] == ALLOWED_UPDATES
        assert "my_chat_member" in ALLOWED_UPDATES
        assert not tg.webhook

        answer = await bot.exchange(USER, "/start")
        assert len(answer) == 1
    assert not bot.adapter.app.running
    assert bot.adapter.app.updater is not None
    assert not bot.adapter.app.updater.running
    assert not tg.pending_updates, "every fetched update is confirmed on the way out"


async def test_the_token_never_reaches_a_log_line(
    run_bot: RunBot,
    services: Services,
    settings: AppSettings,
    tg: FakeTelegram,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # As setup_logging installs it (on the handler), at DEBUG; httpx's INFO lines carry the
    # request URL, token included (setup_logging quiets httpx, -v must not un-quiet a leak).
    caplog.handler.addFilter(RedactingFilter(settings.secret_values()))
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="httpx")
    async with run_bot(services) as bot:
        await bot.exchange(USER, "/start")
        tg.fail_next("sendMessage", 400, "Bad Request: chat not found")
        await bot.exchange(USER, "/settings")

    url_lines = [r.getMessage() for r in caplog.records if "HTTP Request" in r.getMessage()]
    assert any("/getMe" in line for line in url_lines), "httpx logged no request URL"
    assert all(f"/bot{REDACTED}/" in line for line in url_lines), url_lines[:3]
    assert any("signed in as @arxiv_test_bot" in r.getMessage() for r in caplog.records)
    assert tg.token not in caplog.text
    secret_part = tg.token.split(":", 1)[1]
    for record in caplog.records:
        assert secret_part not in record.getMessage()
        assert not record.args or secret_part not in str(record.args)


async def test_the_composition_root_builds_and_runs_the_telegram_adapter(
    settings: AppSettings, services: Services, tg: FakeTelegram
) -> None:
    """TELEGRAM_BOT_TOKEN and TELEGRAM_API_URL (the fake) are all it takes."""
    adapters = build_adapters(settings, services)
    telegram = [a for a in adapters if isinstance(a, TelegramAdapter)]
    assert len(telegram) == 1
    adapter = telegram[0]
    await adapter.start()
    try:
        tg.send_text(USER, "/start")
        async with asyncio.timeout(WAIT):
            sent = await tg.wait_for_sent(1, USER)
    finally:
        await adapter.stop()
    assert "I follow arXiv for this chat" in sent[0].text
    assert not tg.rejections


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def test_webhook_mode_registers_the_hook_and_checks_its_secret(
    run_bot: RunBot, services: Services, tg: FakeTelegram
) -> None:
    port = free_port()
    hook = WebhookConfig(
        url="https://bot.example.org/telegram/hook",
        secret="s3cret_Token-42",
        listen="127.0.0.1",
        port=port,
    )
    async with run_bot(services, webhook=hook) as bot:
        assert tg.webhook["url"] == hook.url
        assert tg.webhook["secret_token"] == hook.secret
        assert tg.webhook["allowed_updates"] == ALLOWED_UPDATES
        assert tg.calls_of("getUpdates") == [], "no polling next to a webhook"

        update = tg.send_text(USER, "/start")  # delivered below, as Telegram would
        endpoint = f"http://127.0.0.1:{port}/telegram/hook"
        header = "X-Telegram-Bot-Api-Secret-Token"
        async with aiohttp.ClientSession() as http:
            async with http.post(endpoint, json=update) as forged:
                assert forged.status == 403
            async with http.post(endpoint, json=update, headers={header: "guess"}) as forged:
                assert forged.status == 403
            async with http.post(endpoint, json=update, headers={header: hook.secret}) as sent:
                assert sent.status == 200
            await bot.handled(update)
    [answer] = tg.sent_to(USER)
    assert "I follow arXiv for this chat" in answer.text
