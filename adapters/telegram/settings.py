"""Telegram's settings, declared beside its adapter; the composition root adds them to the
core's settings (``app/settings.py``), so they load from the same environment and file."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr

from bot.config import env_alias


class TelegramSettings(BaseModel):
    telegram_bot_token: SecretStr | None = Field(
        None, validation_alias=env_alias("TELEGRAM_BOT_TOKEN", "telegram_bot_token")
    )
    """Telegram is started when it is set."""
    telegram_api_url: str = Field(
        "https://api.telegram.org/bot",
        validation_alias=env_alias("TELEGRAM_API_URL", "telegram_api_url"),
    )
    """A self-hosted Bot API server (or the tests' fake); the token is appended."""
    telegram_webhook_url: str | None = Field(
        None, validation_alias=env_alias("TELEGRAM_WEBHOOK_URL", "telegram_webhook_url")
    )
    """Public HTTPS URL Telegram posts updates to; unset means long polling."""
    telegram_webhook_secret: SecretStr | None = Field(
        None, validation_alias=env_alias("TELEGRAM_WEBHOOK_SECRET", "telegram_webhook_secret")
    )
    telegram_webhook_listen: str = "0.0.0.0"
    telegram_webhook_port: int = Field(8443, ge=1, le=65535)
    admin_cache_seconds: float = Field(60.0, ge=0)
    """How long a chat member's admin status is believed before Telegram is asked again."""
