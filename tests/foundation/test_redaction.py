"""app/logs.py: every secret setting is redacted wherever it shows up, whole or as providers
mask it, and ordinary text is left alone."""

from __future__ import annotations

import pytest

from app.logs import REDACTED, Redactor
from app.settings import load_app_settings

OPENAI = "sk-proj-Zq8wV3nK7tR2mX9pL4sB6yH1cF5jD0gA"
TELEGRAM = "123456789:AAHk3vQ9xYw2LmN8pRt5sUv7zBc1dEf4GhJ"
DISCORD = "MTE0NjA3ODk2NTQzMjE.GhXy7Z.aB3cD4eF5gH6iJ7kL8mN9oP0qR1sT2uV3wX4"
WEBHOOK = "whsec-3f9a7c1e5b2d8a4f6c0e9b7d"
FEED = "feedkey-6a1f0c9e3b7d2a8f4c5e"
DB_PASSWORD = "pg-S3cr3t-passw0rd-xyz"


@pytest.fixture
def redactor(monkeypatch: pytest.MonkeyPatch) -> Redactor:
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TELEGRAM)
    monkeypatch.setenv("DISCORD_BOT_TOKEN", DISCORD)
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", WEBHOOK)
    monkeypatch.setenv("FEED_TOKEN_SECRET", FEED)
    monkeypatch.setenv("DATABASE_URL", f"postgresql://bot:{DB_PASSWORD}@db:5432/bot")
    return Redactor(load_app_settings().secret_values())


@pytest.mark.parametrize("secret", [OPENAI, TELEGRAM, DISCORD, WEBHOOK, FEED, DB_PASSWORD])
def test_every_secret_setting_is_redacted_whole(redactor: Redactor, secret: str) -> None:
    assert redactor(f"failed with {secret}: try again") == f"failed with {REDACTED}: try again"


@pytest.mark.parametrize(
    "echo",
    [
        f"{OPENAI[:3]}*****{OPENAI[-4:]}",  # the fake's mask
        f"{OPENAI[:6]}***...{OPENAI[-4:]}",  # OpenAI's
        f"{OPENAI[:8]}{'*' * 20}{OPENAI[-4:]}",
        f"{OPENAI[:6]}…{OPENAI[-3:]}",
        f"{OPENAI[:14]}...",  # truncated
        f"...{OPENAI[-12:]}",
        OPENAI[:12],
        OPENAI[-12:],
        f"{TELEGRAM[:4]}****{TELEGRAM[-4:]}",
        f"{DISCORD[:10]}...",
    ],
)
def test_partial_echoes_are_redacted(redactor: Redactor, echo: str) -> None:
    shown = redactor(f"Incorrect API key provided: {echo}. You can find your API key at x.")
    assert shown == f"Incorrect API key provided: {REDACTED}. You can find your API key at x."


def test_a_password_in_any_url_is_redacted() -> None:
    shown = Redactor()("cannot connect to postgresql://bot:hunter2@db/bot and https://a:b@x.org/")
    assert shown == (
        f"cannot connect to postgresql://bot:{REDACTED}@db/bot and https://a:{REDACTED}@x.org/"
    )


@pytest.mark.parametrize(
    "text",
    [
        "Fetching today's papers...",
        "**bold** and *** rules *** and sk-*** alone",
        "summary of 2611.00001v1 failed: BadModelAnswer: no choices",
        "GET https://export.arxiv.org/api/query?id_list=2611.00001 200",
        "sk-proj-1234 is another project's prefix",
    ],
)
def test_ordinary_text_is_left_alone(redactor: Redactor, text: str) -> None:
    assert redactor(text) == text
