"""Discord's settings, declared beside its adapter; the composition root adds them to the
core's settings (``app/settings.py``), so they load from the same environment and file."""

from __future__ import annotations

from typing import Self

from pydantic import BaseModel, Field, SecretStr, model_validator

from bot.config import IntList, SnowflakeList, env_alias


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
    discord_guild_ids: SnowflakeList = Field(
        default_factory=list,
        validation_alias=env_alias("DISCORD_GUILD_IDS", "discord_guild_ids"),
    )
    """Sync slash commands to these servers only (instant, for development)."""
    discord_sync_commands: bool = True
    discord_shard_count: int | None = Field(
        None, ge=1, validation_alias=env_alias("DISCORD_SHARD_COUNT", "discord_shard_count")
    )
    """Gateway shards of the whole bot; unset: one connection, as discord.py picks."""
    discord_shard_ids: IntList = Field(
        default_factory=list,
        validation_alias=env_alias("DISCORD_SHARD_IDS", "discord_shard_ids"),
    )
    """The shards this instance connects (of ``DISCORD_SHARD_COUNT``; all when unset):
    instances sharing a database split them, e.g. ``0,1`` and ``2,3`` of 4."""

    @model_validator(mode="after")
    def _shards_of_the_count(self) -> Self:
        ids, count = self.discord_shard_ids, self.discord_shard_count
        if ids and count is None:
            raise ValueError(
                "DISCORD_SHARD_IDS needs DISCORD_SHARD_COUNT (how many shards the bot has)"
            )
        if count is not None and any(not 0 <= i < count for i in ids):
            raise ValueError(
                f"DISCORD_SHARD_IDS: shard ids run from 0 to {count - 1} "
                f"(DISCORD_SHARD_COUNT={count})"
            )
        if len(set(ids)) != len(ids):
            raise ValueError("DISCORD_SHARD_IDS names a shard twice")
        return self
