"""The bot's settings kept out of the tests: a developer's own environment (a real token, a
real model key, a DATABASE_URL) must never reach a test or the bot processes it starts."""

from __future__ import annotations

import os

BOT_ENV_PREFIXES = ("ARXIV_", "OPENAI_", "DASHSCOPE_", "TELEGRAM_", "DISCORD_")
BOT_ENV_NAMES = ("DATABASE_URL", "PUBLIC_URL", "FEED_TOKEN_SECRET")


def is_bot_setting(name: str) -> bool:
    return name.startswith(BOT_ENV_PREFIXES) or name in BOT_ENV_NAMES


def clean_environ(**env: str) -> dict[str, str]:
    """The test process's environment without any setting of the bot, plus ``env`` (for the
    ``arxiv-bot`` processes a test starts)."""
    kept = {k: v for k, v in os.environ.items() if not is_bot_setting(k)}
    return {**kept, **env}
