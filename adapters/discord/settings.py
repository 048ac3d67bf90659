"""Discord's settings, declared beside its adapter; the composition root adds them to the
core's settings (``app/settings.py``), so they load from the same environment and file."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr

from bot.config import IntList, env_alias


class DiscordSettings(BaseModel):
    discord_bot_token: SecretStr | None = Field(
        None, validation_alias=env_alias("DISCORD_BOT_TOKEN", "discord_bot_token")
    )
    """Discord is started when it is set."""
    discord_api_url: str | None = Field(
        None, validation_alias=env_alias("DISCORD_API_URL", "discord_api_url")
    )
    """A Discord REST proxy (or the tests' fake), e.g. ``http://proxy:8080/api/v10``."""
    discord_gateway_url: str | None = Field(
        None, validation_alias=env_alias("DISCORD_GATEWAY_URL", "discord_gateway_url")
    )
    discord_guild_ids: IntList = Field(
        default_factory=list,
        validation_alias=env_alias("DISCORD_GUILD_IDS", "discord_guild_ids"),
    )
    """Sync slash commands to these servers only (instant, for development)."""
    discord_sync_commands: bool = True
